// PCI/IMS (Interrupt Message Store): device-specific message storage (queue memory, a table of
// the device's own) behind a per-device MSI domain in the device's secondary slot
// (MSI_SECONDARY_DOMAIN), next to its PCI/MSI(-X) domain. It existed upstream from v6.2
// (Thomas Gleixner's "genirq, PCI/MSI: Support for per device MSI and PCI/IMS" part 3) until
// v6.10, when Bjorn Helgaas reverted it for want of a user ("IMS (Interrupt Message Store)
// support appeared in v6.2, but there are no users yet"). It is modelled where it existed: the
// x86 states between, with the parents that enabled it (VT-d outside caching mode, AMD-Vi; not
// the bare vector domain).
//
// The device driver here stands for the user that never came (tglx's IDXD example): its IMS
// slots hold a message and a mask bit, written by its irq chip.
import type { PciDev } from './device';
import { EINVAL } from './errno';
import type { IrqChip, IrqData } from './irqdomain';
import type { Kernel } from './kernel';
import { msiCreateDeviceIrqDomain, msiDomainAllocIrqAt, msiDomainFreeIrqsRange, msiGetDeviceDomain, type MsiMap } from './msi';
import { MSI_ANY_INDEX, MSI_SECONDARY_DOMAIN, type MsiDesc } from './msi-desc';
import type { MsiAllocInfo } from './msi-alloc-info';
import { MSI_FLAG_ACTIVATE_EARLY, MSI_FLAG_ALLOC_SIMPLE_MSI_DESCS, MSI_FLAG_FREE_MSI_DESCS, type MsiDomainInfo, type MsiDomainTemplate } from './msi-types';
import type { Patch } from './patches';

/**
 * MSI_FLAG_PCI_IMS: the parent supports PCI/IMS domains. Bit 21 upstream in v6.2..v6.9 (reused
 * by MSI_FLAG_NO_AFFINITY after the revert); a bit of its own here, as both never coexist.
 */
export const MSI_FLAG_PCI_IMS = 1 << 24;

/** The IMS commits of v6.2 and their reverts in v6.10. */
export const IMS_PATCHES: readonly Patch[] = [
  { id: 'e23d4192bf9b', title: 'genirq/msi: Provide constants for PCI/IMS support', scope: 'core', release: 'v6.2', link: '20221124232326.904316841@linutronix.de', summary: 'DOMAIN_BUS_PCI_DEVICE_IMS and MSI_FLAG_PCI_IMS' },
  { id: '0194425af0c8', title: 'PCI/MSI: Provide IMS (Interrupt Message Store) support', scope: 'core', release: 'v6.2', link: '20221124232326.961711347@linutronix.de', summary: 'pci_create_ims_domain(): a driver-templated per-device domain in MSI_SECONDARY_DOMAIN under the device\'s MSI parent' },
  { id: 'c9e5bea27383', title: 'PCI/MSI: Provide pci_ims_alloc/free_irq()', scope: 'core', release: 'v6.2', link: '20221124232327.022658817@linutronix.de', summary: 'pci_ims_alloc_irq() (msi_domain_alloc_irq_at(MSI_SECONDARY_DOMAIN, MSI_ANY_INDEX, icookie)) and pci_ims_free_irq()' },
  { id: '6e24c8877329', title: 'x86/apic/msi: Enable PCI/IMS', scope: 'x86', release: 'v6.2', link: '20221124232327.081482253@linutronix.de', summary: 'x86_msi_prepare() maps IMS to X86_IRQ_ALLOC_TYPE_PCI_MSIX; x86_init_dev_msi_info() accepts an IMS child when the real parent\'s supported flags have MSI_FLAG_PCI_IMS (the vector domain does not)' },
  { id: '810531a1af53', title: 'iommu/vt-d: Enable PCI/IMS', scope: 'x86', release: 'v6.2', link: '20221124232327.140571546@linutronix.de', summary: 'dmar_msi_parent_ops supports MSI_FLAG_PCI_IMS; a unit in caching mode (a virtual IOMMU) gets virt_dmar_msi_parent_ops ("vIR-") without it' },
  { id: 'fa5745aca1dc', title: 'iommu/amd: Enable PCI/IMS', scope: 'x86', release: 'v6.2', link: '20221124232327.198894453@linutronix.de', summary: 'amdvi_msi_parent_ops supports MSI_FLAG_PCI_IMS (virt_amdvi_msi_parent_ops without it when amd_iommu_np_cache)' },
  { id: '8a1940bca94b', title: 'Revert "genirq/msi: Provide constants for PCI/IMS support"', scope: 'core', release: 'v6.10', link: '20240410221307.2162676-8-helgaas@kernel.org', summary: 'IMS constants gone' },
  { id: '850aae933c4b', title: 'Revert "x86/apic/msi: Enable PCI/IMS"', scope: 'x86', release: 'v6.10', link: '20240410221307.2162676-7-helgaas@kernel.org', summary: 'x86 no longer knows IMS children' },
  { id: '79f99aac79ae', title: 'Revert "iommu/vt-d: Enable PCI/IMS"', scope: 'x86', release: 'v6.10', link: '20240410221307.2162676-6-helgaas@kernel.org', summary: 'one dmar_msi_parent_ops again, without IMS' },
  { id: '72860ff3bb76', title: 'Revert "iommu/amd: Enable PCI/IMS"', scope: 'x86', release: 'v6.10', link: '20240410221307.2162676-5-helgaas@kernel.org', summary: 'one amdvi_msi_parent_ops again, without IMS' },
  { id: 'b966b1102871', title: 'Revert "PCI/MSI: Provide IMS (Interrupt Message Store) support"', scope: 'core', release: 'v6.10', link: '20240410221307.2162676-4-helgaas@kernel.org', summary: 'pci_create_ims_domain() gone' },
  { id: '1794808fb1b3', title: 'Revert "PCI/MSI: Provide pci_ims_alloc/free_irq()"', scope: 'core', release: 'v6.10', link: '20240410221307.2162676-3-helgaas@kernel.org', summary: 'pci_ims_alloc_irq() / pci_ims_free_irq() gone' },
];

/** pci_create_ims_domain() and friends exist in this kernel (v6.2..v6.9). */
export function pciImsPresent(k: Kernel): boolean {
  return k.applied('0194425af0c8') && !k.applied('b966b1102871') && k.applied('c9e5bea27383') && !k.applied('1794808fb1b3');
}

/** x86 knows IMS children (6e24c8877329, reverted by 850aae933c4b). */
export function x86ImsEnabled(k: Kernel): boolean {
  return k.applied('6e24c8877329') && !k.applied('850aae933c4b');
}

/** VT-d's dmar_msi_parent_ops has MSI_FLAG_PCI_IMS (810531a1af53, reverted by 79f99aac79ae). */
export function dmarImsEnabled(k: Kernel): boolean {
  return k.applied('810531a1af53') && !k.applied('79f99aac79ae');
}

/** AMD-Vi's amdvi_msi_parent_ops has MSI_FLAG_PCI_IMS (fa5745aca1dc, reverted by 72860ff3bb76). */
export function amdImsEnabled(k: Kernel): boolean {
  return k.applied('fa5745aca1dc') && !k.applied('72860ff3bb76');
}

/**
 * pci_create_ims_domain(): only under an MSI parent, only with a template that is an IMS one
 * (DOMAIN_BUS_PCI_DEVICE_IMS, simple descriptor allocation and freeing, mask/unmask/write, no
 * affinity setter of its own); then msi_create_device_irq_domain() in the secondary slot, which
 * the parent's init_dev_msi_info() may refuse.
 */
export function pciCreateImsDomain(k: Kernel, pdev: PciDev, template: MsiDomainTemplate, hwsize: number, data: unknown): boolean {
  const domain = pdev.msiParent;
  if (domain === null || !domain.isMsiParent()) return false;
  const t = template.info;
  if (t.bus_token !== 'PCI_DEVICE_IMS' || (t.flags & MSI_FLAG_ALLOC_SIMPLE_MSI_DESCS) === 0 || (t.flags & MSI_FLAG_FREE_MSI_DESCS) === 0) return false;
  if (template.chip.irqMask === undefined || template.chip.irqUnmask === undefined || template.chip.writeMsiMsg === undefined || template.chip.irqSetAffinity !== undefined) return false;
  return msiCreateDeviceIrqDomain(k, pdev, MSI_SECONDARY_DOMAIN, template, hwsize, data, null);
}

/** pci_ims_alloc_irq(): one interrupt at any free index of the IMS domain. */
export function pciImsAllocIrq(k: Kernel, pdev: PciDev): MsiMap {
  return msiDomainAllocIrqAt(k, pdev, MSI_SECONDARY_DOMAIN, MSI_ANY_INDEX);
}

/** pci_ims_free_irq(): WARN_ON_ONCE on a bogus map, else free the one index. */
export function pciImsFreeIrq(k: Kernel, pdev: PciDev, map: MsiMap): void {
  if (map.index < 0 || map.virq <= 0) {
    k.warn('pci_ims_free_irq', `${pdev.name}: WARN_ON_ONCE(map.index < 0 || map.virq <= 0)`);
    return;
  }
  msiDomainFreeIrqsRange(k, pdev, MSI_SECONDARY_DOMAIN, map.index, map.index);
}

/** The device's IMS domain, if it has one. */
export function pciImsDomain(pdev: PciDev): ReturnType<typeof msiGetDeviceDomain> {
  return msiGetDeviceDomain(pdev, MSI_SECONDARY_DOMAIN);
}

/** One slot of a device's Interrupt Message Store (device memory, not a kernel object). */
export interface ImsSlot {
  addressHi: number;
  addressLo: number;
  data: number;
  masked: boolean;
}

/** The store of one device: its slots live in device memory, not in the kernel heap. */
export class ImsStore {
  readonly slots = new Map<number, ImsSlot>();
}

function slotOf(k: Kernel, d: IrqData): { store: ImsStore; index: number } | null {
  const desc = k.irqs.desc(d.irq)?.msiDesc ?? null;
  const store = (d.domain.hostData as MsiDomainInfo | null)?.data;
  if (desc === null || !(store instanceof ImsStore)) return null;
  return { store, index: desc.msiIndex };
}

/**
 * The IMS template of the modelled device driver: its chip stores the message in slot
 * msi_index of the device's store, masks there, and leaves affinity to the parent
 * (irq_write_msi_msg() carries it). Activated at allocation, as the PCI templates are.
 */
export function imsDeviceTemplate(name: string, withHwirq = true): MsiDomainTemplate {
  const chip: IrqChip = {
    name,
    writeMsiMsg(k, d, msg) {
      const s = slotOf(k, d);
      if (s === null) return;
      const prev = s.store.slots.get(s.index);
      s.store.slots.set(s.index, { addressHi: msg.addressHi, addressLo: msg.addressLo, data: msg.data, masked: prev?.masked ?? true });
      const desc = k.irqs.desc(d.irq)?.msiDesc;
      if (desc !== undefined && desc !== null) desc.msg = { ...msg };
      k.touchIrq(d.irq);
    },
    irqMask(k, d) {
      const s = slotOf(k, d);
      const e = s?.store.slots.get(s.index);
      if (e !== undefined) e.masked = true;
    },
    irqUnmask(k, d) {
      const s = slotOf(k, d);
      const e = s?.store.slots.get(s.index);
      if (e !== undefined) e.masked = false;
    },
  };
  return {
    name,
    chip,
    // The hwirq is the IMS index, as pci_device_domain_set_desc() makes it for PCI/MSI-X: the
    // core's default set_desc leaves arg->hwirq 0, and msi_domain_alloc() then refuses every
    // allocation after the first (irq_find_mapping(domain, 0) > 0: -EEXIST). pci_create_ims_domain()
    // lists the chip callbacks a template needs, not this.
    ops: withHwirq ? { set_desc: imsSetDesc } : {},
    info: { flags: MSI_FLAG_ALLOC_SIMPLE_MSI_DESCS | MSI_FLAG_FREE_MSI_DESCS | MSI_FLAG_ACTIVATE_EARLY, bus_token: 'PCI_DEVICE_IMS' },
  };
}

// the driver's set_desc: hwirq = the IMS index
function imsSetDesc(arg: MsiAllocInfo, desc: MsiDesc): void {
  arg.desc = desc;
  arg.hwirq = desc.msiIndex;
}

/** A template that breaks the rules pci_create_ims_domain() checks (an affinity setter of its own). */
export function badImsTemplate(name: string): MsiDomainTemplate {
  const t = imsDeviceTemplate(name);
  return { ...t, chip: { ...t.chip, irqSetAffinity: () => -EINVAL } };
}
