// The global LPI allocator of irq-gic-v3-its.c: a sorted list of free ranges, first fit on
// allocation (alloc_lpi_range), insertion and merge with neighbours on free (free_lpi_range).
// its_lpi_alloc() halves the request until a range fits, so a device may get fewer LPIs than
// it asked for.
import type { Kernel } from '../../kernel/kernel';

/** LPI INTIDs start at 8192 in GICv3. */
export const LPI_BASE = 8192;

export interface LpiRange {
  base: number;
  span: number;
}

/** A range free_lpi_range() gave back during the current step (a dirty-set entry). */
export class LpiRangeFreed {
  constructor(
    readonly base: number,
    readonly span: number,
  ) {}
}

export class LpiRangeAllocator {
  /** Free ranges, sorted by base, never adjacent (they are merged). */
  readonly free: LpiRange[] = [];

  constructor(
    private readonly k: Kernel,
    /** Number of LPIs: (1 << lpi_id_bits) - 8192 (its_lpi_init). */
    readonly nrLpis: number,
  ) {
    // Initialising the allocator is freeing the whole range.
    this.freeRange(LPI_BASE, nrLpis);
  }

  // alloc_lpi_range(): first range that is large enough, carved from its start
  allocRange(nr: number): { err: number; base: number } {
    if (this.k.faults.shouldFail('alloc_lpi_range')) return { err: -28, base: 0 };
    this.k.dirty.objects.add(this);
    for (let i = 0; i < this.free.length; i++) {
      const r = this.free[i] as LpiRange;
      if (r.span >= nr) {
        const base = r.base;
        r.base += nr;
        r.span -= nr;
        if (r.span === 0) this.free.splice(i, 1);
        return { err: 0, base };
      }
    }
    return { err: -28, base: 0 };
  }

  // free_lpi_range(): insert after the last range below `base`, merge with neighbours.
  // The kernel cannot tell a range that is already free; the model reports the overlap.
  freeRange(base: number, nr: number): void {
    this.k.dirty.objects.add(this);
    this.k.dirty.objects.add(new LpiRangeFreed(base, nr));
    for (const r of this.free) {
      if (base < r.base + r.span && r.base < base + nr) {
        this.k.report('double-free', 'free_lpi_range', `LPIs ${base}..${base + nr - 1} freed but ${Math.max(base, r.base)}.. already free`);
        break;
      }
    }
    let i = 0;
    while (i < this.free.length && (this.free[i] as LpiRange).base < base) i++;
    this.free.splice(i, 0, { base, span: nr });
    // merge with the following range, then with the preceding one
    const cur = this.free[i] as LpiRange;
    const next = this.free[i + 1];
    if (next !== undefined && cur.base + cur.span === next.base) {
      cur.span += next.span;
      this.free.splice(i + 1, 1);
    }
    const prev = this.free[i - 1];
    if (prev !== undefined && prev.base + prev.span === cur.base) {
      prev.span += cur.span;
      this.free.splice(i, 1);
    }
  }

  /** Takes every free range (exhaust(LPI)); the release frees exactly those again. */
  drain(): () => void {
    const taken = this.free.splice(0);
    this.k.dirty.objects.add(this);
    return () => {
      for (const r of taken) this.freeRange(r.base, r.span);
    };
  }

  freeCount(): number {
    return this.free.reduce((n, r) => n + r.span, 0);
  }

  isFree(lpi: number): boolean {
    return this.free.some((r) => lpi >= r.base && lpi < r.base + r.span);
  }
}
