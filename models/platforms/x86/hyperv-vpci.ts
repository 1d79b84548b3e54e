// drivers/pci/controller/pci-hyperv.c on x86: a Hyper-V guest's vPCI buses. Each bus is a
// VMBus device with its own PCI domain (segment) and its own MSI domain on the x86 vector
// domain: a global PCI/MSI domain until 5f83d6337c9c (v6.17), an MSI parent ("HV-") of
// per-device domains since. The vector is the guest's; the message is the host's: composing it
// asks the host for an interrupt redirection table entry (PCI_CREATE_INTERRUPT_MESSAGE), and
// unmasking retargets that entry at the current vector and vCPU (HVCALL_RETARGET_INTERRUPT).
// Moves are deferred to the next interrupt (IRQCHIP_MOVE_DEFERRED).
import { PciDev, type Device } from '../../kernel/device';
import { KObject } from '../../kernel/heap';
import { chipDataIdentity, type IrqChip, type IrqData, type IrqDomain, type IrqDomainOps, type MsiMsg } from '../../kernel/irqdomain';
import type { Kernel } from '../../kernel/kernel';
import type { MsiAllocInfo } from '../../kernel/msi-alloc-info';
import type { MsiDesc } from '../../kernel/msi-desc';
import { EINVAL, ENODEV, ENOMEM, ENOSPC } from '../../kernel/errno';
import { chipCallParent, chipSetAffinityParent } from '../../kernel/chip-call';
import { effectiveCpuOf } from '../../kernel/affinity';
import { msiLibInitDevMsiInfo, msiCreateParentIrqDomain } from '../../kernel/msi-lib';
import { pciMsiCreateIrqDomain } from '../../kernel/pci-msi-global';
import { pciMsixMaskEntry, pciMsixUnmaskEntry } from '../../kernel/pci-msi-signal';
import {
  MSI_FLAG_MULTI_PCI_MSI,
  MSI_FLAG_PCI_MSI_MASK_PARENT,
  MSI_FLAG_PCI_MSIX,
  MSI_FLAG_PCI_MSIX_ALLOC_DYN,
  MSI_FLAG_USE_DEF_CHIP_OPS,
  MSI_FLAG_USE_DEF_DOM_OPS,
  MSI_GENERIC_FLAGS_MASK,
  type MsiDomainInfo,
  type MsiParentOps,
} from '../../kernel/msi-types';
import { MATCH_PCI_MSI } from '../../kernel/msi-lib';
import { HvVpciHost, type TranIntDesc } from './hyperv-host';
import type { IrqCfg } from './msi-msg';
import { irqdCfg } from './vector';
import { pciMsiPrepare } from './x86-msi-global';

/** The commits of Jeffrey Hugo's multi-MSI series and what followed (see revisions.ts). */
export const HV_MULTI_MSI_FLAG = '08e61e861a0e';
export const HV_UNMASK_FROM_INT_DESC = '455880dfe292';
export const HV_REUSE_IRTE = 'b4b77778ecc5';
export const HV_MULTI_MSI_BLOCK = 'a2bad844a67b';
export const HV_REUSE_ONLY_MULTI = 'c234ba804292';
export const HV_MSI_PARENT = '5f83d6337c9c';
/** msi-fuzz's proposal after the driver's own TODO: the host entry is requested at allocation. */
export const HV_IRTE_AT_ALLOC = 'msi-fuzz-hv-irte-at-alloc';
/** msi-fuzz's proposal: a multi-MSI entry leaves its dummy vector at compose and is parked at deactivation. */
export const HV_ENTRY_FOLLOWS_IRQ = 'msi-fuzz-hv-multi-msi-entry-follows-irq';
/** msi-fuzz's proposal: IRQCHIP_AFFINITY_PRE_STARTUP, so the startup retarget sees the final vector. */
export const HV_AFFINITY_PRE_STARTUP = 'msi-fuzz-hv-affinity-pre-startup';

/** SPURIOUS_APIC_VECTOR (0xff): acked by the local APIC, no irq behind it. */
const SPURIOUS_APIC_VECTOR = 0xff;

/** A stretch of steps in which an irq's host entry kept an old target (see failedRetarget). */
interface StaleWindow {
  readonly step: number;
  readonly site: string;
  until: number | null;
}

/** struct tran_int_desc in guest memory (kzalloc'ed in hv_compose_msi_msg(), the irq's chip_data). */
export class HvIntDesc extends KObject {
  readonly kind = 'tran_int_desc';
  vectorCount = 0;
  addressHi = 0;
  addressLo = 0;
  data = 0;
}

/** struct hv_pci_dev: a function the host offered on the bus. */
export class HvPciDev extends KObject {
  readonly kind = 'hv_pci_dev';
  constructor(
    readonly wslot: number,
    readonly pdev: PciDev,
  ) {
    super();
  }
}

/** struct hv_pcibus_device */
export class HvPciBus extends KObject {
  readonly kind = 'hv_pcibus_device';
  state: 'installed' | 'removing' = 'installed';
  readonly children: HvPciDev[] = [];
  irqDomain: IrqDomain | null = null;
  constructor(
    /** The PCI domain (segment) pci_bus_find_emul_domain_nr() gave the bus. */
    readonly domainNr: number,
    readonly host: HvVpciHost,
  ) {
    super();
  }
}

/** devfn_to_wslot(): Windows' slot encoding (device in bits 0-4, function in bits 5-7). */
export function devfnToWslot(devfn: number): number {
  return ((devfn >> 3) & 0x1f) | ((devfn & 7) << 5);
}

export interface HyperVConfig {
  /** IRT entries the host grants each vPCI bus. */
  readonly irtPerBus: number;
}

export class HyperVVpci {
  readonly buses: HvPciBus[] = [];
  /** The vPCI bus each guest PCI function sits on. */
  private readonly busOf = new Map<PciDev, HvPciBus>();
  /** The dummy-vCPU round robin of hv_compose_multi_msi_req_get_cpu() (-1: start at CPU 0). */
  private multiMsiCpuNext = -1;
  /**
   * Model bookkeeping, not kernel state (the kernel only logs): per irq, the windows in which
   * its host entry kept an old target after an injected retarget failure: the step and site of
   * the failure, and the step a later entry or retarget ended it (null: still stale). An
   * interrupt raised inside a window went where the stale entry sent it.
   */
  private readonly failedRetarget = new Map<number, StaleWindow[]>();

  constructor(
    private readonly k: Kernel,
    private readonly vectorDomain: IrqDomain,
    private readonly config: HyperVConfig,
  ) {
    // The VM boots with one vPCI bus offered (the harness's bus 1 of segment 0)
    this.busKeys.set(this.hvPciProbe(0x1001), 0x01);
  }

  /** The MSI domain of the first vPCI bus: what a driver probing MSI support sees. */
  defaultDomain(): IrqDomain | null {
    return this.buses[0]?.irqDomain ?? null;
  }

  /**
   * The injected failure (step, site) that left `irq`'s host entry on an old target at step
   * `at` (default: now), if any.
   */
  staleRoute(irq: number, at = Infinity): { readonly step: number; readonly site: string } | null {
    const w = this.failedRetarget.get(irq)?.find((x) => x.step <= at && (x.until === null || x.until > at));
    return w === undefined ? null : { step: w.step, site: w.site };
  }

  /** `irq`'s host entry is aimed where the irq is now: an open stale window ends. */
  private routeRestored(irq: number): void {
    const open = this.failedRetarget.get(irq)?.find((w) => w.until === null);
    if (open !== undefined) open.until = this.k.step;
  }

  /** A retarget of `irq` failed by injection at (step, site): a stale window opens, unless one is open. */
  private routeLeftStale(irq: number, step: number, site: string): void {
    const windows = this.failedRetarget.get(irq) ?? [];
    if (!windows.some((w) => w.until === null)) windows.push({ step, site, until: null });
    this.failedRetarget.set(irq, windows);
  }

  /** The bus of a function, if it is on one. */
  busOfDev(dev: Device): HvPciBus | null {
    return dev instanceof PciDev ? (this.busOf.get(dev) ?? null) : null;
  }

  // hv_pci_probe(): a domain number not in use (pci_bus_find_emul_domain_nr(dom_req, 1, U16_MAX)),
  // the MSI domain (hv_pcie_init_irq_domain())
  private hvPciProbe(domReq: number): HvPciBus {
    let dom = domReq & 0xffff;
    while (dom === 0 || this.buses.some((b) => b.domainNr === dom)) dom = (dom + 1) & 0xffff;
    const hbus = this.k.heap.kmalloc(new HvPciBus(dom, new HvVpciHost(this.k, this.config.irtPerBus)), 'hv_pci_probe');
    hbus.irqDomain = this.hvPcieInitIrqDomain(hbus);
    this.buses.push(hbus);
    this.k.printk(`hv_pci: PCI VMBus probing: Using version 0x10004; bus ${dom.toString(16).padStart(4, '0')}`);
    return hbus;
  }

  /**
   * A function the host offers (pci_devices_present_work() -> new_pcichild_device()), then
   * pci_device_add() under the bus's MSI domain. Functions the harness puts on different bus
   * numbers sit on different vPCI buses (Azure gives an assigned device a bus of its own); the
   * bus decides the function's PCI domain. Returns the MSI domain.
   */
  deviceAdd(dev: PciDev): IrqDomain | null {
    const key = (dev.segment << 8) | ((dev.rid >> 8) & 0xff);
    let hbus = this.buses.find((b) => b.state === 'installed' && this.busKeys.get(b) === key) ?? null;
    if (hbus === null) {
      hbus = this.hvPciProbe(0x1000 + key);
      this.busKeys.set(hbus, key);
    }
    dev.segment = hbus.domainNr;
    const hpdev = this.k.heap.kmalloc(new HvPciDev(devfnToWslot(dev.rid & 0xff), dev), 'new_pcichild_device');
    hbus.children.push(hpdev);
    this.busOf.set(dev, hbus);
    return hbus.irqDomain;
  }

  /** The harness's (segment, bus number) each vPCI bus stands for. */
  private readonly busKeys = new Map<HvPciBus, number>();

  /**
   * hv_eject_device_work() after pci_stop_and_remove_bus_device(): the function leaves the bus's
   * list and the host gets PCI_EJECTION_COMPLETE.
   */
  deviceRemoved(dev: PciDev): void {
    const hbus = this.busOf.get(dev);
    if (hbus === undefined) return;
    const i = hbus.children.findIndex((c) => c.pdev === dev);
    if (i >= 0) {
      const [hpdev] = hbus.children.splice(i, 1);
      this.k.heap.kfree('hv_eject_device_work', hpdev ?? null);
    }
    this.busOf.delete(dev);
  }

  /** The functions on the bus a function sits on. */
  siblings(dev: PciDev): PciDev[] {
    const hbus = this.busOf.get(dev);
    return hbus === undefined ? [] : hbus.children.map((c) => c.pdev);
  }

  /**
   * hv_pci_remove() once its functions are gone (pci_stop_root_bus() unbound and removed them):
   * hv_pci_bus_exit(), irq_domain_remove(), kfree(hbus).
   */
  hvPciRemove(hbus: HvPciBus): void {
    hbus.state = 'removing';
    if (hbus.irqDomain !== null) this.k.irqs.removeDomain('hv_pci_remove', hbus.irqDomain);
    hbus.irqDomain = null;
    this.buses.splice(this.buses.indexOf(hbus), 1);
    this.busKeys.delete(hbus);
    this.k.heap.kfree('hv_pci_remove', hbus);
  }

  /** get_pcichild_wslot() */
  private getPcichildWslot(hbus: HvPciBus, wslot: number): HvPciDev | null {
    return hbus.children.find((c) => c.wslot === wslot) ?? null;
  }

  // --- the interrupt chip ---

  /** hv_int_desc_free(): a real host entry is given back with PCI_DELETE_INTERRUPT_MESSAGE; the descriptor goes either way. */
  private hvIntDescFree(hbus: HvPciBus, hpdev: HvPciDev, d: HvIntDesc): void {
    if (d.vectorCount !== 0) {
      const desc: TranIntDesc = { vectorCount: d.vectorCount, deliveryMode: 0, addressHi: d.addressHi, addressLo: d.addressLo, data: d.data };
      hbus.host.request({ type: 'PCI_DELETE_INTERRUPT_MESSAGE', slot: hpdev.wslot, desc });
    }
    this.k.heap.kfree('hv_int_desc_free', d);
  }

  /** hv_msi_free(): the irq's tran_int_desc goes back to the host (or is just freed if its function is gone). */
  hvMsiFree(hbus: HvPciBus, data: IrqData): void {
    const intDesc = data.chipData as HvIntDesc | null;
    if (intDesc === null) return;
    this.routeRestored(data.irq);
    this.k.heap.deref('hv_msi_free', intDesc, 'tran_int_desc');
    data.chipData = null;
    this.k.touchIrq(data.irq);
    const desc = this.k.irqs.desc(data.irq)?.msiDesc;
    const pdev = desc?.dev;
    const hpdev = pdev instanceof PciDev ? this.getPcichildWslot(hbus, devfnToWslot(pdev.rid & 0xff)) : null;
    if (hpdev === null) {
      this.k.heap.kfree('hv_msi_free', intDesc);
      return;
    }
    this.hvIntDescFree(hbus, hpdev, intDesc);
  }

  /** hv_compose_multi_msi_req_get_cpu(): round robin over the online CPUs. */
  private multiMsiReqGetCpu(): number {
    const online = this.k.onlineCpus();
    const next = online.find((c) => c > this.multiMsiCpuNext) ?? online[0] ?? 0;
    this.multiMsiCpuNext = next;
    return next;
  }

  /**
   * hv_compose_msi_msg(): the message is the host's answer to PCI_CREATE_INTERRUPT_MESSAGE for
   * the irq's current vector (one request for a whole multi-MSI block since a2bad844a67b, each
   * irq after the first reusing the block). A previous entry is freed first (reused instead
   * since b4b77778ecc5; for multi-MSI only since c234ba804292). Any failure composes an
   * all-zero message: compose cannot fail.
   */
  hvComposeMsiMsg(hbus: HvPciBus, data: IrqData): MsiMsg {
    const k = this.k;
    const zero: MsiMsg = { addressHi: 0, addressLo: 0, data: 0 };
    // msi-fuzz's proposal: the entry exists since allocation, compose only reads it
    if (k.applied(HV_IRTE_AT_ALLOC)) {
      const d = data.chipData as HvIntDesc | null;
      if (d === null) return zero;
      k.heap.deref('hv_compose_msi_msg', d, 'tran_int_desc');
      const md = k.irqs.desc(data.irq)?.msiDesc ?? null;
      if (md !== null && !md.isMsix && md.nvecUsed > 1 && k.applied(HV_ENTRY_FOLLOWS_IRQ)) this.hvIrqRetarget(hbus, data);
      return { addressHi: d.addressHi, addressLo: d.addressLo, data: d.data };
    }
    const msiDesc = k.irqs.desc(data.irq)?.msiDesc ?? null;
    if (msiDesc === null) return zero;
    const multi = !msiDesc.isMsix && msiDesc.nvecUsed > 1;
    const reuse = k.applied(HV_REUSE_IRTE) && (!k.applied(HV_REUSE_ONLY_MULTI) || multi);
    const prev = data.chipData as HvIntDesc | null;
    // Reuse the previous allocation
    if (prev !== null && reuse) {
      k.heap.deref('hv_compose_msi_msg', prev, 'tran_int_desc');
      if (multi && k.applied(HV_ENTRY_FOLLOWS_IRQ)) this.hvIrqRetarget(hbus, data);
      return { addressHi: prev.addressHi, addressLo: prev.addressLo, data: prev.data };
    }
    const pdev = msiDesc.dev as PciDev;
    const hpdev = this.getPcichildWslot(hbus, devfnToWslot(pdev.rid & 0xff));
    if (hpdev === null) return zero;
    // Free any previous message that might have already been composed
    if (prev !== null) {
      data.chipData = null;
      this.hvIntDescFree(hbus, hpdev, k.heap.deref('hv_compose_msi_msg', prev, 'tran_int_desc'));
    }
    // kzalloc(GFP_ATOMIC)
    if (k.faults.shouldFail('hv_compose_msi_msg')) return zero;
    const intDesc = k.heap.kmalloc(new HvIntDesc(), 'hv_compose_msi_msg');
    let vector: number;
    let count: number;
    let cpu: number;
    if (multi && k.applied(HV_MULTI_MSI_BLOCK)) {
      // Not the first MSI of the block: the mapping exists, derive this irq's data from it
      if (msiDesc.irq !== data.irq) {
        const base = msiDesc.msg ?? zero;
        data.chipData = intDesc;
        intDesc.addressHi = base.addressHi;
        intDesc.addressLo = base.addressLo;
        intDesc.data = base.data + (data.irq - msiDesc.irq);
        k.touchIrq(data.irq);
        if (k.applied(HV_ENTRY_FOLLOWS_IRQ)) this.hvIrqRetarget(hbus, data);
        return { addressHi: base.addressHi, addressLo: base.addressLo, data: intDesc.data };
      }
      // A dummy vector aligned to the count; the real ones come with the retargets in unmask
      vector = 32;
      count = msiDesc.nvecUsed;
      cpu = k.applied(HV_REUSE_ONLY_MULTI) ? this.multiMsiReqGetCpu() : this.reqGetCpu(data);
    } else {
      vector = irqdCfg(data)?.vector ?? 0;
      count = 1;
      cpu = this.reqGetCpu(data);
    }
    // vmbus_sendpacket_getid(), then poll for the completion
    const r = k.faults.shouldFail('vmbus_sendpacket_getid') ? { status: -1, desc: undefined } : hbus.host.request({ type: 'PCI_CREATE_INTERRUPT_MESSAGE', slot: hpdev.wslot, vector, vectorCount: count, cpu });
    if (r.status < 0 || r.desc === undefined) {
      k.printk(`hv_pci ${hbus.domainNr.toString(16)}: Request for interrupt failed: 0x${(r.status >>> 0).toString(16)}`);
      k.heap.kfree('hv_compose_msi_msg', intDesc);
      return zero;
    }
    intDesc.vectorCount = r.desc.vectorCount;
    intDesc.addressHi = r.desc.addressHi;
    intDesc.addressLo = r.desc.addressLo;
    intDesc.data = r.desc.data;
    data.chipData = intDesc;
    // a new entry, aimed where the irq is now
    this.routeRestored(data.irq);
    k.touchIrq(data.irq);
    if (multi && k.applied(HV_ENTRY_FOLLOWS_IRQ)) this.hvIrqRetarget(hbus, data);
    return { addressHi: intDesc.addressHi, addressLo: intDesc.addressLo, data: intDesc.data };
  }

  /**
   * msi-fuzz's proposal ("Allocating and populating struct tran_int_desc in hv_compose_msi_msg()
   * should be moved here", the TODO in hv_pcie_domain_alloc()): irq `i` of an `nr`-irq allocation
   * for `msiDesc` gets its host entry now (the block's first irq asks for the whole block), so a
   * host error fails the allocation. The vector and vCPU come with the retarget at unmask.
   * Returns 0 or -ENOSPC.
   */
  hvIrteAtAlloc(hbus: HvPciBus, data: IrqData, msiDesc: MsiDesc | null, i: number, nr: number): number {
    const k = this.k;
    const pdev = msiDesc?.dev;
    if (!(pdev instanceof PciDev)) return -EINVAL;
    const hpdev = this.getPcichildWslot(hbus, devfnToWslot(pdev.rid & 0xff));
    if (hpdev === null) return -ENODEV;
    if (k.faults.shouldFail('hv_compose_msi_msg')) return -ENOMEM;
    const intDesc = k.heap.kmalloc(new HvIntDesc(), 'hv_pcie_domain_alloc');
    if (i > 0) {
      // the block's data values follow the first irq's
      const first = k.irqs.getIrqData(data.domain, data.irq - i)?.chipData as HvIntDesc | null;
      intDesc.addressLo = first?.addressLo ?? 0;
      intDesc.addressHi = first?.addressHi ?? 0;
      intDesc.data = (first?.data ?? 0) + i;
      data.chipData = intDesc;
      return 0;
    }
    const r = k.faults.shouldFail('vmbus_sendpacket_getid') ? { status: -1, desc: undefined } : hbus.host.request({ type: 'PCI_CREATE_INTERRUPT_MESSAGE', slot: hpdev.wslot, vector: 32, vectorCount: nr, cpu: this.k.onlineCpus()[0] ?? 0 });
    if (r.status < 0 || r.desc === undefined) {
      k.heap.kfree('hv_pcie_domain_alloc', intDesc);
      return -ENOSPC;
    }
    intDesc.vectorCount = r.desc.vectorCount;
    intDesc.addressHi = r.desc.addressHi;
    intDesc.addressLo = r.desc.addressLo;
    intDesc.data = r.desc.data;
    data.chipData = intDesc;
    return 0;
  }

  /**
   * msi-fuzz's proposal: a multi-MSI irq being deactivated points its host entry at
   * SPURIOUS_APIC_VECTOR on its CPU (the retarget hypercall of hv_irq_retarget_interrupt()), so
   * a function signalling it meanwhile reaches no irq's handler.
   */
  private hvIrqPark(hbus: HvPciBus, data: IrqData): void {
    const k = this.k;
    const msiDesc = k.irqs.desc(data.irq)?.msiDesc ?? null;
    const intDesc = data.chipData as HvIntDesc | null;
    if (msiDesc === null || msiDesc.isMsix || msiDesc.nvecUsed <= 1 || intDesc === null) return;
    const pdev = msiDesc.dev;
    if (!(pdev instanceof PciDev)) return;
    const dest = effectiveCpuOf(data);
    const vcpus = dest >= 0 && k.cpuIsOnline(dest) ? [dest] : (k.onlineCpus()[0] !== undefined ? [k.onlineCpus()[0] as number] : []);
    if (vcpus.length === 0) return;
    hbus.host.request({ type: 'HVCALL_RETARGET_INTERRUPT', slot: devfnToWslot(pdev.rid & 0xff), addressLo: intDesc.addressLo, data: intDesc.data, vector: SPURIOUS_APIC_VECTOR, vcpus });
  }

  /** hv_compose_msi_req_get_cpu(): the first online CPU of the effective affinity (the "dummy" vCPU). */
  private reqGetCpu(data: IrqData): number {
    const eff = effectiveCpuOf(data);
    return eff >= 0 && this.k.cpuIsOnline(eff) ? eff : (this.k.onlineCpus()[0] ?? 0);
  }

  /**
   * hv_irq_retarget_interrupt() (hv_arch_irq_unmask()): HVCALL_RETARGET_INTERRUPT points the
   * host's entry at the irq's vector on its effective CPU. The entry is named by the irq's
   * tran_int_desc since 455880dfe292, by the MSI descriptor's cached message before (the first
   * irq's, for every irq of a multi-MSI block). Failures (alloc_cpumask_var(GFP_ATOMIC), no
   * online CPU in the mask, the hypercall's status) are only logged: irq_unmask() returns
   * nothing, and the host entry keeps the vector and vCPU it had.
   */
  hvIrqRetarget(hbus: HvPciBus, data: IrqData): void {
    const k = this.k;
    let addressLo: number;
    let dataValue: number;
    if (k.applied(HV_UNMASK_FROM_INT_DESC)) {
      const intDesc = data.chipData as HvIntDesc | null;
      if (intDesc === null) {
        k.printk(`hv_irq_retarget_interrupt() can not unmask irq ${data.irq}`);
        return;
      }
      k.heap.deref('hv_irq_retarget_interrupt', intDesc, 'tran_int_desc');
      addressLo = intDesc.addressLo;
      dataValue = intDesc.data;
    } else {
      // hv_set_msi_entry_from_desc(): msi_desc->msg
      const m = k.irqs.desc(data.irq)?.msiDesc?.msg ?? null;
      addressLo = m?.addressLo ?? 0;
      dataValue = m?.data ?? 0;
    }
    const msiDesc = k.irqs.desc(data.irq)?.msiDesc;
    const pdev = msiDesc?.dev;
    if (!(pdev instanceof PciDev)) return;
    const cfg: IrqCfg | null = irqdCfg(data);
    const dest = effectiveCpuOf(data);
    const vcpus = dest >= 0 && k.cpuIsOnline(dest) ? [dest] : [];
    // PCI_PROTOCOL_VERSION_1_2's VP_SET: alloc_cpumask_var(GFP_ATOMIC) fails (res = 1), or the
    // online part of the mask is empty (nr_bank <= 0, res = 1); else hv_do_hypercall()
    const fired = k.faults.fired().length;
    const r = k.faults.shouldFail('hv_irq_retarget_interrupt') || vcpus.length === 0 ? { status: 1 } : hbus.host.request({ type: 'HVCALL_RETARGET_INTERRUPT', slot: devfnToWslot(pdev.rid & 0xff), addressLo, data: dataValue, vector: cfg?.vector ?? 0, vcpus });
    if (r.status !== 0 && hbus.state !== 'removing') k.printk(`hv_irq_retarget_interrupt() failed: ${r.status}`);
    const injected = k.faults.fired()[fired];
    if (r.status === 0) this.routeRestored(data.irq);
    else if (injected !== undefined) this.routeLeftStale(data.irq, injected.step, injected.site);
  }

  /** The chip at the bus's level: hv_msi_irq_chip. */
  private hvMsiIrqChip(hbus: HvPciBus, deviceLevel: boolean): IrqChip {
    return {
      name: 'Hyper-V PCIe MSI',
      composeMsiMsg: (_k, d) => this.hvComposeMsiMsg(hbus, d),
      // hv_irq_mask(): before 5f83d6337c9c this chip is also the device's (pci_msi_mask_irq())
      irqMask: (k, d) => {
        if (deviceLevel) entryMask(k, d, true);
        chipCallParent(k, d, 'irqMask');
      },
      // hv_irq_unmask(): retarget, then the parent, then (global domain) the device
      irqUnmask: (k, d) => {
        this.hvIrqRetarget(hbus, d);
        chipCallParent(k, d, 'irqUnmask');
        if (deviceLevel) entryMask(k, d, false);
      },
      irqSetAffinity: chipSetAffinityParent,
      moveDeferred: true,
      ...(deviceLevel && this.k.applied(HV_AFFINITY_PRE_STARTUP) ? { affinityPreStartup: true } : {}),
    };
  }

  /**
   * hv_pcie_init_irq_domain(): before 5f83d6337c9c a global PCI/MSI domain with hv_msi_irq_chip
   * and hv_msi_free; since, an MSI parent whose per-device domains get irq_set_affinity from
   * the parent and IRQCHIP_MOVE_DEFERRED (hv_pcie_init_dev_msi_info()).
   */
  private hvPcieInitIrqDomain(hbus: HvPciBus): IrqDomain {
    const k = this.k;
    const name = `HV-PCI-MSI-${hbus.domainNr.toString(16).padStart(4, '0')}`;
    if (!k.applied(HV_MSI_PARENT)) {
      const flags = MSI_FLAG_USE_DEF_DOM_OPS | MSI_FLAG_USE_DEF_CHIP_OPS | MSI_FLAG_PCI_MSIX | (k.applied(HV_MULTI_MSI_FLAG) ? MSI_FLAG_MULTI_PCI_MSI : 0);
      const info: MsiDomainInfo = {
        flags,
        bus_token: 'ANY',
        hwsize: 0,
        ops: {
          msi_prepare: pciMsiPrepare,
          msi_free: (_kk, domain, _info, virq) => {
            const d = k.irqs.getIrqData(domain, virq);
            if (d !== null) this.hvMsiFree(hbus, d);
          },
          // msi-fuzz's proposal, for the global domain: msi_domain_ops_init() and the host entry
          ...(k.applied(HV_IRTE_AT_ALLOC)
            ? {
                msi_init: (kk: Kernel, domain: IrqDomain, dinfo: MsiDomainInfo, virq: number, hwirq: number, arg: MsiAllocInfo): number => {
                  kk.irqs.setHwirqAndChip(domain, virq, hwirq, dinfo.chip, dinfo.chip_data);
                  const d = kk.irqs.getIrqData(domain, virq);
                  const desc = arg.desc;
                  if (d === null || desc === null) return -EINVAL;
                  const i = hwirq - arg.hwirq;
                  return this.hvIrteAtAlloc(hbus, d, desc, i, desc.nvecUsed);
                },
              }
            : {}),
        },
        chip: this.hvMsiIrqChip(hbus, true),
        chip_data: null,
        data: hbus,
        alloc_data: null,
      };
      return pciMsiCreateIrqDomain(k, name, info, this.vectorDomain);
    }
    const chip = this.hvMsiIrqChip(hbus, false);
    const ops: IrqDomainOps = {
      // hv_pcie_domain_alloc(): the vector level, then hwirq 0 and the chip (no chip_data yet)
      alloc: (kk, d, virq, nr, arg) => {
        const ret = kk.irqs.allocIrqsParent(d, virq, nr, arg);
        if (ret < 0) return ret;
        for (let i = 0; i < nr; i++) kk.irqs.setHwirqAndChip(d, virq + i, 0, chip, null);
        if (!kk.applied(HV_IRTE_AT_ALLOC)) return 0;
        // msi-fuzz's proposal: the host entries now; a failure undoes this level and the parent
        const desc = (arg as MsiAllocInfo).desc;
        for (let i = 0; i < nr; i++) {
          const data = kk.irqs.getIrqData(d, virq + i);
          const err = data === null ? -EINVAL : this.hvIrteAtAlloc(hbus, data, desc, i, nr);
          if (err === 0) continue;
          for (let j = i - 1; j >= 0; j--) {
            const dj = kk.irqs.getIrqData(d, virq + j);
            if (dj !== null) this.hvMsiFree(hbus, dj);
          }
          for (let j = 0; j < nr; j++) {
            const dj = kk.irqs.getIrqData(d, virq + j);
            if (dj !== null) kk.irqs.resetIrqData(dj);
          }
          kk.irqs.freeIrqsParent(d, virq, nr);
          return err;
        }
        return 0;
      },
      // msi-fuzz's proposal: before the vector domain releases the irq's vector, its multi-MSI
      // entry is parked where no irq's handler runs
      ...(k.applied(HV_ENTRY_FOLLOWS_IRQ) ? { deactivate: (_kk: Kernel, _d: IrqDomain, data: IrqData) => this.hvIrqPark(hbus, data) } : {}),
      // hv_pcie_domain_free(): hv_msi_free() each, then irq_domain_free_irqs_top()
      free: (kk, d, virq, nr) => {
        for (let i = 0; i < nr; i++) {
          const data = kk.irqs.getIrqData(d, virq + i);
          if (data !== null) this.hvMsiFree(hbus, data);
        }
        for (let i = 0; i < nr; i++) {
          const data = kk.irqs.getIrqData(d, virq + i);
          if (data !== null) kk.irqs.resetIrqData(data);
        }
        kk.irqs.freeIrqsParent(d, virq, nr);
      },
    };
    const domain = msiCreateParentIrqDomain(k, name, this.vectorDomain, ops, hbus, hvPcieMsiParentOps);
    // hwirq 0 for every irq: the radix tree keeps the first and nobody looks them up
    domain.sharedHwirqs = true;
    domain.hardwareId = chipDataIdentity;
    return domain;
  }

  /** The IOMMU the host runs: a write of a function on one of the buses becomes (vector, vCPU). */
  translate(dev: PciDev, msg: MsiMsg): IrqCfg | { readonly blocked: string } | null {
    const hbus = this.busOf.get(dev);
    if (hbus === undefined) return null;
    return hbus.host.translate(devfnToWslot(dev.rid & 0xff), msg);
  }

  /**
   * Capacity oracle: the function's bus grants enough IRT entries (a multi-MSI block is aligned
   * to its power-of-two size) and no other function of the bus shares its slot.
   */
  headroom(dev: PciDev, nvec: number): boolean {
    const hbus = this.busOf.get(dev);
    if (hbus === undefined) return false;
    const wslot = devfnToWslot(dev.rid & 0xff);
    if (hbus.children.filter((c) => c.wslot === wslot).length > 1) return false;
    let size = 1;
    while (size < nvec) size *= 2;
    return hbus.host.entries() + 2 * size <= this.config.irtPerBus;
  }

  /** IRT entries the host holds for all buses. */
  hostEntries(): number {
    return this.buses.reduce((n, b) => n + b.host.entries(), 0);
  }
}

function entryMask(k: Kernel, d: IrqData, mask: boolean): void {
  const desc = k.irqs.desc(d.irq)?.msiDesc;
  if (desc === undefined || desc === null || !desc.isMsix) return;
  const dev = desc.dev as PciDev;
  if (mask) pciMsixMaskEntry(dev, desc.msiIndex);
  else pciMsixUnmaskEntry(k, dev, desc.msiIndex);
}

// hv_pcie_init_dev_msi_info(): the library's checks, pci_msi_prepare, the parent's affinity
// setter and IRQCHIP_MOVE_DEFERRED on the device's chip
function hvPcieInitDevMsiInfo(k: Kernel, dev: Device, domain: IrqDomain, realParent: IrqDomain, info: MsiDomainInfo): boolean {
  if (!msiLibInitDevMsiInfo(k, dev, domain, realParent, info)) return false;
  info.ops.msi_prepare = pciMsiPrepare;
  // MSI_FLAG_PCI_MSI_MASK_PARENT (required): msi_lib_init_dev_msi_info() makes the device's
  // mask and unmask the parent's; the entry is unmasked at startup and masked at shutdown only
  // pci_irq_startup_msix() / pci_irq_shutdown_msix(): cond_startup_parent() (the retarget) before
  // the entry is unmasked, the entry masked before cond_shutdown_parent()
  info.chip = {
    ...info.chip,
    irqStartup: (kk, d) => {
      chipCallParent(kk, d, 'irqUnmask');
      entryMask(kk, d, false);
    },
    irqShutdown: (kk, d) => {
      entryMask(kk, d, true);
      chipCallParent(kk, d, 'irqMask');
    },
    irqMask: (kk, d) => void chipCallParent(kk, d, 'irqMask'),
    irqUnmask: (kk, d) => void chipCallParent(kk, d, 'irqUnmask'),
    irqSetAffinity: chipSetAffinityParent,
    moveDeferred: true,
    ...(k.applied(HV_AFFINITY_PRE_STARTUP) ? { affinityPreStartup: true } : {}),
  };
  return true;
}

/** HV_PCIE_MSI_FLAGS_SUPPORTED / _REQUIRED */
export const hvPcieMsiParentOps: MsiParentOps = {
  supported_flags: MSI_FLAG_MULTI_PCI_MSI | MSI_FLAG_PCI_MSIX | MSI_FLAG_PCI_MSIX_ALLOC_DYN | MSI_GENERIC_FLAGS_MASK,
  required_flags: MSI_FLAG_USE_DEF_DOM_OPS | MSI_FLAG_USE_DEF_CHIP_OPS | MSI_FLAG_PCI_MSI_MASK_PARENT,
  bus_select_token: 'PCI_MSI',
  bus_select_mask: MATCH_PCI_MSI,
  prefix: 'HV-',
  init_dev_msi_info: hvPcieInitDevMsiInfo,
};

