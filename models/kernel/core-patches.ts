// The genirq/MSI and PCI/MSI commits the core model follows. Everything before them is the
// v6.15 state: msi_prepare() on every allocation with a stack msi_alloc_info_t, the
// optional msi_post_free() after every free, no teardown, PCI/MSI domains of size 1.
import type { Patch } from './patches';

export const CORE_PATCHES: readonly Patch[] = [
  {
    id: '28026cf2dd84',
    title: 'genirq/msi: Add .msi_teardown() callback as the reverse of .msi_prepare()',
    scope: 'core',
    release: 'v6.16',
    link: '20250513163144.2215824-2-maz@kernel.org',
    summary: 'msi_domain_ops gains msi_teardown (default: no-op) and msi_domain_info gains alloc_data; nothing calls it yet',
  },
  {
    id: '1396e89e09f0',
    title: 'genirq/msi: Move prepare() call to per-device allocation',
    scope: 'core',
    release: 'v6.16',
    link: '20250513163144.2215824-4-maz@kernel.org',
    requires: ['28026cf2dd84'],
    summary: 'msi_create_device_irq_domain() prepares the template once (nvec = hwsize); allocations copy it instead of preparing',
  },
  {
    id: '03c298760ed9',
    title: 'genirq/msi: Engage the .msi_teardown() callback on domain removal',
    scope: 'core',
    release: 'v6.16',
    link: '20250513163144.2215824-5-maz@kernel.org',
    requires: ['28026cf2dd84'],
    summary: 'msi_remove_device_irq_domain() calls msi_teardown(domain, alloc_data)',
  },
  {
    id: '9cc82d99b13c',
    title: 'PCI/MSI: Size device MSI domain with the maximum number of vectors',
    scope: 'core',
    release: 'v6.16',
    link: '20250603141801.915305-1-maz@kernel.org',
    summary: 'the PCI/MSI device domain gets hwsize = pci_msi_vec_count() instead of 1',
  },
  {
    id: '91daac8a6893',
    title: 'genirq/msi: Remove msi_post_free()',
    scope: 'core',
    release: 'v6.18',
    link: 'tip irq/msi, v6.18 merge window',
    summary: 'msi_domain_free_locked() no longer calls ops->msi_post_free() after a free',
  },
  {
    id: '87350178tl',
    title: 'genirq/irqdomain: Bulk freeing of interrupts (IRQ_DOMAIN_FREE_BULK, proposal)',
    scope: 'core',
    link: '87350178tl.ffs@tglx (Re: PCI MSI issue with reinserting a driver, 2023-08-30)',
    summary: 'irq_domain_free_irqs_hierarchy() frees a range in one call for domains that ask for it; the ITS asks, so a Multi-MSI block is released whole',
  },
  {
    id: 'msi-fuzz-multi-msi-deactivate',
    title: 'PCI/MSI: Keep a multi-MSI block\'s message while one of its irqs is activated (msi-fuzz proposal)',
    scope: 'core',
    proposedBy: 'msi-fuzz',
    link: 'msi-fuzz model finding (docs/results/findings.md); not posted, not upstream',
    summary: 'pci_msi_domain_write_msg(): a multi-MSI block\'s message is written as zero only when no other irq of the block is activated, and an irq activated while the block\'s first irq is not writes the block\'s message',
  },
  {
    id: 'msi-fuzz-startup-error',
    title: 'genirq: Fail request_irq() when irq_startup() fails (msi-fuzz proposal)',
    scope: 'core',
    proposedBy: 'msi-fuzz',
    link: 'msi-fuzz model finding (docs/reference/fault-injection.md); not posted, not upstream',
    summary: '__setup_irq(): a negative irq_startup() result (XIVE: no queue with room, or configure_irq failing) fails the request, the line left not started and deactivated, instead of installing a handler on a dead line; xive_irq_startup() gives its target back when configure_irq fails',
  },
  {
    id: 'msi-fuzz-migrate-retry-online',
    title: 'genirq/cpuhotplug: Retry a failed migration with the online mask whatever the error (msi-fuzz proposal)',
    scope: 'core',
    proposedBy: 'msi-fuzz',
    link: 'msi-fuzz model finding (docs/reference/fault-injection.md); not posted, not upstream',
    summary: 'migrate_one_irq(): an irq whose move fails with anything but -ENOSPC (a firmware error) gets one more try, with cpu_online_mask (a managed irq: its own mask), instead of being left on the dying CPU',
  },
];
