// The global LPI allocator of irq-gic-v3-its.c: a sorted list of free ranges, first fit on
// allocation (alloc_lpi_range), insertion and merge with neighbours on free (free_lpi_range).
// its_lpi_alloc() halves the request until a range fits, so a device may get fewer LPIs than
// it asked for.
import type { Kernel } from '../../kernel/kernel';
import { UnitStamps, type AuditUnit } from '../../kernel/audit';

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

/** The audit's id of an LPI range in the `LPI` pool. */
export function lpiUnit(base: number, span: number): string {
  return `LPIs ${base}..${base + span - 1}`;
}

export class LpiRangeAllocator {
  /** Free ranges, sorted by base, never adjacent (they are merged). */
  readonly free: LpiRange[] = [];
  /** The ranges alloc_lpi_range() handed out (base -> span), to name them in the audit's report. */
  private readonly handedOut = new Map<number, number>();
  private readonly stamps: UnitStamps<number>;

  constructor(
    private readonly k: Kernel,
    /** Number of LPIs: (1 << lpi_id_bits) - 8192 (its_lpi_init). */
    readonly nrLpis: number,
  ) {
    this.stamps = new UnitStamps(k);
    // Initialising the allocator is freeing the whole range.
    this.freeRange(LPI_BASE, nrLpis);
    k.audit.register({ name: 'LPI', count: () => nrLpis - this.freeCount(), units: () => this.usedUnits() });
  }

  /**
   * The LPIs not on the free list, cut into the ranges handed out (with where), and what is
   * left over (allocated by nobody the allocator knows of).
   */
  private *usedUnits(): Iterable<AuditUnit> {
    let at = LPI_BASE;
    const end = LPI_BASE + this.nrLpis;
    const gaps: LpiRange[] = [];
    for (const r of this.free) {
      if (r.base > at) gaps.push({ base: at, span: r.base - at });
      at = Math.max(at, r.base + r.span);
    }
    if (at < end) gaps.push({ base: at, span: end - at });
    const ranges = [...this.handedOut.entries()].sort((a, b) => a[0] - b[0]);
    for (const g of gaps) {
      let cur = g.base;
      for (const [base, span] of ranges) {
        if (base < cur || base + span > g.base + g.span) continue;
        if (base > cur) yield { id: lpiUnit(cur, base - cur), stamp: null };
        yield { id: lpiUnit(base, span), stamp: this.stamps.of(base) };
        cur = base + span;
      }
      if (cur < g.base + g.span) yield { id: lpiUnit(cur, g.base + g.span - cur), stamp: null };
    }
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
        this.handedOut.set(base, nr);
        this.stamps.take(base, 'alloc_lpi_range');
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
    if (this.handedOut.get(base) === nr) {
      this.handedOut.delete(base);
      this.stamps.drop(base);
    }
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
