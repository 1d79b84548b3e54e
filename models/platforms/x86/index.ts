// The x86 platforms: the vector domain with Intel VT-d interrupt remapping, with AMD-Vi
// interrupt remapping, or with no remapping at all. They share every model file and differ
// only in the configuration boot() gets.
import type { FaultSite } from '../../kernel/faults';
import type { Kernel } from '../../kernel/kernel';
import type { PlatformModel } from '../platform';
import { MAX_IRQS_PER_TABLE_512 } from './amd-ir';
import { DEFAULT_DRHD } from './dmar';
import { X86Platform, type X86Config } from './instance';
import { VFIO_PATCHES, X86_PATCHES, x86Revisions } from './revisions';
import { IMS_PATCHES } from '../../kernel/pci-ims';
import { HV_PATCHES, hypervRevisions } from './hyperv-revisions';
import { VMD_PATCHES, vmdRevisions } from './vmd-revisions';
import { X86VmdPlatform } from './vmd-platform';
import type { VmdConfig } from './vmd';

const COMMON_FAULTS: readonly FaultSite[] = [
  { name: 'irq_matrix_alloc', class: 'resource', description: 'irq_matrix_alloc() finds no free vector on the chosen CPU (-ENOSPC)' },
  { name: 'irq_matrix_reserve_managed', class: 'resource', description: 'irq_matrix_reserve_managed() finds no slot on a CPU of the mask (-ENOSPC)' },
  { name: 'alloc_apic_chip_data', class: 'kmalloc', description: 'the apic_chip_data allocation in x86_vector_alloc_irqs() fails' },
];

const INTEL_FAULTS: readonly FaultSite[] = [
  { name: 'alloc_irte', class: 'resource', description: 'bitmap_find_free_region() in alloc_irte() finds no IRTE block' },
  { name: 'intel_ir_data', class: 'kmalloc', description: 'an intel_ir_data allocation in intel_irq_remapping_alloc() fails' },
];

const AMD_FAULTS: readonly FaultSite[] = [
  { name: 'alloc_irq_index', class: 'resource', description: 'alloc_irq_index() finds no run of free entries in the remap table' },
  { name: 'alloc_irq_table', class: 'kmalloc', description: '__alloc_irq_table() fails (alloc_irq_index returns -ENODEV)' },
  { name: 'amd_ir_data', class: 'kmalloc', description: 'an amd_ir_data allocation in irq_remapping_alloc() fails' },
];

export const X86_INTEL_IR_CONFIG: X86Config = { remap: 'intel', dmar: DEFAULT_DRHD, maxHandleMask: 0xf, amd: null, hpetChannels: 3 };
export const X86_AMD_IR_CONFIG: X86Config = {
  remap: 'amd',
  dmar: [],
  maxHandleMask: 0,
  amd: { maxIrqs: MAX_IRQS_PER_TABLE_512, hpet: [{ id: 0, devid: 0x00a0 }] },
  hpetChannels: 3,
};
/** VT-d present for DMA remapping (its units still have fault interrupts), interrupt remapping off. */
export const X86_NO_IR_CONFIG: X86Config = { remap: 'none', dmar: DEFAULT_DRHD, maxHandleMask: 0xf, amd: null, hpetChannels: 3 };

function x86Model(name: string, title: string, config: X86Config, faults: readonly FaultSite[], vfBroken: boolean, offlineLeak: boolean): PlatformModel {
  return {
    name,
    title,
    patches: [...X86_PATCHES, ...VFIO_PATCHES, ...IMS_PATCHES],
    revisions: x86Revisions(vfBroken, offlineLeak),
    currentRevision: 'v6.18',
    faultSites: [...COMMON_FAULTS, ...faults],
    capabilities: { platformMsi: false, affinity: true },
    boot: (k: Kernel) => new X86Platform(k, config),
  };
}

export const x86IntelIrPlatform = x86Model('x86-intel-ir', 'x86 vector domain with Intel VT-d interrupt remapping (two DMAR units, HPET)', X86_INTEL_IR_CONFIG, INTEL_FAULTS, true, true);
export const x86AmdIrPlatform = x86Model('x86-amd-ir', 'x86 vector domain with AMD-Vi interrupt remapping (HPET)', X86_AMD_IR_CONFIG, AMD_FAULTS, false, false);
export const x86NoIrPlatform = x86Model('x86-noir', 'x86 vector domain as the only MSI parent (VT-d DMA remapping only, HPET)', X86_NO_IR_CONFIG, [], false, true);

const HYPERV_FAULTS: readonly FaultSite[] = [
  { name: 'PCI_CREATE_INTERRUPT_MESSAGE', class: 'resource', description: 'the host answers PCI_CREATE_INTERRUPT_MESSAGE with an error (no IRT entry): hv_compose_msi_msg() composes a zero message' },
  { name: 'vmbus_sendpacket_getid', class: 'firmware', description: 'sending PCI_CREATE_INTERRUPT_MESSAGE on the vPCI channel fails in hv_compose_msi_msg()' },
  { name: 'hv_compose_msi_msg', class: 'kmalloc', description: 'the tran_int_desc allocation (GFP_ATOMIC) in hv_compose_msi_msg() fails' },
];
// Not a fault site: HVCALL_RETARGET_INTERRUPT, which per the comment in hv_irq_retarget_interrupt()
// fails only while the VMBus channel is closed for hibernation (not modelled); its failure
// path (logged, the entry keeps its target) is modelled and reachable through the host.

/** A Hyper-V guest (Gen2): no IOMMU, no HPET, every PCI function on a vPCI bus of its own. */
export const X86_HYPERV_CONFIG: X86Config = { remap: 'none', dmar: [], maxHandleMask: 0, amd: null, hpetChannels: 0, hyperv: { irtPerBus: 256 } };

export const x86HypervPlatform: PlatformModel = {
  name: 'x86-hyperv',
  title: 'x86 Hyper-V guest: vPCI buses (pci-hyperv) on the vector domain, the host\'s interrupt redirection table',
  patches: [...X86_PATCHES, ...VFIO_PATCHES, ...HV_PATCHES],
  revisions: hypervRevisions(),
  currentRevision: 'v7.2',
  faultSites: [...COMMON_FAULTS, ...HYPERV_FAULTS],
  capabilities: { platformMsi: false, affinity: true },
  boot: (k: Kernel) => new X86Platform(k, X86_HYPERV_CONFIG),
};

const VMD_FAULTS: readonly FaultSite[] = [
  { name: 'vmd_msi_alloc', class: 'kmalloc', description: 'the vmd_irq allocation for a child irq fails (vmd_msi_init() in 6.12, vmd_msi_alloc() since d7d8ab87e3e7)' },
  { name: 'vmd_create_irq_domain', class: 'kmalloc', description: 'irq_domain_alloc_named_id_fwnode() fails in vmd_create_irq_domain(): vmd_probe() fails' },
  { name: 'vmd_alloc_irqs', class: 'kmalloc', description: 'devm_kcalloc() of the vector lists fails in vmd_alloc_irqs(): vmd_probe() fails' },
];

/** A server VMD at 00:0e.0 with 4 MSI-X vectors (no VMD_FEAT_OFFSET_FIRST_VECTOR), remapping its children's MSIs. */
export const VMD_CONFIG: VmdConfig = { rid: 0x0070, msixCount: 4, offsetFirstVector: false };

/** An Intel VT-d machine with a VMD: the VMD's own vectors go through IR, its children's through the VMD. */
export const x86VmdPlatform: PlatformModel = {
  name: 'x86-vmd',
  title: 'x86 with Intel VT-d and an Intel VMD (drivers/pci/controller/vmd.c): child functions in PCI domain 10000 demultiplexed from the VMD\'s vectors',
  patches: [...X86_PATCHES, ...VFIO_PATCHES, ...VMD_PATCHES],
  revisions: vmdRevisions(),
  currentRevision: 'v7.2',
  faultSites: [...COMMON_FAULTS, ...INTEL_FAULTS, ...VMD_FAULTS],
  capabilities: { platformMsi: false, affinity: true, pciSegments: [0x10000] },
  boot: (k: Kernel) => new X86VmdPlatform(k, X86_INTEL_IR_CONFIG, VMD_CONFIG),
};

export const platforms: readonly PlatformModel[] = [x86IntelIrPlatform, x86AmdIrPlatform, x86NoIrPlatform, x86HypervPlatform, x86VmdPlatform];

/** The firmware facts of every x86 platform, by name (what the x86 commands and invariants read). */
export const X86_PLATFORM_CONFIGS: ReadonlyMap<string, X86Config> = new Map([
  [x86IntelIrPlatform.name, X86_INTEL_IR_CONFIG],
  [x86AmdIrPlatform.name, X86_AMD_IR_CONFIG],
  [x86NoIrPlatform.name, X86_NO_IR_CONFIG],
  [x86HypervPlatform.name, X86_HYPERV_CONFIG],
  [x86VmdPlatform.name, X86_INTEL_IR_CONFIG],
]);

export default x86IntelIrPlatform;
export { X86Platform };
