// The MSI domain plumbing types (include/linux/msi.h): domain ops, domain info, the
// per-device domain template, and the ops an MSI parent exposes to its children.
import type { Device } from './device';
import type { BusToken, IrqChip, IrqDomain } from './irqdomain';
import type { Kernel } from './kernel';
import type { MsiAllocInfo } from './msi-alloc-info';
import type { MsiDesc } from './msi-desc';

const BIT = (n: number): number => 1 << n;

// Generic flags (low 16 bits): the core interprets them.
export const MSI_FLAG_USE_DEF_DOM_OPS = BIT(0);
export const MSI_FLAG_USE_DEF_CHIP_OPS = BIT(1);
export const MSI_FLAG_ACTIVATE_EARLY = BIT(2);
export const MSI_FLAG_MUST_REACTIVATE = BIT(3);
export const MSI_FLAG_DEV_SYSFS = BIT(4);
export const MSI_FLAG_ALLOC_SIMPLE_MSI_DESCS = BIT(5);
export const MSI_FLAG_FREE_MSI_DESCS = BIT(6);
export const MSI_FLAG_USE_DEV_FWNODE = BIT(7);
export const MSI_FLAG_PARENT_PM_DEV = BIT(8);
export const MSI_FLAG_PCI_MSI_MASK_PARENT = BIT(9);
export const MSI_FLAG_PCI_MSI_STARTUP_PARENT = BIT(10);
export const MSI_GENERIC_FLAGS_MASK = BIT(16) - 1;
// Domain-specific flags (high bits): the parent says what it supports.
export const MSI_FLAG_MULTI_PCI_MSI = BIT(16);
export const MSI_FLAG_PCI_MSIX = BIT(17);
export const MSI_FLAG_LEVEL_CAPABLE = BIT(18);
export const MSI_FLAG_MSIX_CONTIGUOUS = BIT(19);
export const MSI_FLAG_PCI_MSIX_ALLOC_DYN = BIT(20);
export const MSI_FLAG_NO_AFFINITY = BIT(21);
export const MSI_FLAG_NO_MASK = BIT(22);

export function hasFlag(flags: number, f: number): boolean {
  return (flags & f) === f;
}

/** struct msi_domain_ops. Every member is optional: a missing mandatory one is a NULL pointer. */
export interface MsiDomainOps {
  get_hwirq?: (info: MsiDomainInfo, arg: MsiAllocInfo) => number;
  msi_init?: (k: Kernel, domain: IrqDomain, info: MsiDomainInfo, virq: number, hwirq: number, arg: MsiAllocInfo) => number;
  msi_free?: (k: Kernel, domain: IrqDomain, info: MsiDomainInfo, virq: number) => void;
  msi_prepare?: (k: Kernel, domain: IrqDomain, dev: Device, nvec: number, arg: MsiAllocInfo) => number;
  /** Exists only from 28026cf2dd84 on. Gets info->alloc_data, which is NULL without 1396e89e09f0. */
  msi_teardown?: (k: Kernel, domain: IrqDomain, arg: MsiAllocInfo | null) => void;
  /** Called after every free until 91daac8a6893 removed it. */
  msi_post_free?: (k: Kernel, domain: IrqDomain, dev: Device) => void;
  prepare_desc?: (domain: IrqDomain, arg: MsiAllocInfo, desc: MsiDesc) => void;
  set_desc?: (arg: MsiAllocInfo, desc: MsiDesc) => void;
  /**
   * domain_alloc_irqs(): a domain that allocates a device's interrupts itself (XEN-MSI); the
   * core's __msi_domain_alloc_irqs() is skipped. Returns 0 or a negative errno (a positive count
   * asks a multi-MSI caller to retry with fewer).
   */
  domain_alloc_irqs?: (k: Kernel, domain: IrqDomain, dev: Device, nirqs: number) => number;
  /** domain_free_irqs(): its counterpart, for every interrupt of the device at once. */
  domain_free_irqs?: (k: Kernel, domain: IrqDomain, dev: Device) => void;
  /**
   * Wire-to-MSI bridges only (MBIGEN, APLIC-MSI, GICv5 IWB): the fwspec's parameters to a
   * hwirq and a trigger type, or a negative errno (msi_domain_translate() calls it).
   */
  msi_translate?: (domain: IrqDomain, param: readonly number[]) => { hwirq: number; type: number } | number;
}

/** struct msi_domain_info */
export interface MsiDomainInfo {
  flags: number;
  bus_token: BusToken;
  hwsize: number;
  ops: MsiDomainOps;
  chip: IrqChip;
  chip_data: unknown;
  /** Parent-specific data (the ITS node for the ITS domain, the PHB for pseries). */
  data: unknown;
  /** The template msi_alloc_info_t prepared at domain creation (from 1396e89e09f0 on). */
  alloc_data: MsiAllocInfo | null;
}

/** struct msi_domain_template: what a bus (PCI/MSI, PCI/MSI-X, platform MSI) hands the core. */
export interface MsiDomainTemplate {
  readonly name: string;
  readonly chip: IrqChip;
  readonly ops: MsiDomainOps;
  /** msi_domain_template::alloc_info.flags: the template's msi_alloc_info_t (MSI_ALLOC_FLAGS_FIXED_MSG_DATA). */
  readonly allocInfoFlags?: number;
  readonly info: Omit<MsiDomainInfo, 'ops' | 'chip' | 'alloc_data' | 'hwsize' | 'data' | 'chip_data'>;
}

/** struct msi_parent_ops: how an MSI parent shapes the per-device domains below it. */
export interface MsiParentOps {
  readonly supported_flags: number;
  readonly required_flags: number;
  readonly bus_select_token: BusToken;
  /** Which child bus tokens it accepts (MATCH_PCI_MSI, MATCH_PLATFORM_MSI...). */
  readonly bus_select_mask: readonly BusToken[];
  readonly prefix: string;
  init_dev_msi_info(k: Kernel, dev: Device, domain: IrqDomain, realParent: IrqDomain, info: MsiDomainInfo): boolean;
}
