// A fuzzing campaign on one platform and revision: random runs until a violation is found
// or the budget (runs or wall time) is spent, then shrinking of the finding to a repro.
import type { Command } from '../commands/command';
import { findInvariant } from '../invariants/registry';
import type { Repro } from '../repro/repro';
import { annotate } from '../repro/annotate';
import { shrink } from '../shrink/shrinker';
import type { SimulationConfig } from '../sim/simulation';
import { randomRun, type Finding, type RunStats } from './random-engine';
import { matchOpenIssue } from './triage';
import type { Coverage } from './coverage';

export interface CampaignOptions {
  readonly config: SimulationConfig;
  readonly seed: number;
  readonly runs?: number;
  readonly timeMs?: number;
  readonly maxSteps?: number;
  /** Only findings of this invariant count (known-bug hunting); others are ignored. */
  readonly target?: string;
  /** Recognise open upstream issues (by replay with their proposed fix) and keep searching past them. */
  readonly skipOpenIssues?: boolean;
  readonly onProgress?: (stats: CampaignStats) => void;
  /** Swarm testing: each run switches off a seeded random subset of command kinds. */
  readonly swarm?: boolean;
  /** The index of the first run (default 0): `--from-run R --runs 1` replays run R of a campaign alone. */
  readonly firstRun?: number;
  /** Keep going after a finding: shrink the first finding of each invariant, skip later ones of it (campaign units). */
  readonly continueAfterFinding?: boolean;
  /** Coverage counters to add this campaign's to (src/engine/coverage.ts). */
  readonly coverage?: Coverage;
  /** Milliseconds for the time budget and the figures (default Date.now; the bench passes CPU time). */
  readonly clock?: () => number;
}

export interface CampaignStats {
  readonly runs: number;
  readonly commands: number;
  readonly elapsedMs: number;
  readonly findings: number;
}

export interface ShrunkFinding {
  readonly finding: Finding;
  readonly repro: Repro;
  readonly shrinkMs: number;
  readonly shrinkAttempts: number;
}

export interface CampaignResult {
  readonly stats: CampaignStats;
  readonly findings: readonly ShrunkFinding[];
  /** Open upstream issues hit (and skipped), by known-bug id. */
  readonly openIssues: ReadonlyMap<string, number>;
}

export function runCampaign(opts: CampaignOptions): CampaignResult {
  const clock = opts.clock ?? Date.now;
  const start = clock();
  const stats: RunStats = { runs: 0, commands: 0 };
  const maxSteps = opts.maxSteps ?? 40;
  const findings: ShrunkFinding[] = [];
  const openIssues = new Map<string, number>();
  let lastProgress = start;
  const snapshot = (): CampaignStats => ({ runs: stats.runs, commands: stats.commands, elapsedMs: clock() - start, findings: findings.length });
  const firstRun = opts.firstRun ?? 0;
  const shrunkInvariants = new Set<string>();
  for (let run = firstRun; ; run++) {
    if (opts.runs !== undefined && run - firstRun >= opts.runs) break;
    if (opts.timeMs !== undefined && clock() - start >= opts.timeMs) break;
    if (opts.runs === undefined && opts.timeMs === undefined) break;
    const f = randomRun(opts.config, opts.seed, run, maxSteps, stats, opts.swarm === true, opts.coverage);
    stats.runs++;
    if (f !== null && (opts.target === undefined || f.violation.invariant === opts.target)) {
      const open = opts.skipOpenIssues === true ? matchOpenIssue(opts.config, f.commands, f.violation.invariant) : null;
      if (open !== null) {
        openIssues.set(open.id, (openIssues.get(open.id) ?? 0) + 1);
      } else if (opts.continueAfterFinding !== true) {
        findings.push(shrinkFinding(opts.config, opts.seed, f, opts.skipOpenIssues === true, clock));
        break;
      } else if (!shrunkInvariants.has(f.violation.invariant)) {
        shrunkInvariants.add(f.violation.invariant);
        findings.push(shrinkFinding(opts.config, opts.seed, f, opts.skipOpenIssues === true, clock));
      }
    }
    if (opts.onProgress !== undefined && clock() - lastProgress > 250) {
      lastProgress = clock();
      opts.onProgress(snapshot());
    }
  }
  return { stats: snapshot(), findings, openIssues };
}

export function shrinkFinding(config: SimulationConfig, seed: number, f: Finding, notOpenIssue = false, clock: () => number = Date.now): ShrunkFinding {
  const t0 = clock();
  // While shrinking, stay on the same bug: a smaller list that is a known open issue is a different finding.
  const sameBug = notOpenIssue ? (cands: readonly Command[]) => matchOpenIssue(config, cands, f.violation.invariant) === null : undefined;
  const shrunk = shrink(config, f.commands, f.violation.invariant, 4000, sameBug);
  const shrinkMs = clock() - t0;
  return { finding: f, repro: makeRepro(config, shrunk.commands, f.violation.invariant, seed), shrinkMs, shrinkAttempts: shrunk.attempts };
}

export function makeRepro(config: SimulationConfig, commands: readonly Command[], invariant: string, seed?: number): Repro {
  const inv = findInvariant(invariant);
  const { notes, found } = annotate(config, commands);
  return {
    platform: config.platform.name,
    revision: config.revision.spec,
    ...(seed !== undefined ? { seed } : {}),
    faults: config.faultClasses,
    commands,
    notes,
    expect: { violation: invariant },
    about: [`invariant: ${invariant}: ${inv?.statement ?? ''}`, ...(found !== null ? [`found: ${found}`] : [])],
  };
}
