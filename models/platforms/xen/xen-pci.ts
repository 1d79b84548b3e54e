// arch/x86/pci/xen.c, the MSI half: the XEN-MSI domain (xen_create_pci_msi_domain()), a global
// PCI/MSI domain without parent whose msi_domain_ops override domain_alloc_irqs and
// domain_free_irqs, so the core hands it a device's whole allocation. What it does depends on
// what Linux runs as: a PV dom0 asks Xen to map each vector to a pirq (PHYSDEVOP_map_pirq, Xen
// programs the device), a PV domU asks its pcifront backend, an HVM guest takes a free pirq
// (PHYSDEVOP_get_free_pirq) and writes a message naming it. Every path then binds the pirqs to
// Linux irqs (xen_bind_pirq_msi_to_irq()).
import { PciDev, type Device } from '../../kernel/device';
import type { IrqDomain, MsiMsg } from '../../kernel/irqdomain';
import type { Kernel } from '../../kernel/kernel';
import { msiCreateIrqDomain, msiStore } from '../../kernel/msi';
import { MSI_DEFAULT_DOMAIN, type MsiDesc } from '../../kernel/msi-desc';
import { MSI_FLAG_DEV_SYSFS, MSI_FLAG_FREE_MSI_DESCS, MSI_FLAG_NO_MASK, MSI_FLAG_PCI_MSIX, type MsiDomainInfo } from '../../kernel/msi-types';
import { DOMID_SELF, XEN_PIRQ_MSI_DATA, type XenHypervisor } from './hypervisor';
import type { XenEvents } from './events';
import { pciFrontendDisable, pciFrontendEnableMsi, pciFrontendEnableMsix, type PciBackend } from './pcifront';
import { EINVAL, ENODEV, ENOMEM } from './xen-errno';

/** How Linux runs under Xen: xen_pv_domain() && xen_initial_domain(), a PV guest, an HVM guest with pirqs. */
export type XenMode = 'pv-dom0' | 'pv-domu' | 'hvm-domu';

/** "x86/pci/XEN: Use PCI device property" (v5.17): MSI or MSI-X is read from pci_dev::msix_enabled. */
export const XEN_USE_PCI_DEVICE_PROPERTY = '0bcfade92080';

/** The descriptors of the default domain in index order, filtered (msi_for_each_desc()). */
function descs(dev: PciDev, associated: boolean): MsiDesc[] {
  const store = msiStore(dev, MSI_DEFAULT_DOMAIN);
  if (store === null) return [];
  return [...store.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([, d]) => d)
    .filter((d) => (d.irq !== 0) === associated);
}

/** xen_msi_compose_msg(): vector 0 and ExtINT tell Xen to set a pirq up; the destination ID names it. */
export function xenMsiComposeMsg(pirq: number): MsiMsg {
  return { addressHi: ((pirq >>> 8) << 8) >>> 0, addressLo: (0xfee00000 | ((pirq & 0xff) << 12)) >>> 0, data: XEN_PIRQ_MSI_DATA };
}

export class XenPciMsi {
  readonly domain: IrqDomain;
  /** pci_seg_supported: cleared for good when the hypervisor rejects MAP_PIRQ_TYPE_MSI_SEG. */
  pciSegSupported = true;

  // xen_setup_pci_msi() + xen_create_pci_msi_domain()
  constructor(
    private readonly k: Kernel,
    private readonly xen: XenHypervisor,
    private readonly events: XenEvents,
    private readonly mode: XenMode,
    private readonly backend: PciBackend | null,
  ) {
    const info: MsiDomainInfo = {
      flags: MSI_FLAG_PCI_MSIX | MSI_FLAG_FREE_MSI_DESCS | MSI_FLAG_DEV_SYSFS | MSI_FLAG_NO_MASK,
      bus_token: 'ANY',
      hwsize: 0,
      ops: {
        domain_alloc_irqs: (kk, _domain, dev, nvec) => this.xenMsiDomainAllocIrqs(kk, dev, nvec),
        domain_free_irqs: (kk, _domain, dev) => this.xenMsiDomainFreeIrqs(kk, dev),
      },
      // The domain's own chip is never used: the irqs are xen-pirq irqs without a domain
      chip: { name: 'XEN-MSI' },
      chip_data: null,
      data: null,
      alloc_data: null,
    };
    this.domain = msiCreateIrqDomain(k, 'XEN-MSI', info, 0, null);
  }

  /** Is the device's allocation MSI-X? dev->msix_enabled since 0bcfade92080, the first descriptor before. */
  private isMsix(dev: PciDev): boolean {
    if (this.k.applied(XEN_USE_PCI_DEVICE_PROPERTY)) return dev.msixEnabled;
    const first = descs(dev, false)[0] ?? descs(dev, true)[0];
    return first?.isMsix ?? false;
  }

  // xen_msi_domain_alloc_irqs(): a non-PCI device is a WARN and -EINVAL
  private xenMsiDomainAllocIrqs(k: Kernel, dev: Device, nvec: number): number {
    if (!(dev instanceof PciDev)) {
      k.warn('xen_msi_domain_alloc_irqs', `${dev.name} is not a PCI device`);
      return -EINVAL;
    }
    const msix = this.isMsix(dev);
    switch (this.mode) {
      case 'pv-dom0':
        return this.xenInitdomSetupMsiIrqs(dev, nvec, msix);
      case 'pv-domu':
        return this.xenSetupMsiIrqs(dev, nvec, msix);
      case 'hvm-domu':
        return this.xenHvmSetupMsiIrqs(dev, nvec, msix);
    }
  }

  // xen_msi_domain_free_irqs()
  private xenMsiDomainFreeIrqs(k: Kernel, dev: Device): void {
    if (!(dev instanceof PciDev)) {
      k.warn('xen_msi_domain_free_irqs', `${dev.name} is not a PCI device`);
      return;
    }
    if (this.mode === 'hvm-domu') this.xenTeardownMsiIrqs(dev);
    else this.xenPvTeardownMsiIrqs(dev);
  }

  /**
   * xen_setup_msi_irqs() (PV domU): the pcifront backend enables MSI / MSI-X on the real device and
   * answers with pirqs, bound one by one. Multi-MSI is refused (1: retry with one vector).
   * Returns 0, 1 or a negative errno.
   */
  private xenSetupMsiIrqs(dev: PciDev, nvec: number, msix: boolean): number {
    if (!msix && nvec > 1) return 1;
    // kcalloc(max(1, nvec), sizeof(int))
    if (this.k.faults.shouldFail('xen_setup_msi_irqs')) return -ENOMEM;
    const v: number[] = new Array<number>(Math.max(1, nvec)).fill(0);
    const be = this.backend;
    if (be === null) return -ENODEV; // -ENOSYS from the stub: "frontend has not registered"
    const ret = msix ? pciFrontendEnableMsix(be, dev, v, nvec) : pciFrontendEnableMsi(be, dev, v);
    if (ret !== 0) {
      this.k.printk(`Xen PCI frontend error: ${ret}!`);
      return ret;
    }
    let i = 0;
    for (const msidesc of descs(dev, false)) {
      const irq = this.events.xenBindPirqMsiToIrq(dev, msidesc, v[i] ?? -1, msix ? 1 : nvec, DOMID_SELF);
      if (irq < 0) return irq;
      i++;
    }
    return 0;
  }

  /**
   * xen_hvm_setup_msi_irqs(): per descriptor a free pirq, a message naming it written to the device
   * (the emulator binds the machine interrupt to that pirq), and an irq bound to it. Multi-MSI is
   * refused (1). Returns 0, 1 or a negative errno; what was bound before a failure stays for the
   * core's free path.
   */
  private xenHvmSetupMsiIrqs(dev: PciDev, nvec: number, msix: boolean): number {
    if (!msix && nvec > 1) return 1;
    for (const msidesc of descs(dev, false)) {
      // xen_allocate_pirq_msi()
      const r = this.xen.hypercall({ op: 'PHYSDEVOP_get_free_pirq', type: 'MSI' });
      if (r.rc !== 0 || r.pirq === undefined) {
        this.k.printk(`${dev.name}: Failed to create MSI${msix ? '-X' : ''}! ret=${-ENODEV}!`);
        return -ENODEV;
      }
      const msg = xenMsiComposeMsg(r.pirq);
      this.pciWriteMsiMsg(dev, msidesc, msg);
      const irq = this.events.xenBindPirqMsiToIrq(dev, msidesc, r.pirq, msix ? 1 : nvec, DOMID_SELF);
      if (irq < 0) {
        this.k.printk(`${dev.name}: Failed to create MSI${msix ? '-X' : ''}! ret=${irq}!`);
        return irq;
      }
    }
    return 0;
  }

  /**
   * __pci_write_msi_msg() as an HVM guest's writes land: in the device model's emulated MSI-X
   * table or MSI capability. The emulator (QEMU xen_pt) binds the machine MSI to the named pirq
   * when the guest programs the entry; the guest never masks it (MSI_FLAG_NO_MASK).
   */
  private pciWriteMsiMsg(dev: PciDev, desc: MsiDesc, msg: MsiMsg): void {
    this.k.touchDevice(dev);
    if (desc.isMsix) dev.msixTable[desc.msiIndex] = { ...msg, masked: false };
    else {
      desc.msg = { ...msg };
      dev.msiCapMsg = { ...msg };
    }
  }

  /**
   * xen_initdom_setup_msi_irqs() (PV dom0): PHYSDEVOP_map_pirq per descriptor, with the segment
   * (MAP_PIRQ_TYPE_MSI_SEG) while the hypervisor takes it; on -EINVAL in segment 0 the old
   * MAP_PIRQ_TYPE_MSI, and pci_seg_supported is dropped for good if that works. Multi-MSI asks for
   * MAP_PIRQ_TYPE_MULTI_MSI and falls back to one vector (1) when that fails. Returns 0, 1 or a
   * negative errno.
   */
  private xenInitdomSetupMsiIrqs(dev: PciDev, nvec: number, msix: boolean): number {
    let ret = 0;
    for (const msidesc of descs(dev, false)) {
      // xen_find_device_domain_owner(): no pciback owner, the device is dom0's
      const domid = DOMID_SELF;
      const multi = !msix && nvec > 1;
      const call = {
        op: 'PHYSDEVOP_map_pirq' as const,
        domid,
        type: multi ? ('MULTI_MSI' as const) : ('MSI_SEG' as const),
        index: -1,
        pirq: -1,
        bus: ((dev.rid >> 8) & 0xff) | (dev.segment << 16),
        devfn: dev.rid & 0xff,
        entryNr: multi ? nvec : msix ? msidesc.msiIndex : 0,
        tableBase: msix ? 1 : 0,
      };
      let r = this.pciSegSupported ? this.xen.hypercall(call) : { rc: -EINVAL };
      ret = r.rc;
      // If MAP_PIRQ_TYPE_MULTI_MSI is not available there's nothing else we can do
      if (multi && ret !== 0) return 1;
      if (ret === -EINVAL && dev.segment === 0) {
        r = this.xen.hypercall({ ...call, type: 'MSI', bus: (dev.rid >> 8) & 0xff });
        ret = r.rc;
        if (ret !== -EINVAL) this.pciSegSupported = false;
      }
      if (ret !== 0 || r.pirq === undefined) {
        this.k.printk(`${dev.name}: xen map irq failed ${ret} for ${domid} domain`);
        return ret !== 0 ? ret : -EINVAL;
      }
      const irq = this.events.xenBindPirqMsiToIrq(dev, msidesc, r.pirq, msix ? 1 : nvec, domid);
      if (irq < 0) {
        // Upstream returns here with the pirq still mapped: the descriptor has no irq, so
        // xen_teardown_msi_irqs() never reaches xen_destroy_irq()'s unmap for it. msi-fuzz's
        // proposal unmaps what this loop just mapped.
        if (this.k.applied('msi-fuzz-xen-initdom-unmap-on-bind-failure')) this.xen.hypercall({ op: 'PHYSDEVOP_unmap_pirq', domid, pirq: r.pirq });
        return irq;
      }
    }
    return ret > 0 ? 0 : ret;
  }

  /** xen_teardown_msi_irqs(): every associated descriptor's irqs are destroyed; the descriptor is disassociated whatever that returned. */
  private xenTeardownMsiIrqs(dev: PciDev): void {
    for (const msidesc of descs(dev, true)) {
      for (let i = 0; i < msidesc.nvecUsed; i++) this.events.xenDestroyIrq(msidesc.irq + i);
      this.k.touchDevice(dev);
      msidesc.irq = 0;
    }
  }

  /**
   * xen_pv_teardown_msi_irqs(): the frontend disables MSI-X or MSI at its backend (a no-op in
   * dom0, which has no frontend), then the irqs go. Since 0bcfade92080 the choice reads
   * pci_dev::msix_enabled, which pci_msix_shutdown() has already cleared when pci_disable_msix()
   * gets here: MSI-X is torn down with XEN_PCI_OP_disable_msi.
   */
  private xenPvTeardownMsiIrqs(dev: PciDev): void {
    const msix = this.k.applied('msi-fuzz-xen-pv-teardown-msix') ? (descs(dev, true)[0] ?? descs(dev, false)[0])?.isMsix === true : this.isMsix(dev);
    if (this.backend !== null) pciFrontendDisable(this.k, this.backend, dev, msix);
    this.xenTeardownMsiIrqs(dev);
  }
}
