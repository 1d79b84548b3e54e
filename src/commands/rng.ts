// The one source of choices for command generation. The long-run engine backs it with
// seedrandom; the fast-check engine backs it with small bounded integers that fast-check
// shrinks towards 0, so "the first option" is always the simplest one.

export interface Rng {
  /** An integer in [0, n). */
  below(n: number): number;
}

export function pick<T>(rng: Rng, options: readonly T[]): T {
  if (options.length === 0) throw new Error('pick from an empty list');
  return options[rng.below(options.length)] as T;
}

export function chance(rng: Rng, percent: number): boolean {
  return rng.below(100) < percent;
}

/** Consumes a fixed list of choices (fast-check's draw), then keeps answering 0. */
export class ChoiceRng implements Rng {
  private i = 0;
  constructor(private readonly choices: readonly number[]) {}
  below(n: number): number {
    const c = this.choices[this.i++] ?? 0;
    return n <= 1 ? 0 : c % n;
  }
}
