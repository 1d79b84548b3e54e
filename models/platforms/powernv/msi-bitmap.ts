// arch/powerpc/sysdev/msi_bitmap.c: the per-PHB allocator of MSI numbers (offsets into the
// PHB's ibm,opal-msi-ranges). Blocks are aligned to the next power of two but only `num` bits
// are taken; a free just clears bits (the kernel does not check them, the model reports stale
// ones so a mis-sized or double free is seen where it happens).
import { Bitmap, getCountOrder } from '../../kernel/bitmap';
import { EINVAL, ENOMEM } from '../../kernel/errno';
import type { Kernel } from '../../kernel/kernel';

/** struct msi_bitmap */
export class MsiBitmap {
  constructor(
    readonly bitmap: Bitmap,
    readonly irqCount: number,
  ) {}
}

// msi_bitmap_alloc()
export function msiBitmapAlloc(irqCount: number): MsiBitmap | number {
  if (irqCount === 0) return -EINVAL;
  return new MsiBitmap(new Bitmap(irqCount), irqCount);
}

// msi_bitmap_alloc_hwirqs(): first fit, offset aligned to 2^get_count_order(num)
export function msiBitmapAllocHwirqs(k: Kernel, bmp: MsiBitmap, num: number): number {
  if (k.faults.shouldFail('msi_bitmap_alloc_hwirqs')) return -ENOMEM;
  const order = getCountOrder(num);
  const offset = bmp.bitmap.findZeroArea(num, (1 << order) - 1);
  if (offset < 0) {
    if (k.faults.exhausted('msi_bmp')) k.faults.refused('msi_bmp');
    return -ENOMEM;
  }
  bmp.bitmap.set(offset, num);
  return offset;
}

// msi_bitmap_free_hwirqs()
export function msiBitmapFreeHwirqs(k: Kernel, bmp: MsiBitmap, offset: number, num: number): void {
  bmp.bitmap.clear(offset, num, (what) => k.report('double-free', 'msi_bitmap_free_hwirqs', `msi_bmp: ${what}`));
}
