// The x86 capacity oracle (PlatformInstance.vectorRoom, canActivate): vector space per CPU as
// kernel/irq/matrix.c counts it, and the remapping unit's table (alloc_irte() for VT-d, the
// requester ID's irq_remap_table for AMD-Vi).
import { getCountOrder, roundupPowOfTwo } from '../../kernel/bitmap';
import type { IrqDesc } from '../../kernel/irqdomain';
import type { VectorRequest } from '../platform';
import type { AmdIommu, AmdIrte } from './amd-ir';
import type { IntelIommu } from './intel-ir';
import { INTR_REMAP_TABLE_ENTRIES } from './intel-ir';
import type { IrqMatrix } from './matrix';
import type { ApicChipData, X86Vector } from './vector';

/** Vectors irq_matrix_alloc() can still hand out: `available` summed over the online CPUs. */
export function onlineAvailable(m: IrqMatrix): number {
  return m.maps.reduce((n, cm) => n + (cm.online ? cm.available : 0), 0);
}

/** Bits matrix_alloc_area() could still take on `cpu` (managed, system and allocated excluded). */
function freeBits(m: IrqMatrix, cpu: number): number {
  const cm = m.maps[cpu];
  if (cm === undefined) return 0;
  let n = 0;
  for (let bit = m.allocStart; bit < m.allocEnd; bit++) if (cm.managedMap[bit] !== 1 && m.systemMap[bit] !== 1 && cm.allocMap[bit] !== 1) n++;
  return n;
}

/**
 * Whether the vector domain surely serves `nvec` vectors now. A regular vector is assigned at
 * (early) activation on whichever online CPU has one left (assign_irq_vector_any_locked() falls
 * back to every online CPU), so the online CPUs' sum is what counts. A managed one first
 * reserves a slot on every CPU of its mask, online or not (irq_matrix_reserve_managed()), then
 * allocates from that reservation: each CPU needs at most one slot per vector.
 */
export function vectorsFit(v: X86Vector, nvec: number, managed: boolean): boolean {
  const m = v.matrix;
  if (!managed) return onlineAvailable(m) >= nvec;
  for (let cpu = 0; cpu < m.maps.length; cpu++) if (freeBits(m, cpu) < nvec) return false;
  return true;
}

/** alloc_irte(): one entry per MSI-X vector, one naturally aligned block for multi-MSI. */
export function intelIrteFit(unit: IntelIommu, req: VectorRequest): boolean {
  const bmp = unit.irTable.bitmap;
  if (req.path !== 'msi') return INTR_REMAP_TABLE_ENTRIES - bmp.weight() >= req.nvec;
  const order = getCountOrder(req.nvec);
  return order <= unit.maxHandleMask && bmp.peekFreeRegion(order) >= 0;
}

/**
 * alloc_irq_index() on the table the allocation will use (the function's RID, else its
 * requester ID's; a fresh one when neither has a table yet): single entries for MSI-X, a run
 * of `nvec` aligned to its power of two for multi-MSI.
 */
export function amdIrteFit(amd: AmdIommu, rid: number, requester: number, req: VectorRequest): boolean {
  const table = amd.irqLookupTable.get(rid) ?? amd.irqLookupTable.get(requester);
  const entries: readonly AmdIrte[] | null = table?.table ?? null;
  const max = amd.config.maxIrqs;
  const min = table?.minIndex ?? 0;
  const used = (i: number): boolean => entries !== null && (entries[i] as AmdIrte).allocated;
  if (req.path !== 'msi') {
    let free = 0;
    for (let i = min; i < max; i++) if (!used(i)) free++;
    return free >= req.nvec;
  }
  const align = roundupPowOfTwo(req.nvec);
  for (let start = Math.ceil(min / align) * align; start + req.nvec <= max; start += align) {
    let ok = true;
    for (let i = start; i < start + req.nvec && ok; i++) if (used(i)) ok = false;
    if (ok) return true;
  }
  return false;
}

/**
 * Activating a deactivated irq needs a vector of its own unless it is managed (its reserved
 * slot waits for it): activate_reserved() and a non-reserving activation both end in
 * assign_irq_vector_any_locked().
 */
export function vectorActivationFits(v: X86Vector, desc: IrqDesc): boolean {
  for (let d = desc.irqData as IrqDesc['irqData'] | null; d !== null; d = d.parentData) {
    if (d.domain !== v.domain) continue;
    const apicd = d.chipData as ApicChipData | null;
    if (apicd === null || apicd.isManaged) return true;
    return onlineAvailable(v.matrix) >= 1;
  }
  return true;
}
