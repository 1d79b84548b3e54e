// The Xen platforms: Linux as a PV dom0, a PV domU (pcifront) and an HVM guest with pirqs. The
// MSI parent is the hypervisor, not the x86 vector domain: every PCI device gets the global
// XEN-MSI domain, its vectors become pirqs and its interrupts arrive on event channels. They are
// a platform family of their own because nothing of the native x86 path (vector matrix,
// remapping, LAPIC) is on a Xen guest's MSI path; PVH dom0 and HVM guests with APIC
// virtualization take the native path instead (x86-noir models it from Linux's side).
import { PciDev, type Device } from '../../kernel/device';
import type { FaultSite } from '../../kernel/faults';
import type { IrqDomain, MsiMsg } from '../../kernel/irqdomain';
import type { InterruptFabric } from '../../kernel/irq-fabric';
import type { Kernel } from '../../kernel/kernel';
import type { Delivery, PlatformInstance, PlatformModel, ResourceUsage, VectorRequest, VectorRoom } from '../platform';
import { roomIfFits } from '../platform';
import { XenEvents } from './events';
import { XenEvtchnFabric } from './evtchn-fabric';
import { DOMU_ID, XenHypervisor, type XenHypervisorConfig } from './hypervisor';
import { PciBackend, SH_INFO_MAX_VEC } from './pcifront';
import { XEN_PATCHES, xenRevisions } from './revisions';
import { XenPciMsi, type XenMode } from './xen-pci';

/** Xen 4.x as a current distribution ships it: MSI_SEG and MULTI_MSI supported. */
export const XEN_DEFAULT_HYPERVISOR: XenHypervisorConfig = { nrPirqs: 1024, msiSegSupported: true, multiMsiSupported: true, nrPorts: 4096, nrHostVectors: 1024 };

export class XenPlatform implements PlatformInstance {
  readonly xen: XenHypervisor;
  readonly events: XenEvents;
  readonly backend: PciBackend | null;
  readonly msi: XenPciMsi;
  private readonly fabric: XenEvtchnFabric;

  constructor(
    readonly kernel: Kernel,
    readonly mode: XenMode,
    hv: XenHypervisorConfig = XEN_DEFAULT_HYPERVISOR,
  ) {
    const k = kernel;
    this.xen = new XenHypervisor(k, hv, mode === 'pv-dom0' ? 0 : DOMU_ID);
    this.events = new XenEvents(k, this.xen, mode === 'pv-dom0');
    this.backend = mode === 'pv-domu' ? new PciBackend(k, this.xen) : null;
    // pci_xen_init() / pci_xen_initial_domain() / xen_hvm_msi_init() -> xen_setup_pci_msi()
    this.msi = new XenPciMsi(k, this.xen, this.events, mode, this.backend);
    this.fabric = new XenEvtchnFabric(k, this.xen, this.events, mode === 'hvm-domu');
  }

  // x86_pci_msi_default_domain = xen_create_pci_msi_domain(): every PCI device gets XEN-MSI
  msiParentFor(dev: Device): IrqDomain | null {
    return dev instanceof PciDev ? this.msi.domain : null;
  }

  defaultPciMsiParent(): IrqDomain {
    return this.msi.domain;
  }

  interruptFabric(): InterruptFabric {
    return this.fabric;
  }

  /** A PV domU's device leaving the guest: pciback resets it in dom0 (pci_disable_msi*()). */
  beforeDeviceRemove(dev: Device): void {
    if (dev instanceof PciDev) this.backend?.deviceRemoved(dev);
  }

  resources(): ResourceUsage[] {
    const out: ResourceUsage[] = [
      { pool: 'irq_info', inUse: this.liveOfKind('irq_info'), baseline: 0 },
      { pool: 'event channel', inUse: this.xen.ports.size, baseline: 0 },
    ];
    // Pirqs Linux maps and unmaps itself (PV dom0) or through its backend (PV domU). An HVM
    // guest's pirqs come from PHYSDEVOP_get_free_pirq and are Xen's and the emulator's to take
    // back: not counted.
    if (this.mode !== 'hvm-domu') out.push({ pool: 'pirq', inUse: this.xen.allPirqs().filter((e) => e.source !== null).length, baseline: 0 });
    return out;
  }

  private liveOfKind(kind: string): number {
    let n = 0;
    for (const o of this.kernel.heap.liveObjects()) if (o.kind === kind) n++;
    return n;
  }

  deliver(dev: Device, msg: MsiMsg): Delivery {
    const e = this.fabric.route(dev, msg);
    if ('blocked' in e) return e;
    if (e.port === 0) return { blocked: `pirq ${e.pirq} has no event channel (Xen acks and drops the interrupt)` };
    const irq = this.events.irqOfPort(e.port);
    if (irq < 0) return { blocked: `event channel ${e.port} names no irq` };
    return { irq, cpu: this.xen.ports.get(e.port)?.vcpu ?? 0 };
  }

  /** The capacity oracle (PlatformInstance.vectorRoom): all the vectors when headroom() says they fit. */
  vectorRoom(dev: Device, req: VectorRequest): VectorRoom {
    return roomIfFits(this.headroom(dev, req.nvec), req.nvec);
  }

  headroom(dev: Device, nvec: number): boolean {
    if (!(dev instanceof PciDev) || dev.removed || nvec < 1) return false;
    for (const other of this.kernel.devices) {
      if (other !== dev && !other.removed && other instanceof PciDev && other.segment === dev.segment && other.rid === dev.rid) return false;
    }
    if (this.mode === 'pv-domu' && nvec > SH_INFO_MAX_VEC) return false;
    const usedPirqs = this.xen.allPirqs().length;
    // Pirqs below 16 are the legacy ones; keep a margin for a multi-MSI block's alignment
    return usedPirqs + nvec <= this.xen.config.nrPirqs - 16 && usedPirqs + nvec <= this.xen.config.nrHostVectors;
  }
}

const COMMON_FAULTS: readonly FaultSite[] = [
  { name: 'irq_alloc_descs', class: 'kmalloc', kernel: 'drivers/xen/events/events_base.c: irq_alloc_descs() from xen_bind_pirq_msi_to_irq()', description: 'irq_alloc_descs() in xen_bind_pirq_msi_to_irq() finds no descriptor' },
  { name: 'xen_irq_init', class: 'kmalloc', kernel: 'drivers/xen/events/events_base.c: xen_irq_init() (kzalloc of the irq_info) from xen_bind_pirq_msi_to_irq()', description: 'the irq_info allocation in xen_irq_init() fails' },
  { name: 'EVTCHNOP_bind_pirq', class: 'resource', kernel: 'drivers/xen/events/events_base.c: HYPERVISOR_event_channel_op(EVTCHNOP_bind_pirq) from __startup_pirq()', description: 'EVTCHNOP_bind_pirq in __startup_pirq() fails (no free event channel): "Failed to obtain physical IRQ"' },
];

const DOM0_FAULTS: readonly FaultSite[] = [
  { name: 'PHYSDEVOP_map_pirq', class: 'resource', kernel: 'arch/x86/pci/xen.c: HYPERVISOR_physdev_op(PHYSDEVOP_map_pirq) from xen_initdom_setup_msi_irqs()', description: 'PHYSDEVOP_map_pirq in xen_initdom_setup_msi_irqs() finds no free pirq or machine vector' },
];
// Not fault sites: PHYSDEVOP_unmap_pirq and EVTCHNOP_close of what Linux itself mapped or
// bound fail only when Linux and Xen disagree (unmap_domain_pirq(): -EINVAL for a pirq that is
// not mapped; evtchn_close(): -EINVAL for a port that is not allocated); EVTCHNOP_close failing
// is a BUG() in xen_evtchn_close(). The model's hypervisor answers so when that happens.

const DOMU_FAULTS: readonly FaultSite[] = [
  { name: 'xen_setup_msi_irqs', class: 'kmalloc', kernel: 'arch/x86/pci/xen.c: xen_setup_msi_irqs() (kzalloc of the pirq array)', description: 'the pirq array allocation in xen_setup_msi_irqs() fails' },
  { name: 'XEN_PCI_OP_enable_msix', class: 'firmware', kernel: 'drivers/pci/xen-pcifront.c: do_pci_op(XEN_PCI_OP_enable_msix) from pci_frontend_enable_msix()', description: 'pciback fails XEN_PCI_OP_enable_msix (pci_frontend_enable_msix())' },
  { name: 'XEN_PCI_OP_enable_msi', class: 'firmware', kernel: 'drivers/pci/xen-pcifront.c: do_pci_op(XEN_PCI_OP_enable_msi) from pci_frontend_enable_msi()', description: 'pciback fails XEN_PCI_OP_enable_msi (pci_frontend_enable_msi())' },
  { name: 'PHYSDEVOP_map_pirq', class: 'resource', kernel: 'drivers/xen/xen-pciback/pciback_ops.c: xen_pcibk_enable_msi()/xen_pcibk_enable_msix() (pci_enable_msi()/pci_enable_msix_exact() in dom0, PHYSDEVOP_map_pirq) from do_pci_op()', description: 'dom0\'s PHYSDEVOP_map_pirq for the guest fails inside pciback (no free pirq or machine vector)' },
];

const HVM_FAULTS: readonly FaultSite[] = [
  { name: 'PHYSDEVOP_get_free_pirq', class: 'resource', kernel: 'drivers/xen/events/events_base.c: HYPERVISOR_physdev_op(PHYSDEVOP_get_free_pirq) from xen_allocate_pirq_msi()', description: 'PHYSDEVOP_get_free_pirq in xen_allocate_pirq_msi() finds no free pirq' },
];

function xenModel(name: string, title: string, mode: XenMode, faults: readonly FaultSite[]): PlatformModel {
  return {
    name,
    title,
    patches: XEN_PATCHES,
    revisions: xenRevisions(),
    currentRevision: 'v7.2',
    faultSites: [...COMMON_FAULTS, ...faults],
    capabilities: { platformMsi: false, affinity: false },
    boot: (k: Kernel) => new XenPlatform(k, mode),
  };
}

export const xenPvDom0Platform = xenModel('xen-pv-dom0', 'Xen PV dom0: XEN-MSI, PHYSDEVOP_map_pirq per vector, event channels', 'pv-dom0', DOM0_FAULTS);
export const xenPvDomUPlatform = xenModel('xen-pv-domu', 'Xen PV domU: XEN-MSI through the pcifront backend, event channels', 'pv-domu', DOMU_FAULTS);
export const xenHvmDomUPlatform = xenModel('xen-hvm-domu', 'Xen HVM guest with pirqs: XEN-MSI, PHYSDEVOP_get_free_pirq and pirq-naming messages', 'hvm-domu', HVM_FAULTS);

export const platforms: readonly PlatformModel[] = [xenPvDom0Platform, xenPvDomUPlatform, xenHvmDomUPlatform];

export default xenPvDom0Platform;
