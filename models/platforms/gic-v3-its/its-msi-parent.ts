// drivers/irqchip/irq-gic-v3-its-msi-parent.c: the ITS as MSI parent of per-device domains.
// The per-bus prepare callbacks compute the DeviceID and the number of events, then forward
// to its_msi_prepare() on the ITS domain; teardown forwards likewise.
import { roundupPowOfTwo } from '../../kernel/bitmap';
import { PciDev, PlatformDevice, type Device } from '../../kernel/device';
import { EINVAL } from '../../kernel/errno';
import type { IrqDomain } from '../../kernel/irqdomain';
import type { Kernel } from '../../kernel/kernel';
import { MSI_ALLOC_FLAGS_PROXY_DEVICE, type MsiAllocInfo } from '../../kernel/msi-alloc-info';
import { MATCH_PCI_MSI, MATCH_PLATFORM_MSI, msiLibInitDevMsiInfo } from '../../kernel/msi-lib';
import {
  MSI_FLAG_MULTI_PCI_MSI,
  MSI_FLAG_PCI_MSI_MASK_PARENT,
  MSI_FLAG_PCI_MSIX,
  MSI_FLAG_USE_DEF_CHIP_OPS,
  MSI_FLAG_USE_DEF_DOM_OPS,
  MSI_GENERIC_FLAGS_MASK,
  type MsiDomainInfo,
  type MsiDomainOps,
  type MsiParentOps,
} from '../../kernel/msi-types';

/** The ITS DeviceID a PCI function's MSIs carry: its RID, or the RID of its last DMA alias. */
export function itsPciDeviceId(pdev: PciDev): number {
  if (pdev.bridge !== null) return pdev.bridge.rid;
  if (pdev.dmaAliasRid !== null) return pdev.dmaAliasRid;
  return pdev.rid;
}

/** The DeviceID a device's writes arrive with at the ITS. */
export function itsDeviceIdOf(dev: Device): number {
  return dev instanceof PciDev ? itsPciDeviceId(dev) : (dev as PlatformDevice).msiParentId;
}

/** The msi_domain_info of the ITS domain itself, whose ops are its_msi_prepare/teardown. */
function itsInfo(domain: IrqDomain): MsiDomainInfo {
  return (domain.parent as IrqDomain).hostData as MsiDomainInfo;
}

/** Before 7dd20bf2f010: grow nvec to the device domain's hwsize, since prepare ran per allocation. */
function hwsizeHack(k: Kernel, domain: IrqDomain, nvec: number): number {
  if (k.applied('7dd20bf2f010')) return nvec;
  const hwsize = (domain.hostData as MsiDomainInfo).hwsize;
  return hwsize > nvec ? hwsize : nvec;
}

// its_pci_msi_prepare()
function itsPciMsiPrepare(k: Kernel, domain: IrqDomain, dev: Device, nvec: number, info: MsiAllocInfo): number {
  if (!(dev instanceof PciDev)) return -EINVAL;
  let aliasCount = 0;
  // pci_for_each_dma_alias(): a device behind a PCIe-to-PCI bridge signals with the bridge's
  // RID; every function on that bus may share the DeviceID
  if (dev.bridge !== null) {
    for (const sub of dev.bridge.subordinate) aliasCount += Math.max(sub.msiCap, sub.msixTableSize);
    info.flags |= MSI_ALLOC_FLAGS_PROXY_DEVICE;
  }
  info.scratchpad[0].writeUl(itsPciDeviceId(dev));
  nvec = hwsizeHack(k, domain, nvec);
  // Always a power of two; DeviceID 0 gets at least 32 (broken systems alias everything to 0)
  nvec = Math.max(nvec, aliasCount);
  const minnvec = info.scratchpad[0].readUl(k, 'its_pci_msi_prepare') === 0 ? 32 : 1;
  nvec = Math.max(minnvec, roundupPowOfTwo(nvec));
  const parentInfo = itsInfo(domain);
  return (parentInfo.ops.msi_prepare as NonNullable<typeof parentInfo.ops.msi_prepare>)(k, domain.parent as IrqDomain, dev, nvec, info);
}

// its_pmsi_prepare(): the DeviceID comes from the msi-parent property
function itsPmsiPrepare(k: Kernel, domain: IrqDomain, dev: Device, nvec: number, info: MsiAllocInfo): number {
  if (!(dev instanceof PlatformDevice)) return -EINVAL;
  info.scratchpad[0].writeUl(dev.msiParentId);
  nvec = hwsizeHack(k, domain, nvec);
  // Allocate at least 32 MSIs, and always as a power of 2
  nvec = Math.max(32, roundupPowOfTwo(nvec));
  const parentInfo = itsInfo(domain);
  return (parentInfo.ops.msi_prepare as NonNullable<typeof parentInfo.ops.msi_prepare>)(k, domain.parent as IrqDomain, dev, nvec, info);
}

// its_msi_teardown() in the parent file: forward to the ITS domain
function itsParentMsiTeardown(k: Kernel, domain: IrqDomain, info: MsiAllocInfo | null): void {
  const parentInfo = itsInfo(domain);
  const teardown = parentInfo.ops.msi_teardown;
  if (teardown === undefined) throw new Error('ITS domain has no msi_teardown');
  teardown(k, domain.parent as IrqDomain, info);
}

type MsiPrepare = NonNullable<MsiDomainOps['msi_prepare']>;

/**
 * gic_v3_its_msi_parent_ops (no PCI_MSIX_ALLOC_DYN), whose its_init_dev_msi_info() installs the
 * PCI and platform prepare callbacks given: the machine's own way to find a device's DeviceID
 * (the requester ID here, a firmware ID mapping on the ARM64 servers).
 */
export function makeGicV3ItsMsiParentOps(pciPrepare: MsiPrepare, pmsiPrepare: MsiPrepare): MsiParentOps {
  // its_init_dev_msi_info()
  const initDevMsiInfo = (k: Kernel, dev: Device, domain: IrqDomain, realParent: IrqDomain, info: MsiDomainInfo): boolean => {
    if (!msiLibInitDevMsiInfo(k, dev, domain, realParent, info)) return false;
    const withTeardown = k.applied('713335b6ee29') || k.applied('713335b6ee29-v1');
    switch (info.bus_token) {
      case 'PCI_DEVICE_MSI':
      case 'PCI_DEVICE_MSIX':
        info.ops.msi_prepare = pciPrepare;
        if (withTeardown) info.ops.msi_teardown = itsParentMsiTeardown;
        return true;
      case 'DEVICE_MSI':
      case 'WIRED_TO_MSI':
        info.ops.msi_prepare = pmsiPrepare;
        if (withTeardown) info.ops.msi_teardown = itsParentMsiTeardown;
        return true;
      default:
        k.warn('its_init_dev_msi_info', `confused by bus token ${info.bus_token}`);
        return false;
    }
  };
  return {
    supported_flags: MSI_GENERIC_FLAGS_MASK | MSI_FLAG_PCI_MSIX | MSI_FLAG_MULTI_PCI_MSI,
    required_flags: MSI_FLAG_USE_DEF_DOM_OPS | MSI_FLAG_USE_DEF_CHIP_OPS | MSI_FLAG_PCI_MSI_MASK_PARENT,
    bus_select_token: 'NEXUS',
    bus_select_mask: [...MATCH_PCI_MSI, ...MATCH_PLATFORM_MSI],
    prefix: 'ITS-',
    init_dev_msi_info: initDevMsiInfo,
  };
}

export const gicV3ItsMsiParentOps: MsiParentOps = makeGicV3ItsMsiParentOps(itsPciMsiPrepare, itsPmsiPrepare);
