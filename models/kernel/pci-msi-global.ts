// drivers/pci/msi/irqdomain.c before per-device domains took over: the global PCI/MSI domain
// (pci_msi_create_irq_domain). One domain serves every PCI function that has it as
// dev->msi.domain; msi_setup_device_data() puts it into the device's default slot, and the
// core's allocation, descriptor and free paths (msi.ts) run on it as on a per-device domain,
// except that nothing is created or removed per device. x86 used it until v6.2, Hyper-V vPCI
// and Intel VMD until their conversion to MSI parents (present in 6.12, gone in 7.2), and XEN-MSI
// still does (with its own domain_alloc_irqs, see models/platforms/xen).
import type { PciDev } from './device';
import type { IrqChip, IrqData, IrqDomain } from './irqdomain';
import type { Kernel } from './kernel';
import { msiCreateIrqDomain } from './msi';
import type { MsiAllocInfo } from './msi-alloc-info';
import type { MsiDesc } from './msi-desc';
import { pciMsixMaskEntry, pciMsixUnmaskEntry } from './pci-msi-signal';
import { pciMsiChip } from './pci-msi';
import {
  hasFlag,
  MSI_FLAG_ACTIVATE_EARLY,
  MSI_FLAG_DEV_SYSFS,
  MSI_FLAG_FREE_MSI_DESCS,
  MSI_FLAG_LEVEL_CAPABLE,
  MSI_FLAG_MUST_REACTIVATE,
  MSI_FLAG_USE_DEF_CHIP_OPS,
  MSI_FLAG_USE_DEF_DOM_OPS,
  type MsiDomainInfo,
} from './msi-types';

/**
 * pci_msi_domain_calc_hwirq(): msi_index | pci_dev_id << 11 | pci_domain_nr << 27, unique for
 * every vector of every function in every segment. Returns the hwirq (a JS number: the
 * segment shift goes beyond 32 bits, as irq_hw_number_t does on 64-bit).
 */
export function pciMsiDomainCalcHwirq(desc: MsiDesc, dev: PciDev): number {
  return desc.msiIndex + dev.rid * 2 ** 11 + (dev.segment >>> 0) * 2 ** 27;
}

/** pci_msi_domain_set_desc(): the allocation argument names the descriptor and its hwirq. */
export function pciMsiDomainSetDesc(arg: MsiAllocInfo, desc: MsiDesc): void {
  arg.desc = desc;
  arg.hwirq = pciMsiDomainCalcHwirq(desc, desc.dev as PciDev);
}

/** pci_msi_domain_update_dom_ops(): set_desc defaults to pci_msi_domain_set_desc. */
function pciMsiDomainUpdateDomOps(info: MsiDomainInfo): void {
  info.ops.set_desc ??= pciMsiDomainSetDesc;
}

/** pci_msi_mask_irq() / pci_msi_unmask_irq(): the vector's own mask bit (MSI-X entry), nothing above. */
function pciMsiMaskIrq(k: Kernel, data: IrqData, mask: boolean): void {
  const desc = k.irqs.desc(data.irq)?.msiDesc;
  if (desc === undefined || desc === null || !desc.isMsix) return;
  const dev = desc.dev as PciDev;
  if (mask) pciMsixMaskEntry(dev, desc.msiIndex);
  else pciMsixUnmaskEntry(k, dev, desc.msiIndex);
}

/**
 * pci_msi_domain_update_chip_ops(): irq_write_msi_msg defaults to pci_msi_domain_write_msg,
 * irq_mask / irq_unmask to pci_msi_mask_irq / pci_msi_unmask_irq. The chip is the driver's
 * (info->chip is shared, so the defaults land in the driver's struct): the returned chip
 * replaces info.chip.
 */
function pciMsiDomainUpdateChipOps(info: MsiDomainInfo): void {
  const write = pciMsiChip(info.chip.name).writeMsiMsg;
  const chip: IrqChip = {
    ...info.chip,
    writeMsiMsg: info.chip.writeMsiMsg ?? write,
    irqMask: info.chip.irqMask ?? ((k, d) => pciMsiMaskIrq(k, d, true)),
    irqUnmask: info.chip.irqUnmask ?? ((k, d) => pciMsiMaskIrq(k, d, false)),
  };
  info.chip = chip;
}

/**
 * pci_msi_create_irq_domain(): a global PCI/MSI domain under `parent` (NULL for a root domain).
 * The core frees descriptors, activates early and populates sysfs for it; with reservation mode
 * (x86) it must reactivate. Returns the domain.
 */
export function pciMsiCreateIrqDomain(k: Kernel, name: string, info: MsiDomainInfo, parent: IrqDomain | null): IrqDomain {
  if (hasFlag(info.flags, MSI_FLAG_LEVEL_CAPABLE)) {
    k.warn('pci_msi_create_irq_domain', `${name}: MSI_FLAG_LEVEL_CAPABLE on a PCI/MSI domain`);
    info.flags &= ~MSI_FLAG_LEVEL_CAPABLE;
  }
  if (hasFlag(info.flags, MSI_FLAG_USE_DEF_DOM_OPS)) pciMsiDomainUpdateDomOps(info);
  if (hasFlag(info.flags, MSI_FLAG_USE_DEF_CHIP_OPS)) pciMsiDomainUpdateChipOps(info);
  // Let the core code free MSI descriptors when freeing interrupts
  info.flags |= MSI_FLAG_FREE_MSI_DESCS;
  info.flags |= MSI_FLAG_ACTIVATE_EARLY | MSI_FLAG_DEV_SYSFS;
  // CONFIG_GENERIC_IRQ_RESERVATION_MODE: every modelled PCI/MSI user is x86
  info.flags |= MSI_FLAG_MUST_REACTIVATE;
  // Let the core update the bus token
  info.bus_token = 'PCI_MSI';
  return msiCreateIrqDomain(k, name, info, 0, parent);
}

/** Is `domain` a global PCI/MSI domain (not a per-device one, not an MSI parent)? */
export function isGlobalPciMsiDomain(domain: IrqDomain | null): boolean {
  return domain !== null && domain.busToken === 'PCI_MSI' && !domain.isMsiParent() && !domain.isMsiDevice();
}
