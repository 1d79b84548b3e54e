// State-aware generation: from the current abstract state, pick a command kind among those
// that can produce a valid command now, weighted by what the state offers each, and let it
// draw its arguments.
import type { AbstractState } from '../abstract/state';
import type { Command } from '../commands/command';
import type { Rng } from '../commands/rng';
import type { AnySpec, VocabContext } from '../commands/spec';
import { VOCABULARY } from '../commands/vocabulary';

/**
 * A kind's weight in the current state: its base weight times 1 + log2(choices), where choices
 * is how many devices it could act on now (kinds that do not say count as one). A kind with
 * nothing to offer weighs 0 and costs nothing (its generator is not run); one with more targets
 * is drawn more often, sub-linearly, so a state with many devices holding vectors gets its
 * teardowns and a state with idle devices its allocations without one kind crowding out the rest.
 * Integer weights (x4) keep the draw exact and deterministic from the seed.
 */
function stateWeight(sp: AnySpec, base: number, s: AbstractState): number {
  if (sp.choices === undefined) return base * 4;
  const n = sp.choices(s);
  return n <= 0 ? 0 : Math.round(base * 4 * (1 + Math.log2(n)));
}

export function generateCommand(s: AbstractState, rng: Rng, ctx: VocabContext, enabled: readonly AnySpec[] = VOCABULARY): Command | null {
  // Try kinds in weighted random order until one yields a valid command; a kind that has
  // nothing to offer now (or belongs to another platform) leaves the pool without a retry.
  const pool: AnySpec[] = [];
  const weights: number[] = [];
  for (const sp of enabled) {
    const base = sp.weight > 0 ? sp.weight : ctx.hunt?.has(sp.kind) === true ? (sp.huntWeight ?? 0) : 0;
    if (base <= 0 || (s.driverBlocked && sp.concurrent !== true)) continue;
    const w = stateWeight(sp, base, s);
    if (w <= 0) continue;
    pool.push(sp);
    weights.push(w);
  }
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
