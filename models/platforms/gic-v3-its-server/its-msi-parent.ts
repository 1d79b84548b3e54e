// drivers/irqchip/irq-gic-its-msi-parent.c (irq-gic-v3-its-msi-parent.c before 6.17), the GICv3
// half, on a machine whose firmware maps requester IDs: the DeviceID of a PCI function is
// pci_msi_domain_get_msi_rid() of its ITS (DT msi-map filtered by that ITS, or the IORT), the
// DeviceID of a platform device its msi-parent ID on that ITS. A function behind an aliasing
// bridge is a proxy: its ITT is sized for every vector behind the bridge.
import { roundupPowOfTwo } from '../../kernel/bitmap';
import { PciDev, PlatformDevice, type Device } from '../../kernel/device';
import { EINVAL, ENODEV } from '../../kernel/errno';
import type { IrqDomain } from '../../kernel/irqdomain';
import type { Kernel } from '../../kernel/kernel';
import { MSI_ALLOC_FLAGS_PROXY_DEVICE, type MsiAllocInfo } from '../../kernel/msi-alloc-info';
import type { MsiDomainInfo, MsiParentOps } from '../../kernel/msi-types';
import { pciMsiDomainGetMsiRid, type MsiFirmware } from '../../kernel/pci-msi-rid';
import { makeGicV3ItsMsiParentOps } from '../gic-v3-its/its-msi-parent';

/** What the prepare callbacks read: the firmware tables, the ITS a domain is, platform msi-parents. */
export interface ItsFirmwareView {
  readonly fw: MsiFirmware;
  /** The ITS (controller name) whose domain `domain` is. */
  controllerOf(domain: IrqDomain): string;
  /** The msi-parent of a platform device: controller and DeviceID (of_pmsi_get_msi_info()), or null. */
  platformMsiInfo(dev: PlatformDevice): { controller: string; deviceId: number } | null;
}

/** msi_get_domain_info(domain->parent): the ITS domain's info. */
function itsInfo(domain: IrqDomain): MsiDomainInfo {
  return (domain.parent as IrqDomain).hostData as MsiDomainInfo;
}

/** msi_info->ops->msi_prepare(domain->parent, ...): its_msi_prepare() of that ITS. */
function forward(k: Kernel, domain: IrqDomain, dev: Device, nvec: number, info: MsiAllocInfo): number {
  const prepare = itsInfo(domain).ops.msi_prepare;
  if (prepare === undefined) throw new Error('ITS domain without msi_prepare');
  return prepare(k, domain.parent as IrqDomain, dev, nvec, info);
}

/** Before 7dd20bf2f010: grow nvec to the device domain's hwsize, since prepare ran per allocation. */
function hwsizeHack(k: Kernel, domain: IrqDomain, nvec: number): number {
  if (k.applied('7dd20bf2f010')) return nvec;
  const hwsize = (domain.hostData as MsiDomainInfo).hwsize;
  return hwsize > nvec ? hwsize : nvec;
}

/** its_pci_msi_prepare() */
function itsPciMsiPrepare(view: ItsFirmwareView): NonNullable<MsiDomainInfo['ops']['msi_prepare']> {
  return (k, domain, dev, nvec, info) => {
    if (!(dev instanceof PciDev)) return -EINVAL;
    // pci_for_each_dma_alias(pdev, its_get_pci_alias, &alias_dev): the last device on the alias
    // path, a bridge for a function behind one; every vector behind it may share the DeviceID
    let aliasCount = 0;
    if (dev.bridge !== null) {
      for (const sub of dev.bridge.subordinate) aliasCount += Math.max(sub.msiCap, sub.msixTableSize);
      info.flags |= MSI_ALLOC_FLAGS_PROXY_DEVICE;
    }
    // ITS specific DeviceID, as the core ITS ignores dev
    info.scratchpad[0].writeUl(pciMsiDomainGetMsiRid(view.fw, view.controllerOf(domain.parent as IrqDomain), dev));
    nvec = hwsizeHack(k, domain, nvec);
    nvec = Math.max(nvec, aliasCount);
    // special case device 0 for broken systems where the DevID is not wired
    const minnvec = info.scratchpad[0].readUl(k, 'its_pci_msi_prepare') === 0 ? 32 : 1;
    return forward(k, domain, dev, Math.max(minnvec, roundupPowOfTwo(nvec)), info);
  };
}

/** its_pmsi_prepare(): the DeviceID out of the msi-parent property */
function itsPmsiPrepare(view: ItsFirmwareView): NonNullable<MsiDomainInfo['ops']['msi_prepare']> {
  return (k, domain, dev, nvec, info) => {
    if (!(dev instanceof PlatformDevice)) return -EINVAL;
    const m = view.platformMsiInfo(dev);
    if (m === null || m.controller !== view.controllerOf(domain.parent as IrqDomain)) return -ENODEV;
    info.scratchpad[0].writeUl(m.deviceId);
    nvec = hwsizeHack(k, domain, nvec);
    // Allocate at least 32 MSIs, and always as a power of 2
    return forward(k, domain, dev, Math.max(32, roundupPowOfTwo(nvec)), info);
  };
}

/** gic_v3_its_msi_parent_ops with its_init_dev_msi_info() bound to the machine's firmware. */
export function gicV3ItsServerParentOps(view: ItsFirmwareView): MsiParentOps {
  return makeGicV3ItsMsiParentOps(itsPciMsiPrepare(view), itsPmsiPrepare(view));
}
