// drivers/iommu/intel/irq_remapping.c: one INTEL-IR domain per DMAR unit, each with its own
// interrupt remapping table. Multi-MSI gets a naturally aligned power-of-two block of IRTEs;
// every irq of the block carries the block base and its sub_handle, and only the owner
// (sub_handle 0) gives the block back. Devices send remappable-format messages (handle +
// subhandle) that the unit validates against the IRTE's source-id.
import { Bitmap, getCountOrder } from '../../kernel/bitmap';
import { PciDev } from '../../kernel/device';
import { EINVAL, ENOMEM } from '../../kernel/errno';
import { KObject } from '../../kernel/heap';
import { UnitStamps, type AuditUnit } from '../../kernel/audit';
import type { IrqChip, IrqData, IrqDomain, IrqDomainOps, MsiMsg } from '../../kernel/irqdomain';
import type { Kernel } from '../../kernel/kernel';
import type { MsiAllocInfo } from '../../kernel/msi-alloc-info';
import { msiCreateParentIrqDomain } from '../../kernel/msi-lib';
import { KernelOops } from '../../kernel/report';
import { x86Info, type X86IrqAllocInfo } from './alloc-info';
import { chipSetAffinity, IRQ_SET_MASK_OK_DONE } from '../../kernel/chip-call';
import { pciRealDmaDev, requesterId, type DrhdConfig } from './dmar';
import { decodeRemappable, intelFillMsiMsg, isRemappableFormat, type IrqCfg } from './msi-msg';
import { irqdCfg, vectorScheduleCleanup } from './vector';
import { dmarImsMsiParentOps, dmarMsiParentOps } from './x86-msi';
import { dmarImsEnabled } from '../../kernel/pci-ims';

/** INTR_REMAP_TABLE_ENTRIES */
export const INTR_REMAP_TABLE_ENTRIES = 65536;

export const SVT_NO_VERIFY = 0;
export const SVT_VERIFY_SID_SQ = 1;
export const SVT_VERIFY_BUS = 2;
export const SQ_ALL_16 = 0;
export const SQ_13_IGNORE_3 = 3;

/** struct irte, the fields the model uses. */
export interface Irte {
  present: boolean;
  vector: number;
  destId: number;
  svt: number;
  sq: number;
  sid: number;
}

const zeroIrte = (): Irte => ({ present: false, vector: 0, destId: 0, svt: 0, sq: 0, sid: 0 });

/** struct ir_table: the IRTEs as the hardware reads them, and the allocation bitmap. */
export class IrTable extends KObject {
  readonly kind = 'ir_table';
  readonly base = new Map<number, Irte>();
  constructor(
    readonly bitmap: Bitmap,
    /** Where each IRTE was allocated (alloc_irte), for the audit. */
    readonly stamps: UnitStamps<number>,
    /** Where each IRTE was made present (modify_irte), for the audit. */
    readonly presentStamps: UnitStamps<number>,
  ) {
    super();
  }
}

/** The audit's id of an allocated IRTE in the `IRTE` pool. */
export function irteUnit(iommu: IntelIommu, index: number): string {
  return `${iommu.drhd.name} IRTE ${index}`;
}

/** The audit's id of a present IRTE (programmed at activation) in the `IRTE present` pool. */
export function irtePresentUnit(iommu: IntelIommu, index: number): string {
  return `${iommu.drhd.name} IRTE ${index} present`;
}

/** The units of every unit's table: allocated IRTEs, or present ones. */
export function* irteUnits(iommus: readonly IntelIommu[], present: boolean): Iterable<AuditUnit> {
  for (const u of iommus) {
    const t = u.irTable;
    if (!present) {
      for (const i of t.bitmap.setBits()) yield { id: irteUnit(u, i), stamp: t.stamps.of(i) };
      continue;
    }
    for (const [i, e] of t.base) if (e.present) yield { id: irtePresentUnit(u, i), stamp: t.presentStamps.of(i) };
  }
}

/** Present IRTEs of a unit's table. */
export function presentIrtes(iommu: IntelIommu): number {
  let n = 0;
  for (const e of iommu.irTable.base.values()) if (e.present) n++;
  return n;
}

/** struct intel_iommu, the interrupt-remapping part. */
export class IntelIommu extends KObject {
  readonly kind = 'intel_iommu';
  irDomain: IrqDomain | null = null;
  /** IRE set and CFI clear: remapping on, compatibility-format interrupts blocked. */
  irEnabled = false;
  /** The fault-event interrupt (dmar_set_interrupt), 0 when none. */
  irq = 0;
  /** What dmar_msi_write() put in the fault event address/data registers. */
  faultEventMsg: MsiMsg | null = null;

  constructor(
    readonly seqId: number,
    readonly drhd: DrhdConfig,
    readonly irTable: IrTable,
    /** ecap_max_handle_mask(): the largest block order the IEC flush can name. */
    readonly maxHandleMask: number,
  ) {
    super();
  }
}

/** struct irq_2_iommu */
export interface Irq2Iommu {
  iommu: IntelIommu;
  irteIndex: number;
  subHandle: number;
  irteMask: number;
}

/** struct intel_ir_data: one per irq; the sub_handle 0 one owns the block. */
export class IntelIrData extends KObject {
  readonly kind = 'intel_ir_data';
  irte: Irte = zeroIrte();
  msiEntry: MsiMsg = { addressHi: 0, addressLo: 0, data: 0 };
  constructor(public irq2iommu: Irq2Iommu) {
    super();
  }
}

// alloc_irte(): a 2^mask block, first fit, naturally aligned
function allocIrte(k: Kernel, iommu: IntelIommu, count: number): { index: number; mask: number } {
  if (count === 0) return { index: -1, mask: 0 };
  const mask = count > 1 ? getCountOrder(count) : 0;
  if (mask > iommu.maxHandleMask) {
    k.printk(`Requested mask ${mask.toString(16)} exceeds the max invalidation handle mask value ${iommu.maxHandleMask.toString(16)}`);
    return { index: -1, mask };
  }
  const index = k.faults.shouldFail('alloc_irte') ? -28 : iommu.irTable.bitmap.findFreeRegion(mask);
  if (index < 0) k.printk(`IR${iommu.seqId}: can't allocate an IRTE`);
  for (let i = index; index >= 0 && i < index + (1 << mask); i++) iommu.irTable.stamps.take(i, 'alloc_irte');
  if (index < 0 && k.faults.exhausted('IRTE')) k.faults.refused('IRTE');
  return { index, mask };
}

// clear_entries(): only the block owner (sub_handle 0) clears and releases the block
function clearEntries(k: Kernel, irqIommu: Irq2Iommu): void {
  if (irqIommu.subHandle !== 0) return;
  const { iommu, irteIndex, irteMask } = irqIommu;
  for (let i = irteIndex; i < irteIndex + (1 << irteMask); i++) {
    if (iommu.irTable.base.get(i)?.present === true) iommu.irTable.presentStamps.drop(i);
    iommu.irTable.base.delete(i);
    iommu.irTable.stamps.drop(i);
  }
  iommu.irTable.bitmap.releaseRegion(irteIndex, irteMask, (what) =>
    k.report('double-free', 'clear_entries', `${iommu.drhd.name} IRTE block ${irteIndex}/${1 << irteMask}: ${what}`),
  );
}

// modify_irte(): write the entry the hardware reads, at index + sub_handle
function modifyIrte(irqIommu: Irq2Iommu, irte: Irte): void {
  const { iommu } = irqIommu;
  const index = irqIommu.irteIndex + irqIommu.subHandle;
  const was = iommu.irTable.base.get(index)?.present === true;
  if (!was && irte.present) iommu.irTable.presentStamps.take(index, 'modify_irte');
  if (was && !irte.present) iommu.irTable.presentStamps.drop(index);
  iommu.irTable.base.set(index, { ...irte });
}

// set_irte_sid() / set_irte_verify_bus()
function setIrteSid(irte: Irte, svt: number, sq: number, sid: number): void {
  irte.svt = svt;
  irte.sq = sq;
  irte.sid = sid;
}

function setIrteVerifyBus(irte: Irte, startBus: number, endBus: number): void {
  setIrteSid(irte, SVT_VERIFY_BUS, SQ_ALL_16, (startBus << 8) | endBus);
}

const busOf = (rid: number): number => (rid >> 8) & 0xff;

// set_msi_sid(): the last DMA alias decides what can be verified
function setMsiSid(irte: Irte, dev: PciDev): void {
  // pci_for_each_dma_alias(): the function, its quirk alias, then the bridge taking ownership
  const aliases: { ownerBus: number; alias: number }[] = [{ ownerBus: busOf(dev.rid), alias: dev.rid }];
  if (dev.dmaAliasRid !== null) aliases.push({ ownerBus: busOf(dev.rid), alias: dev.dmaAliasRid });
  if (dev.bridge !== null) aliases.push({ ownerBus: busOf(dev.bridge.rid), alias: dev.bridge.rid });
  let busmatch = 0;
  let last = aliases[0] as { ownerBus: number; alias: number };
  aliases.forEach((a, i) => {
    if (i === 0 || busOf(a.alias) === busOf(last.alias)) busmatch++;
    last = a;
  });
  if (busOf(last.alias) !== last.ownerBus) setIrteVerifyBus(irte, busOf(last.alias), busOf(dev.rid));
  else if (aliases.length >= 2 && busmatch === aliases.length) setIrteVerifyBus(irte, busOf(dev.rid), busOf(dev.rid));
  else if (last.ownerBus !== busOf(dev.rid)) setIrteSid(irte, SVT_VERIFY_SID_SQ, SQ_ALL_16, last.alias);
  else setIrteSid(irte, SVT_VERIFY_SID_SQ, SQ_ALL_16, dev.rid);
}

// set_hpet_sid(): some platforms are broken, so only bus/device are verified
function setHpetSid(k: Kernel, irte: Irte, iommu: IntelIommu, id: number): void {
  const h = iommu.drhd.hpet.find((x) => x.id === id);
  if (h === undefined) {
    k.printk(`Failed to set source-id of HPET block (${id})`);
    return;
  }
  setIrteSid(irte, SVT_VERIFY_SID_SQ, SQ_13_IGNORE_3, h.sourceId);
}

// set_ioapic_sid(): the IOAPIC's source id from the DMAR device scope, all 16 bits verified
function setIoapicSid(k: Kernel, irte: Irte, iommu: IntelIommu, id: number): void {
  const io = iommu.drhd.ioapic?.find((x) => x.id === id);
  if (io === undefined) {
    k.printk(`Failed to set source-id of IOAPIC (${id})`);
    return;
  }
  setIrteSid(irte, SVT_VERIFY_SID_SQ, SQ_ALL_16, io.sourceId);
}

// intel_irq_remapping_prepare_irte(): the cached IRTE and the remapped message
function prepareIrte(k: Kernel, data: IntelIrData, cfg: IrqCfg, info: X86IrqAllocInfo, arg: MsiAllocInfo, index: number, subHandle: number): void {
  // prepare_irte(): present, fixed delivery, the (maybe still shutdown) vector; x2APIC destination
  data.irte = { present: true, vector: cfg.vector, destId: cfg.destApicid, svt: SVT_NO_VERIFY, sq: 0, sid: 0 };
  switch (info.type) {
    case 'IOAPIC':
      setIoapicSid(k, data.irte, data.irq2iommu.iommu, info.devid);
      // The RTE's vector field carries the pin: the IOAPIC's messages have no subhandle
      subHandle = info.ioapic?.pin ?? 0;
      break;
    case 'HPET':
      setHpetSid(k, data.irte, data.irq2iommu.iommu, info.devid);
      break;
    case 'PCI_MSI':
    case 'PCI_MSIX': {
      const dev = arg.desc?.dev;
      // set_msi_sid(irte, pci_real_dma_dev(dev)): a VMD child's writes carry the VMD's ID
      if (dev instanceof PciDev) setMsiSid(data.irte, pciRealDmaDev(dev));
      break;
    }
    default:
      throw new KernelOops('intel_irq_remapping_prepare_irte', `kernel BUG: allocation type ${info.type}`);
  }
  data.msiEntry = intelFillMsiMsg(index, subHandle);
}

// intel_free_irq_resources()
function intelFreeIrqResources(k: Kernel, domain: IrqDomain, virq: number, nrIrqs: number): void {
  for (let i = 0; i < nrIrqs; i++) {
    const d = k.irqs.getIrqData(domain, virq + i);
    if (d === null || d.chipData === null) continue;
    const data = k.heap.deref('intel_free_irq_resources', d.chipData as IntelIrData, 'intel_ir_data');
    clearEntries(k, data.irq2iommu);
    k.irqs.resetIrqData(d);
    k.heap.kfree('intel_free_irq_resources', data);
  }
}

// irq_domain_free_irqs_common(): reset this level, free the parent
function irqDomainFreeIrqsCommon(k: Kernel, domain: IrqDomain, virq: number, nrIrqs: number): void {
  for (let i = 0; i < nrIrqs; i++) {
    const d = k.irqs.getIrqData(domain, virq + i);
    if (d !== null) k.irqs.resetIrqData(d);
  }
  k.irqs.freeIrqsParent(domain, virq, nrIrqs);
}

// intel_ir_reconfigure_irte(): vector and destination follow the vector level's cfg
function intelIrReconfigureIrte(k: Kernel, d: IrqData): void {
  const data = k.heap.deref('intel_ir_reconfigure_irte', d.chipData as IntelIrData | null, 'intel_ir_data');
  const cfg = irqdCfg(d);
  if (cfg === null) throw new KernelOops('intel_ir_reconfigure_irte', 'NULL pointer dereference (irq_cfg)');
  data.irte.vector = cfg.vector;
  data.irte.destId = cfg.destApicid;
  modifyIrte(data.irq2iommu, data.irte);
}

// intel_ir_set_affinity(): the vector moves, the IRTE follows, the message stays
function intelIrSetAffinity(k: Kernel, d: IrqData, dest: readonly number[], force: boolean): number {
  const parent = d.parentData;
  if (parent === null) return -EINVAL;
  const ret = chipSetAffinity(k, parent, dest, force);
  if (ret < 0 || ret === IRQ_SET_MASK_OK_DONE) return ret;
  intelIrReconfigureIrte(k, d);
  // From here on interrupts arrive at the new destination: the old vector can go
  vectorScheduleCleanup(k, d);
  return IRQ_SET_MASK_OK_DONE;
}

export const intelIrChip: IrqChip = {
  name: 'INTEL-IR',
  // intel_ir_compose_msi_msg(): the message prepared at allocation
  composeMsiMsg(k, d) {
    const data = k.heap.deref('intel_ir_compose_msi_msg', d.chipData as IntelIrData | null, 'intel_ir_data');
    return { ...data.msiEntry };
  },
  irqSetAffinity: intelIrSetAffinity,
};

export const intelIrDomainOps: IrqDomainOps = {
  // intel_irq_remapping_alloc(): parent first, then one IRTE block for all nr irqs
  alloc(k, domain, virq, nrIrqs, argUnknown) {
    const arg = argUnknown as MsiAllocInfo | null;
    const info = x86Info(arg);
    const iommu = domain.hostData as IntelIommu | null;
    if (arg === null || info === null || iommu === null) return -EINVAL;
    if (nrIrqs > 1 && info.type !== 'PCI_MSI') return -EINVAL;
    let ret = k.irqs.allocIrqsParent(domain, virq, nrIrqs, arg);
    if (ret < 0) return ret;
    ret = -ENOMEM;
    if (k.faults.shouldFail('intel_ir_data')) {
      irqDomainFreeIrqsCommon(k, domain, virq, nrIrqs);
      return ret;
    }
    const first = k.heap.kmalloc(new IntelIrData({ iommu, irteIndex: 0, subHandle: 0, irteMask: 0 }), 'intel_irq_remapping_alloc');
    const { index, mask } = allocIrte(k, iommu, nrIrqs);
    if (index < 0) {
      k.printk('Failed to allocate IRTE');
      k.heap.kfree('intel_irq_remapping_alloc', first);
      irqDomainFreeIrqsCommon(k, domain, virq, nrIrqs);
      return ret;
    }
    first.irq2iommu = { iommu, irteIndex: index, subHandle: 0, irteMask: mask };
    let i = 0;
    for (; i < nrIrqs; i++) {
      const d = k.irqs.getIrqData(domain, virq + i);
      const cfg = d === null ? null : irqdCfg(d);
      if (d === null || cfg === null) {
        // The owner is only freed here when nothing references it yet; its block stays taken
        if (i === 0) k.heap.kfree('intel_irq_remapping_alloc', first);
        ret = -EINVAL;
        break;
      }
      let ird = first;
      if (i > 0) {
        if (k.faults.shouldFail('intel_ir_data')) break;
        ird = k.heap.kmalloc(new IntelIrData({ ...first.irq2iommu, subHandle: i }), 'intel_irq_remapping_alloc');
      }
      d.hwirq = (index << 16) + i;
      d.chipData = ird;
      d.chip = intelIrChip;
      prepareIrte(k, ird, cfg, info, arg, index, i);
    }
    if (i === nrIrqs) return 0;
    intelFreeIrqResources(k, domain, virq, i);
    irqDomainFreeIrqsCommon(k, domain, virq, nrIrqs);
    return ret;
  },
  // intel_irq_remapping_free()
  free(k, domain, virq, nrIrqs) {
    intelFreeIrqResources(k, domain, virq, nrIrqs);
    irqDomainFreeIrqsCommon(k, domain, virq, nrIrqs);
  },
  // intel_irq_remapping_activate(): the parent has its real vector by now
  activate(k, _domain, d) {
    intelIrReconfigureIrte(k, d);
    return 0;
  },
  // intel_irq_remapping_deactivate(): an all-zero (not present) IRTE
  deactivate(k, _domain, d) {
    const data = k.heap.deref('intel_irq_remapping_deactivate', d.chipData as IntelIrData | null, 'intel_ir_data');
    modifyIrte(data.irq2iommu, zeroIrte());
  },
};

// intel_setup_irq_remapping() + iommu_enable_irq_remapping()
export function intelSetupIrqRemapping(k: Kernel, iommu: IntelIommu, vectorDomain: IrqDomain): IrqDomain {
  const d = msiCreateParentIrqDomain(k, `INTEL-IR-${iommu.seqId}`, vectorDomain, intelIrDomainOps, iommu, dmarImsEnabled(k) ? dmarImsMsiParentOps : dmarMsiParentOps);
  iommu.irDomain = d;
  iommu.irEnabled = true;
  return d;
}

export function newIntelIommu(k: Kernel, seqId: number, drhd: DrhdConfig, maxHandleMask: number): IntelIommu {
  const table = k.heap.kmalloc(new IrTable(new Bitmap(INTR_REMAP_TABLE_ENTRIES), new UnitStamps(k), new UnitStamps(k)), 'intel_setup_irq_remapping');
  return k.heap.kmalloc(new IntelIommu(seqId, drhd, table, maxHandleMask), 'alloc_iommu');
}

/** The hardware: a write from `requester` through this unit becomes a (vector, APIC ID), or a fault. */
export function intelIrTranslate(iommu: IntelIommu, requester: number, msg: MsiMsg): IrqCfg | { blocked: string } {
  if (!isRemappableFormat(msg)) {
    if (iommu.irEnabled) return { blocked: `${iommu.drhd.name}: compatibility format interrupt blocked by interrupt remapping (fault reason 0x25)` };
    return { blocked: 'compatibility format on a unit without remapping: not modelled' };
  }
  const handle = decodeRemappable(msg);
  if (handle >= INTR_REMAP_TABLE_ENTRIES) return { blocked: `${iommu.drhd.name}: interrupt index ${handle} beyond the table (fault reason 0x21)` };
  const irte = iommu.irTable.base.get(handle);
  if (irte === undefined || !irte.present) return { blocked: `${iommu.drhd.name}: IRTE ${handle} not present (fault reason 0x22)` };
  if (!sourceIdOk(irte, requester)) {
    return { blocked: `${iommu.drhd.name}: IRTE ${handle} source-id check failed for requester ${requester.toString(16)} (fault reason 0x26)` };
  }
  return { vector: irte.vector, destApicid: irte.destId };
}

/** The IRTE's source-id check (SVT/SQ/SID) against the requester ID a write carries. */
export function sourceIdOk(irte: Irte, requester: number): boolean {
  switch (irte.svt) {
    case SVT_NO_VERIFY:
      return true;
    case SVT_VERIFY_SID_SQ: {
      const ignore = irte.sq === 0 ? 0 : irte.sq === 1 ? 0x4 : irte.sq === 2 ? 0x6 : 0x7;
      return (requester & ~ignore) === (irte.sid & ~ignore);
    }
    case SVT_VERIFY_BUS: {
      const bus = busOf(requester);
      return bus >= irte.sid >> 8 && bus <= (irte.sid & 0xff);
    }
    default:
      return false;
  }
}

export { requesterId };
