// arch/x86/kernel/apic/msi.c: the vector domain (and, through it, the remapping domains) as MSI
// parent of per-device PCI/MSI domains. x86_init_dev_msi_info() shapes the child domain;
// x86_msi_prepare() only records the allocation type, so there is nothing to tear down.
import type { Device } from '../../kernel/device';
import { EINVAL } from '../../kernel/errno';
import type { IrqChip, IrqData, IrqDomain } from '../../kernel/irqdomain';
import type { Kernel } from '../../kernel/kernel';
import type { MsiAllocInfo } from '../../kernel/msi-alloc-info';
import { MATCH_PCI_MSI } from '../../kernel/msi-lib';
import {
  MSI_FLAG_MULTI_PCI_MSI,
  MSI_FLAG_PCI_MSIX,
  MSI_FLAG_PCI_MSIX_ALLOC_DYN,
  MSI_FLAG_USE_DEF_CHIP_OPS,
  MSI_FLAG_USE_DEF_DOM_OPS,
  MSI_GENERIC_FLAGS_MASK,
  type MsiDomainInfo,
  type MsiParentOps,
} from '../../kernel/msi-types';
import { initIrqAllocInfo } from './alloc-info';
import { chipSetAffinity, IRQ_SET_MASK_OK_DONE } from '../../kernel/chip-call';
import { irqMsiComposeMsg } from './msi-msg';
import { irqdCfg } from './vector';
import { MSI_FLAG_PCI_IMS, x86ImsEnabled } from '../../kernel/pci-ims';

// asm/msi.h: no MULTI_PCI_MSI without remapping (a block of vectors cannot be made contiguous)
export const X86_VECTOR_MSI_FLAGS_SUPPORTED = MSI_GENERIC_FLAGS_MASK | MSI_FLAG_PCI_MSIX | MSI_FLAG_PCI_MSIX_ALLOC_DYN;
export const X86_VECTOR_MSI_FLAGS_REQUIRED = MSI_FLAG_USE_DEF_DOM_OPS | MSI_FLAG_USE_DEF_CHIP_OPS;

// x86_msi_prepare(): zero the irq_alloc_info and set its type from the child's bus token
function x86MsiPrepare(k: Kernel, domain: IrqDomain, _dev: Device, _nvec: number, arg: MsiAllocInfo): number {
  const info = domain.hostData as MsiDomainInfo;
  const x86 = initIrqAllocInfo(arg);
  switch (info.bus_token) {
    case 'PCI_DEVICE_MSI':
      x86.type = 'PCI_MSI';
      return 0;
    case 'PCI_DEVICE_MSIX':
      x86.type = 'PCI_MSIX';
      return 0;
    case 'PCI_DEVICE_IMS':
      // 6e24c8877329 (v6.2) until its revert 850aae933c4b (v6.10)
      if (!x86ImsEnabled(k)) return -EINVAL;
      x86.type = 'PCI_MSIX';
      return 0;
    default:
      return -EINVAL;
  }
}

// irq_msi_update_msg(): compose from the vector cfg, write through the device chip
function irqMsiUpdateMsg(k: Kernel, irqd: IrqData): void {
  const cfg = irqdCfg(irqd);
  if (cfg !== null) irqd.chip?.writeMsiMsg?.(k, irqd, irqMsiComposeMsg(cfg, false));
}

// msi_set_affinity(): non-remapped MSI. The vector moves first; the message follows. The
// kernel's two-step write for non-maskable MSI leaves no state once it is done, so the model
// writes the final message directly.
export function msiSetAffinity(k: Kernel, irqd: IrqData, dest: readonly number[], force: boolean): number {
  const parent = irqd.parentData;
  if (parent === null) return -EINVAL;
  const ret = chipSetAffinity(k, parent, dest, force);
  if (ret < 0 || ret === IRQ_SET_MASK_OK_DONE) return ret;
  irqMsiUpdateMsg(k, irqd);
  return ret;
}

// x86_init_dev_msi_info()
function x86InitDevMsiInfo(k: Kernel, _dev: Device, domain: IrqDomain, realParent: IrqDomain, info: MsiDomainInfo): boolean {
  switch (realParent.busToken) {
    case 'ANY': {
      // The vector domain itself: non-remapped MSI needs the careful affinity setter
      if (domain !== realParent) k.warn('x86_init_dev_msi_info', 'vector domain is not the real parent');
      const chip: IrqChip = { ...info.chip, irqSetAffinity: msiSetAffinity };
      info.chip = chip;
      break;
    }
    case 'DMAR':
    case 'AMDVI':
      break;
    default:
      k.warn('x86_init_dev_msi_info', `unexpected parent bus token ${realParent.busToken}`);
      return false;
  }
  const pops = realParent.msiParentOps;
  switch (info.bus_token) {
    case 'PCI_DEVICE_MSI':
    case 'PCI_DEVICE_MSIX':
      break;
    case 'PCI_DEVICE_IMS':
      // 6e24c8877329 (v6.2..v6.9): only a real parent that supports IMS
      if (x86ImsEnabled(k)) {
        if (((pops?.supported_flags ?? 0) & MSI_FLAG_PCI_IMS) === 0) return false;
        break;
      }
      k.warn('x86_init_dev_msi_info', `unexpected child bus token ${info.bus_token}`);
      return false;
    default:
      k.warn('x86_init_dev_msi_info', `unexpected child bus token ${info.bus_token}`);
      return false;
  }
  if (pops === null) return false;
  // Mask with the real parent's supported flags, then add what x86 requires
  info.flags &= pops.supported_flags;
  info.flags |= X86_VECTOR_MSI_FLAGS_REQUIRED;
  info.ops.msi_prepare = x86MsiPrepare;
  return true;
}

// msi_parent_init_dev_msi_info(): a remapping parent delegates to its own parent (the vector domain)
function msiParentInitDevMsiInfo(k: Kernel, dev: Device, domain: IrqDomain, msiParentDomain: IrqDomain, info: MsiDomainInfo): boolean {
  const parent = domain.parent;
  const pops = parent?.msiParentOps ?? null;
  if (parent === null || pops === null) {
    k.warn('msi_parent_init_dev_msi_info', `${domain.name} has no MSI parent above it`);
    return false;
  }
  return pops.init_dev_msi_info(k, dev, parent, msiParentDomain, info);
}

// x86_vector_msi_parent_ops
export const x86VectorMsiParentOps: MsiParentOps = {
  supported_flags: X86_VECTOR_MSI_FLAGS_SUPPORTED,
  required_flags: X86_VECTOR_MSI_FLAGS_REQUIRED,
  bus_select_token: 'ANY',
  bus_select_mask: MATCH_PCI_MSI,
  prefix: '',
  init_dev_msi_info: x86InitDevMsiInfo,
};

const remapSupported = X86_VECTOR_MSI_FLAGS_SUPPORTED | MSI_FLAG_MULTI_PCI_MSI;

// dmar_msi_parent_ops (drivers/iommu/intel/irq_remapping.c)
export const dmarMsiParentOps: MsiParentOps = {
  supported_flags: remapSupported,
  required_flags: X86_VECTOR_MSI_FLAGS_REQUIRED,
  bus_select_token: 'DMAR',
  bus_select_mask: MATCH_PCI_MSI,
  prefix: 'IR-',
  init_dev_msi_info: msiParentInitDevMsiInfo,
};

// amdvi_msi_parent_ops (drivers/iommu/amd/iommu.c)
export const amdviMsiParentOps: MsiParentOps = {
  supported_flags: remapSupported,
  required_flags: X86_VECTOR_MSI_FLAGS_REQUIRED,
  bus_select_token: 'AMDVI',
  bus_select_mask: MATCH_PCI_MSI,
  prefix: 'IR-',
  init_dev_msi_info: msiParentInitDevMsiInfo,
};

// 810531a1af53 / fa5745aca1dc (v6.2..v6.9): the remapping parents of real hardware also support
// PCI/IMS (a VT-d unit in caching mode, a virtual IOMMU, keeps virt_dmar_msi_parent_ops without it)
export const dmarImsMsiParentOps: MsiParentOps = { ...dmarMsiParentOps, supported_flags: dmarMsiParentOps.supported_flags | MSI_FLAG_PCI_IMS };
export const amdviImsMsiParentOps: MsiParentOps = { ...amdviMsiParentOps, supported_flags: amdviMsiParentOps.supported_flags | MSI_FLAG_PCI_IMS };
