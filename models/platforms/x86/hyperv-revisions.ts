// The pci-hyperv commits of the modelled paths and the named states of the x86-hyperv
// platform. Jeffrey Hugo's multi-MSI series went into v5.19 as four commits; Dexuan Cui on the
// 5.18-stable selection of the first alone: "Multi-MSI can't work properly if we only pick up
// the first patch" (the intermediate states below are the series' own bisection points).
import { CORE_PATCHES } from '../../kernel/core-patches';
import { patchesUpTo, type NamedRevision, type Patch } from '../../kernel/patches';
import { VFIO_PATCHES, X86_PATCHES } from './revisions';

export const HV_PATCHES: readonly Patch[] = [
  {
    id: '08e61e861a0e',
    title: 'PCI: hv: Fix multi-MSI to allow more than one MSI vector',
    scope: 'hyperv',
    release: 'v5.19',
    link: '1651068427-29495-1-git-send-email-quic_jhugo@quicinc.com',
    summary: 'MSI_FLAG_MULTI_PCI_MSI in the vPCI bus\'s msi_domain_info: a driver may get a block of MSIs',
  },
  {
    id: '455880dfe292',
    title: 'PCI: hv: Fix hv_arch_irq_unmask() for multi-MSI',
    scope: 'hyperv',
    release: 'v5.19',
    link: '1651068453-29588-1-git-send-email-quic_jhugo@quicinc.com',
    summary: 'the retarget hypercall names the host entry by the irq\'s tran_int_desc (chip_data) instead of msi_desc->msg, which is the first irq\'s for every irq of a block',
  },
  {
    id: 'b4b77778ecc5',
    title: 'PCI: hv: Reuse existing IRTE allocation in compose_msi_msg()',
    scope: 'hyperv',
    release: 'v5.19',
    link: '1652132902-27109-2-git-send-email-quic_jhugo@quicinc.com',
    summary: 'hv_compose_msi_msg() returns the message of an existing tran_int_desc instead of freeing it and asking the host again',
  },
  {
    id: 'a2bad844a67b',
    title: 'PCI: hv: Fix interrupt mapping for multi-MSI',
    scope: 'hyperv',
    release: 'v5.19',
    link: '1652132902-27109-3-git-send-email-quic_jhugo@quicinc.com',
    requires: ['b4b77778ecc5'],
    summary: 'one PCI_CREATE_INTERRUPT_MESSAGE for a whole multi-MSI block (vector_count = nvec_used, dummy vector 32); the block\'s other irqs derive their data from the first',
  },
  {
    id: 'c234ba804292',
    title: 'PCI: hv: Only reuse existing IRTE allocation for Multi-MSI',
    scope: 'hyperv',
    release: 'v6.1',
    link: '20221104222953.11356-1-decui@microsoft.com',
    requires: ['b4b77778ecc5'],
    summary: 'the reuse only for multi-MSI (single MSI and MSI-X free and re-request, so the host picks a pCPU for the real vCPU); the multi-MSI dummy vCPU goes round robin',
  },
  {
    id: '5f83d6337c9c',
    title: 'PCI: hv: Switch to msi_create_parent_irq_domain()',
    scope: 'hyperv',
    release: 'v6.17',
    link: '024f0122314198fe0a42fef01af53e8953a687ec.1750858083.git.namcao@linutronix.de',
    summary: 'each vPCI bus becomes an MSI parent ("HV-") of per-device domains (hv_pcie_domain_alloc/free) instead of a global PCI/MSI domain; device mask/unmask go to the parent (MSI_FLAG_PCI_MSI_MASK_PARENT)',
  },
  {
    id: 'msi-fuzz-hv-irte-at-alloc',
    title: 'PCI: hv: Request the host\'s interrupt entry at allocation (msi-fuzz proposal)',
    scope: 'hyperv',
    proposedBy: 'msi-fuzz',
    link: 'not posted: the TODO in drivers/pci/controller/pci-hyperv.c hv_pcie_domain_alloc()',
    summary: 'the tran_int_desc is allocated and PCI_CREATE_INTERRUPT_MESSAGE sent when the irq is allocated (hv_pcie_domain_alloc(), msi_init for the global domain), so a host error fails pci_alloc_irq_vectors() instead of composing a zero message; compose only reads the entry',
  },
  {
    id: 'msi-fuzz-hv-multi-msi-entry-follows-irq',
    title: 'PCI: hv: Keep each multi-MSI entry on a vector its irq owns (msi-fuzz proposal)',
    scope: 'hyperv',
    proposedBy: 'msi-fuzz',
    link: 'not posted: the "dummy value" comment in drivers/pci/controller/pci-hyperv.c hv_compose_msi_msg()',
    summary: 'hv_compose_msi_msg() retargets a multi-MSI irq\'s host entry to its real vector and vCPU as soon as it has one (instead of leaving the block on dummy vectors 32.. until each irq is unmasked), and the vPCI parent domain\'s deactivate parks the entry on SPURIOUS_APIC_VECTOR before the irq\'s vector is released (implemented for the MSI-parent shape of 5f83d6337c9c)',
  },
  {
    id: 'msi-fuzz-hv-affinity-pre-startup',
    title: 'PCI: hv: Set IRQCHIP_AFFINITY_PRE_STARTUP (msi-fuzz proposal)',
    scope: 'hyperv',
    proposedBy: 'msi-fuzz',
    link: 'not posted: hv_pcie_init_dev_msi_info() / hv_msi_irq_chip in drivers/pci/controller/pci-hyperv.c',
    summary: 'irq_startup() routes the irq (irq_setup_affinity()) before __irq_startup() unmasks it, so hv_irq_unmask()\'s retarget points the host entry at the vector the irq ends up with; without it a vector moved by irq_setup_affinity() after startup leaves the entry on the old one until the next unmask',
  },
];

const POOL: readonly Patch[] = [...CORE_PATCHES, ...X86_PATCHES, ...VFIO_PATCHES, ...HV_PATCHES];

/** Before v6.10 the x86 CPU-offline vector leak (a6c11c0a5235) is reachable here too: the vPCI vectors are not remapped by the guest. */
const LEAK = ' (before v6.10: also the x86 CPU-offline vector leak)';

export function hypervRevisions(): readonly NamedRevision[] {
  const at = (name: string, description: string, patches: readonly string[], seriesBroken: boolean): NamedRevision => {
    const leaks = !patches.includes('a6c11c0a5235');
    return { name, description: description + (leaks ? LEAK : ''), patches, correct: !seriesBroken && !leaks };
  };
  const v518 = patchesUpTo(POOL, 'v5.18');
  return [
    at('v5.18', 'before the multi-MSI series: no MSI_FLAG_MULTI_PCI_MSI, one host entry per irq, freed and requested again on every compose', v518, false),
    at('hv-multi-msi-1of4', 'v5.18 with 08e61e861a0e alone (as the 5.18-stable selection had it): multi-MSI blocks, one host entry per irq', [...v518, '08e61e861a0e'], true),
    at('hv-multi-msi-2of4', 'the series\' second bisection point: the retarget names the irq\'s own entry, still one entry per irq', [...v518, '08e61e861a0e', '455880dfe292'], true),
    at('hv-multi-msi-3of4', 'the third bisection point: entries reused, still one per irq of a block', [...v518, '08e61e861a0e', '455880dfe292', 'b4b77778ecc5'], true),
    at('v5.19', 'the whole multi-MSI series: one host request per block', patchesUpTo(POOL, 'v5.19'), false),
    at('v6.1', 'reuse for multi-MSI only (c234ba804292)', patchesUpTo(POOL, 'v6.1'), false),
    at('v6.12', 'Debian 6.12: a global PCI/MSI domain per vPCI bus', patchesUpTo(POOL, 'v6.12'), false),
    at('v7.2', 'current upstream (Debian unstable 7.2): each vPCI bus an MSI parent of per-device domains (5f83d6337c9c)', patchesUpTo(POOL, 'v7.2'), false),
  ];
}
