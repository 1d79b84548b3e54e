// drivers/irqchip/irq-msi-lib.c: what every MSI parent does for a new per-device domain,
// and msi_create_parent_irq_domain() (kernel/irq/msi.c) that makes a domain an MSI parent.
import type { Device } from './device';
import { IRQ_DOMAIN_FLAG_MSI_PARENT, type BusToken, type IrqDomain, type IrqDomainOps } from './irqdomain';
import type { Kernel } from './kernel';
import { MSI_FLAG_PCI_MSI_MASK_PARENT, MSI_FLAG_ALLOC_SIMPLE_MSI_DESCS, MSI_FLAG_FREE_MSI_DESCS, type MsiDomainInfo, type MsiParentOps } from './msi-types';

const PCI_TOKENS: readonly BusToken[] = ['PCI_DEVICE_MSI', 'PCI_DEVICE_MSIX'];
const PLATFORM_TOKENS: readonly BusToken[] = ['DEVICE_MSI', 'WIRED_TO_MSI'];

/** MATCH_PCI_MSI / MATCH_PLATFORM_MSI as bus_select_mask entries. */
export const MATCH_PCI_MSI = PCI_TOKENS;
export const MATCH_PLATFORM_MSI = PLATFORM_TOKENS;

// msi_lib_init_dev_msi_info(): mask the child's flags with what the parent supports,
// enforce what it requires.
export function msiLibInitDevMsiInfo(k: Kernel, dev: Device, domain: IrqDomain, realParent: IrqDomain, info: MsiDomainInfo): boolean {
  void dev;
  const pops = realParent.msiParentOps;
  if (pops === null) {
    k.warn('msi_lib_init_dev_msi_info', 'parent without msi_parent_ops');
    return false;
  }
  if (domain !== realParent) {
    k.warn('msi_lib_init_dev_msi_info', 'nested MSI parents are not supported');
    return false;
  }
  if (!pops.bus_select_mask.includes(info.bus_token)) return false;
  let required = pops.required_flags;
  switch (info.bus_token) {
    case 'PCI_DEVICE_MSI':
    case 'PCI_DEVICE_MSIX':
      break;
    case 'DEVICE_MSI':
      // Core managed descriptors for per-device platform MSI
      info.flags = MSI_FLAG_ALLOC_SIMPLE_MSI_DESCS | MSI_FLAG_FREE_MSI_DESCS;
      required &= ~MSI_FLAG_PCI_MSI_MASK_PARENT;
      break;
    case 'WIRED_TO_MSI':
      required &= ~MSI_FLAG_PCI_MSI_MASK_PARENT;
      // msi-fuzz's proposal: a wired interrupt's descriptor (msi_device_domain_alloc_wired()
      // creates one per mapping) is freed with it, as DEVICE_MSI's are
      if (k.applied('msi-fuzz-wired-free-descs')) info.flags |= MSI_FLAG_FREE_MSI_DESCS;
      break;
    default:
      k.warn('msi_lib_init_dev_msi_info', `unexpected bus token ${info.bus_token}`);
      return false;
  }
  info.flags &= pops.supported_flags;
  info.flags |= required;
  return true;
}

// msi_create_parent_irq_domain(): a domain with IRQ_DOMAIN_FLAG_MSI_PARENT and its parent ops
export function msiCreateParentIrqDomain(
  k: Kernel,
  name: string,
  parent: IrqDomain | null,
  ops: IrqDomainOps,
  hostData: unknown,
  pops: MsiParentOps,
): IrqDomain {
  const d = k.irqs.createDomain(name, parent, ops, hostData, IRQ_DOMAIN_FLAG_MSI_PARENT, pops.bus_select_token);
  d.msiParentOps = pops;
  return d;
}
