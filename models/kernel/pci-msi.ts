// drivers/pci/msi/{api.c,msi.c,irqdomain.c}: the PCI driver API (pci_alloc_irq_vectors and
// friends) on top of per-device MSI and MSI-X domains, as the core patches shape it.
import type { Device } from './device';
import { PciDev } from './device';
import { EINVAL, ENODEV, ENOMEM, ENOSPC, ENOTSUPP, ERANGE } from './errno';
import type { IrqChip, IrqData, MsiMsg } from './irqdomain';
import type { Kernel } from './kernel';
import { chipCallParent, chipStartup } from './chip-call';
import { pciMsixMaskEntry, pciMsixUnmaskEntry } from './pci-msi-signal';
import {
  msiCreateDeviceIrqDomain,
  msiDomainAllocIrqAt,
  msiDomainAllocIrqsAllLocked,
  msiDomainFreeIrqsAll,
  msiDomainFreeIrqsRange,
  msiGetDeviceDomain,
  msiDomainInsertMsiDesc,
  msiRemoveDeviceIrqDomain,
  msiSetupDeviceData,
  msiStore,
  type MsiMap,
} from './msi';
import { MSI_DEFAULT_DOMAIN, MsiDesc } from './msi-desc';
import {
  hasFlag,
  MSI_FLAG_ACTIVATE_EARLY,
  MSI_FLAG_DEV_SYSFS,
  MSI_FLAG_FREE_MSI_DESCS,
  MSI_FLAG_MULTI_PCI_MSI,
  MSI_FLAG_MUST_REACTIVATE,
  MSI_FLAG_PCI_MSIX,
  MSI_FLAG_PCI_MSIX_ALLOC_DYN,
  type MsiDomainInfo,
  type MsiDomainTemplate,
} from './msi-types';
import { getCountOrder } from './bitmap';
import { KernelOops } from './report';
import { irqCalcAffinityVectors, irqCreateAffinityMasks } from './affinity-masks';

export const PCI_IRQ_INTX = 1 << 0;
export const PCI_IRQ_MSI = 1 << 1;
export const PCI_IRQ_MSIX = 1 << 2;
/** Spread the vectors over the CPUs as managed interrupts (irq_create_affinity_masks). */
export const PCI_IRQ_AFFINITY = 1 << 3;

// pci_msi_domain_write_msg(): the device level stores the message in the MSI capability or
// the MSI-X table entry of the vector.
export const pciMsiChip = (name: string): IrqChip => ({
  name,
  writeMsiMsg(k: Kernel, data: IrqData, msg) {
    const desc = k.irqs.desc(data.irq)?.msiDesc;
    if (desc === undefined || desc === null) return;
    k.touchIrq(data.irq);
    const dev = desc.dev as PciDev;
    if (desc.isMsix) {
      const entry = dev.msixTable[desc.msiIndex];
      // msix_prepare_msi_desc() / msix_mask_all(): a new entry starts masked until irq_startup()
      const masked = entry?.masked ?? true;
      dev.msixTable[desc.msiIndex] = { addressHi: msg.addressHi, addressLo: msg.addressLo, data: msg.data, masked };
      // __pci_write_msi_msg(): the descriptor caches what was written (entry->msg = *msg)
      desc.msg = { ...msg };
    } else if (k.applied('msi-fuzz-multi-msi-deactivate') && desc.nvecUsed > 1) {
      pciMsiWriteBlockMsg(k, data.irq, desc, dev, msg);
    } else if (data.irq === desc.irq) {
      // MSI: one address/data pair; vector i of a multi-MSI block signals data + i
      desc.msg = { ...msg };
      dev.msiCapMsg = { ...msg };
    }
  },
  // pci_msi_unmask_irq() / pci_msi_mask_irq() on the MSI-X entry, then the parent (MASK_PARENT);
  // startup, shutdown and EOI belong to the parent (irq_chip_*_parent)
  // irq_chip_startup_parent(): the parent's result is the startup's
  irqStartup(k: Kernel, data: IrqData) {
    pciMsiEntryMask(k, data, false);
    return chipStartup(k, data.parentData);
  },
  irqShutdown(k: Kernel, data: IrqData) {
    pciMsiEntryMask(k, data, true);
    if (!chipCallParent(k, data, 'irqShutdown')) chipCallParent(k, data, 'irqMask');
  },
  irqMask(k: Kernel, data: IrqData) {
    pciMsiEntryMask(k, data, true);
    chipCallParent(k, data, 'irqMask');
  },
  irqUnmask(k: Kernel, data: IrqData) {
    pciMsiEntryMask(k, data, false);
    chipCallParent(k, data, 'irqUnmask');
  },
  irqEoi(k: Kernel, data: IrqData) {
    chipCallParent(k, data, 'irqEoi');
  },
});

// msi-fuzz's proposal (not upstream), for pci_msi_domain_write_msg(): a multi-MSI block has one
// message for all its irqs, so one irq's deactivation (msi_domain_deactivate()'s zero message)
// must not clear it while another irq of the block is activated, and an irq activated while the
// block's first irq is not must write it (its own message, vector bits cleared), or the block
// stays at address 0.
function pciMsiWriteBlockMsg(k: Kernel, irq: number, desc: MsiDesc, dev: PciDev, msg: MsiMsg): void {
  const activated = (i: number): boolean => k.irqs.desc(i)?.irqData.activated === true;
  let others = false;
  for (let i = desc.irq; i < desc.irq + desc.nvecUsed; i++) if (i !== irq && activated(i)) others = true;
  const zero = msg.addressHi === 0 && msg.addressLo === 0 && msg.data === 0;
  if (zero && others) return;
  if (!zero && irq !== desc.irq && activated(desc.irq)) return;
  const mask = (1 << desc.multiple) - 1;
  const block = { ...msg, data: irq === desc.irq ? msg.data : msg.data & ~mask };
  desc.msg = { ...block };
  dev.msiCapMsg = { ...block };
}

/** The MSI-X entry of the irq (MSI without per-vector masking is left alone). */
function pciMsiEntryMask(k: Kernel, data: IrqData, mask: boolean): void {
  const desc = k.irqs.desc(data.irq)?.msiDesc;
  if (desc === undefined || desc === null || !desc.isMsix) return;
  const dev = desc.dev as PciDev;
  if (mask) pciMsixMaskEntry(dev, desc.msiIndex);
  else pciMsixUnmaskEntry(k, dev, desc.msiIndex);
}

// MSI_COMMON_FLAGS, with MSI_REACTIVATE (MSI_FLAG_MUST_REACTIVATE) where reservation mode
// exists: see reactivating()
const MSI_COMMON_FLAGS = MSI_FLAG_FREE_MSI_DESCS | MSI_FLAG_ACTIVATE_EARLY | MSI_FLAG_DEV_SYSFS | MSI_FLAG_MUST_REACTIVATE;

/** The template as this kernel builds it: MSI_REACTIVATE is 0 without CONFIG_GENERIC_IRQ_RESERVATION_MODE. */
function reactivating(k: Kernel, t: MsiDomainTemplate): MsiDomainTemplate {
  if (k.genericIrqReservationMode) return t;
  return { ...t, info: { ...t.info, flags: t.info.flags & ~MSI_FLAG_MUST_REACTIVATE } };
}

// pci_device_domain_set_desc(): the device-level hwirq is the MSI index
const pciDeviceDomainSetDesc = (arg: { desc: MsiDesc | null; hwirq: number }, desc: MsiDesc): void => {
  arg.desc = desc;
  arg.hwirq = desc.msiIndex;
};

export const pciMsiTemplate: MsiDomainTemplate = {
  name: 'PCI-MSI',
  chip: pciMsiChip('PCI-MSI'),
  ops: { set_desc: pciDeviceDomainSetDesc },
  info: { flags: MSI_COMMON_FLAGS | MSI_FLAG_MULTI_PCI_MSI, bus_token: 'PCI_DEVICE_MSI' },
};

export const pciMsixTemplate: MsiDomainTemplate = {
  name: 'PCI-MSIX',
  chip: pciMsiChip('PCI-MSIX'),
  ops: { set_desc: pciDeviceDomainSetDesc },
  info: { flags: MSI_COMMON_FLAGS | MSI_FLAG_PCI_MSIX | MSI_FLAG_PCI_MSIX_ALLOC_DYN, bus_token: 'PCI_DEVICE_MSIX' },
};

// pci_msi_domain_supports(): what the MSI parent (or the legacy domain) supports
export function pciMsiDomainSupports(dev: PciDev, feature: number): boolean {
  const parent = dev.msiParent;
  if (parent === null) return false;
  if (parent.isMsiParent()) return hasFlag(parent.msiParentOps?.supported_flags ?? 0, feature);
  return hasFlag((parent.hostData as MsiDomainInfo).flags, feature);
}

// pci_msix_can_alloc_dyn(): a function without an MSI-X capability never can
export function pciMsixCanAllocDyn(dev: PciDev): boolean {
  if (dev.msixTableSize === 0) return false;
  return pciMsiDomainSupports(dev, MSI_FLAG_PCI_MSIX_ALLOC_DYN);
}

function matchDeviceDomain(dev: PciDev, token: 'PCI_DEVICE_MSI' | 'PCI_DEVICE_MSIX'): boolean {
  return msiGetDeviceDomain(dev, MSI_DEFAULT_DOMAIN)?.busToken === token;
}

// pci_setup_msi_context(): device data, and (pcim_setup_msi_release) the pcim_msi_release
// devres action that frees the vectors of a managed device before the domains go; a failed
// devm_add_action() leaves is_msi_managed clear, so the next call tries again
function pciSetupMsiContext(k: Kernel, dev: PciDev): number {
  const ret = msiSetupDeviceData(k, dev);
  // pcim_setup_msi_release(): once per binding (dev->is_msi_managed), whoever set up the MSI
  // device data first (a PCI/IMS domain may have)
  if (ret !== 0 || !dev.isManaged || dev.isMsiManaged) return ret;
  if (k.faults.shouldFail('devm_add_action')) return -ENOMEM;
  dev.devres.push({
    name: 'pcim_msi_release',
    release: () => {
      dev.isMsiManaged = false;
      pciFreeIrqVectors(k, dev);
    },
  });
  dev.isMsiManaged = true;
  return 0;
}

// pci_create_device_domain(): a device whose MSI domain is not an MSI parent (a global PCI/MSI
// domain, pci-msi-global.ts) keeps it: nothing to create
function pciCreateDeviceDomain(k: Kernel, dev: PciDev, template: MsiDomainTemplate, hwsize: number): boolean {
  const domain = dev.msiParent;
  if (domain === null || !domain.isMsiParent()) return true;
  return msiCreateDeviceIrqDomain(k, dev, MSI_DEFAULT_DOMAIN, template, hwsize, null, null);
}

// pci_setup_msix_device_domain(): reuse an MSI-X domain, replace an MSI one
function pciSetupMsixDeviceDomain(k: Kernel, dev: PciDev, hwsize: number): boolean {
  if (dev.msiEnabled) return false;
  if (matchDeviceDomain(dev, 'PCI_DEVICE_MSIX')) return true;
  if (matchDeviceDomain(dev, 'PCI_DEVICE_MSI')) msiRemoveDeviceIrqDomain(k, dev, MSI_DEFAULT_DOMAIN);
  return pciCreateDeviceDomain(k, dev, reactivating(k, pciMsixTemplate), hwsize);
}

// pci_setup_msi_device_domain(): hwsize is 1 until 9cc82d99b13c
function pciSetupMsiDeviceDomain(k: Kernel, dev: PciDev, hwsize: number): boolean {
  if (dev.msixEnabled) return false;
  if (matchDeviceDomain(dev, 'PCI_DEVICE_MSI')) return true;
  if (matchDeviceDomain(dev, 'PCI_DEVICE_MSIX')) msiRemoveDeviceIrqDomain(k, dev, MSI_DEFAULT_DOMAIN);
  return pciCreateDeviceDomain(k, dev, reactivating(k, pciMsiTemplate), k.applied('9cc82d99b13c') ? hwsize : 1);
}

// pci_free_msi_irqs()
function pciFreeMsiIrqs(k: Kernel, dev: PciDev): void {
  msiDomainFreeIrqsAll(k, dev, MSI_DEFAULT_DOMAIN);
}

// msix_capability_init() -> msix_setup_interrupts()
function msixCapabilityInit(k: Kernel, dev: PciDev, nvec: number, affd: boolean): number {
  dev.msixEnabled = true;
  // msix_map_region(): ioremap() of the table; out_disable on failure
  if (k.faults.shouldFail('msix_map_region')) {
    dev.msixEnabled = false;
    return -ENOMEM;
  }
  // msix_setup_interrupts(): without masks (their allocation failed) the vectors are not managed
  const masks = affd && !k.faults.shouldFail('irq_create_affinity_masks') ? irqCreateAffinityMasks(nvec, k.nrCpus) : null;
  // msix_setup_msi_descs(): one descriptor per vector, index i, with its mask
  for (let i = 0; i < nvec; i++) {
    const desc = new MsiDesc(dev, 1, true);
    const m = masks?.[i];
    if (m !== undefined) desc.affinity = [m];
    const ret = msiDomainInsertMsiDesc(k, dev, MSI_DEFAULT_DOMAIN, desc, i);
    if (ret !== 0) {
      pciFreeMsiIrqs(k, dev);
      dev.msixEnabled = false;
      return ret;
    }
  }
  const ret = msiDomainAllocIrqsAllLocked(k, dev, MSI_DEFAULT_DOMAIN, nvec);
  if (ret !== 0) {
    pciFreeMsiIrqs(k, dev);
    dev.msixEnabled = false;
    return ret;
  }
  return 0;
}

// msi_capability_init()
function msiCapabilityInit(k: Kernel, dev: PciDev, nvec: number, affd: boolean): number {
  // Reject multi-MSI early on irq domain enabled architectures
  if (nvec > 1 && !pciMsiDomainSupports(dev, MSI_FLAG_MULTI_PCI_MSI)) return 1;
  // msi_setup_msi_desc(): a single descriptor for the whole block, one mask per irq
  const desc = new MsiDesc(dev, nvec, false);
  // irq_create_affinity_masks(): without masks (their allocation failed) the vectors are not managed
  if (affd && !k.faults.shouldFail('irq_create_affinity_masks')) desc.affinity = irqCreateAffinityMasks(nvec, k.nrCpus);
  desc.multiple = getCountOrder(nvec);
  let ret = msiDomainInsertMsiDesc(k, dev, MSI_DEFAULT_DOMAIN, desc, 0);
  if (ret !== 0) return ret;
  dev.msiEnabled = true;
  ret = msiDomainAllocIrqsAllLocked(k, dev, MSI_DEFAULT_DOMAIN, nvec);
  if (ret !== 0) {
    pciFreeMsiIrqs(k, dev);
    dev.msiEnabled = false;
    return ret;
  }
  dev.msiMultipleEnabled = 1 << desc.multiple;
  return 0;
}

// __pci_enable_msix_range()
function pciEnableMsixRange(k: Kernel, dev: PciDev, minvec: number, maxvec: number, affd: boolean): number {
  if (maxvec < minvec) return -ERANGE;
  if (dev.msiEnabled) return -EINVAL; // "can't enable MSI-X (MSI already enabled)"
  if (dev.msixEnabled) {
    k.warn('__pci_enable_msix_range', `${dev.name}: MSI-X already enabled`);
    return -EINVAL;
  }
  if (dev.msiParent === null) return -ENOTSUPP;
  const hwsize = dev.msixVecCount();
  if (hwsize < 0) return hwsize;
  let nvec = Math.min(maxvec, hwsize);
  if (nvec < minvec) return -ENOSPC;
  if (affd) {
    nvec = irqCalcAffinityVectors(minvec, nvec, k.nrCpus);
    if (nvec < minvec) return -ENOSPC;
  }
  let rc = pciSetupMsiContext(k, dev);
  if (rc !== 0) return rc;
  if (!pciSetupMsixDeviceDomain(k, dev, hwsize)) return -ENODEV;
  for (;;) {
    rc = msixCapabilityInit(k, dev, nvec, affd);
    if (rc === 0) return nvec;
    if (rc < 0) return rc;
    if (rc < minvec) return -ENOSPC;
    nvec = rc;
  }
}

// __pci_enable_msi_range(): the domain is sized before nvec is clamped to maxvec (9cc82d99b13c)
function pciEnableMsiRange(k: Kernel, dev: PciDev, minvec: number, maxvec: number, affd: boolean): number {
  if (dev.msixEnabled) return -EINVAL; // "can't enable MSI (MSI-X already enabled)"
  if (maxvec < minvec) return -ERANGE;
  if (dev.msiEnabled) {
    k.warn('__pci_enable_msi_range', `${dev.name}: MSI already enabled`);
    return -EINVAL;
  }
  if (dev.msiParent === null) return -ENOTSUPP;
  let nvec = dev.msiVecCount();
  if (nvec < 0) return nvec;
  if (nvec < minvec) return -ENOSPC;
  let rc = pciSetupMsiContext(k, dev);
  if (rc !== 0) return rc;
  if (!pciSetupMsiDeviceDomain(k, dev, nvec)) return -ENODEV;
  if (nvec > maxvec) nvec = maxvec;
  if (affd) {
    nvec = irqCalcAffinityVectors(minvec, nvec, k.nrCpus);
    if (nvec < minvec) return -ENOSPC;
  }
  for (;;) {
    rc = msiCapabilityInit(k, dev, nvec, affd);
    if (rc === 0) return nvec;
    if (rc < 0) return rc;
    if (rc < minvec) return -ENOSPC;
    nvec = rc;
  }
}

// pci_alloc_irq_vectors() -> pci_alloc_irq_vectors_affinity(): MSI-X first, then MSI (INTx is
// not modelled: no legacy irq); PCI_IRQ_AFFINITY uses the default struct irq_affinity
export function pciAllocIrqVectors(k: Kernel, dev: PciDev, minVecs: number, maxVecs: number, flags: number): number {
  let nvecs = -ENOSPC;
  const affd = (flags & PCI_IRQ_AFFINITY) !== 0;
  if ((flags & PCI_IRQ_MSIX) !== 0) {
    nvecs = pciEnableMsixRange(k, dev, minVecs, maxVecs, affd);
    if (nvecs > 0) return nvecs;
  }
  if ((flags & PCI_IRQ_MSI) !== 0) {
    nvecs = pciEnableMsiRange(k, dev, minVecs, maxVecs, affd);
    if (nvecs > 0) return nvecs;
  }
  return nvecs;
}

// pci_free_irq_vectors() = pci_disable_msix() + pci_disable_msi(); the domain stays
export function pciFreeIrqVectors(k: Kernel, dev: PciDev): void {
  if (dev.msixEnabled) {
    // pci_msix_shutdown(): mask all, clear ENABLE
    for (const e of dev.msixTable) if (e !== null) e.masked = true;
    dev.msixEnabled = false;
    pciFreeMsiIrqs(k, dev);
  }
  if (dev.msiEnabled) {
    dev.msiEnabled = false;
    dev.msiMultipleEnabled = 0;
    pciMsiShutdownDefaultIrq(k, dev);
    pciFreeMsiIrqs(k, dev);
  }
}

// pci_msi_shutdown(): "Return the device with MSI unmasked" through the first descriptor,
// then dev->irq = desc->pci.msi_attrib.default_irq. A missing descriptor is warned about
// (WARN_ON_ONCE(!desc)) and then dereferenced anyway, on the next line. pci_msix_free_irq()
// leaves an MSI function without one: it checks the MSI-X capability, not msix_enabled.
function pciMsiShutdownDefaultIrq(k: Kernel, dev: PciDev): void {
  const store = msiStore(dev, MSI_DEFAULT_DOMAIN);
  if (store !== null && store.size > 0) return;
  k.warn('pci_msi_shutdown', `${dev.name}: MSI enabled without an MSI descriptor`);
  throw new KernelOops('pci_msi_shutdown', 'NULL pointer dereference (desc->pci.msi_attrib.default_irq)');
}

// pci_msix_alloc_irq_at()
export function pciMsixAllocIrqAt(k: Kernel, dev: PciDev, index: number): MsiMap {
  if (!dev.msixEnabled) return { index: -ENOTSUPP, virq: 0 };
  if (!pciMsixCanAllocDyn(dev)) return { index: -ENOTSUPP, virq: 0 };
  return msiDomainAllocIrqAt(k, dev, MSI_DEFAULT_DOMAIN, index);
}

// pci_msix_free_irq()
export function pciMsixFreeIrq(k: Kernel, dev: PciDev, map: MsiMap): void {
  if (map.index < 0 || map.virq <= 0) {
    k.warn('pci_msix_free_irq', `${dev.name}: invalid map {${map.index}, ${map.virq}}`);
    return;
  }
  if (!pciMsixCanAllocDyn(dev)) {
    k.warn('pci_msix_free_irq@dyn', `${dev.name}: dynamic MSI-X not supported`);
    return;
  }
  msiDomainFreeIrqsRange(k, dev, MSI_DEFAULT_DOMAIN, map.index, map.index);
}

// pci_irq_vector(): the Linux irq of vector `nr`
export function pciIrqVector(dev: PciDev, nr: number): number {
  const store = msiStore(dev, MSI_DEFAULT_DOMAIN);
  if (store === null) return -EINVAL;
  if (dev.msixEnabled) return store.get(nr)?.irq || -EINVAL;
  if (dev.msiEnabled) {
    const desc = store.get(0);
    if (desc === undefined || desc.irq === 0 || nr >= desc.nvecUsed) return -EINVAL;
    return desc.irq + nr;
  }
  return -EINVAL;
}


// device_release_driver(): devres actions run last-in first-out
export function deviceReleaseDriver(_k: Kernel, dev: Device): void {
  while (dev.devres.length > 0) dev.devres.pop()?.release();
}

