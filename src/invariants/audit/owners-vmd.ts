// Intel VMD owners for the object audit: while the VMD driver is bound (vmd_probe() done,
// vmd_remove() not yet), the VMD endpoint's own MSI-X vectors (pci_alloc_irq_vectors() in
// vmd_alloc_irqs(), released by devres at unbind) with their descriptors, irqs and handlers, the
// vmd_dev and its per-vector vmd_irq_lists.
import type { X86VmdPlatform } from '../../../models/platforms/x86/vmd-platform';
import { justifyMsiState, type AuditMachine, type Justified } from './justified';
import { x86IrqUnits } from './owners-x86';

export function justifyVmd(m: AuditMachine, p: X86VmdPlatform, j: Justified): void {
  const vmd = p.vmd.vmd;
  if (vmd === null || vmd.freed) return;
  const why = `the bound VMD driver of ${vmd.dev.name} (vmd_probe())`;
  j.object(vmd, why);
  for (const list of vmd.irqs) j.object(list, why);
  justifyMsiState(m, j, vmd.dev, why, (desc) => x86IrqUnits(p, desc, j, why));
}
