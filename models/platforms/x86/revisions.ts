// The x86 commits of seed 001 (the 2020 "x86, PCI, XEN, genirq ...: Prepare for device MSI"
// series and its two fixes) and the named kernel states of the x86 platforms.
import { CORE_PATCHES } from '../../kernel/core-patches';
import { patchesUpTo, type NamedRevision, type Patch } from '../../kernel/patches';
import { IMS_PATCHES } from '../../kernel/pci-ims';

export const X86_PATCHES: readonly Patch[] = [
  {
    id: '9006c133a422',
    title: 'x86/msi: Use generic MSI domain ops',
    scope: 'x86',
    release: 'v5.10',
    link: '20200826112332.564274859@linutronix.de',
    summary: 'dmar_msi_get_hwirq()/hpet_msi_get_hwirq() deleted in favour of the core default; dmar_alloc_hwirq() sets info.hwirq',
  },
  {
    id: 'd27e623ace6a',
    title: 'x86/apic/msi: Unbreak DMAR and HPET MSI',
    scope: 'x86',
    release: 'v5.10',
    link: '87wo0fli8b.fsf@nanos.tec.linutronix.de',
    requires: ['9006c133a422'],
    summary: 'dmar_msi_domain_info and hpet_msi_domain_info get MSI_FLAG_USE_DEF_DOM_OPS, so the core fills get_hwirq',
  },
  {
    id: '85a8dfc57a0b',
    title: 'iommm/vt-d: Store irq domain in struct device',
    scope: 'x86',
    release: 'v5.10',
    link: '20200821002947.976983300@linutronix.de (RFC 27/38; merged in the V2 series)',
    summary: 'the DMAR bus notifier sets the IR domain on PFs at device add (modelled with its series neighbours: default domain from pcibios_device_add, no per-allocation lookup); VFs keep the default',
  },
  {
    id: 'ff828729be44',
    title: 'iommu/vt-d: Cure VF irqdomain hickup',
    scope: 'x86',
    release: 'v5.10',
    link: 'draft-87eekymlpz.fsf@nanos.tec.linutronix.de',
    requires: ['85a8dfc57a0b'],
    summary: 'dmar_pci_bus_notifier() gives a VF its PF\'s MSI domain (vf_inherit_msi_domain) on BUS_NOTIFY_ADD_DEVICE',
  },
  {
    id: 'b6d5fc3a5245',
    title: 'x86/apic/vector: Provide MSI parent domain',
    scope: 'x86',
    release: 'v6.2',
    link: '20221124232325.798556374@linutronix.de',
    summary: 'the vector domain becomes an MSI parent of per-device PCI/MSI domains; the global "PCI-MSI" domain (native_create_pci_msi_domain) is gone',
  },
  {
    id: '9a945234abea',
    title: 'iommu/vt-d: Switch to MSI parent domains',
    scope: 'x86',
    release: 'v6.2',
    link: '20221124232325.917152225@linutronix.de',
    requires: ['b6d5fc3a5245'],
    summary: 'every INTEL-IR domain becomes an MSI parent (dmar_msi_parent_ops) instead of carrying a global "IR-PCI-MSI" domain',
  },
  {
    id: 'cc7594ffadde',
    title: 'iommu/amd: Switch to MSI base domains',
    scope: 'x86',
    release: 'v6.2',
    link: '20221124232325.974956315@linutronix.de',
    requires: ['b6d5fc3a5245'],
    summary: 'the AMD-IR domain becomes an MSI parent (amdvi_msi_parent_ops) instead of carrying a global "IR-PCI-MSI" domain',
  },
  {
    id: 'a6c11c0a5235',
    title: 'genirq/cpuhotplug, x86/vector: Prevent vector leak during CPU offline',
    scope: 'x86',
    release: 'v6.10',
    link: 'a6c11c0a5235fb144a65e0cb2ffd360ddc1f6c32 (Dongli Zhang, irq-urgent 2024-05-25; backported to stable)',
    summary: 'migrate_one_irq() calls irq_force_complete_move() before the "not started / not on this CPU" skip (which then only acts on a move involving the outgoing CPU), and __vector_schedule_cleanup() frees an old vector on an offline CPU instead of forgetting it (prev_vector = 0)',
  },  {
    id: 'msi-fuzz-hpet-irq-unwind',
    title: 'x86/hpet: Do not use a channel whose MSI irq cannot be requested (msi-fuzz proposal)',
    scope: 'x86',
    proposedBy: 'msi-fuzz',
    link: 'msi-fuzz model finding (docs/results/false-positives.md); not posted, not upstream',
    summary: 'init_one_hpet_msi_clockevent() checks hpet_setup_msi_irq(): on failure the channel is given back and not registered as the CPU\'s, so hpet_cpuhp_dead() does not free_irq() an irq nobody requested (the model frees the channel\'s irq)',
  },
  {
    id: 'msi-fuzz-dmar-irq-unwind',
    title: 'iommu/vt-d: Free the fault-event irq when request_irq() fails in dmar_set_interrupt() (msi-fuzz proposal)',
    scope: 'x86',
    proposedBy: 'msi-fuzz',
    link: 'msi-fuzz model finding (docs/results/false-positives.md); not posted, not upstream',
    summary: 'dmar_set_interrupt() gives the irq back (dmar_free_hwirq()) and clears iommu->irq when request_irq() fails, so free_dmar_iommu() on the init or hot-add error path does not free_irq() an irq nobody requested',
  },
];

/** VFIO is modelled with the x86 platforms only (the parents with dynamic MSI-X). */
export const VFIO_PATCHES: readonly Patch[] = [
  {
    id: 'vfio-pci-dyn-msix',
    title: 'vfio/pci: Support dynamic MSI-X (Reinette Chatre\'s series)',
    scope: 'vfio',
    release: 'v6.5',
    // Upstream ids not found in the index: descriptive id for the series.
    link: 'cover.1681837892.git.reinette.chatre@intel.com series, v6.5 (vdev->has_dyn_msix = pci_msix_can_alloc_dyn())',
    summary: 'VFIO allocates a new MSI-X vector with pci_msix_alloc_irq_at() when the user enables it, instead of the user disabling and re-enabling MSI-X with more vectors',
  },
];

export const X86_PATCH_POOL: readonly Patch[] = [...CORE_PATCHES, ...X86_PATCHES, ...VFIO_PATCHES, ...IMS_PATCHES];

/** Every state before v6.10 runs the CPU-offline vector leak that a6c11c0a5235 fixed. */
const LEAK = ' (before v6.10: the CPU-offline vector leak, x86-offline-vector-leak)';

/**
 * The named states. `vfBroken` says whether the platform variant has VT-d interrupt
 * remapping, where the state between 85a8dfc57a0b and ff828729be44 is known to break.
 * `offlineLeak`: whether it has non-remapped MSIs whose move waits for the first interrupt
 * (no remapping, or Intel's DMAR fault interrupts), which the CPU-offline leak needs; AMD
 * remaps every MSI it has, so its pre-v6.10 states do not leak.
 */
export function x86Revisions(vfBroken: boolean, offlineLeak: boolean): readonly NamedRevision[] {
  const leaks = (patches: readonly string[]): boolean => offlineLeak && !patches.includes('a6c11c0a5235');
  const note = (patches: readonly string[]): string => (leaks(patches) ? LEAK : '');
  const release = (tag: string, description: string): NamedRevision => {
    const patches = patchesUpTo(X86_PATCH_POOL, tag);
    return { name: tag, description: description + note(patches), patches, correct: !leaks(patches) };
  };
  return [
    {
      name: 'v5.9',
      description: 'before the device-MSI preparation series: x86 DMAR/HPET MSI domains with their own get_hwirq, PCI/MSI domain looked up per allocation' + note([]),
      patches: [],
      correct: !leaks([]),
    },
    {
      name: 'tip-x86-irq-generic-ops',
      description: 'tip x86/irq at "x86/msi: Use generic MSI domain ops": DMAR and HPET MSI domains without get_hwirq and without MSI_FLAG_USE_DEF_DOM_OPS',
      patches: ['9006c133a422'],
      correct: false,
    },
    {
      name: 'next-2020-09-25',
      description: 'the whole series as Qian Cai and Peter Zijlstra booted it, before d27e623ace6a: DMAR/HPET crash, VFs on the default domain',
      patches: ['9006c133a422', '85a8dfc57a0b'],
      correct: false,
    },
    {
      name: 'v5.10-rc1',
      description: `with "x86/apic/msi: Unbreak DMAR and HPET MSI"; VFs still get the non-remapped default domain (fixed in -rc4)${note([])}`,
      patches: ['9006c133a422', 'd27e623ace6a', '85a8dfc57a0b'],
      correct: !vfBroken && !leaks([]),
    },
    {
      name: 'v5.10-rc4',
      description: 'with "iommu/vt-d: Cure VF irqdomain hickup": VFs inherit the PF\'s MSI domain' + note([]),
      patches: ['9006c133a422', 'd27e623ace6a', '85a8dfc57a0b', 'ff828729be44'],
      correct: !leaks([]),
    },
    release('v5.10', 'both seed-001 fixes'),
    {
      name: 'ims-v6.9',
      description: 'v6.9, the last state with PCI/IMS (v6.2..v6.9; reverted in v6.10), with the CPU-offline leak fix a6c11c0a5235 (Cc: stable) applied: pci_create_ims_domain() under VT-d (not in caching mode) and AMD-Vi; the vector domain refuses IMS',
      patches: [...patchesUpTo(X86_PATCH_POOL, 'v6.9'), 'a6c11c0a5235'],
      correct: true,
    },
    release('v6.15', 'the vector and remapping domains as MSI parents of per-device domains; prepare on every allocation'),
    release('v6.16', 'prepare once at domain creation, teardown on removal (x86 has nothing to tear down)'),
    release('v6.17', 'no change in the modelled paths since v6.16'),
    release('v6.18', 'current upstream: msi_post_free() removed from the core'),
  ];
}
