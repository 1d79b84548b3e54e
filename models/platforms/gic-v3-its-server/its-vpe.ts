// drivers/irqchip/irq-gic-v3-its.c, the GICv4/4.1 parts: the vPE irq domain KVM allocates a VM's
// vPE doorbells from (its_vpe_irq_domain_alloc/free: a block of doorbell LPIs from the global LPI
// allocator, a vPE ID, a virtual pending table and vPE table entries per vPE), its activation
// (VMAPP on every v4 ITS: GICv4.1 maps vPEs eagerly), and the forwarding of a host LPI to a vPE
// (its_vlpi_map()/its_vlpi_unmap(): DISCARD + VMAPTI, and back).
import { roundupPowOfTwo } from '../../kernel/bitmap';
import { EINVAL, ENOMEM } from '../../kernel/errno';
import { KObject } from '../../kernel/heap';
import type { IrqChip, IrqData, IrqDomain, IrqDomainOps } from '../../kernel/irqdomain';
import type { Kernel } from '../../kernel/kernel';
import { itsLpiAlloc, itsLpiFree, itsSelectCpu, type ItsDevice, type ItsLpiMap, type ItsNode } from '../gic-v3-its/its';

/** ITS_MAX_VPEID for the model: few enough that runs exhaust them. */
export const ITS_MAX_VPEID = 16;
/** vPE IDs per level-2 vPE table page (its_alloc_table_entry() / allocate_vpe_l2_table()). */
const VPE_IDS_PER_L2 = 4;

/** struct its_vpe (embedded in KVM's vCPU; KVM allocates and frees it). */
export class ItsVpe extends KObject {
  readonly kind = 'its_vpe';
  vpeId = -1;
  /** vpt_page: NULL until its_vpe_init() succeeded. */
  vptPage: KObject | null = null;
  vpeDbLpi = 0;
  irq = 0;
  colIdx = -1;
  vm: ItsVm | null = null;
  /** GICv4.1 vSGIs: the per-vPE SGI domain and its 16 irqs. */
  sgiDomain: IrqDomain | null = null;
  sgiBase = 0;
  /** vpe->fwnode of the SGI domain. */
  fwnode: KObject | null = null;
}

/** struct its_vm (embedded in KVM's vgic state). */
export class ItsVm extends KObject {
  readonly kind = 'its_vm';
  readonly vpes: ItsVpe[];
  domain: IrqDomain | null = null;
  fwnode: KObject | null = null;
  dbMap: ItsLpiMap | null = null;
  dbLpiBase = 0;
  nrDbLpis = 0;
  vpropPage: KObject | null = null;
  constructor(
    readonly name: string,
    nrVpes: number,
  ) {
    super();
    this.vpes = Array.from({ length: nrVpes }, () => new ItsVpe());
  }
}

/** A page (VPT, vPE property table) the ITS code allocates with its_alloc_pages(). */
export class ItsPages extends KObject {
  constructor(readonly kind: string) {
    super();
  }
}

/** An irq_domain_alloc_named_id_fwnode() handle. */
export class FwnodeHandle extends KObject {
  readonly kind = 'fwnode_handle';
}

/** One event's vLPI mapping (its_dev->event_map.vlpi_maps[event]) and what VMAPTI left in the ITS. */
export interface VlpiMap {
  readonly vm: ItsVm;
  readonly vpe: ItsVpe;
  readonly vintid: number;
}

/** The GICv4.1 state shared by the ITSes: vPE IDs, vPE tables, vLPI maps, VMAPP per ITS. */
export class GicV4 {
  /** its_vpeid_ida */
  readonly vpeIds = new Set<number>();
  /** Level-2 vPE table pages made valid, per ITS (GITS_BASER_TYPE_VCPU) and per CPU (v4.1 RD copies). */
  readonly itsVpeL2 = new Map<ItsNode, Set<number>>();
  readonly rdVpeL2: Set<number>[];
  /** Per ITS: the vPE IDs VMAPP'ed valid. */
  readonly vmapped = new Map<ItsNode, Set<number>>();
  /** Per its_device: event -> vLPI map (event_map.vlpi_maps), and its VM (event_map.vm). */
  readonly vlpiMaps = new Map<ItsDevice, { vm: ItsVm; maps: Map<number, VlpiMap>; store: ItsPages }>();

  constructor(
    k: Kernel,
    readonly itses: readonly ItsNode[],
  ) {
    this.rdVpeL2 = Array.from({ length: k.nrCpus }, () => new Set<number>());
    for (const its of itses) {
      this.itsVpeL2.set(its, new Set());
      this.vmapped.set(its, new Set());
    }
  }
}

/** its_vpe_id_alloc(): ida_alloc_max(&its_vpeid_ida, ITS_MAX_VPEID - 1) */
function itsVpeIdAlloc(k: Kernel, v4: GicV4): number {
  if (k.faults.shouldFail('its_vpe_id_alloc')) return -ENOMEM;
  for (let id = 0; id < ITS_MAX_VPEID; id++) {
    if (!v4.vpeIds.has(id)) {
      v4.vpeIds.add(id);
      return id;
    }
  }
  return -28;
}

/** its_vpe_id_free(): ida_free(); an ID not allocated is the IDA's complaint. */
function itsVpeIdFree(k: Kernel, v4: GicV4, id: number): void {
  if (!v4.vpeIds.delete(id)) k.report('double-free', 'ida_free', `vPE ID ${id} freed but not allocated`);
}

/**
 * its_alloc_vpe_table(): the level-2 vPE table page of the ID on every v4 ITS and, v4.1, in every
 * CPU's copy; a page is allocated on first use and kept
 */
function itsAllocVpeTable(k: Kernel, v4: GicV4, vpeId: number): boolean {
  const page = Math.floor(vpeId / VPE_IDS_PER_L2);
  for (const its of v4.itses) {
    const l2 = v4.itsVpeL2.get(its) as Set<number>;
    if (l2.has(page)) continue;
    if (k.faults.shouldFail('its_alloc_table_entry')) return false;
    l2.add(page);
  }
  for (const l2 of v4.rdVpeL2) {
    if (l2.has(page)) continue;
    if (k.faults.shouldFail('allocate_vpe_l2_table')) return false;
    l2.add(page);
  }
  return true;
}

/** its_vpe_init(): a vPE ID, a VPT page, the vPE table entries; each failure undoes the others */
function itsVpeInit(k: Kernel, v4: GicV4, vpe: ItsVpe): number {
  const id = itsVpeIdAlloc(k, v4);
  if (id < 0) return id;
  if (k.faults.shouldFail('its_allocate_pending_table')) {
    itsVpeIdFree(k, v4, id);
    return -ENOMEM;
  }
  const vpt = k.heap.kmalloc(new ItsPages('vpt_page'), 'its_allocate_pending_table');
  if (!itsAllocVpeTable(k, v4, id)) {
    itsVpeIdFree(k, v4, id);
    k.heap.kfree('its_free_pending_table', vpt);
    return -ENOMEM;
  }
  vpe.vpeId = id;
  vpe.vptPage = vpt;
  return 0;
}

/** its_vpe_teardown(): nothing if its_vpe_init() failed (no VPT page) */
function itsVpeTeardown(k: Kernel, v4: GicV4, vpe: ItsVpe): void {
  if (vpe.vptPage === null) return;
  itsVpeIdFree(k, v4, vpe.vpeId);
  k.heap.kfree('its_free_pending_table', vpe.vptPage);
  vpe.vptPage = null;
  vpe.vpeId = -1;
}

/** The ITS vPE domain's ops (its_vpe_domain_ops) over the machine's ITSes and GIC LPI domain. */
export function makeItsVpeDomainOps(v4: GicV4, gicAlloc: (k: Kernel, domain: IrqDomain, virq: number, lpi: number) => number, vpeChip: IrqChip): IrqDomainOps {
  const its0 = v4.itses[0] as ItsNode;
  const free = (k: Kernel, domain: IrqDomain, virq: number, nrIrqs: number): void => {
    const vm = domain.hostData as ItsVm;
    // its_vpe_irq_domain_free(): parents first, then each vPE, then the doorbells if all went
    k.irqs.freeIrqsParent(domain, virq, nrIrqs);
    for (let i = 0; i < nrIrqs; i++) {
      const d = k.irqs.getIrqData(domain, virq + i);
      if (d === null) continue;
      const vpe = k.heap.deref('its_vpe_irq_domain_free', d.chipData as ItsVpe | null, 'vpe');
      if (vpe.vm !== vm) throw new Error('BUG_ON(vm != vpe->its_vm)');
      vm.dbMap?.bitmap.clear(d.hwirq, 1, () => undefined);
      itsVpeTeardown(k, v4, vpe);
      k.irqs.resetIrqData(d);
    }
    const map = vm.dbMap;
    if (map !== null && map.bitmap.empty()) {
      itsLpiFree(k, its0, map, vm.dbLpiBase, vm.nrDbLpis);
      vm.dbMap = null;
      k.heap.kfree('its_free_prop_table', vm.vpropPage);
      vm.vpropPage = null;
    }
  };
  return {
    /**
     * its_vpe_irq_domain_alloc(): doorbell LPIs (a power of two, enough of them), the vPE
     * property table, then per vPE its_vpe_init() and the GIC parent for its doorbell
     */
    alloc(k, domain, virq, nrIrqs, args) {
      const vm = args as ItsVm;
      const lpi = itsLpiAlloc(k, its0, roundupPowOfTwo(nrIrqs));
      if (lpi === null) return -ENOMEM;
      if (lpi.nr < nrIrqs) {
        itsLpiFree(k, its0, lpi.map, lpi.base, lpi.nr);
        return -ENOMEM;
      }
      if (k.faults.shouldFail('its_allocate_prop_table')) {
        itsLpiFree(k, its0, lpi.map, lpi.base, lpi.nr);
        return -ENOMEM;
      }
      vm.dbMap = lpi.map;
      vm.dbLpiBase = lpi.base;
      vm.nrDbLpis = lpi.nr;
      vm.vpropPage = k.heap.kmalloc(new ItsPages('vprop_page'), 'its_allocate_prop_table');
      let i = 0;
      let err = 0;
      for (; i < nrIrqs; i++) {
        const vpe = vm.vpes[i] as ItsVpe;
        vpe.vpeDbLpi = lpi.base + i;
        err = itsVpeInit(k, v4, vpe);
        if (err !== 0) break;
        err = gicAlloc(k, domain, virq + i, vpe.vpeDbLpi);
        if (err !== 0) break;
        k.irqs.setHwirqAndChip(domain, virq + i, i, vpeChip, vpe);
        lpi.map.bitmap.set(i, 1);
      }
      if (err !== 0) {
        itsVpeTeardown(k, v4, vm.vpes[i] as ItsVpe);
        free(k, domain, virq, i);
      }
      return err;
    },
    free,
    /** its_vpe_irq_domain_activate(): the first online CPU; GICv4.1 maps the vPE eagerly (VMAPP + VINVALL on every v4 ITS) */
    activate(k, _domain, d) {
      const vpe = k.heap.deref('its_vpe_irq_domain_activate', d.chipData as ItsVpe | null, 'vpe');
      vpe.colIdx = k.onlineCpus()[0] ?? 0;
      d.effectiveCpu = vpe.colIdx;
      for (const its of v4.itses) (v4.vmapped.get(its) as Set<number>).add(vpe.vpeId);
      return 0;
    },
    /** its_vpe_irq_domain_deactivate(): VMAPP V=0 on every v4 ITS */
    deactivate(k, _domain, d) {
      const vpe = k.heap.deref('its_vpe_irq_domain_deactivate', d.chipData as ItsVpe | null, 'vpe');
      for (const its of v4.itses) (v4.vmapped.get(its) as Set<number>).delete(vpe.vpeId);
      d.effectiveCpu = -1;
    },
  };
}

/** irq_data_get_irq_chip_data() at the ITS level of a host irq. */
function itsDevOf(k: Kernel, d: IrqData): ItsDevice {
  return k.heap.deref('its_irq_set_vcpu_affinity', d.chipData as ItsDevice | null, 'chip_data');
}

/**
 * its_vlpi_map(): the device's events may go to one VM only; the first forwarded event gets the
 * vlpi_maps array (GFP_ATOMIC); a forwarded event is moved (VMOVI), a new one DISCARDed and
 * VMAPTI'ed to the vPE
 */
export function itsVlpiMap(k: Kernel, v4: GicV4, d: IrqData, event: number, map: VlpiMap): number {
  const dev = itsDevOf(k, d);
  let ev = v4.vlpiMaps.get(dev);
  if (ev === undefined) {
    if (k.faults.shouldFail('its_vlpi_map')) return -ENOMEM;
    ev = { vm: map.vm, maps: new Map(), store: k.heap.kmalloc(new ItsPages('vlpi_maps'), 'its_vlpi_map') };
    v4.vlpiMaps.set(dev, ev);
  } else if (ev.vm !== map.vm) return -EINVAL;
  // IRQD_FORWARDED_TO_VCPU lives in irq_common_data: every level of the irq sees it
  const desc = k.irqs.desc(d.irq);
  if (desc === undefined) return -EINVAL;
  const forwarded = desc.forwardedToVcpu;
  ev.maps.set(event, map);
  k.dirty.objects.add(dev.its);
  if (forwarded) {
    dev.its.cmdLog.push({ op: 'MOVI', devId: dev.deviceId, event, col: -1 });
    return 0;
  }
  // Flag the interrupt as forwarded, drop the physical mapping and install the virtual one
  desc.forwardedToVcpu = true;
  k.touchIrq(d.irq);
  dev.its.send({ op: 'DISCARD', devId: dev.deviceId, event });
  k.fabric?.discardPending?.(d.irq, dev.colMap.cpus[event] ?? 0);
  k.printk(`its: VMAPTI dev=0x${dev.deviceId.toString(16)} event=${event} vpe=${map.vpe.vpeId} vintid=${map.vintid}`);
  return 0;
}

/**
 * its_vlpi_unmap(): DISCARD the virtual mapping, MAPTI the physical one back; the last vLPI of
 * the device frees the maps and makes the device available to any VM again
 */
export function itsVlpiUnmap(k: Kernel, v4: GicV4, d: IrqData, event: number): number {
  const dev = itsDevOf(k, d);
  const ev = v4.vlpiMaps.get(dev);
  const desc = k.irqs.desc(d.irq);
  if (ev === undefined || desc?.forwardedToVcpu !== true) return -EINVAL;
  desc.forwardedToVcpu = false;
  k.touchIrq(d.irq);
  // The physical mapping goes back to col_map[event]: its_set_affinity() refused to move a
  // forwarded irq, so a CPU that went offline meanwhile is still there
  const col = dev.colMap.cpus[event] ?? 0;
  if (k.applied('msi-fuzz-vlpi-unmap-online') && !k.cpuIsOnline(col)) {
    // msi-fuzz's proposal: restore the physical LPI on an online CPU of its affinity
    const cpu = itsSelectCpu(k, dev.its, d, k.onlineCpus());
    if (cpu >= 0) {
      dev.its.lpiCount[col] = Math.max(0, (dev.its.lpiCount[col] ?? 0) - 1);
      dev.its.lpiCount[cpu] = (dev.its.lpiCount[cpu] ?? 0) + 1;
      dev.colMap.cpus[event] = cpu;
      d.effectiveCpu = cpu;
    }
  }
  dev.its.send({ op: 'MAPTI', devId: dev.deviceId, event, lpi: d.hwirq, col: dev.colMap.cpus[event] ?? 0 });
  ev.maps.delete(event);
  if (ev.maps.size === 0) {
    v4.vlpiMaps.delete(dev);
    k.heap.kfree('its_vlpi_unmap', ev.store);
  }
  return 0;
}
