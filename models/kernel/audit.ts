// What the object audit (kmemleak for the models) reads besides the heap: the resource units
// the kernel hands out that are not kmalloc()ed objects (bits of an allocator, LPI ranges,
// vectors, remapping-table entries, firmware allocations) and the hardware entries activation
// programs. Each allocator registers one pool with the kernel and answers from its own state;
// its stamp book only remembers where each unit was allocated, for the report.
import type { AllocStamp } from './heap';

/** One unit a pool has handed out, with where it was allocated if the allocator recorded it. */
export interface AuditUnit {
  /** Names the unit within its pool (`irq 35`, `CPU 1 vector 0x21`); units may share an id when interchangeable. */
  readonly id: string;
  readonly stamp: AllocStamp | null;
}

/** A resource pool as the audit sees it. */
export interface AuditPool {
  /** e.g. `virq`, `LPI`, `vector`, `IRTE`; the audit's report names it. */
  readonly name: string;
  /** How many units are handed out now, cheaply, from the allocator's own state. */
  count(): number;
  /** Every unit handed out now, from the allocator's own state (not from the stamp book). */
  units(): Iterable<AuditUnit>;
}

/** What stamps allocations: the kernel, which knows the command running now. */
export interface StampClock {
  /** The stamp of an allocation in `site` by the command running now (shared while it runs). */
  stamp(site: string): AllocStamp;
}

/**
 * Where each unit of a pool was allocated: `take` at allocation, `drop` at release, keyed the
 * way the allocator names its units (a bit index, a base, a string). Interchangeable units may
 * share a key (reservations): they stack, the oldest first in `of()`.
 */
export class UnitStamps<K = string> {
  private readonly book = new Map<K, AllocStamp>();
  /** Further allocations of a key already held (interchangeable units), oldest first. */
  private readonly more = new Map<K, AllocStamp[]>();

  constructor(private readonly clock: StampClock) {}

  take(key: K, site: string): void {
    const stamp = this.clock.stamp(site);
    if (!this.book.has(key)) this.book.set(key, stamp);
    else {
      const m = this.more.get(key);
      if (m === undefined) this.more.set(key, [stamp]);
      else m.push(stamp);
    }
  }

  /** Forgets the most recent allocation of `key` (a release). */
  drop(key: K): void {
    const m = this.more.get(key);
    if (m === undefined) {
      this.book.delete(key);
      return;
    }
    m.pop();
    if (m.length === 0) this.more.delete(key);
  }

  /** The i-th oldest recorded allocation of `key`, or null. */
  of(key: K, i = 0): AllocStamp | null {
    return (i === 0 ? this.book.get(key) : this.more.get(key)?.[i - 1]) ?? null;
  }
}

/** The pools the allocators of a machine registered, in registration order. */
export class AuditRegistry {
  private readonly list: AuditPool[] = [];

  register<P extends AuditPool>(pool: P): P {
    this.list.push(pool);
    return pool;
  }

  pools(): readonly AuditPool[] {
    return this.list;
  }

  find(name: string): AuditPool | undefined {
    return this.list.find((p) => p.name === name);
  }
}

/** One pool's usage, as PlatformInstance.resources() reports it. */
export interface PoolUsage {
  readonly pool: string;
  /** Units (or live objects of a kind) now. */
  readonly inUse: number;
  /** Of those, the ones allocated at boot. */
  readonly baseline: number;
}

/**
 * The usage of every registered pool and of the heap kinds named: a view over what the audit
 * reads, with the boot allocations as the baseline. It judges nothing: what a live unit is
 * kept for is the object audit's business (src/invariants/object-audit.ts).
 */
export function auditUsage(k: { readonly audit: AuditRegistry; readonly heap: HeapView }, heapKinds: readonly string[]): PoolUsage[] {
  const out: PoolUsage[] = [];
  for (const p of k.audit.pools()) {
    let boot = 0;
    for (const u of p.units()) if (u.stamp !== null && u.stamp.cause === null) boot++;
    out.push({ pool: p.name, inUse: p.count(), baseline: boot });
  }
  for (const kind of heapKinds) {
    let boot = 0;
    for (const o of k.heap.liveObjects()) if (o.kind === kind && o.alloc !== null && o.alloc.cause === null) boot++;
    out.push({ pool: kind, inUse: k.heap.liveCount(kind), baseline: boot });
  }
  return out;
}

/** The part of the heap auditUsage() reads. */
interface HeapView {
  liveObjects(): IterableIterator<{ readonly kind: string; readonly alloc: AllocStamp | null }>;
  liveCount(kind: string): number;
}
