// The x86 platforms: the vector domain with Intel VT-d interrupt remapping, with AMD-Vi
// interrupt remapping, or with no remapping at all. They share every model file and differ
// only in the configuration boot() gets.
import type { FaultSite, PoolSpec } from '../../kernel/faults';
import type { Kernel } from '../../kernel/kernel';
import type { PlatformModel } from '../platform';
import { MAX_IRQS_PER_TABLE_512 } from './amd-ir';
import { DEFAULT_DRHD } from './dmar';
import { DEFAULT_IOAPIC } from './ioapic';
import { X86Platform, type X86Config } from './instance';
import { VFIO_PATCHES, X86_PATCHES, x86Revisions } from './revisions';
import { IMS_PATCHES } from '../../kernel/pci-ims';
import { HV_PATCHES, hypervRevisions } from './hyperv-revisions';
import { VMD_PATCHES, vmdRevisions } from './vmd-revisions';
import { X86VmdPlatform } from './vmd-platform';
import type { VmdConfig } from './vmd';

const COMMON_FAULTS: readonly FaultSite[] = [
  {
    name: 'irq_matrix_alloc',
    class: 'resource',
    kernel: 'kernel/irq/matrix.c: irq_matrix_alloc() from assign_vector_locked()',
    description: 'irq_matrix_alloc() finds no free vector on the chosen CPU (-ENOSPC); not injected during the CPU hot-unplug migration (drain a CPU with exhaust(vector, cpu=N) there)',
  },
  {
    name: 'irq_matrix_reserve_managed',
    class: 'resource',
    kernel: 'kernel/irq/matrix.c: irq_matrix_reserve_managed() from reserve_managed_vector()',
    description: 'irq_matrix_reserve_managed() finds no slot on a CPU of the mask (-ENOSPC; the CPUs done so far are undone)',
  },
  {
    name: 'alloc_apic_chip_data',
    class: 'kmalloc',
    kernel: 'arch/x86/kernel/apic/vector.c: alloc_apic_chip_data() from x86_vector_alloc_irqs()',
    description: 'the apic_chip_data allocation of the k-th irq fails: x86_vector_free_irqs() of the ones before it, -ENOMEM',
  },
  {
    name: 'pci_iov_add_virtfn',
    class: 'kmalloc',
    kernel: 'drivers/pci/iov.c: pci_iov_add_virtfn() (pci_alloc_dev) from sriov_add_vfs()',
    description: 'the k-th VF cannot be allocated: the VFs added so far are removed again, pci_enable_sriov() returns -ENOMEM',
  },
];

/** The IOAPIC's own allocations on the paths that map a GSI (the PCs with an IOAPIC). */
const IOAPIC_FAULTS: readonly FaultSite[] = [
  {
    name: 'mp_irqdomain_alloc',
    class: 'kmalloc',
    kernel: 'arch/x86/kernel/apic/io_apic.c: kzalloc of the mp_chip_data in mp_irqdomain_alloc()',
    description: 'the mp_chip_data of a pin cannot be allocated: mp_irqdomain_alloc() fails before its parents, acpi_register_gsi() returns -ENOMEM',
  },
  {
    name: 'add_pin_to_irq_node',
    class: 'kmalloc',
    kernel: 'arch/x86/kernel/apic/io_apic.c: kzalloc_node of the irq_pin_list in add_pin_to_irq_node()',
    description: 'the pin list entry cannot be allocated: mp_irqdomain_alloc() frees its parents and the chip data, -ENOMEM',
  },
];

const INTEL_FAULTS: readonly FaultSite[] = [
  {
    name: 'alloc_irte',
    class: 'resource',
    kernel: 'drivers/iommu/intel/irq_remapping.c: alloc_irte() from intel_irq_remapping_alloc()',
    description: 'bitmap_find_free_region() in alloc_irte() finds no IRTE block: the parent is freed, -ENOMEM',
  },
  {
    name: 'intel_ir_data',
    class: 'kmalloc',
    kernel: 'drivers/iommu/intel/irq_remapping.c: intel_irq_remapping_alloc()',
    description: 'the k-th intel_ir_data allocation fails (the first one before alloc_irte(), then one per further irq): what was set up is freed, -ENOMEM',
  },
];

const AMD_FAULTS: readonly FaultSite[] = [
  {
    name: 'alloc_irq_index',
    class: 'resource',
    kernel: 'drivers/iommu/amd/iommu.c: alloc_irq_index() from irq_remapping_alloc()',
    description: 'alloc_irq_index() finds no run of free entries in the remap table (-ENOSPC)',
  },
  {
    name: 'alloc_irq_table',
    class: 'kmalloc',
    kernel: 'drivers/iommu/amd/iommu.c: __alloc_irq_table() from alloc_irq_table()',
    description: '__alloc_irq_table() fails (alloc_irq_index returns -ENODEV)',
  },
  {
    name: 'amd_ir_data',
    class: 'kmalloc',
    kernel: 'drivers/iommu/amd/iommu.c: irq_remapping_alloc()',
    description: 'the k-th amd_ir_data allocation (or of its IRTE entry) fails: the entries and data so far are freed, -ENOMEM',
  },
];

/** The per-CPU vector space: exhaust(vector, cpu=N) leaves CPU N no free vector for one command. */
const COMMON_POOLS: readonly PoolSpec[] = [
  {
    name: 'vector',
    perCpu: true,
    kernel: 'kernel/irq/matrix.c: matrix_find_best_cpu(), irq_matrix_reserve_managed(), irq_matrix_available()',
    description: 'CPU N has no free vector (its free ones are held by interrupts outside the model): allocations go to other CPUs of the mask or fail with -ENOSPC, lapic_can_unplug_cpu() counts no room there',
  },
];

const INTEL_POOLS: readonly PoolSpec[] = [
  { name: 'IRTE', perCpu: false, kernel: 'drivers/iommu/intel/irq_remapping.c: alloc_irte()', description: 'every VT-d unit\'s interrupt remapping table is full' },
];

const AMD_POOLS: readonly PoolSpec[] = [
  { name: 'AMD-IRTE', perCpu: false, kernel: 'drivers/iommu/amd/iommu.c: alloc_irq_index()', description: 'every existing AMD-Vi remap table is full (a table allocated during the command starts empty)' },
];

export const X86_INTEL_IR_CONFIG: X86Config = { remap: 'intel', dmar: DEFAULT_DRHD, maxHandleMask: 0xf, amd: null, hpetChannels: 3, ioapic: DEFAULT_IOAPIC };
/** The IOAPIC and the HPET sit behind one requester ID (00:14.0), as on AMD chipsets: they share a remap table. */
export const X86_AMD_IR_CONFIG: X86Config = {
  remap: 'amd',
  dmar: [],
  maxHandleMask: 0,
  amd: { maxIrqs: MAX_IRQS_PER_TABLE_512, hpet: [{ id: 0, devid: 0x00a0 }], ioapic: [{ id: DEFAULT_IOAPIC.id, devid: 0x00a0 }] },
  hpetChannels: 3,
  ioapic: DEFAULT_IOAPIC,
};
/** VT-d present for DMA remapping (its units still have fault interrupts), interrupt remapping off. */
export const X86_NO_IR_CONFIG: X86Config = { remap: 'none', dmar: DEFAULT_DRHD, maxHandleMask: 0xf, amd: null, hpetChannels: 3, ioapic: DEFAULT_IOAPIC };
/** The VMD server's machine: VT-d as on x86-intel-ir; its IOAPIC and legacy irqs are not modelled there. */
export const X86_VMD_HOST_CONFIG: X86Config = { remap: 'intel', dmar: DEFAULT_DRHD, maxHandleMask: 0xf, amd: null, hpetChannels: 3 };

function x86Model(name: string, title: string, config: X86Config, platformFaults: readonly FaultSite[], pools: readonly PoolSpec[], vfBroken: boolean, offlineLeak: boolean): PlatformModel {
  const faults = config.ioapic !== undefined ? [...platformFaults, ...IOAPIC_FAULTS] : platformFaults;
  return {
    name,
    title,
    patches: [...X86_PATCHES, ...VFIO_PATCHES, ...IMS_PATCHES],
    revisions: x86Revisions(vfBroken, offlineLeak),
    currentRevision: 'v6.18',
    faultSites: [...COMMON_FAULTS, ...faults],
    pools: [...COMMON_POOLS, ...pools],
    capabilities: { platformMsi: false, affinity: true },
    boot: (k: Kernel) => new X86Platform(k, config),
  };
}

export const x86IntelIrPlatform = x86Model('x86-intel-ir', 'x86 vector domain with Intel VT-d interrupt remapping (two DMAR units, HPET, IOAPIC)', X86_INTEL_IR_CONFIG, INTEL_FAULTS, INTEL_POOLS, true, true);
export const x86AmdIrPlatform = x86Model('x86-amd-ir', 'x86 vector domain with AMD-Vi interrupt remapping (HPET, IOAPIC)', X86_AMD_IR_CONFIG, AMD_FAULTS, AMD_POOLS, false, false);
export const x86NoIrPlatform = x86Model('x86-noir', 'x86 vector domain as the only MSI parent (VT-d DMA remapping only, HPET, IOAPIC)', X86_NO_IR_CONFIG, [], [], false, true);

const HYPERV_FAULTS: readonly FaultSite[] = [
  { name: 'PCI_CREATE_INTERRUPT_MESSAGE', class: 'resource', kernel: 'drivers/pci/controller/pci-hyperv.c: the host\'s completion status (hv_pci_compose_compl()) checked in hv_compose_msi_msg()', description: 'the host answers PCI_CREATE_INTERRUPT_MESSAGE with an error (no IRT entry): hv_compose_msi_msg() composes a zero message' },
  { name: 'vmbus_sendpacket_getid', class: 'firmware', kernel: 'drivers/pci/controller/pci-hyperv.c: vmbus_sendpacket_getid() from hv_compose_msi_msg()', description: 'sending PCI_CREATE_INTERRUPT_MESSAGE on the vPCI channel fails in hv_compose_msi_msg()' },

  { name: 'hv_compose_msi_msg', class: 'kmalloc', kernel: 'drivers/pci/controller/pci-hyperv.c: kzalloc(GFP_ATOMIC) of the tran_int_desc in hv_compose_msi_msg()', description: 'the tran_int_desc allocation (GFP_ATOMIC) in hv_compose_msi_msg() fails' },
  { name: 'HVCALL_RETARGET_INTERRUPT', class: 'firmware', kernel: 'drivers/pci/controller/pci-hyperv.c: hv_do_hypercall(HVCALL_RETARGET_INTERRUPT) from hv_irq_retarget_interrupt() (hv_irq_unmask())', description: 'the hypervisor fails the retarget at unmask: only logged ("hv_irq_retarget_interrupt() failed"), the host entry keeps its vector and vCPU' },
  { name: 'hv_irq_retarget_interrupt', class: 'kmalloc', kernel: 'drivers/pci/controller/pci-hyperv.c: alloc_cpumask_var(GFP_ATOMIC) in hv_irq_retarget_interrupt() (CONFIG_CPUMASK_OFFSTACK)', description: 'the temporary cpumask of the VP_SET retarget cannot be allocated: no hypercall, logged as a failed retarget, the host entry keeps its target' },
];

/** A Hyper-V guest (Gen2): no IOMMU, no HPET, every PCI function on a vPCI bus of its own. */
export const X86_HYPERV_CONFIG: X86Config = { remap: 'none', dmar: [], maxHandleMask: 0, amd: null, hpetChannels: 0, hyperv: { irtPerBus: 256 } };

export const x86HypervPlatform: PlatformModel = {
  name: 'x86-hyperv',
  title: 'x86 Hyper-V guest: vPCI buses (pci-hyperv) on the vector domain, the host\'s interrupt redirection table',
  patches: [...X86_PATCHES, ...VFIO_PATCHES, ...HV_PATCHES],
  revisions: hypervRevisions(),
  currentRevision: 'v7.2',
  faultSites: [...COMMON_FAULTS, ...HYPERV_FAULTS],
  pools: COMMON_POOLS,
  capabilities: { platformMsi: false, affinity: true },
  boot: (k: Kernel) => new X86Platform(k, X86_HYPERV_CONFIG),
};

const VMD_FAULTS: readonly FaultSite[] = [
  { name: 'vmd_msi_alloc', class: 'kmalloc', kernel: 'drivers/pci/controller/vmd.c: kzalloc of the vmd_irq in vmd_msi_alloc() (vmd_msi_init() in 6.12)', description: 'the vmd_irq allocation for a child irq fails (vmd_msi_init() in 6.12, vmd_msi_alloc() since d7d8ab87e3e7)' },
  { name: 'vmd_create_irq_domain', class: 'kmalloc', kernel: 'drivers/pci/controller/vmd.c: irq_domain_alloc_named_id_fwnode() from vmd_create_irq_domain()', description: 'irq_domain_alloc_named_id_fwnode() fails in vmd_create_irq_domain(): vmd_probe() fails' },
  { name: 'vmd_alloc_irqs', class: 'kmalloc', kernel: 'drivers/pci/controller/vmd.c: devm_kcalloc() from vmd_alloc_irqs()', description: 'devm_kcalloc() of the vector lists fails in vmd_alloc_irqs(): vmd_probe() fails' },
];

/** A server VMD at 00:0e.0 with 4 MSI-X vectors (no VMD_FEAT_OFFSET_FIRST_VECTOR), remapping its children's MSIs. */
export const VMD_CONFIG: VmdConfig = { rid: 0x0070, msixCount: 4, offsetFirstVector: false, bypass: { canBypassMsiRemap: false, membarOffset: false } };

/** An Intel VT-d machine with a VMD: the VMD's own vectors go through IR, its children's through the VMD. */
export const x86VmdPlatform: PlatformModel = {
  name: 'x86-vmd',
  title: 'x86 with Intel VT-d and an Intel VMD (drivers/pci/controller/vmd.c): child functions in PCI domain 10000 demultiplexed from the VMD\'s vectors',
  patches: [...X86_PATCHES, ...VFIO_PATCHES, ...VMD_PATCHES],
  revisions: vmdRevisions(),
  currentRevision: 'v7.2',
  faultSites: [...COMMON_FAULTS, ...INTEL_FAULTS, ...VMD_FAULTS],
  pools: [...COMMON_POOLS, ...INTEL_POOLS],
  capabilities: { platformMsi: false, affinity: true, pciSegments: [0x10000] },
  boot: (k: Kernel) => new X86VmdPlatform(k, X86_VMD_HOST_CONFIG, VMD_CONFIG),
};

export const platforms: readonly PlatformModel[] = [x86IntelIrPlatform, x86AmdIrPlatform, x86NoIrPlatform, x86HypervPlatform, x86VmdPlatform];

/** The firmware facts of every x86 platform, by name (what the x86 commands and invariants read). */
export const X86_PLATFORM_CONFIGS: ReadonlyMap<string, X86Config> = new Map([
  [x86IntelIrPlatform.name, X86_INTEL_IR_CONFIG],
  [x86AmdIrPlatform.name, X86_AMD_IR_CONFIG],
  [x86NoIrPlatform.name, X86_NO_IR_CONFIG],
  [x86HypervPlatform.name, X86_HYPERV_CONFIG],
  [x86VmdPlatform.name, X86_VMD_HOST_CONFIG],
]);

export default x86IntelIrPlatform;
export { X86Platform };
