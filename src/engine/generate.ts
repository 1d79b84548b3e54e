// State-aware generation: from the current abstract state, pick a command kind among those
// that can produce a valid command now, weighted by what the state offers each, and let it
// draw its arguments.
import type { AbstractState } from '../abstract/state';
import type { Command } from '../commands/command';
import type { Rng } from '../commands/rng';
import type { AnySpec, VocabContext } from '../commands/spec';
import { VOCABULARY } from '../commands/vocabulary';

/**
 * Kinds' weights in the current state. Kinds that say how many devices they could act on now
 * (`choices`) share what their base weights add up to in proportion to base x (1 + log2
 * choices): the state decides which device operation comes next (teardowns when many devices
 * hold vectors, allocations when many are idle) without changing how often device operations
 * come against the other actors (delivery, faults, platform sources). A kind with nothing to
 * offer weighs 0 and its generator is not even run. Kinds without `choices` keep their base
 * weight. Integer weights (x16) keep the draw exact and deterministic from the seed.
 */
function stateWeights(specs: readonly AnySpec[], bases: readonly number[], s: AbstractState): number[] {
  const raw = specs.map((sp, x) => {
    const base = bases[x] as number;
    if (sp.choices === undefined) return base;
    const n = sp.choices(s);
    return n <= 0 ? 0 : base * (1 + Math.log2(n));
  });
  let baseSum = 0;
  let rawSum = 0;
  specs.forEach((sp, x) => {
    if (sp.choices === undefined || (raw[x] as number) <= 0) return;
    baseSum += bases[x] as number;
    rawSum += raw[x] as number;
  });
  const scale = rawSum > 0 ? baseSum / rawSum : 1;
  return specs.map((sp, x) => Math.round(16 * (raw[x] as number) * (sp.choices === undefined ? 1 : scale)));
}

export function generateCommand(s: AbstractState, rng: Rng, ctx: VocabContext, enabled: readonly AnySpec[] = VOCABULARY): Command | null {
  // Try kinds in weighted random order until one yields a valid command; a kind that has
  // nothing to offer now (or belongs to another platform) leaves the pool without a retry.
  const candidates: AnySpec[] = [];
  const bases: number[] = [];
  for (const sp of enabled) {
    const base = sp.weight > 0 ? sp.weight : ctx.hunt?.has(sp.kind) === true ? (sp.huntWeight ?? 0) : 0;
    if (base <= 0 || (s.driverBlocked && sp.concurrent !== true)) continue;
    candidates.push(sp);
    bases.push(sp.boost === undefined ? base : base * sp.boost(s));
  }
  const all = stateWeights(candidates, bases, s);
  const pool = candidates.filter((_sp, x) => (all[x] as number) > 0);
  const weights = all.filter((w) => w > 0);
  let total = weights.reduce((n, w) => n + w, 0);
  while (pool.length > 0) {
    let r = rng.below(total);
    let idx = 0;
    while (idx < pool.length - 1 && r >= (weights[idx] as number)) {
      r -= weights[idx] as number;
      idx++;
    }
    const spec = pool[idx] as AnySpec;
    const cmd = (spec.generate as (s: AbstractState, rng: Rng, ctx: VocabContext) => Command | null)(s, rng, ctx);
    if (cmd !== null && (spec.valid as (c: Command, s: AbstractState, ctx: VocabContext) => boolean)(cmd, s, ctx)) return cmd;
    total -= weights[idx] as number;
    pool.splice(idx, 1);
    weights.splice(idx, 1);
  }
  return null;
}
