// arch/powerpc/sysdev/msi_bitmap.c: the per-PHB allocator of MSI numbers (offsets into the
// PHB's ibm,opal-msi-ranges). Blocks are aligned to the next power of two but only `num` bits
// are taken; a free just clears bits (the kernel does not check them, the model reports stale
// ones so a mis-sized or double free is seen where it happens).
import { Bitmap, getCountOrder } from '../../kernel/bitmap';
import { EINVAL, ENOMEM } from '../../kernel/errno';
import type { Kernel } from '../../kernel/kernel';
import { UnitStamps, type AuditPool, type AuditUnit } from '../../kernel/audit';

/** struct msi_bitmap */
export class MsiBitmap {
  /** Where each MSI number was allocated (msi_bitmap_alloc_hwirqs), for the audit; set by the owner. */
  stamps: UnitStamps<number> | null = null;

  constructor(
    readonly bitmap: Bitmap,
    readonly irqCount: number,
  ) {}
}

/** The audit's id of MSI `hwirq` of a PHB's bitmap. */
export function msiBmpUnit(pool: string, hwirq: number): string {
  return `${pool} MSI ${hwirq}`;
}

/** The bitmap as an audit pool named `name` (one per PHB), stamping its allocations from now on. */
export function msiBitmapPool(k: Kernel, bmp: MsiBitmap, name: string): AuditPool {
  const stamps = new UnitStamps<number>(k);
  bmp.stamps = stamps;
  return {
    name,
    count: () => bmp.bitmap.weight(),
    *units(): Iterable<AuditUnit> {
      for (const hw of bmp.bitmap.setBits()) yield { id: msiBmpUnit(name, hw), stamp: stamps.of(hw) };
    },
  };
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
  for (let i = offset; i < offset + num; i++) bmp.stamps?.take(i, 'msi_bitmap_alloc_hwirqs');
  return offset;
}

// msi_bitmap_free_hwirqs()
export function msiBitmapFreeHwirqs(k: Kernel, bmp: MsiBitmap, offset: number, num: number): void {
  bmp.bitmap.clear(offset, num, (what) => k.report('double-free', 'msi_bitmap_free_hwirqs', `msi_bmp: ${what}`));
  for (let i = offset; i < offset + num; i++) bmp.stamps?.drop(i);
}
