// State-aware generation: from the current abstract state, pick a command kind among those
// that can produce a valid command now, weighted by what the state offers each, and let it
// draw its arguments.
import type { AbstractState } from '../abstract/state';
import type { Command } from '../commands/command';
import type { Rng } from '../commands/rng';
import type { AnySpec, VocabContext } from '../commands/spec';
import { specOf, VOCABULARY } from '../commands/vocabulary';
import { aimFault, isFaultCommand } from '../commands/vocabulary/faults';
import { chance } from '../commands/rng';

type Generate = (s: AbstractState, rng: Rng, ctx: VocabContext) => Command | null;
type Valid = (c: Command, s: AbstractState, ctx: VocabContext) => boolean;

// Scratch space of one draw, reused from call to call: generation runs once per command, and
// fresh arrays each time cost the engine more (allocation and garbage collection) than the
// weighing itself. Generation never re-enters (generators do not generate).
const cands: AnySpec[] = [];
const bases: number[] = [];
const raws: number[] = [];
const weights: number[] = [];

/**
 * A hunt (a known bug's `commands`, `--hunt`) generates the kinds it names that default fuzzing
 * hides (with their huntWeight), and weighs those it names that default fuzzing already
 * generates this many times their base weight: the steps a bug needs more of than the default
 * mix offers (a pool exhausted by repeated allocations, an injected fault) come that much sooner.
 */
export const HUNT_BOOST = 4;

/** The kinds a run may draw from and their base weights, in vocabulary order. */
interface Menu {
  readonly specs: readonly AnySpec[];
  readonly bases: readonly number[];
}

/** Fills `cands`/`bases` with the kinds `enabled` offers under `ctx` (while the driver thread is `blocked`, concurrent kinds only); returns how many. */
function candidates(enabled: readonly AnySpec[], ctx: VocabContext, blocked: boolean): number {
  let n = 0;
  for (const sp of enabled) {
    const hunted = ctx.hunt?.has(sp.kind) === true;
    const base = sp.weight > 0 ? (hunted ? sp.weight * HUNT_BOOST : sp.weight) : hunted ? (sp.huntWeight ?? 0) : 0;
    if (base <= 0 || (blocked && sp.concurrent !== true) || sp.offered?.(ctx) === false) continue;
    cands[n] = sp;
    bases[n] = base;
    n++;
  }
  return n;
}

function menu(enabled: readonly AnySpec[], ctx: VocabContext, blocked: boolean): Menu {
  const n = candidates(enabled, ctx, blocked);
  return { specs: cands.slice(0, n), bases: bases.slice(0, n) };
}

/**
 * Kinds' weights in the current state. Kinds that say how many devices they could act on now
 * (`choices`) share what their base weights add up to in proportion to base x (1 + log2
 * choices): the state decides which device operation comes next (teardowns when many devices
 * hold vectors, allocations when many are idle) without changing how often device operations
 * come against the other actors (delivery, faults, platform sources). A kind with nothing to
 * offer weighs 0 and its generator is not even run. Kinds without `choices` keep their base
 * weight. Integer weights (x16) keep the draw exact and deterministic from the seed.
 * Fills `weights` for the first `n` kinds of `specs` (base weights `bases`); returns their total.
 */
function stateWeights(specs: readonly AnySpec[], bases: readonly number[], n: number, s: AbstractState): number {
  let baseSum = 0;
  let rawSum = 0;
  for (let x = 0; x < n; x++) {
    const sp = specs[x] as AnySpec;
    // What the state offers the kind beyond being valid (CommandSpec.boost)
    const base = sp.boost === undefined ? (bases[x] as number) : (bases[x] as number) * sp.boost(s);
    if (sp.choices === undefined) {
      raws[x] = base;
      continue;
    }
    const c = sp.choices(s);
    const raw = c <= 0 ? 0 : base * (1 + Math.log2(c));
    raws[x] = raw;
    if (raw <= 0) continue;
    baseSum += base;
    rawSum += raw;
  }
  const scale = rawSum > 0 ? baseSum / rawSum : 1;
  let total = 0;
  for (let x = 0; x < n; x++) {
    const w = Math.round(16 * (raws[x] as number) * (specs[x]?.choices === undefined ? 1 : scale));
    weights[x] = w;
    if (w > 0) total += w;
  }
  return total;
}

export function generateCommand(s: AbstractState, rng: Rng, ctx: VocabContext, enabled: readonly AnySpec[] = VOCABULARY): Command | null {
  return draw(cands, bases, candidates(enabled, ctx, s.driverBlocked), s, rng, ctx);
}

/**
 * generateCommand for the steps of one run: what the vocabulary, the swarm subset and the hunt
 * offer is fixed for the run, so it is sorted out once (for a free and for a blocked driver
 * thread) instead of at every step. Draws exactly what generateCommand draws.
 */
export class RunGenerator {
  private free: Menu;
  private blocked: Menu;
  /** Percent of drawn commands a fault is aimed at (0 when nothing can be armed). */
  private readonly aim: number;
  /** The drawn command a fault was aimed at, issued right after the fault command. */
  private queued: Command | null = null;

  constructor(
    private readonly ctx: VocabContext,
    enabled: readonly AnySpec[] = VOCABULARY,
  ) {
    this.free = menu(enabled, ctx, false);
    this.blocked = menu(enabled, ctx, true);
    const armable = ctx.faultSites.length > 0 || (ctx.pools ?? []).length > 0;
    const hunted = ctx.hunt?.has('fail_next') === true || ctx.hunt?.has('exhaust') === true;
    const swarmedOut = !enabled.some((sp) => sp.kind === 'fail_next');
    this.aim = !armable || swarmedOut ? 0 : hunted ? AIM_PERCENT * HUNT_BOOST : AIM_PERCENT;
    // Every fault is aimed: one drawn on its own would be disarmed by whatever comes next
    if (this.aim > 0) {
      this.free = menu(enabled.filter((sp) => !isFaultCommand(sp.kind)), ctx, false);
      this.blocked = menu(enabled.filter((sp) => !isFaultCommand(sp.kind)), ctx, true);
    }
  }

  /** A command aimed at is waiting to be issued (the fault before it has been). */
  hasQueued(): boolean {
    return this.queued !== null;
  }

  next(s: AbstractState, rng: Rng): Command | null {
    if (this.queued !== null) {
      const q = this.queued;
      this.queued = null;
      return q;
    }
    const m = s.driverBlocked ? this.blocked : this.free;
    const cmd = draw(m.specs, m.bases, m.specs.length, s, rng, this.ctx);
    // While the driver thread waits, a fault command would wait with it: no aiming then
    if (cmd === null || this.aim === 0 || s.driverBlocked || isFaultCommand(cmd.kind) || !chance(rng, this.aim)) return cmd;
    const fault = aimFault(cmd, s, rng, this.ctx);
    if (fault === null || !(specOf(fault.kind).valid as Valid)(fault, s, this.ctx)) return cmd;
    this.queued = cmd;
    return fault;
  }
}

/**
 * How often (percent) the long-run engine aims a fault at the command it has just drawn: a
 * fault command drawn on its own is disarmed by whatever command comes next, which seldom
 * reaches the site; aimed, it hits a site that kind of command was seen to call.
 */
export const AIM_PERCENT = 12;

/** The draw over the first `n` kinds of `specs`. */
function draw(specs: readonly AnySpec[], bases: readonly number[], n: number, s: AbstractState, rng: Rng, ctx: VocabContext): Command | null {
  // Try kinds in weighted random order until one yields a valid command; a kind that has
  // nothing to offer now (or belongs to another platform) leaves the pool without a retry.
  let total = stateWeights(specs, bases, n, s);
  // Kinds of weight 0 never enter the pool; a tried kind leaves it by having its weight zeroed
  // (the scan skips zero weights, so the order of the rest is kept).
  let left = 0;
  for (let x = 0; x < n; x++) if ((weights[x] as number) > 0) left++;
  while (left > 0) {
    let r = rng.below(total);
    let idx = -1;
    let seen = 0;
    for (let x = 0; x < n; x++) {
      const w = weights[x] as number;
      if (w <= 0) continue;
      idx = x;
      seen++;
      // The last kind left takes whatever remains of r.
      if (seen === left || r < w) break;
      r -= w;
    }
    const spec = specs[idx] as AnySpec;
    const cmd = (spec.generate as Generate)(s, rng, ctx);
    if (cmd !== null && (spec.valid as Valid)(cmd, s, ctx)) {
      return cmd;
    }
    total -= weights[idx] as number;
    weights[idx] = 0;
    left--;
  }
  return null;
}
