// drivers/irqchip/irq-gic-its-msi-parent.c, the GICv5 half: the ITS as MSI parent of per-device
// domains. The PCI prepare maps the function's requester ID through the firmware to the MSI
// controller node and DeviceID (pci_msi_map_rid_ctlr_node()), the platform prepare reads the
// msi-parent property; both pass the DeviceID and the translate frame to gicv5_its_msi_prepare().
import { PciDev, PlatformDevice, type Device } from '../../kernel/device';
import { EINVAL, ENODEV } from '../../kernel/errno';
import type { IrqDomain } from '../../kernel/irqdomain';
import type { Kernel } from '../../kernel/kernel';
import type { MsiAllocInfo } from '../../kernel/msi-alloc-info';
import { MATCH_PCI_MSI, MATCH_PLATFORM_MSI, msiLibInitDevMsiInfo } from '../../kernel/msi-lib';
import {
  MSI_FLAG_MULTI_PCI_MSI,
  MSI_FLAG_PCI_MSI_MASK_PARENT,
  MSI_FLAG_PCI_MSIX,
  MSI_FLAG_USE_DEF_CHIP_OPS,
  MSI_FLAG_USE_DEF_DOM_OPS,
  MSI_GENERIC_FLAGS_MASK,
  type MsiDomainInfo,
  type MsiParentOps,
} from '../../kernel/msi-types';
import { pciMsiMapRidCtlrNode, type MsiFirmware } from '../../kernel/pci-msi-rid';
import { roundupPowOfTwo } from '../../kernel/bitmap';

/** What the v5 prepare callbacks read from the firmware: the tables and each controller's translate frame. */
export interface V5Firmware {
  readonly fw: MsiFirmware;
  /** its_translate_frame_address(): the ns-translate frame of a controller node, or null. */
  translateFrame(controller: string): number | null;
  /** of_pmsi_get_msi_info() / iort_pmsi_get_msi_info(): a platform device's controller and DeviceID, or null. */
  platformMsiInfo(dev: PlatformDevice): { controller: string; deviceId: number } | null;
}

/** msi_get_domain_info(domain->parent): the ITS domain's info. */
function parentInfo(domain: IrqDomain): MsiDomainInfo {
  return (domain.parent as IrqDomain).hostData as MsiDomainInfo;
}

/** msi_info->ops->msi_prepare(domain->parent, ...): the ITS's own prepare. */
function forward(k: Kernel, domain: IrqDomain, dev: Device, nvec: number, info: MsiAllocInfo): number {
  const prepare = parentInfo(domain).ops.msi_prepare;
  if (prepare === undefined) throw new Error('ITS domain without msi_prepare');
  return prepare(k, domain.parent as IrqDomain, dev, nvec, info);
}

/**
 * its_v5_pci_msi_prepare(): the RID mapped to the controller node; no node or no translate frame
 * is -ENODEV; always a power of two events
 */
function itsV5PciMsiPrepare(fwv: V5Firmware): NonNullable<MsiDomainInfo['ops']['msi_prepare']> {
  return (k, domain, dev, nvec, info) => {
    if (!(dev instanceof PciDev)) return -EINVAL;
    const { rid, controller } = pciMsiMapRidCtlrNode(fwv.fw, dev);
    if (controller === null) return -ENODEV;
    const pa = fwv.translateFrame(controller);
    if (pa === null) return -ENODEV;
    info.scratchpad[0].writeUl(rid);
    info.scratchpad[1].writeUl(pa);
    return forward(k, domain, dev, roundupPowOfTwo(nvec), info);
  };
}

/** its_v5_pmsi_prepare(): DeviceID and translate frame from the msi-parent (or IORT named component) */
function itsV5PmsiPrepare(fwv: V5Firmware): NonNullable<MsiDomainInfo['ops']['msi_prepare']> {
  return (k, domain, dev, nvec, info) => {
    if (!(dev instanceof PlatformDevice)) return -EINVAL;
    const m = fwv.platformMsiInfo(dev);
    const pa = m === null ? null : fwv.translateFrame(m.controller);
    if (m === null || pa === null) return -ENODEV;
    info.scratchpad[0].writeUl(m.deviceId);
    info.scratchpad[1].writeUl(pa);
    return forward(k, domain, dev, roundupPowOfTwo(nvec), info);
  };
}

/** its_msi_teardown(): forward to the ITS domain */
function itsMsiTeardown(k: Kernel, domain: IrqDomain, info: MsiAllocInfo | null): void {
  const teardown = parentInfo(domain).ops.msi_teardown;
  if (teardown === undefined) throw new Error('ITS domain without msi_teardown');
  teardown(k, domain.parent as IrqDomain, info);
}

/** gic_v5_its_msi_parent_ops, with its_v5_init_dev_msi_info() bound to the machine's firmware. */
export function gicV5ItsMsiParentOps(fwv: V5Firmware): MsiParentOps {
  const pciPrepare = itsV5PciMsiPrepare(fwv);
  const pmsiPrepare = itsV5PmsiPrepare(fwv);
  return {
    supported_flags: MSI_GENERIC_FLAGS_MASK | MSI_FLAG_PCI_MSIX | MSI_FLAG_MULTI_PCI_MSI,
    required_flags: MSI_FLAG_USE_DEF_DOM_OPS | MSI_FLAG_USE_DEF_CHIP_OPS | MSI_FLAG_PCI_MSI_MASK_PARENT,
    bus_select_token: 'NEXUS',
    bus_select_mask: [...MATCH_PCI_MSI, ...MATCH_PLATFORM_MSI],
    prefix: 'ITS-v5-',
    init_dev_msi_info(k, dev, domain, realParent, info) {
      if (!msiLibInitDevMsiInfo(k, dev, domain, realParent, info)) return false;
      switch (info.bus_token) {
        case 'PCI_DEVICE_MSI':
        case 'PCI_DEVICE_MSIX':
          info.ops.msi_prepare = pciPrepare;
          info.ops.msi_teardown = itsMsiTeardown;
          return true;
        case 'DEVICE_MSI':
        case 'WIRED_TO_MSI':
          info.ops.msi_prepare = pmsiPrepare;
          info.ops.msi_teardown = itsMsiTeardown;
          return true;
        default:
          // Confused. How did the lib return true?
          k.warn('its_v5_init_dev_msi_info', `bus token ${info.bus_token}`);
          return false;
      }
    },
  };
}
