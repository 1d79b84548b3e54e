// The ITS-side commits and the named kernel states of the GICv3 ITS platform.
import { CORE_PATCHES } from '../../kernel/core-patches';
import { patchesUpTo, type NamedRevision, type Patch } from '../../kernel/patches';

export const ITS_PATCHES: readonly Patch[] = [
  {
    id: '713335b6ee29',
    title: 'irqchip/gic-v3-its: Implement .msi_teardown() callback',
    scope: 'gic-v3-its',
    release: 'v6.16',
    link: '20250513163144.2215824-3-maz@kernel.org',
    requires: ['28026cf2dd84'],
    conflicts: ['713335b6ee29-v1'],
    summary: 'its_msi_teardown() frees the its_device found through scratchpad[0].ptr; the last LPI free no longer does',
  },
  {
    id: '713335b6ee29-v1',
    title: '[PATCH 2/4] irqchip/gic-v3-its: Implement .msi_teardown() callback (first posting)',
    scope: 'gic-v3-its',
    link: '20250511163520.1307654-3-maz@kernel.org',
    requires: ['28026cf2dd84'],
    conflicts: ['713335b6ee29'],
    summary: 'as 713335b6ee29, but looks the device up by the DeviceID read from scratchpad[0].ul',
  },
  {
    id: '7dd20bf2f010',
    title: 'irqchip/gic-v3-its: Use allocation size from the prepare call',
    scope: 'gic-v3-its',
    release: 'v6.16',
    link: '20250513163144.2215824-6-maz@kernel.org',
    summary: 'drops the "nvec = hwsize" fix-up in its_pci_msi_prepare()/its_pmsi_prepare()',
  },
  {
    id: 'msi-fuzz-its-lpi-range-unwind',
    title: 'irqchip/gic-v3-its: Free the LPI range when its_create_device() fails (msi-fuzz proposal)',
    scope: 'gic-v3-its',
    proposedBy: 'msi-fuzz',
    link: 'msi-fuzz model finding (docs/reference/fault-injection.md); not posted, not upstream',
    summary: 'its_lpi_alloc() frees the range when bitmap_zalloc() fails, and its_create_device() frees it (its_lpi_free() instead of bitmap_free()) when the ITT, the its_device or the collection map cannot be allocated',
  },
  {
    id: 'msi-fuzz-its-lpi-free-noalloc',
    title: 'irqchip/gic-v3-its: Do not allocate when freeing an LPI range (msi-fuzz proposal)',
    scope: 'gic-v3-its',
    proposedBy: 'msi-fuzz',
    link: 'msi-fuzz model finding (docs/reference/fault-injection.md); not posted, not upstream',
    summary: 'free_lpi_range() gets its list entry without allocating on the free path (kept from the allocation, or merged into a neighbour), so its_lpi_free() cannot fail and leak the range',
  },
  {
    id: 'msi-fuzz-its-alloc-unwind',
    title: 'irqchip/gic-v3-its: Release the event region when its_irq_domain_alloc() fails (msi-fuzz proposal)',
    scope: 'gic-v3-its',
    proposedBy: 'msi-fuzz',
    link: 'msi-fuzz model finding (docs/reference/fault-injection.md); not posted, not upstream',
    summary: 'its_irq_domain_alloc(): an iommu_dma_prepare_msi() failure gives the events its_alloc_device_irq() took back, so the device is not left with events nothing frees',
  },
  {
    id: 'msi-fuzz-its-device-users',
    title: 'irqchip/gic-v3-its: Free a shared its_device with its last user (msi-fuzz proposal)',
    scope: 'gic-v3-its',
    proposedBy: 'msi-fuzz',
    link: 'msi-fuzz model finding (docs/reference/invariants-objects-and-states.md); not posted, not upstream',
    summary:
      'its_msi_prepare() counts the device domains using an its_device; its_msi_teardown() keeps a shared one only while another user is left, instead of for good (before the sequencing series, its_irq_domain_free() frees a shared one too once its event map is empty)',
  },
];

const POOL = [...CORE_PATCHES, ...ITS_PATCHES];

const release = (tag: string, description: string): NamedRevision => ({
  name: tag,
  description,
  patches: patchesUpTo(POOL, tag),
  correct: true,
});

export const ITS_REVISIONS: readonly NamedRevision[] = [
  {
    ...release('v6.15', 'prepare on every allocation; the ITS frees its_device when its last LPI is freed'),
    // An allocation that fails after prepare created the its_device leaves it behind (and the next prepare marks it shared).
    correct: false,
  },
  release('v6.16', '"genirq/msi: Fix device MSI prepare/alloc sequencing" and the PCI/MSI hwsize fix'),
  release('v6.17', 'no change in the modelled paths since v6.16'),
  release('v6.18', 'msi_post_free() removed from the core'),
  {
    name: 'irq-msi-2025-05-25',
    description: 'mainline after the 6.16 irq/msi pull, before 9cc82d99b13c: PCI/MSI domains still have hwsize 1',
    patches: ['28026cf2dd84', '713335b6ee29', '1396e89e09f0', '03c298760ed9', '7dd20bf2f010'],
    correct: false,
  },
  {
    name: 'sequencing-3of5',
    description: 'tip irq/msi at patch 3 of 5: the ITS frees nothing until teardown, and teardown is not called yet',
    patches: ['28026cf2dd84', '713335b6ee29', '1396e89e09f0'],
    correct: false,
  },
  {
    name: 'prepare-before-its-teardown',
    description: 'the core series without the ITS teardown patch: prepare once, but the ITS still frees its_device on the last LPI free',
    patches: ['28026cf2dd84', '1396e89e09f0', '03c298760ed9', '9cc82d99b13c'],
    correct: false,
  },
  {
    name: 'sequencing-v1',
    description: 'the series as first posted (v1): its_msi_teardown() reads the DeviceID from scratchpad[0].ul',
    patches: ['28026cf2dd84', '713335b6ee29-v1', '1396e89e09f0', '03c298760ed9', '7dd20bf2f010', '9cc82d99b13c'],
    correct: false,
  },
];

export const ITS_PATCH_POOL: readonly Patch[] = POOL;
