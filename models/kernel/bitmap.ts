// lib/bitmap.c region helpers as the MSI parents use them. A release of bits that are not
// set is silent in the kernel (it just clears them); the model reports it so a double or
// mis-sized free shows up where it happens instead of as a later collision.

export type ReleaseCheck = (what: string) => void;

export class Bitmap {
  private readonly bits: Uint8Array;
  /** No bit below this index is clear: searches start here (what the kernel gets from word scans). */
  private lowestClear = 0;
  /** Number of set bits, kept as bits change: bitmap_weight() without scanning the whole map. */
  private setCount = 0;

  constructor(readonly nbits: number) {
    this.bits = new Uint8Array(nbits);
  }

  test(i: number): boolean {
    return i >= 0 && i < this.nbits && this.bits[i] === 1;
  }

  weight(): number {
    return this.setCount;
  }

  empty(): boolean {
    return this.setCount === 0;
  }

  setBits(): number[] {
    const out: number[] = [];
    // stops at the last set bit: allocators fill from the bottom
    for (let i = 0; i < this.nbits && out.length < this.setCount; i++) if (this.bits[i] === 1) out.push(i);
    return out;
  }

  /** First set bit in [from, to), or -1. */
  private firstSet(from: number, to: number): number {
    for (let i = from; i < to; i++) if (this.bits[i] === 1) return i;
    return -1;
  }

  private mark(pos: number, n: number): void {
    const end = Math.min(pos + n, this.nbits);
    for (let i = Math.max(0, pos); i < end; i++) {
      if (this.bits[i] === 0) {
        this.bits[i] = 1;
        this.setCount++;
      }
    }
    if (pos <= this.lowestClear) {
      while (this.lowestClear < this.nbits && this.bits[this.lowestClear] === 1) this.lowestClear++;
    }
  }

  /** bitmap_find_free_region(): first naturally aligned free block of 2^order bits, or -ENOSPC (-28). */
  findFreeRegion(order: number): number {
    const pos = this.peekFreeRegion(order);
    if (pos >= 0) this.mark(pos, 1 << order);
    return pos;
  }

  /** Where bitmap_find_free_region() would allocate (-ENOSPC, -28, if nowhere), without allocating. */
  peekFreeRegion(order: number): number {
    const size = 1 << order;
    for (let pos = this.lowestClear & ~(size - 1); pos + size <= this.nbits; pos += size) {
      if (this.firstSet(pos, pos + size) < 0) return pos;
    }
    return -28;
  }

  /** bitmap_release_region(); `onStale` hears about bits that were already clear. */
  releaseRegion(pos: number, order: number, onStale: ReleaseCheck): void {
    this.clear(pos, 1 << order, onStale);
  }

  /** bitmap_set() of a plain range (used by allocators that are not region based). */
  set(pos: number, n: number): void {
    this.mark(pos, n);
  }

  /** bitmap_clear() of a plain range, reporting bits that were already clear. */
  clear(pos: number, n: number, onStale: ReleaseCheck): void {
    for (let i = pos; i < pos + n; i++) {
      if (i >= this.nbits) {
        onStale(`bit ${i} beyond a ${this.nbits}-bit map`);
        continue;
      }
      if (this.bits[i] !== 1) onStale(`bit ${i} released while clear`);
      else this.setCount--;
      this.bits[i] = 0;
    }
    if (pos < this.lowestClear) this.lowestClear = Math.max(0, pos);
  }

  /** bitmap_find_next_zero_area() with an alignment mask, as msi_bitmap and AMD IR use it. */
  findZeroArea(n: number, alignMask: number): number {
    let pos = this.lowestClear;
    for (;;) {
      pos = (pos + alignMask) & ~alignMask;
      if (pos + n > this.nbits) return -1;
      const busy = this.firstSet(pos, pos + n);
      if (busy < 0) return pos;
      pos = busy + 1;
    }
  }
}

/** get_count_order(): ceil(log2(n)), 0 for n <= 1. */
export function getCountOrder(n: number): number {
  let order = 0;
  while (1 << order < n) order++;
  return order;
}

export function roundupPowOfTwo(n: number): number {
  return 1 << getCountOrder(n);
}

export function isPowerOfTwo(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

/**
 * Sets every clear bit of `map` (another user holds them all) and returns the release that
 * clears exactly those bits again: a pool drained for one command (models/kernel/faults.ts).
 */
export function drainBitmap(map: Bitmap): () => void {
  const taken: number[] = [];
  for (let i = 0; i < map.nbits; i++) if (!map.test(i)) taken.push(i);
  for (const i of taken) map.set(i, 1);
  return () => {
    for (const i of taken) map.clear(i, 1, () => undefined);
  };
}
