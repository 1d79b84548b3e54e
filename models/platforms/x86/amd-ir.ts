// drivers/iommu/amd/iommu.c: AMD interrupt remapping. Each requester ID (devid) has a remap
// table; a table is shared by all DMA aliases of the function that caused its allocation and
// is never freed. Indexes are allocated per table (aligned for multi-MSI) and freed one by one.
// The message data is the index; the table is found by the requester ID the write arrives with.
import { roundupPowOfTwo } from '../../kernel/bitmap';
import { PciDev } from '../../kernel/device';
import { EINVAL, ENODEV, ENOMEM, ENOSPC } from '../../kernel/errno';
import { hex, KObject } from '../../kernel/heap';
import { UnitStamps, type AuditUnit } from '../../kernel/audit';
import type { IrqChip, IrqData, IrqDomain, IrqDomainOps, MsiMsg } from '../../kernel/irqdomain';
import type { Kernel } from '../../kernel/kernel';
import type { MsiAllocInfo } from '../../kernel/msi-alloc-info';
import { msiCreateParentIrqDomain } from '../../kernel/msi-lib';
import { x86Info, type X86IrqAllocInfo } from './alloc-info';
import { chipSetAffinity, IRQ_SET_MASK_OK_DONE } from '../../kernel/chip-call';
import { requesterId } from './dmar';
import { amdFillMsiMsg, type IrqCfg } from './msi-msg';
import { irqdCfg, vectorScheduleCleanup } from './vector';
import { amdviImsMsiParentOps, amdviMsiParentOps } from './x86-msi';
import { amdImsEnabled } from '../../kernel/pci-ims';

export const MAX_IRQS_PER_TABLE_512 = 512;
export const MAX_IRQS_PER_TABLE_2K = 2048;

/** union irte (legacy format): allocated = non-zero. */
export interface AmdIrte {
  allocated: boolean;
  valid: boolean;
  vector: number;
  destination: number;
}

const freeEntry = (): AmdIrte => ({ allocated: false, valid: false, vector: 0, destination: 0 });

/** struct irq_remap_table */
export class IrqRemapTable extends KObject {
  readonly kind = 'irq_remap_table';
  readonly table: AmdIrte[];
  minIndex = 0;
  constructor(
    readonly maxIrqs: number,
    /** Where each entry was allocated (alloc_irq_index), for the audit. */
    readonly stamps: UnitStamps<number>,
    /** Where each entry was made valid (modify_irte), for the audit. */
    readonly validStamps: UnitStamps<number>,
  ) {
    super();
    this.table = Array.from({ length: maxIrqs }, freeEntry);
  }

  allocatedCount(): number {
    return this.table.reduce((n, e) => n + (e.allocated ? 1 : 0), 0);
  }
}

export interface AmdIommuConfig {
  /** dev_data->max_irqs: 512, or 2048 with NUM_INT_REMAP_SUP_2K. */
  readonly maxIrqs: number;
  /** IVRS HPET entries: block id -> devid. */
  readonly hpet: readonly { readonly id: number; readonly devid: number }[];
  /** IVRS IOAPIC entries: IOAPIC id -> devid. */
  readonly ioapic?: readonly { readonly id: number; readonly devid: number }[];
}

/** struct amd_iommu with its PCI segment's irq_lookup_table. */
export class AmdIommu extends KObject {
  readonly kind = 'amd_iommu';
  irDomain: IrqDomain | null = null;
  /** pci_seg->irq_lookup_table: devid -> table (the DTE's interrupt table root). */
  readonly irqLookupTable = new Map<number, IrqRemapTable>();

  constructor(
    readonly index: number,
    readonly config: AmdIommuConfig,
  ) {
    super();
  }

  /** Distinct tables (aliases share one). */
  tables(): IrqRemapTable[] {
    return [...new Set(this.irqLookupTable.values())];
  }

  /**
   * Fills every free entry alloc_irq_index() could hand out, in every table (exhaust(AMD-IRTE));
   * the release frees exactly those. The entries below min_index are the IOAPIC's, indexed by
   * pin without an allocation, so a drain leaves them alone.
   */
  drain(): () => void {
    const taken: AmdIrte[] = [];
    for (const t of this.tables()) for (const e of t.table.slice(t.minIndex)) if (!e.allocated) taken.push(e);
    for (const e of taken) e.allocated = true;
    return () => {
      for (const e of taken) e.allocated = false;
    };
  }
}

/** The audit's id of an allocated entry (or, `valid`, a valid one) in the `AMD IRTE` pools. */
export function amdIrteUnit(table: IrqRemapTable, index: number, valid = false): string {
  return `irq_remap_table@${hex(table.addr)} IRTE ${index}${valid ? ' valid' : ''}`;
}

/** Allocated (or valid) entries of every remap table of the IOMMU. */
export function amdIrteCount(iommu: AmdIommu, valid: boolean): number {
  let n = 0;
  for (const t of iommu.tables()) for (const e of t.table) if (valid ? e.valid : e.allocated) n++;
  return n;
}

export function* amdIrteUnits(iommu: AmdIommu, valid: boolean): Iterable<AuditUnit> {
  for (const t of iommu.tables()) {
    for (let i = 0; i < t.table.length; i++) {
      const e = t.table[i] as AmdIrte;
      if (valid ? e.valid : e.allocated) yield { id: amdIrteUnit(t, i, valid), stamp: (valid ? t.validStamps : t.stamps).of(i) };
    }
  }
}

/** struct amd_ir_data */
export class AmdIrData extends KObject {
  readonly kind = 'amd_ir_data';
  entry: AmdIrte = freeEntry();
  msiEntry: MsiMsg = { addressHi: 0, addressLo: 0, data: 0 };
  devid = 0;
  index = 0;
  constructor(readonly iommu: AmdIommu) {
    super();
  }
}

// pci_for_each_dma_alias(): the function, its quirk alias, the bridge that takes ownership
function dmaAliases(pdev: PciDev): number[] {
  const out = [pdev.rid];
  if (pdev.dmaAliasRid !== null) out.push(pdev.dmaAliasRid);
  if (pdev.bridge !== null) out.push(pdev.bridge.rid);
  return out;
}

// amd_iommu_probe_device() -> attach to the default domain -> set_dte_entry() -> clone_aliases():
// every DMA alias of a new function gets a copy of its DTE, the interrupt table root included
// (a table left from an earlier function at the same RID is reached through the aliases too)
export function amdCloneAliases(iommu: AmdIommu, pdev: PciDev): void {
  const table = iommu.irqLookupTable.get(pdev.rid);
  if (table === undefined) return;
  for (const a of dmaAliases(pdev)) if (a !== pdev.rid) iommu.irqLookupTable.set(a, table);
}

// alloc_irq_table(): the devid's table, else its alias's, else a new one installed for every alias
function allocIrqTable(k: Kernel, iommu: AmdIommu, devid: number, pdev: PciDev | null): IrqRemapTable | null {
  let table = iommu.irqLookupTable.get(devid);
  if (table !== undefined) return table;
  // pci_seg->alias_table[devid] (from IVRS): the requester ID the function's writes carry
  const alias = pdev !== null ? requesterId(pdev) : devid;
  table = iommu.irqLookupTable.get(alias);
  if (table !== undefined) {
    iommu.irqLookupTable.set(devid, table); // set_remap_table_entry()
    return table;
  }
  // __alloc_irq_table()
  if (k.faults.shouldFail('alloc_irq_table')) return null;
  const fresh = k.heap.kmalloc(new IrqRemapTable(iommu.config.maxIrqs, new UnitStamps(k), new UnitStamps(k)), '__alloc_irq_table');
  if (pdev !== null) for (const a of dmaAliases(pdev)) iommu.irqLookupTable.set(a, fresh);
  else iommu.irqLookupTable.set(devid, fresh);
  if (devid !== alias) iommu.irqLookupTable.set(alias, fresh);
  return fresh;
}

// alloc_irq_index(): linear scan for `count` free entries, aligned to the rounded-up count for MSI
function allocIrqIndex(k: Kernel, iommu: AmdIommu, devid: number, count: number, align: boolean, pdev: PciDev | null): number {
  const table = allocIrqTable(k, iommu, devid, pdev);
  if (table === null) return -ENODEV;
  if (k.faults.shouldFail('alloc_irq_index')) return -ENOSPC;
  const alignment = align ? roundupPowOfTwo(count) : 1;
  const alignUp = (x: number): number => Math.ceil(x / alignment) * alignment;
  let c = 0;
  for (let index = alignUp(table.minIndex); index < table.maxIrqs; ) {
    if (!(table.table[index] as AmdIrte).allocated) {
      c += 1;
    } else {
      c = 0;
      index = alignUp(index + 1);
      continue;
    }
    if (c === count) {
      const first = index - (count - 1);
      for (let i = first; i <= index; i++) {
        (table.table[i] as AmdIrte).allocated = true;
        table.stamps.take(i, 'alloc_irq_index');
      }
      return first;
    }
    index++;
  }
  if (k.faults.exhausted('AMD-IRTE')) k.faults.refused('AMD-IRTE');
  return -ENOSPC;
}

// irq_remapping_alloc() for an IOAPIC: the IRTE index is the pin, in the devid's table whose
// first 32 entries are kept for the IOAPIC (min_index) the first time it is used
function ioapicIrqIndex(k: Kernel, iommu: AmdIommu, devid: number, pin: number): number {
  const table = allocIrqTable(k, iommu, devid, null);
  if (table === null) return -ENOMEM;
  if (table.minIndex === 0) {
    table.minIndex = 32;
    for (let i = 0; i < 32; i++) {
      const e = table.table[i] as AmdIrte;
      if (e.allocated) continue;
      e.allocated = true;
      table.stamps.take(i, 'irq_remapping_alloc');
    }
  }
  if (table.minIndex !== 32) k.warn('irq_remapping_alloc', `devid ${devid.toString(16)}: min_index ${table.minIndex}`);
  return pin;
}

// free_irte(): one entry back; the kernel clears it whatever it held, the model reports a stale
// one. An IOAPIC pin's entry (below min_index) is the pin's, never allocated per irq: after the
// pin's first unregister it reads as free, and freeing it again in an unwind clears nothing.
export function freeIrte(k: Kernel, iommu: AmdIommu, devid: number, index: number): void {
  const table = iommu.irqLookupTable.get(devid);
  if (table === undefined) {
    k.warn('free_irte', `no remap table for devid ${devid.toString(16)}`);
    return;
  }
  const e = table.table[index];
  if (e === undefined || (!e.allocated && index >= table.minIndex)) k.report('double-free', 'free_irte', `devid ${devid.toString(16)} index ${index} freed while not allocated`);
  if (e === undefined) return;
  if (e.valid) table.validStamps.drop(index);
  if (e.allocated) table.stamps.drop(index);
  Object.assign(e, freeEntry());
}

// modify_irte(): write the entry the IOMMU reads
function modifyIrte(iommu: AmdIommu, devid: number, index: number, irte: AmdIrte): void {
  const table = iommu.irqLookupTable.get(devid);
  const e = table?.table[index];
  if (table === undefined || e === undefined) return;
  if (!e.valid && irte.valid) table.validStamps.take(index, 'modify_irte');
  if (e.valid && !irte.valid) table.validStamps.drop(index);
  Object.assign(e, { ...irte, allocated: true });
}

// get_devid(): HPET from IVRS, PCI from the function's own SBDF
function getDevid(iommu: AmdIommu, info: X86IrqAllocInfo, arg: MsiAllocInfo): number {
  switch (info.type) {
    case 'HPET':
      return iommu.config.hpet.find((h) => h.id === info.devid)?.devid ?? -1;
    case 'IOAPIC':
      return iommu.config.ioapic?.find((h) => h.id === info.devid)?.devid ?? -1;
    case 'PCI_MSI':
    case 'PCI_MSIX': {
      const dev = arg.desc?.dev;
      return dev instanceof PciDev ? dev.rid : -1;
    }
    default:
      return -1;
  }
}

function irqDomainFreeIrqsCommon(k: Kernel, domain: IrqDomain, virq: number, nrIrqs: number): void {
  for (let i = 0; i < nrIrqs; i++) {
    const d = k.irqs.getIrqData(domain, virq + i);
    if (d !== null) k.irqs.resetIrqData(d);
  }
  k.irqs.freeIrqsParent(domain, virq, nrIrqs);
}

// amd_ir_update_irte(): vector and destination from the vector level
function amdIrUpdateIrte(k: Kernel, d: IrqData, data: AmdIrData): void {
  const cfg = irqdCfg(d);
  if (cfg === null) return;
  data.entry.vector = cfg.vector;
  data.entry.destination = cfg.destApicid;
  modifyIrte(data.iommu, data.devid, data.index, data.entry);
}

// amd_ir_set_affinity()
function amdIrSetAffinity(k: Kernel, d: IrqData, dest: readonly number[], force: boolean): number {
  const parent = d.parentData;
  if (parent === null) return -EINVAL;
  const ret = chipSetAffinity(k, parent, dest, force);
  if (ret < 0 || ret === IRQ_SET_MASK_OK_DONE) return ret;
  const data = k.heap.deref('amd_ir_set_affinity', d.chipData as AmdIrData | null, 'amd_ir_data');
  amdIrUpdateIrte(k, d, data);
  vectorScheduleCleanup(k, d);
  return IRQ_SET_MASK_OK_DONE;
}

export const amdIrChip: IrqChip = {
  name: 'AMD-IR',
  // ir_compose_msi_msg()
  composeMsiMsg(k, d) {
    const data = k.heap.deref('ir_compose_msi_msg', d.chipData as AmdIrData | null, 'amd_ir_data');
    return { ...data.msiEntry };
  },
  irqSetAffinity: amdIrSetAffinity,
};

export const amdIrDomainOps: IrqDomainOps = {
  // irq_remapping_alloc()
  alloc(k, domain, virq, nrIrqs, argUnknown) {
    const arg = argUnknown as MsiAllocInfo | null;
    const info = x86Info(arg);
    const iommu = domain.hostData as AmdIommu | null;
    if (arg === null || info === null || iommu === null) return -EINVAL;
    if (nrIrqs > 1 && info.type !== 'PCI_MSI') return -EINVAL;
    const devid = getDevid(iommu, info, arg);
    if (devid < 0) return -EINVAL;
    let ret = k.irqs.allocIrqsParent(domain, virq, nrIrqs, arg);
    if (ret < 0) return ret;
    const pdev = arg.desc?.dev instanceof PciDev ? arg.desc.dev : null;
    const index = info.type === 'IOAPIC' ? ioapicIrqIndex(k, iommu, devid, info.ioapic?.pin ?? 0) : allocIrqIndex(k, iommu, devid, nrIrqs, info.type === 'PCI_MSI', pdev);
    if (index < 0) {
      k.printk('Failed to allocate IRTE');
      irqDomainFreeIrqsCommon(k, domain, virq, nrIrqs);
      return index;
    }
    let i = 0;
    for (; i < nrIrqs; i++) {
      const d = k.irqs.getIrqData(domain, virq + i);
      const cfg: IrqCfg | null = d === null ? null : irqdCfg(d);
      if (d === null || cfg === null) {
        ret = -EINVAL;
        break;
      }
      ret = -ENOMEM;
      if (k.faults.shouldFail('amd_ir_data')) break;
      const data = k.heap.kmalloc(new AmdIrData(iommu), 'irq_remapping_alloc');
      d.hwirq = (devid << 16) + i;
      d.chipData = data;
      d.chip = amdIrChip;
      // irq_remapping_prepare_irte()
      data.devid = devid;
      data.index = index + i;
      data.entry = { allocated: true, valid: true, vector: cfg.vector, destination: cfg.destApicid };
      data.msiEntry = amdFillMsiMsg(data.index);
    }
    if (i === nrIrqs) return 0;
    for (i--; i >= 0; i--) {
      const d = k.irqs.getIrqData(domain, virq + i);
      if (d !== null) k.heap.kfree('irq_remapping_alloc', d.chipData as AmdIrData | null);
    }
    for (let j = 0; j < nrIrqs; j++) freeIrte(k, iommu, devid, index + j);
    irqDomainFreeIrqsCommon(k, domain, virq, nrIrqs);
    return ret;
  },
  // irq_remapping_free()
  free(k, domain, virq, nrIrqs) {
    for (let i = 0; i < nrIrqs; i++) {
      const d = k.irqs.getIrqData(domain, virq + i);
      if (d === null || d.chipData === null) continue;
      const data = k.heap.deref('irq_remapping_free', d.chipData as AmdIrData, 'amd_ir_data');
      freeIrte(k, data.iommu, data.devid, data.index);
      k.heap.kfree('irq_remapping_free', data);
    }
    irqDomainFreeIrqsCommon(k, domain, virq, nrIrqs);
  },
  // irq_remapping_activate(): valid entry with the real vector
  activate(k, _domain, d) {
    const data = k.heap.deref('irq_remapping_activate', d.chipData as AmdIrData | null, 'amd_ir_data');
    data.entry.valid = true;
    modifyIrte(data.iommu, data.devid, data.index, data.entry);
    amdIrUpdateIrte(k, d, data);
    return 0;
  },
  // irq_remapping_deactivate()
  deactivate(k, _domain, d) {
    const data = k.heap.deref('irq_remapping_deactivate', d.chipData as AmdIrData | null, 'amd_ir_data');
    data.entry.valid = false;
    modifyIrte(data.iommu, data.devid, data.index, data.entry);
  },
};

// amd_iommu_create_irq_domain()
export function amdIommuCreateIrqDomain(k: Kernel, iommu: AmdIommu, vectorDomain: IrqDomain): IrqDomain {
  const d = msiCreateParentIrqDomain(k, `AMD-IR-${iommu.index}`, vectorDomain, amdIrDomainOps, iommu, amdImsEnabled(k) ? amdviImsMsiParentOps : amdviMsiParentOps);
  // hwirq = (devid << 16) + i repeats for every single-vector allocation of a device; nobody
  // looks the AMD-IR level up by hwirq
  d.sharedHwirqs = true;
  // The IRTE is what is unique: an index in the remap table the devid's DTE points at (aliases share one table)
  d.hardwareId = (data) => {
    const ir = data.chipData instanceof AmdIrData ? data.chipData : null;
    if (ir === null) return `no amd_ir_data (hwirq ${data.hwirq})`;
    const table = ir.iommu.irqLookupTable.get(ir.devid);
    if (table === undefined) return `IRTE ${ir.index} of devid ${ir.devid.toString(16)}, which has no remap table`;
    return `IRTE ${ir.index} of the remap table at 0x${table.addr.toString(16)}`;
  };
  iommu.irDomain = d;
  return d;
}

/** The hardware: the DTE of the requester ID points at a table; the data indexes it. */
export function amdIrTranslate(iommu: AmdIommu, requester: number, msg: MsiMsg): IrqCfg | { blocked: string } {
  const table = iommu.irqLookupTable.get(requester);
  if (table === undefined) return { blocked: `AMD-Vi: no interrupt remapping table for devid ${requester.toString(16)} (IntCtl abort)` };
  const index = msg.data & (table.maxIrqs - 1);
  const e = table.table[index] as AmdIrte;
  if (!e.allocated || !e.valid) return { blocked: `AMD-Vi: devid ${requester.toString(16)} IRTE ${index} not valid (INVALID_DEVICE_REQUEST)` };
  return { vector: e.vector, destApicid: e.destination };
}
