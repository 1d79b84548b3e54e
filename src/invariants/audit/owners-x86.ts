// x86 owners for the object audit: the platform's own interrupts (a VT-d unit's fault event,
// an HPET channel, an IOAPIC pin's irq) with the vectors, reservations and remapping entries their levels hold, and
// the AMD-Vi remap tables the IOMMU keeps for every requester ID it has seen.
import { hex } from '../../../models/kernel/heap';
import type { IrqDesc } from '../../../models/kernel/irqdomain';
import { AmdIrData, amdIrteUnit } from '../../../models/platforms/x86/amd-ir';
import { IntelIrData, irtePresentUnit, irteUnit } from '../../../models/platforms/x86/intel-ir';
import type { X86Platform } from '../../../models/platforms/x86/instance';
import { managedUnit, RESERVATION_UNIT, vectorUnit } from '../../../models/platforms/x86/matrix';
import { justifyIrq, type AuditMachine, type Justified } from './justified';

/** The vector-domain and remapping units a live irq holds, as its levels' chip data show them. */
export function x86IrqUnits(p: X86Platform, desc: IrqDesc, j: Justified, why: string): void {
  const apicd = p.vec.chipDataOf(desc.irq);
  if (apicd !== null) {
    if (apicd.vector !== 0) j.unit('vector', vectorUnit(apicd.cpu, apicd.vector), why);
    if (apicd.prevVector !== 0) j.unit('vector', vectorUnit(apicd.prevCpu, apicd.prevVector), why);
    if (apicd.hasReserved) j.unit('vector reservation', RESERVATION_UNIT, why);
    // irq_matrix_reserve_managed() took one slot on every CPU of the mask, online or not
    if (apicd.isManaged) for (const cpu of apicd.affinity) j.unit('managed vector slot', managedUnit(cpu), why);
  }
  for (let d: typeof desc.irqData | null = desc.irqData; d !== null; d = d.parentData) {
    const cd = d.chipData;
    if (cd instanceof IntelIrData) {
      const { iommu, irteIndex, subHandle, irteMask } = cd.irq2iommu;
      // the sub_handle 0 irq owns the whole block (clear_entries() gives it back)
      if (subHandle === 0) for (let i = irteIndex; i < irteIndex + (1 << irteMask); i++) j.unit('IRTE', irteUnit(iommu, i), why);
      j.unit('IRTE present', irtePresentUnit(iommu, irteIndex + subHandle), why);
    } else if (cd instanceof AmdIrData) {
      const table = cd.iommu.irqLookupTable.get(cd.devid);
      if (table !== undefined) {
        j.unit('AMD IRTE', amdIrteUnit(table, cd.index), why);
        j.unit('AMD IRTE valid', amdIrteUnit(table, cd.index, true), why);
      }
    }
  }
}

/** The platform's own irqs and the remap tables AMD-Vi never frees. */
export function justifyX86(m: AuditMachine, p: X86Platform, j: Justified): void {
  const k = m.kernel;
  const held = (irq: number, why: string): void => {
    const desc = k.irqs.desc(irq);
    if (desc === undefined) return;
    justifyIrq(j, desc, why);
    x86IrqUnits(p, desc, j, why);
  };
  for (const u of p.iommus) if (u.irq > 0 && !u.freed) held(u.irq, `the fault-event irq of ${u.drhd.name} (dmar_set_interrupt)`);
  for (const hc of p.hpet.channels) if (hc.irq > 0 && !hc.freed) held(hc.irq, `HPET channel ${hc.num} (hpet_assign_irq)`);
  // An irq mapped on an IOAPIC pin: an ISA irq for good (mp_unmap_irq() never frees one), any
  // other while a caller of mp_map_pin_to_irq() holds the mapping; with its chip data, pin list
  // entries and the remapping levels' data
  const io = p.ioapic;
  if (io !== null) {
    for (const { pin, irq } of io.pinIrqs()) {
      const data = io.chipDataOf(irq);
      if (data === null || (!data.isaIrq && data.count <= 0)) continue;
      const why = data.isaIrq ? `ISA irq ${irq} on IOAPIC pin ${pin} (setup_IO_APIC)` : `IOAPIC pin ${pin} mapped ${data.count} time(s) (acpi_register_gsi)`;
      held(irq, why);
      for (const e of data.irq2pin) j.object(e, why);
    }
  }
  // alloc_irq_table() installs a table in pci_seg->irq_lookup_table for the requester ID and its
  // aliases, and nothing ever frees it: the IOMMU's device table keeps pointing at it
  if (p.amd !== null) {
    for (const [devid, table] of p.amd.irqLookupTable) j.object(table, `irq_lookup_table[${hex(devid)}] of the AMD IOMMU`);
  }
}
