// arch/x86/kernel/apic/msi.c before v6.2 (and drivers/iommu/intel/irq_remapping.c,
// drivers/iommu/amd/iommu.c with it): the global PCI/MSI domains of x86. The vector domain
// has one, "PCI-MSI" (x86_pci_msi_default_domain, native_create_pci_msi_domain()); every
// interrupt remapping unit has its own "IR-PCI-MSI" (arch_create_remap_msi_irq_domain()) on top
// of its remapping domain. The x86 conversion to per-device domains (b6d5fc3a5245 for the vector
// domain, 9a945234abea for VT-d, cc7594ffadde for AMD-Vi, all v6.2) replaced them by MSI parents.
import type { Device } from '../../kernel/device';
import { PciDev } from '../../kernel/device';
import type { IrqChip, IrqDomain } from '../../kernel/irqdomain';
import type { Kernel } from '../../kernel/kernel';
import type { MsiAllocInfo } from '../../kernel/msi-alloc-info';
import { pciMsiCreateIrqDomain } from '../../kernel/pci-msi-global';
import { MSI_FLAG_MULTI_PCI_MSI, MSI_FLAG_PCI_MSIX, MSI_FLAG_USE_DEF_CHIP_OPS, MSI_FLAG_USE_DEF_DOM_OPS, type MsiDomainInfo } from '../../kernel/msi-types';
import { initIrqAllocInfo } from './alloc-info';
import { msiSetAffinity } from './x86-msi';

/** The x86 vector domain became an MSI parent (per-device PCI/MSI domains) in this commit. */
export const X86_VECTOR_MSI_PARENT = 'b6d5fc3a5245';
/** VT-d's remapping domains became MSI parents. */
export const DMAR_MSI_PARENT = '9a945234abea';
/** AMD-Vi's remapping domains became MSI parents. */
export const AMDVI_MSI_PARENT = 'cc7594ffadde';

/**
 * pci_msi_prepare(): zero the irq_alloc_info, the type from what the device has enabled.
 * Returns 0.
 */
export function pciMsiPrepare(_k: Kernel, _domain: IrqDomain, dev: Device, _nvec: number, arg: MsiAllocInfo): number {
  const x86 = initIrqAllocInfo(arg);
  x86.type = dev instanceof PciDev && dev.msixEnabled ? 'PCI_MSIX' : 'PCI_MSI';
  return 0;
}

function info(chip: IrqChip, flags: number): MsiDomainInfo {
  return {
    flags,
    bus_token: 'ANY',
    hwsize: 0,
    ops: { msi_prepare: pciMsiPrepare },
    chip,
    chip_data: null,
    data: null,
    alloc_data: null,
  };
}

/**
 * native_create_pci_msi_domain(): "PCI-MSI" on the vector domain, with pci_msi_controller
 * (msi_set_affinity moves a non-remapped MSI carefully). No multi-MSI: a block of vectors cannot
 * be made contiguous. Returns the domain.
 */
export function nativeCreatePciMsiDomain(k: Kernel, vectorDomain: IrqDomain): IrqDomain {
  const chip: IrqChip = { name: 'PCI-MSI', irqSetAffinity: msiSetAffinity };
  return pciMsiCreateIrqDomain(k, 'PCI-MSI', info(chip, MSI_FLAG_USE_DEF_DOM_OPS | MSI_FLAG_USE_DEF_CHIP_OPS | MSI_FLAG_PCI_MSIX), vectorDomain);
}

/**
 * arch_create_remap_msi_irq_domain(): "IR-PCI-MSI" on a remapping unit's domain, with
 * pci_msi_ir_controller (no irq_set_affinity of its own: msi_domain_set_affinity() and the
 * remapping level do it), multi-MSI allowed. Returns the domain.
 */
export function archCreateRemapMsiIrqDomain(k: Kernel, irDomain: IrqDomain, id: number): IrqDomain {
  const chip: IrqChip = { name: 'IR-PCI-MSI' };
  return pciMsiCreateIrqDomain(k, `IR-PCI-MSI-${id}`, info(chip, MSI_FLAG_USE_DEF_DOM_OPS | MSI_FLAG_USE_DEF_CHIP_OPS | MSI_FLAG_MULTI_PCI_MSI | MSI_FLAG_PCI_MSIX), irDomain);
}

/**
 * The global PCI/MSI domains a pre-v6.2 x86 kernel creates at boot, keyed by the domain under
 * each (the vector domain, each remapping unit's domain). Empty from v6.2 on, where the domains
 * under are the MSI parents themselves.
 */
export function createGlobalPciMsiDomains(
  k: Kernel,
  vectorDomain: IrqDomain,
  iommus: readonly { readonly seqId: number; readonly irDomain: IrqDomain | null }[],
  amd: { readonly index: number; readonly irDomain: IrqDomain | null } | null,
): Map<IrqDomain, IrqDomain> {
  const out = new Map<IrqDomain, IrqDomain>();
  if (!k.applied(X86_VECTOR_MSI_PARENT)) out.set(vectorDomain, nativeCreatePciMsiDomain(k, vectorDomain));
  if (!k.applied(DMAR_MSI_PARENT)) for (const u of iommus) if (u.irDomain !== null) out.set(u.irDomain, archCreateRemapMsiIrqDomain(k, u.irDomain, u.seqId));
  if (!k.applied(AMDVI_MSI_PARENT) && amd !== null && amd.irDomain !== null) out.set(amd.irDomain, archCreateRemapMsiIrqDomain(k, amd.irDomain, amd.index));
  return out;
}
