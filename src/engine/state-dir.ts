// The state directory of a long campaign (`--state DIR`): the plan it runs, the findings (one
// file per signature, the shortest repro kept), statistics and coverage, and the resume point
// (which plan units are done). Every file is written atomically (write-file-atomic: temp file,
// fsync, rename) as soon as it is known, so `kill -9` at any moment loses nothing reported.
import * as fs from 'node:fs';
import * as path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { mergeCoverage, type Coverage } from './coverage';
import type { PlanOptions } from './plan';
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

export class StateDir {
  constructor(readonly dir: string) {}

  static exists(dir: string): boolean {
    return fs.existsSync(path.join(dir, 'plan.json'));
  }

  private write(rel: string, text: string): void {
    const file = path.join(this.dir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    writeFileAtomic.sync(file, text);
  }

  writePlan(plan: PlanOptions): void {
    this.write('plan.json', `${JSON.stringify(plan, null, 2)}\n`);
  }

  readPlan(): PlanOptions {
    return JSON.parse(fs.readFileSync(path.join(this.dir, 'plan.json'), 'utf8')) as PlanOptions;
  }

  writeProgress(p: Progress): void {
    this.write('progress.json', `${JSON.stringify(p)}\n`);
  }

  readProgress(): Progress {
    const file = path.join(this.dir, 'progress.json');
    return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Progress) : emptyProgress();
  }

  /** Writes a finding (metadata and repro script), replacing the signature's previous one. */
  writeFinding(f: StoredFinding): void {
    const base = path.join('findings', findingFile(f));
    this.write(`${base}.repro`, f.repro);
    this.write(`${base}.json`, `${JSON.stringify(f, null, 2)}\n`);
  }

  readFindings(): StoredFinding[] {
    const dir = path.join(this.dir, 'findings');
    if (!fs.existsSync(dir)) return [];
    return fs
      .readdirSync(dir)
      .filter((n) => n.endsWith('.json'))
      .sort()
      .map((n) => JSON.parse(fs.readFileSync(path.join(dir, n), 'utf8')) as StoredFinding)
      .sort((a, b) => a.signature.localeCompare(b.signature));
  }

  findingPath(f: UnitFinding): string {
    return path.join(this.dir, 'findings', `${findingFile(f)}.repro`);
  }

  writeText(rel: string, text: string): string {
    this.write(rel, text);
    return path.join(this.dir, rel);
  }
}
