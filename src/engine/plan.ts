// A campaign plan over many configurations: which (platform, revision) pairs, in which order,
// and how the seed space is cut into units. A unit is one configuration, one campaign seed and
// a fixed number of runs: it is what a worker executes, what a shard owns, and what a finding
// names, so `msi-fuzz run --platform P --revision R --seed S --runs N [--swarm]` reproduces it
// alone. The plan runs in rounds with a barrier between them: which units round r holds depends
// only on the options and on what rounds before r found, never on timing or on workers.
import type { FaultClass } from '../sim/simulation';
import { KNOWN_BUGS } from '../known-bugs';
import { allPlatforms, findPlatform } from '../platforms';

export interface PlanConfig {
  readonly platform: string;
  readonly revision: string;
  /**
   * Command kinds runs of this configuration hunt (generated if hidden from default fuzzing,
   * weighed HUNT_BOOST times more if not): those of the known bugs living at it
   * (KnownBug.commands, fixed ones: an open issue is set aside, not hunted), so a campaign hunts
   * them where they live.
   */
  readonly hunt?: readonly string[];
}

export interface Unit {
  /** Position in the plan's unit sequence (0, 1, 2...). */
  readonly index: number;
  readonly platform: string;
  readonly revision: string;
  readonly seed: number;
  /** The plan round it belongs to (weights of round r come from rounds before r). */
  readonly round: number;
  readonly runs: number;
  readonly swarm: boolean;
  readonly faults: readonly FaultClass[];
  readonly maxSteps: number;
  readonly hunt?: readonly string[];
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
  /** 1-based shard K of N: even plans own units with index % N == K - 1; weighted plans the configurations with position % N == K - 1. */
  readonly shard?: { readonly k: number; readonly n: number };
  /**
   * 'found-less': each round gives a configuration more seeds the fewer signatures it found in
   * the rounds before (WEIGHTED_SEEDS); 'even' (or absent, as in older plans): one seed each.
   */
  readonly weighting?: 'even' | 'found-less';
}

/**
 * Seeds a configuration gets in one round after the first of a weighted plan, by the number of
 * signatures it found in the rounds before: 3 while it found nothing, 2 after one, 1 after two
 * or more. The configurations where the search has not paid off yet (correct revisions, bugs
 * still hidden) get the budget the ones that already gave up their bugs no longer need.
 */
export const WEIGHTED_SEEDS: readonly number[] = [3, 2, 1];

/** Seeds configuration gets in round `round`: one each in an even plan and in round 0 (nothing is known yet). */
export function seedsInRound(o: PlanOptions, round: number, foundBefore: number): number {
  if (o.weighting !== 'found-less' || round === 0) return 1;
  return WEIGHTED_SEEDS[Math.min(foundBefore, WEIGHTED_SEEDS.length - 1)] as number;
}

/** Every (platform, revision) pair of the plan, platforms by name, revisions in each platform's declared order. */
export function planConfigs(platform: string, revision: string | undefined): PlanConfig[] {
  const platforms = platform === 'all' ? allPlatforms() : [findPlatform(platform)].filter((p) => p !== undefined);
  const out: PlanConfig[] = [];
  const withHunt = (p: string, r: string): PlanConfig => {
    // Open issues are recognised and set aside in campaigns: hunting them would spend a current
    // revision's budget on what is already known (`run --known-bug` still hunts them).
    const hunt = [...new Set(KNOWN_BUGS.filter((b) => b.platform === p && b.revision === r && b.status !== 'open').flatMap((b) => b.commands ?? []))].sort();
    return hunt.length > 0 ? { platform: p, revision: r, hunt } : { platform: p, revision: r };
  };
  for (const p of platforms) {
    if (revision === 'all') for (const r of p.revisions) out.push(withHunt(p.name, r.name));
    else out.push(withHunt(p.name, revision ?? p.currentRevision));
  }
  return out;
}

/**
 * The unit of configuration `c` with that configuration's `j`-th seed (seed + j), in round
 * `round`. Its index j * C + c is unique and the same in every shard; in an even plan it is the
 * position in the round-robin deal (round r gives every configuration seed + r).
 */
export function unitOf(o: PlanOptions, configs: readonly PlanConfig[], c: number, j: number, round: number): Unit {
  const cfg = configs[c] as PlanConfig;
  return {
    index: j * configs.length + c,
    platform: cfg.platform,
    revision: cfg.revision,
    seed: o.seed + j,
    round,
    runs: o.runsPerUnit,
    swarm: o.swarm,
    faults: o.faults,
    maxSteps: o.maxSteps,
    ...(cfg.hunt !== undefined ? { hunt: cfg.hunt } : {}),
  };
}

/** The unit at plan position `index` of an even plan. */
export function unitAt(o: PlanOptions, configs: readonly PlanConfig[], index: number): Unit {
  const j = Math.floor(index / configs.length);
  return unitOf(o, configs, index % configs.length, j, j);
}

/** Does this shard own the unit? */
export function ownsUnit(o: PlanOptions, u: Unit, c: number): boolean {
  if (o.shard === undefined) return true;
  const key = o.weighting === 'found-less' ? c : u.index;
  return key % o.shard.n === o.shard.k - 1;
}

/**
 * Walks the rounds of a plan. `foundBefore(c, r)` is the number of signatures configuration c
 * found in rounds before r; the caller runs round r to the end (the barrier) before asking for
 * round r + 1, so that count is final when it is read.
 */
export class RoundCursor {
  round = 0;
  private readonly nextJ: number[];

  constructor(
    private readonly o: PlanOptions,
    private readonly configs: readonly PlanConfig[],
  ) {
    this.nextJ = configs.map(() => 0);
  }

  /** The units of the next round that this shard owns, in index order. */
  next(foundBefore: (c: number, round: number) => number): Unit[] {
    const r = this.round++;
    const units: Unit[] = [];
    this.configs.forEach((_, c) => {
      const k = seedsInRound(this.o, r, foundBefore(c, r));
      const j0 = this.nextJ[c] as number;
      this.nextJ[c] = j0 + k;
      for (let j = j0; j < j0 + k; j++) {
        const u = unitOf(this.o, this.configs, c, j, r);
        if (ownsUnit(this.o, u, c)) units.push(u);
      }
    });
    return units.sort((a, b) => a.index - b.index);
  }
}

/** The plan positions this shard owns in an even plan, from `start`, in order (an endless generator). */
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
