// State-aware generation: from the current abstract state, pick a command kind among those
// that can produce a valid command now (weighted), and let it draw its arguments.
import type { AbstractState } from '../abstract/state';
import type { Command } from '../commands/command';
import type { Rng } from '../commands/rng';
import type { AnySpec, VocabContext } from '../commands/spec';
import { VOCABULARY } from '../commands/vocabulary';

export function generateCommand(s: AbstractState, rng: Rng, ctx: VocabContext, enabled: readonly AnySpec[] = VOCABULARY): Command | null {
  // Try kinds in weighted random order until one yields a valid command; a kind that has
  // nothing to offer now (or belongs to another platform) leaves the pool without a retry.
  const weight = (sp: AnySpec): number => (sp.weight > 0 ? sp.weight : ctx.hunt?.has(sp.kind) === true ? (sp.huntWeight ?? 0) : 0);
  const pool = enabled.filter((sp) => weight(sp) > 0 && (!s.driverBlocked || sp.concurrent === true));
  while (pool.length > 0) {
    const total = pool.reduce((n, sp) => n + weight(sp), 0);
    let r = rng.below(total);
    let idx = 0;
    while (idx < pool.length - 1 && r >= weight(pool[idx] as AnySpec)) {
      r -= weight(pool[idx] as AnySpec);
      idx++;
    }
    const spec = pool[idx] as AnySpec;
    const cmd = (spec.generate as (s: AbstractState, rng: Rng, ctx: VocabContext) => Command | null)(s, rng, ctx);
    if (cmd !== null && (spec.valid as (c: Command, s: AbstractState, ctx: VocabContext) => boolean)(cmd, s, ctx)) return cmd;
    pool.splice(idx, 1);
  }
  return null;
}
