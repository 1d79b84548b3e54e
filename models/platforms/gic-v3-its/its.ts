// drivers/irqchip/irq-gic-v3-its.c: the ITS node, its_device with its ITT and event map, the
// ITS irq domain (alloc/free/activate/deactivate), msi_prepare/msi_teardown, and the ITS
// hardware tables the MAPD/MAPTI/DISCARD commands program (for message translation).
import { Bitmap, getCountOrder, isPowerOfTwo, roundupPowOfTwo } from '../../kernel/bitmap';
import { ENOMEM, ENOSPC, EINVAL } from '../../kernel/errno';
import { hex as kaddr, KObject } from '../../kernel/heap';
import { UnitStamps, type AuditUnit, type StampClock } from '../../kernel/audit';
import type { IrqChip, IrqData, IrqDomain, IrqDomainOps } from '../../kernel/irqdomain';
import type { Kernel } from '../../kernel/kernel';
import { derefInfo, MSI_ALLOC_FLAGS_PROXY_DEVICE, type MsiAllocInfo } from '../../kernel/msi-alloc-info';
import type { MsiDomainInfo } from '../../kernel/msi-types';
import { KernelOops } from '../../kernel/report';
import { IRQ_SET_MASK_OK_DONE } from '../../kernel/chip-call';
import { LpiRangeAllocator } from './lpi-range';

/** GITS_TRANSLATER offset in the ITS frame: the doorbell every MSI is written to. */
const GITS_TRANSLATER = 0x10040;

export class ItsLpiMap extends KObject {
  readonly kind = 'lpi_map';
  constructor(readonly bitmap: Bitmap) {
    super();
  }
}

export class ItsItt extends KObject {
  readonly kind = 'itt';
  constructor(readonly entries: number) {
    super();
  }
}

export class ItsColMap extends KObject {
  readonly kind = 'col_map';
  constructor(readonly cpus: number[]) {
    super();
  }
}

/** struct its_device */
export class ItsDevice extends KObject {
  readonly kind = 'its_device';
  shared = false;
  /** With msi-fuzz-its-device-users: the device domains its_msi_prepare() handed it to and not torn down. */
  users = 0;
  /** Where each event of the map was allocated (its_alloc_device_irq), for the audit. */
  readonly eventStamps: UnitStamps<number>;

  constructor(
    readonly its: ItsNode,
    readonly deviceId: number,
    readonly nrItes: number,
    readonly itt: ItsItt,
    readonly lpiMap: ItsLpiMap,
    readonly colMap: ItsColMap,
    readonly lpiBase: number,
    readonly nrLpis: number,
  ) {
    super();
    this.eventStamps = new UnitStamps(its.clock);
  }
}

/** What MAPD/MAPTI/DISCARD left in the ITS's own device table and ITTs. */
export interface ItsHwDevice {
  readonly itt: ItsItt;
  readonly size: number;
  /** EventID -> (LPI, collection) */
  readonly events: Map<number, { lpi: number; col: number }>;
}

export type ItsCommand =
  | { op: 'MAPD'; devId: number; valid: boolean }
  | { op: 'MAPTI'; devId: number; event: number; lpi: number; col: number }
  | { op: 'DISCARD'; devId: number; event: number }
  | { op: 'MOVI'; devId: number; event: number; col: number };

/** The audit's id of event `event` of `dev` in the `ITS event` pool. */
export function itsEventUnit(dev: ItsDevice, event: number): string {
  return `its_device@${kaddr(dev.addr)} (DeviceID ${hex(dev.deviceId)}) event ${event}`;
}

/** The audit's id of a DeviceID's mapping in the `ITS DeviceID` pool (a valid MAPD). */
export function itsDeviceIdUnit(devId: number): string {
  return `DeviceID ${hex(devId)}`;
}

/** The audit's id of a translation entry in the `ITS ITE` pool (a MAPTI not yet discarded). */
export function itsIteUnit(devId: number, event: number): string {
  return `DeviceID ${hex(devId)} EventID ${event}`;
}

/** The stamp key of an ITE: DeviceIDs and EventIDs are 16-bit here. */
function iteKey(devId: number, event: number): number {
  return devId * 0x10000 + event;
}

/** A MAPD sent during the current step (a dirty-set entry): the balance of this DeviceID changed. */
export class ItsMapdSent {
  constructor(readonly devId: number) {}
}

/** struct its_node, plus the hardware state its command queue programs. */
export class ItsNode {
  /** its->its_device_list */
  readonly devices: ItsDevice[] = [];
  readonly lpis: LpiRangeAllocator;
  readonly translater: number;
  /** GITS_BASER device table: DeviceID -> ITT, as the ITS hardware holds it. */
  readonly hwDeviceTable = new Map<number, ItsHwDevice>();
  /** The most recent commands, for repro annotation. */
  readonly cmdLog: ItsCommand[] = [];
  readonly mapdBalance = new Map<number, number>();
  /** LPIs routed to each CPU (its_inc_lpi_count), for its_select_cpu balancing. */
  readonly lpiCount: number[];
  /** The ITS irq domain (set by the platform at probe). */
  domain: IrqDomain | null = null;
  /** Where each DeviceID mapping and translation entry was made (for the audit). */
  private readonly mapdStamps: UnitStamps<number>;
  private readonly iteStamps: UnitStamps<number>;
  /** What stamps allocations (the kernel). */
  readonly clock: StampClock;
  /** Devices whose IOMMU domain maps the ITS doorbell (iommu_dma_get_msi_page() kept it). */
  readonly doorbellMapped = new WeakSet<object>();
  /**
   * The second-level pages of the (indirect) device table allocated so far, by index
   * (DeviceID / ITS_L2_DEVICES): its_alloc_table_entry() allocates one on first use and never
   * frees it.
   */
  readonly l2Pages = new Set<number>();

  constructor(
    private readonly k: Kernel,
    readonly physBase: number,
    readonly deviceBits: number,
    lpiIdBits: number,
    /** The LPI allocator is global (lpi_range_list): a second ITS shares the first one's. */
    lpis?: LpiRangeAllocator,
  ) {
    this.lpis = lpis ?? new LpiRangeAllocator(k, (1 << lpiIdBits) - 8192);
    this.translater = physBase + GITS_TRANSLATER;
    this.lpiCount = new Array<number>(k.nrCpus).fill(0);
    this.clock = k;
    this.mapdStamps = new UnitStamps(k);
    this.iteStamps = new UnitStamps(k);
    k.audit.register({ name: 'ITS event', count: () => this.eventCount(), units: () => this.eventUnits() });
    k.audit.register({ name: 'ITS DeviceID', count: () => this.hwDeviceTable.size, units: () => this.mapdUnits() });
    k.audit.register({ name: 'ITS ITE', count: () => this.iteCount(), units: () => this.iteUnits() });
  }

  private eventCount(): number {
    return this.devices.reduce((n, d) => n + d.lpiMap.bitmap.weight(), 0);
  }

  /** The events of every listed its_device's event map (a leaked map is a heap leak of its own). */
  private *eventUnits(): Iterable<AuditUnit> {
    for (const d of this.devices) {
      for (const e of d.lpiMap.bitmap.setBits()) yield { id: itsEventUnit(d, e), stamp: d.eventStamps.of(e) };
    }
  }

  private *mapdUnits(): Iterable<AuditUnit> {
    for (const id of this.hwDeviceTable.keys()) yield { id: itsDeviceIdUnit(id), stamp: this.mapdStamps.of(id) };
  }

  private iteCount(): number {
    let n = 0;
    for (const dt of this.hwDeviceTable.values()) n += dt.events.size;
    return n;
  }

  private *iteUnits(): Iterable<AuditUnit> {
    for (const [devId, dt] of this.hwDeviceTable) {
      for (const e of dt.events.keys()) yield { id: itsIteUnit(devId, e), stamp: this.iteStamps.of(iteKey(devId, e)) };
    }
  }

  // its_send_mapd / its_send_mapti / its_send_discard: queue the command, update the tables
  send(cmd: ItsCommand, itt?: ItsItt): void {
    this.cmdLog.push(cmd);
    if (this.cmdLog.length > 32) this.cmdLog.shift();
    switch (cmd.op) {
      case 'MAPD':
        // Every function behind the DeviceID is affected; the MAPD balance changes.
        this.k.dirty.sharedRouting = true;
        this.k.dirty.objects.add(this);
        this.k.dirty.objects.add(new ItsMapdSent(cmd.devId));
        this.mapdBalance.set(cmd.devId, (this.mapdBalance.get(cmd.devId) ?? 0) + (cmd.valid ? 1 : -1));
        // A MAPD replaces (or unmaps) the DeviceID's ITT: its translations go with it
        for (const e of this.hwDeviceTable.get(cmd.devId)?.events.keys() ?? []) this.iteStamps.drop(iteKey(cmd.devId, e));
        if (this.hwDeviceTable.has(cmd.devId)) this.mapdStamps.drop(cmd.devId);
        if (cmd.valid && itt !== undefined) {
          this.hwDeviceTable.set(cmd.devId, { itt, size: itt.entries, events: new Map() });
          this.mapdStamps.take(cmd.devId, 'its_send_mapd');
        } else this.hwDeviceTable.delete(cmd.devId);
        break;
      case 'MAPTI': {
        const dt = this.hwDeviceTable.get(cmd.devId);
        // A MAPTI for an unmapped DeviceID is a command error; the ITS drops it.
        if (dt !== undefined && cmd.event < dt.size) {
          if (!dt.events.has(cmd.event)) this.iteStamps.take(iteKey(cmd.devId, cmd.event), 'its_send_mapti');
          dt.events.set(cmd.event, { lpi: cmd.lpi, col: cmd.col });
        }
        break;
      }
      case 'DISCARD':
        if (this.hwDeviceTable.get(cmd.devId)?.events.delete(cmd.event) === true) this.iteStamps.drop(iteKey(cmd.devId, cmd.event));
        break;
      case 'MOVI': {
        const ite = this.hwDeviceTable.get(cmd.devId)?.events.get(cmd.event);
        if (ite !== undefined) ite.col = cmd.col;
        break;
      }
    }
    this.k.printk(`its: ${describeCommand(cmd)}`);
  }

  // its_find_device()
  findDevice(devId: number): ItsDevice | null {
    return this.devices.find((d) => d.deviceId === devId) ?? null;
  }
}

function describeCommand(cmd: ItsCommand): string {
  switch (cmd.op) {
    case 'MAPD':
      return `MAPD dev=${hex(cmd.devId)} valid=${cmd.valid ? 1 : 0}`;
    case 'MAPTI':
      return `MAPTI dev=${hex(cmd.devId)} event=${cmd.event} lpi=${cmd.lpi} col=${cmd.col}`;
    case 'DISCARD':
      return `DISCARD dev=${hex(cmd.devId)} event=${cmd.event}`;
    case 'MOVI':
      return `MOVI dev=${hex(cmd.devId)} event=${cmd.event} col=${cmd.col}`;
  }
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

// its_lpi_alloc(): halve the request until a range fits
export function itsLpiAlloc(k: Kernel, its: ItsNode, nrIrqs: number): { map: ItsLpiMap; base: number; nr: number } | null {
  let nr = nrIrqs;
  let base = 0;
  let err = 0;
  do {
    const r = its.lpis.allocRange(nr);
    err = r.err;
    if (err === 0) {
      base = r.base;
      break;
    }
    // A drained pool (exhaust(LPI)) makes it halve: a smaller range is the exhaustion's doing too
    if (k.faults.exhausted('LPI')) k.faults.refused('LPI');
    nr = Math.floor(nr / 2);
  } while (nr > 0);
  if (nr === 0 || err !== 0) return null;
  // bitmap_zalloc(): a failure here leaves the range allocated (nothing gives it back; the
  // msi-fuzz proposal frees it)
  if (k.faults.shouldFail('bitmap_zalloc')) {
    if (k.applied('msi-fuzz-its-lpi-range-unwind')) its.lpis.freeRange(base, nr);
    return null;
  }
  return { map: k.heap.kmalloc(new ItsLpiMap(new Bitmap(nr)), 'its_lpi_alloc'), base, nr };
}

// its_lpi_free(): WARN_ON(free_lpi_range()); free_lpi_range() allocates the list entry first
// (mk_lpi_range), and when that fails the range is not given back (msi-fuzz's proposal frees
// without allocating)
export function itsLpiFree(k: Kernel, its: ItsNode, map: ItsLpiMap, base: number, nr: number): void {
  if (!k.applied('msi-fuzz-its-lpi-free-noalloc') && k.faults.shouldFail('mk_lpi_range')) k.warn('its_lpi_free', `free_lpi_range(${base}, ${nr}) failed: -ENOMEM`);
  else its.lpis.freeRange(base, nr);
  k.heap.kfree('its_lpi_free', map);
}

/** DeviceIDs per second-level device table page (4K pages, 8-byte entries). */
export const ITS_L2_DEVICES = 512;

// its_alloc_device_table() -> its_alloc_table_entry(): the DeviceID must fit the table; an
// indirect table gets the second-level page of the ID on first use (alloc_pages_node())
function itsAllocDeviceTable(k: Kernel, its: ItsNode, devId: number): boolean {
  if (devId >= 2 ** its.deviceBits) return false;
  const l2 = Math.floor(devId / ITS_L2_DEVICES);
  if (its.l2Pages.has(l2)) return true;
  if (k.faults.shouldFail('its_alloc_device_table')) return false;
  its.l2Pages.add(l2);
  return true;
}

// its_create_device(): every allocation is made, then checked at once; on a failure all are
// freed except the LPI range (bitmap_free() of the map does not give it back)
function itsCreateDevice(k: Kernel, its: ItsNode, devId: number, nvecs: number): ItsDevice | null {
  if (!itsAllocDeviceTable(k, its, devId)) return null;
  if (!isPowerOfTwo(nvecs)) {
    k.warn('its_create_device', `nvecs ${nvecs} is not a power of two`);
    nvecs = roundupPowOfTwo(nvecs);
  }
  const nrItes = Math.max(2, nvecs);
  const itt = k.faults.shouldFail('itt_alloc_pool') ? null : k.heap.kmalloc(new ItsItt(nrItes), 'its_create_device');
  // kzalloc of the its_device itself (allocated below once everything else is there)
  const devOk = !k.faults.shouldFail('its_device');
  const lpi = itsLpiAlloc(k, its, nvecs);
  const colMap = lpi !== null && !k.faults.shouldFail('col_map') ? k.heap.kmalloc(new ItsColMap(new Array<number>(lpi.nr).fill(0)), 'its_create_device') : null;
  if (itt === null || !devOk || lpi === null || colMap === null) {
    // The msi-fuzz proposal gives the range back with the map (its_lpi_free())
    if (lpi !== null && k.applied('msi-fuzz-its-lpi-range-unwind')) its.lpis.freeRange(lpi.base, lpi.nr);
    k.heap.kfree('its_create_device', itt);
    // bitmap_free(lpi_map): the bitmap goes, the LPI range it described does not
    k.heap.kfree('its_create_device', lpi?.map ?? null);
    k.heap.kfree('its_create_device', colMap);
    return null;
  }
  const dev = k.heap.kmalloc(new ItsDevice(its, devId, nrItes, itt, lpi.map, colMap, lpi.base, lpi.nr), 'its_create_device');
  its.devices.push(dev);
  k.dirty.objects.add(its);
  k.dirty.objects.add(dev);
  // Map device to its ITT
  its.send({ op: 'MAPD', devId, valid: true }, itt);
  return dev;
}

// its_free_device()
function itsFreeDevice(k: Kernel, itsDev: ItsDevice): void {
  const its = itsDev.its;
  const i = its.devices.indexOf(itsDev);
  if (i >= 0) its.devices.splice(i, 1);
  k.dirty.objects.add(its);
  k.dirty.objects.add(itsDev);
  k.heap.kfree('its_free_device', itsDev.colMap);
  k.heap.kfree('its_free_device', itsDev.itt);
  k.heap.kfree('its_free_device', itsDev);
}

/** The ITS node behind an ITS domain (msi_domain_info::data). */
function itsOf(domain: IrqDomain): ItsNode {
  return (domain.hostData as MsiDomainInfo).data as ItsNode;
}

// its_msi_prepare(): find or create the its_device for the DeviceID in scratchpad[0].ul,
// then leave a pointer to it in the same union slot
export function itsMsiPrepare(k: Kernel, domain: IrqDomain, nvec: number, info: MsiAllocInfo): number {
  const devId = info.scratchpad[0].readUl(k, 'its_msi_prepare') >>> 0;
  const its = itsOf(domain);
  let err = 0;
  let itsDev = its.findDevice(devId);
  if (itsDev !== null) {
    // We already have seen this ID, probably through another alias: reuse, ITT not resized.
    itsDev.shared = true;
    if (k.applied('msi-fuzz-its-device-users')) itsDev.users += 1;
  } else {
    itsDev = itsCreateDevice(k, its, devId, nvec);
    if (itsDev === null) err = -ENOMEM;
    else {
      if ((info.flags & MSI_ALLOC_FLAGS_PROXY_DEVICE) !== 0) itsDev.shared = true;
      if (k.applied('msi-fuzz-its-device-users')) itsDev.users = 1;
    }
  }
  info.scratchpad[0].writePtr(itsDev);
  return err;
}

// its_msi_teardown() as merged (713335b6ee29): the its_device comes from scratchpad[0].ptr
export function itsMsiTeardown(k: Kernel, _domain: IrqDomain, arg: MsiAllocInfo | null): void {
  const info = derefInfo('its_msi_teardown', arg);
  const itsDev = k.heap.deref('its_msi_teardown', info.scratchpad[0].readPtr<ItsDevice>(k, 'its_msi_teardown'), 'its_dev');
  releaseUnsharedDevice(k, itsDev);
}

// its_msi_teardown() as first posted (v1 2/4): looks the device up by the DeviceID it
// expects in scratchpad[0].ul, a slot its_msi_prepare() has since overwritten with a pointer
export function itsMsiTeardownV1(k: Kernel, domain: IrqDomain, arg: MsiAllocInfo | null): void {
  const info = derefInfo('its_msi_teardown', arg);
  const devId = info.scratchpad[0].readUl(k, 'its_msi_teardown') >>> 0;
  const its = itsOf(domain);
  const itsDev = k.heap.deref('its_msi_teardown', its.findDevice(devId), `its_find_device(${hex(devId)})`);
  releaseUnsharedDevice(k, itsDev);
}

function releaseUnsharedDevice(k: Kernel, itsDev: ItsDevice): void {
  if (k.applied('msi-fuzz-its-device-users')) {
    // msi-fuzz's proposal: a shared device goes with its last user
    itsDev.users -= 1;
    if (itsDev.users > 0) return;
  } else if (itsDev.shared) {
    // If the device is shared, keep everything around
    return;
  }
  // LPIs should have been already unmapped at this stage
  const lpiMap = k.heap.deref('its_msi_teardown', itsDev.lpiMap, 'lpi_map');
  if (!lpiMap.bitmap.empty()) {
    k.warn('its_msi_teardown', `its_device ${hex(itsDev.deviceId)} torn down with events ${lpiMap.bitmap.setBits().join(',')} still allocated`);
    return;
  }
  itsLpiFree(k, itsDev.its, lpiMap, itsDev.lpiBase, itsDev.nrLpis);
  // Unmap device/itt, and get rid of the tracking
  itsDev.its.send({ op: 'MAPD', devId: itsDev.deviceId, valid: false });
  itsFreeDevice(k, itsDev);
}

// its_get_event_id()
function itsGetEventId(k: Kernel, site: string, d: IrqData): number {
  const itsDev = k.heap.deref(site, d.chipData as ItsDevice | null, 'chip_data');
  return d.hwirq - itsDev.lpiBase;
}

// its_select_cpu() -> cpumask_pick_least_loaded(): of the irq's affinity mask and `mask`, the
// online CPU with the fewest LPIs (first one on a tie); a non-managed irq whose mask has no
// online CPU left takes any online one. No NUMA nodes modelled. -1: none.
export function itsSelectCpu(k: Kernel, its: ItsNode, d: IrqData, mask: readonly number[]): number {
  const desc = k.irqs.desc(d.irq);
  const online = mask.filter((c) => k.cpuIsOnline(c));
  let cands = desc === undefined ? online : online.filter((c) => desc.affinity.includes(c));
  if (cands.length === 0 && desc?.affinityManaged !== true) cands = online;
  let best = -1;
  for (const cpu of cands) if (best < 0 || (its.lpiCount[cpu] ?? 0) < (its.lpiCount[best] ?? 0)) best = cpu;
  return best;
}

// its_set_affinity(): pick the target, MOVI the event to its collection (the LPI's pending
// state goes with it: the GIC moves it to the new redistributor), DONE: the message is unchanged
function itsSetAffinity(k: Kernel, d: IrqData, mask: readonly number[], force: boolean): number {
  const itsDev = k.heap.deref('its_set_affinity', d.chipData as ItsDevice | null, 'chip_data');
  // A forwarded interrupt should use irq_set_vcpu_affinity (GICv4: its event is a vLPI)
  if (k.irqs.desc(d.irq)?.forwardedToVcpu === true) return -EINVAL;
  const its = itsDev.its;
  const id = itsGetEventId(k, 'its_set_affinity', d);
  const prevCpu = itsDev.colMap.cpus[id] ?? 0;
  its.lpiCount[prevCpu] = Math.max(0, (its.lpiCount[prevCpu] ?? 0) - 1);
  let cpu: number;
  if (!force) cpu = itsSelectCpu(k, its, d, mask);
  else cpu = mask.reduce((b, c) => (b < 0 || (its.lpiCount[c] ?? 0) < (its.lpiCount[b] ?? 0) ? c : b), -1);
  if (cpu < 0 || cpu >= k.nrCpus) {
    its.lpiCount[prevCpu] = (its.lpiCount[prevCpu] ?? 0) + 1;
    return -EINVAL;
  }
  // don't set the affinity when the target cpu is same as current one
  if (cpu !== prevCpu) {
    its.send({ op: 'MOVI', devId: itsDev.deviceId, event: id, col: cpu });
    k.fabric?.movePending?.(d.irq, prevCpu, cpu);
    itsDev.colMap.cpus[id] = cpu;
    d.effectiveCpu = cpu;
  }
  its.lpiCount[cpu] = (its.lpiCount[cpu] ?? 0) + 1;
  return IRQ_SET_MASK_OK_DONE;
}

export function makeItsIrqChip(): IrqChip {
  return {
    name: 'ITS',
    // its_irq_compose_msi_msg(): doorbell = GITS_TRANSLATER, data = EventID
    composeMsiMsg(k, d) {
      const itsDev = k.heap.deref('its_irq_compose_msi_msg', d.chipData as ItsDevice | null, 'chip_data');
      const addr = itsDev.its.translater;
      return { addressHi: Math.floor(addr / 2 ** 32), addressLo: addr % 2 ** 32, data: itsGetEventId(k, 'its_irq_compose_msi_msg', d) };
    },
    irqSetAffinity: itsSetAffinity,
  };
}

export function makeItsDomainOps(gicLpiArg: (lpi: number) => unknown, chip: IrqChip): IrqDomainOps {
  return {
    // its_irq_domain_alloc(): a naturally aligned block of events, one GIC LPI per irq
    alloc(k, domain, virq, nrIrqs, args) {
      const info = args as MsiAllocInfo;
      const itsDev = k.heap.deref('its_irq_domain_alloc', info.scratchpad[0].readPtr<ItsDevice>(k, 'its_irq_domain_alloc'), 'its_dev');
      const lpiMap = k.heap.deref('its_irq_domain_alloc', itsDev.lpiMap, 'lpi_map');
      // its_alloc_device_irq()
      const idx = lpiMap.bitmap.findFreeRegion(getCountOrder(nrIrqs));
      if (idx < 0) return -ENOSPC;
      for (let e = idx; e < idx + (1 << getCountOrder(nrIrqs)); e++) itsDev.eventStamps.take(e, 'its_alloc_device_irq');
      const hwirq = itsDev.lpiBase + idx;
      // iommu_dma_prepare_msi(): behind an IOMMU with a DMA domain, the doorbell is mapped
      // (kzalloc + iommu_map) the first time one of the device's MSIs needs it. A failure
      // returns without giving the event region back (the core then frees only the irq data).
      const dev = info.desc?.dev ?? null;
      if (dev !== null && !itsDev.its.doorbellMapped.has(dev)) {
        if (k.faults.shouldFail('iommu_dma_prepare_msi')) {
          if (k.applied('msi-fuzz-its-alloc-unwind')) {
            lpiMap.bitmap.releaseRegion(idx, getCountOrder(nrIrqs), () => undefined);
            for (let e = idx; e < idx + (1 << getCountOrder(nrIrqs)); e++) itsDev.eventStamps.drop(e);
          }
          return -ENOMEM;
        }
        itsDev.its.doorbellMapped.add(dev);
      }
      for (let i = 0; i < nrIrqs; i++) {
        // its_irq_gic_domain_alloc(): the GIC's alloc of an LPI only translates the fwspec and
        // sets the chip (gic_irq_domain_map), nothing there can fail for a valid LPI
        const err = k.irqs.allocIrqsParent(domain, virq + i, 1, gicLpiArg(hwirq + i));
        if (err !== 0) return err;
        k.irqs.setHwirqAndChip(domain, virq + i, hwirq + i, chip, itsDev);
      }
      return 0;
    },
    // its_irq_domain_free()
    free(k, domain, virq, nrIrqs) {
      const d = k.irqs.getIrqData(domain, virq);
      if (d === null) throw new KernelOops('its_irq_domain_free', 'no irq_data at the ITS level');
      const itsDev = k.heap.deref('its_irq_domain_free', d.chipData as ItsDevice | null, 'chip_data');
      const lpiMap = k.heap.deref('its_irq_domain_free', itsDev.lpiMap, 'lpi_map');
      const event = itsGetEventId(k, 'its_irq_domain_free', d);
      lpiMap.bitmap.releaseRegion(event, getCountOrder(nrIrqs), (what) =>
        k.report('double-free', 'its_irq_domain_free', `its_device ${hex(itsDev.deviceId)} event map: ${what}`),
      );
      for (let e = event; e < event + (1 << getCountOrder(nrIrqs)); e++) itsDev.eventStamps.drop(e);
      for (let i = 0; i < nrIrqs; i++) {
        const data = k.irqs.getIrqData(domain, virq + i);
        if (data !== null) k.irqs.resetIrqData(data);
      }
      if (!k.applied('713335b6ee29') && !k.applied('713335b6ee29-v1')) {
        // If all interrupts have been freed, start mopping the floor (unless shared). msi-fuzz's
        // proposal frees a shared one too: prepare and alloc run in one call here, so an empty
        // event map means no user is left that prepared it
        if ((!itsDev.shared || k.applied('msi-fuzz-its-device-users')) && lpiMap.bitmap.empty()) {
          itsLpiFree(k, itsDev.its, lpiMap, itsDev.lpiBase, itsDev.nrLpis);
          itsDev.its.send({ op: 'MAPD', devId: itsDev.deviceId, valid: false });
          itsFreeDevice(k, itsDev);
        }
      }
      k.irqs.freeIrqsParent(domain, virq, nrIrqs);
    },
    // its_irq_domain_activate(): pick a CPU, MAPTI the event
    activate(k, _domain, d) {
      const itsDev = k.heap.deref('its_irq_domain_activate', d.chipData as ItsDevice | null, 'chip_data');
      const event = itsGetEventId(k, 'its_irq_domain_activate', d);
      const cpu = itsSelectCpu(k, itsDev.its, d, k.onlineCpus());
      if (cpu < 0) return -EINVAL;
      itsDev.its.lpiCount[cpu] = (itsDev.its.lpiCount[cpu] ?? 0) + 1;
      itsDev.colMap.cpus[event] = cpu;
      d.effectiveCpu = cpu;
      itsDev.its.send({ op: 'MAPTI', devId: itsDev.deviceId, event, lpi: d.hwirq, col: cpu });
      return 0;
    },
    // its_irq_domain_deactivate(): stop the delivery of interrupts
    deactivate(k, _domain, d) {
      const itsDev = k.heap.deref('its_irq_domain_deactivate', d.chipData as ItsDevice | null, 'chip_data');
      const event = itsGetEventId(k, 'its_irq_domain_deactivate', d);
      const cpu = itsDev.colMap.cpus[event] ?? 0;
      itsDev.its.lpiCount[cpu] = Math.max(0, (itsDev.its.lpiCount[cpu] ?? 0) - 1);
      d.effectiveCpu = -1;
      // DISCARD also removes the LPI's pending state at its redistributor
      itsDev.its.send({ op: 'DISCARD', devId: itsDev.deviceId, event });
      k.fabric?.discardPending?.(d.irq, cpu);
    },
  };
}
