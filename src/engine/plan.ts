// A campaign plan over many configurations: which (platform, revision) pairs, in which order,
// and how the seed space is cut into units. A unit is one configuration, one campaign seed and
// a fixed number of runs: it is what a worker executes, what a shard owns, and what a finding
// names, so `msi-fuzz run --platform P --revision R --seed S --runs N [--swarm]` reproduces it
// alone. The order and the partition depend only on the options, never on timing or workers.
import type { FaultClass } from '../sim/simulation';
import { allPlatforms, findPlatform } from '../platforms';

export interface PlanConfig {
  readonly platform: string;
  readonly revision: string;
}

export interface Unit {
  /** Position in the plan's unit sequence (0, 1, 2...). */
  readonly index: number;
  readonly platform: string;
  readonly revision: string;
  readonly seed: number;
  readonly runs: number;
  readonly swarm: boolean;
  readonly faults: readonly FaultClass[];
  readonly maxSteps: number;
}

export interface PlanOptions {
  /** Platform name or 'all'. */
  readonly platform: string;
  /** Revision name, 'all' (every named revision) or undefined (current upstream). */
  readonly revision?: string;
  /** The campaign seed: unit round r runs seed + r. */
  readonly seed: number;
  readonly runsPerUnit: number;
  readonly swarm: boolean;
  /** Fault classes; undefined = each configuration's default (a known bug's for its revision, else the default). */
  readonly faults: readonly FaultClass[];
  readonly maxSteps: number;
  /** 1-based shard K of N: only units with index % N == K - 1. */
  readonly shard?: { readonly k: number; readonly n: number };
}

/** Every (platform, revision) pair of the plan, platforms by name, revisions in each platform's declared order. */
export function planConfigs(platform: string, revision: string | undefined): PlanConfig[] {
  const platforms = platform === 'all' ? allPlatforms() : [findPlatform(platform)].filter((p) => p !== undefined);
  const out: PlanConfig[] = [];
  for (const p of platforms) {
    if (revision === 'all') for (const r of p.revisions) out.push({ platform: p.name, revision: r.name });
    else out.push({ platform: p.name, revision: revision ?? p.currentRevision });
  }
  return out;
}

/**
 * The unit at plan position `index`: configurations are dealt round-robin (round r = index div C
 * gives every configuration seed + r before any gets seed + r + 1), so a time budget spreads
 * evenly over all of them.
 */
export function unitAt(o: PlanOptions, configs: readonly PlanConfig[], index: number): Unit {
  const c = configs[index % configs.length] as PlanConfig;
  const round = Math.floor(index / configs.length);
  return { index, platform: c.platform, revision: c.revision, seed: o.seed + round, runs: o.runsPerUnit, swarm: o.swarm, faults: o.faults, maxSteps: o.maxSteps };
}

/** The plan positions this shard owns, from `start`, in order (an endless generator). */
export function* shardIndices(o: PlanOptions, start = 0): Generator<number> {
  const n = o.shard?.n ?? 1;
  const k = (o.shard?.k ?? 1) - 1;
  let i = start;
  while (i % n !== k) i++;
  for (;;) {
    yield i;
    i += n;
  }
}

/** Parses `K/N` (1 <= K <= N). */
export function parseShard(text: string): { k: number; n: number } | null {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (m === null) return null;
  const k = Number(m[1]);
  const n = Number(m[2]);
  return k >= 1 && n >= 1 && k <= n ? { k, n } : null;
}
