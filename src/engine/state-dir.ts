// The state directory of a long campaign (`--state DIR`): plan.json (the plan it runs) and
// state.json (statistics, coverage, the units done and every finding, the shortest repro kept
// per signature), plus views for people: findings/NAME.repro and report.html.
//
// state.json is the one record of what is done. After each unit the whole of it is written
// atomically (temp file, fsync, rename), so a unit's findings and its "done" mark reach the disk
// in one step: a kill before the rename leaves the unit undone (a resume runs it again and counts
// it once), a kill after it leaves it done with its findings. The .repro views are written after
// the commit and rewritten from state.json on load, so a kill between the two loses nothing.
// Every write is a write boundary (src/engine/files.ts), where tests kill the process.
// A directory written before state.json existed (progress.json plus findings/NAME.json) still
// loads; its next commit writes state.json.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { mergeCoverage, type Coverage } from './coverage';
import { InputError, LIMITS, readBounded, writeAtomic, writeBoundary } from './files';
import type { PlanOptions } from './plan';
import { findingSchema, loadJson, planSchema, progressSchema, STATE_FORMAT, stateSchema } from './state-schema';
import type { UnitFinding, UnitResult } from './unit';

export interface ConfigProgress {
  units: number;
  runs: number;
  commands: number;
  findings: number;
  /** Each signature this configuration found, with the first plan round that found it (what a weighted plan's next rounds are computed from). */
  found?: Record<string, number>;
}

export interface Progress {
  /** Plan units finished (their indices), sorted. */
  done: number[];
  runs: number;
  commands: number;
  /** Wall time spent by units (summed over workers). */
  unitMs: number;
  coverage: Coverage;
  openIssues: Record<string, number>;
  /** Units run per configuration, and the findings they made, for the summary. */
  perConfig: Record<string, ConfigProgress>;
  /** Samples for the report's plots: campaign time (ms, over all sessions), commands, coverage states reached, findings. */
  timeline?: { t: number; commands: number; states: number; findings: number }[];
}

export function emptyProgress(): Progress {
  return { done: [], runs: 0, commands: 0, unitMs: 0, coverage: {}, openIssues: {}, perConfig: {}, timeline: [] };
}

/** Folds a unit's result into the statistics (not the findings: see FindingStore). */
export function addResult(p: Progress, r: UnitResult): void {
  p.done.push(r.unit.index);
  p.done.sort((a, b) => a - b);
  p.runs += r.runs;
  p.commands += r.commands;
  p.unitMs += r.elapsedMs;
  mergeCoverage(p.coverage, r.coverage);
  for (const [k, v] of Object.entries(r.openIssues)) p.openIssues[k] = (p.openIssues[k] ?? 0) + v;
  const key = `${r.unit.platform}@${r.unit.revision}`;
  const c = (p.perConfig[key] ??= { units: 0, runs: 0, commands: 0, findings: 0 });
  c.units++;
  c.runs += r.runs;
  c.commands += r.commands;
  c.findings += r.findings.length;
  for (const f of r.findings) {
    const found = (c.found ??= {});
    found[f.signature] = Math.min(found[f.signature] ?? Infinity, r.unit.round);
  }
}

export function mergeProgress(into: Progress, from: Progress): Progress {
  into.done = [...new Set([...into.done, ...from.done])].sort((a, b) => a - b);
  into.runs += from.runs;
  into.commands += from.commands;
  into.unitMs += from.unitMs;
  mergeCoverage(into.coverage, from.coverage);
  for (const [k, v] of Object.entries(from.openIssues)) into.openIssues[k] = (into.openIssues[k] ?? 0) + v;
  for (const [k, v] of Object.entries(from.perConfig)) {
    const c = (into.perConfig[k] ??= { units: 0, runs: 0, commands: 0, findings: 0 });
    c.units += v.units;
    c.runs += v.runs;
    c.commands += v.commands;
    c.findings += v.findings;
    for (const [sig, round] of Object.entries(v.found ?? {})) {
      const found = (c.found ??= {});
      found[sig] = Math.min(found[sig] ?? Infinity, round);
    }
  }
  return into;
}

/** Is `a` a better representative of its signature than `b`: shorter, then from the earlier unit. */
export function better(a: UnitFinding & { unitIndex: number }, b: UnitFinding & { unitIndex: number }): boolean {
  return a.length < b.length || (a.length === b.length && a.unitIndex < b.unitIndex);
}

export type StoredFinding = UnitFinding & { readonly unitIndex: number; readonly hits: number };

/** Findings by signature, the shortest kept. */
export class FindingStore {
  readonly bySignature = new Map<string, StoredFinding>();

  /** Adds a finding; returns true when it is a new signature or a shorter repro of a known one. */
  add(f: UnitFinding, unitIndex: number, hits = 1): boolean {
    const cand: StoredFinding = { ...f, unitIndex, hits };
    const old = this.bySignature.get(f.signature);
    if (old === undefined) {
      this.bySignature.set(f.signature, cand);
      return true;
    }
    const improved = better(cand, old);
    this.bySignature.set(f.signature, improved ? { ...cand, hits: old.hits + hits } : { ...old, hits: old.hits + hits });
    return improved;
  }

  /** In a stable order: signature. */
  list(): StoredFinding[] {
    return [...this.bySignature.values()].sort((a, b) => a.signature.localeCompare(b.signature));
  }
}

const safe = (s: string): string => s.replace(/[^A-Za-z0-9._+-]/g, '_');
/** The file name of a signature's finding: platform--revision--invariant--kind. */
export const findingFile = (f: UnitFinding): string => {
  const [invariant = '', platform = '', revision = '', kind = ''] = f.signature.split('|');
  return [platform, revision, invariant, kind].map(safe).join('--');
};

/** Test hooks: `boundary` runs at every write boundary, before and after each file write. */
export interface StateHooks {
  readonly boundary?: (label: string) => void;
}

/** What a state directory holds, as committed. */
export interface Committed {
  readonly progress: Progress;
  readonly findings: StoredFinding[];
}

export class StateDir {
  constructor(
    readonly dir: string,
    private readonly hooks: StateHooks = {},
  ) {}

  static exists(dir: string): boolean {
    return fs.existsSync(path.join(dir, 'plan.json'));
  }

  private boundary(label: string): void {
    this.hooks.boundary?.(label);
    writeBoundary();
  }

  private write(rel: string, text: string): void {
    this.boundary(`${rel}:before`);
    writeAtomic(path.join(this.dir, rel), text);
    this.boundary(`${rel}:after`);
  }

  writePlan(plan: PlanOptions): void {
    this.write('plan.json', `${JSON.stringify(plan, null, 2)}\n`);
  }

  readPlan(): PlanOptions {
    return loadJson(path.join(this.dir, 'plan.json'), LIMITS.plan, planSchema);
  }

  /** Commits the statistics and the findings together: one atomic write of state.json. */
  commit(progress: Progress, findings: readonly StoredFinding[]): void {
    this.write('state.json', `${JSON.stringify({ format: STATE_FORMAT, version: 1, progress, findings })}\n`);
  }

  /** What was last committed (an empty campaign when nothing was). */
  load(): Committed {
    const file = path.join(this.dir, 'state.json');
    if (fs.existsSync(file)) {
      const s = loadJson(file, LIMITS.state, stateSchema);
      return { progress: s.progress, findings: [...s.findings].sort((a, b) => a.signature.localeCompare(b.signature)) };
    }
    return this.loadOlder();
  }

  /** A directory from before state.json: progress.json and one findings/NAME.json per signature. */
  private loadOlder(): Committed {
    const file = path.join(this.dir, 'progress.json');
    const progress = fs.existsSync(file) ? loadJson(file, LIMITS.state, progressSchema) : emptyProgress();
    const dir = path.join(this.dir, 'findings');
    let names: string[] = [];
    try {
      names = fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.endsWith('.json')).sort() : [];
    } catch (e) {
      throw new InputError(`${dir}: cannot list (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    const findings = names.map((n) => loadJson(path.join(dir, n), LIMITS.finding, findingSchema)).sort((a, b) => a.signature.localeCompare(b.signature));
    return { progress, findings };
  }

  readProgress(): Progress {
    return this.load().progress;
  }

  readFindings(): StoredFinding[] {
    return this.load().findings;
  }

  /** Writes a finding's repro where people look for it (findings/NAME.repro). */
  writeView(f: StoredFinding): void {
    this.write(path.join('findings', `${findingFile(f)}.repro`), f.repro);
  }

  /** Rewrites every .repro view that does not hold its finding's committed repro. */
  syncViews(findings: readonly StoredFinding[]): void {
    for (const f of findings) {
      let current: string | null = null;
      try {
        current = readBounded(this.findingPath(f), LIMITS.repro);
      } catch {
        current = null;
      }
      if (current !== f.repro) this.writeView(f);
    }
  }

  findingPath(f: UnitFinding): string {
    return path.join(this.dir, 'findings', `${findingFile(f)}.repro`);
  }

  writeText(rel: string, text: string): string {
    this.write(rel, text);
    return path.join(this.dir, rel);
  }
}
