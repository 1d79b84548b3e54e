// lib/bitmap.c region helpers as the MSI parents use them. A release of bits that are not
// set is silent in the kernel (it just clears them); the model reports it so a double or
// mis-sized free shows up where it happens instead of as a later collision.

export type ReleaseCheck = (what: string) => void;

export class Bitmap {
  private readonly bits: Uint8Array;

  constructor(readonly nbits: number) {
    this.bits = new Uint8Array(nbits);
  }

  test(i: number): boolean {
    return i >= 0 && i < this.nbits && this.bits[i] === 1;
  }

  weight(): number {
    let n = 0;
    for (let i = 0; i < this.nbits; i++) n += this.bits[i] ?? 0;
    return n;
  }

  empty(): boolean {
    return this.bits.indexOf(1) < 0;
  }

  setBits(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.nbits; i++) if (this.bits[i] === 1) out.push(i);
    return out;
  }

  /** bitmap_find_free_region(): first naturally aligned free block of 2^order bits, or -ENOSPC (-28). */
  findFreeRegion(order: number): number {
    const size = 1 << order;
    for (let pos = 0; pos + size <= this.nbits; pos += size) {
      let free = true;
      for (let i = pos; i < pos + size; i++) {
        if (this.bits[i] === 1) {
          free = false;
          break;
        }
      }
      if (free) {
        this.bits.fill(1, pos, pos + size);
        return pos;
      }
    }
    return -28;
  }

  /** bitmap_release_region(); `onStale` hears about bits that were already clear. */
  releaseRegion(pos: number, order: number, onStale: ReleaseCheck): void {
    const size = 1 << order;
    for (let i = pos; i < pos + size; i++) {
      if (i >= this.nbits) {
        onStale(`bit ${i} beyond a ${this.nbits}-bit map`);
        continue;
      }
      if (this.bits[i] !== 1) onStale(`bit ${i} released while clear`);
      this.bits[i] = 0;
    }
  }

  /** bitmap_set() of a plain range (used by allocators that are not region based). */
  set(pos: number, n: number): void {
    this.bits.fill(1, pos, pos + n);
  }

  /** bitmap_clear() of a plain range, reporting bits that were already clear. */
  clear(pos: number, n: number, onStale: ReleaseCheck): void {
    for (let i = pos; i < pos + n; i++) {
      if (this.bits[i] !== 1) onStale(`bit ${i} released while clear`);
      this.bits[i] = 0;
    }
  }

  /** bitmap_find_next_zero_area() with an alignment mask, as msi_bitmap and AMD IR use it. */
  findZeroArea(n: number, alignMask: number): number {
    let pos = 0;
    while (pos + n <= this.nbits) {
      pos = (pos + alignMask) & ~alignMask;
      if (pos + n > this.nbits) break;
      let ok = true;
      for (let i = pos; i < pos + n; i++) {
        if (this.bits[i] === 1) {
          ok = false;
          pos = i + 1;
          break;
        }
      }
      if (ok) return pos;
    }
    return -1;
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
