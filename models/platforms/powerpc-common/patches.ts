// Commits to arch/powerpc/sysdev/xive/common.c shared by the pseries and powernv models.
import type { Patch } from '../../kernel/patches';

export const XIVE_COMMON_PATCHES: readonly Patch[] = [
  {
    id: 'da15c03b047d',
    title: 'powerpc/xive: Implement get_irqchip_state method for XIVE to fix shutdown race',
    scope: 'powerpc',
    release: 'v5.4',
    link: 'seed 003; 20190813100648.GE9567@blackberry; Fixes: 243e25112d06, stable 4.12+',
    summary:
      'xive_get_irqchip_state() (saved_p, stale_p and the ESB P bit) lets __synchronize_irq() in free_irq() wait until no queue entry of the source is left; saved_p/stale_p kept consistent in mask, unmask and EOI; an entry without descriptor is reported and skipped',
  },
  {
    id: 'cc0cc23babc9',
    title: 'powerpc/xive: Untangle xive from child interrupt controller drivers',
    scope: 'powerpc',
    release: 'v6.18',
    link: 'powerpc-6.18-1 pull, ac4dc89b-6961-4900-a7e8-c522264076f0@linux.ibm.com',
    summary:
      'xive_irq_data moves from handler_data to the XIVE level chip_data and XIVE frees it itself (looked up with irq_get_chip_data(virq)); the PHB msi_free hooks go and the PHB levels free their parents',
  },
  {
    id: '6771c54728c2',
    title: 'powerpc/xive: fix kmemleak caused by incorrect chip_data lookup',
    scope: 'powerpc',
    // May 2026, Cc stable (in 6.18.y); the mainline tag is an inference from the date.
    release: 'v7.1',
    link: 'linuxppc-dev, May 2026 (6.18.y backport)',
    requires: ['cc0cc23babc9'],
    summary: 'xive_irq_free_data(domain, virq) reads the XIVE level irq_data (irq_domain_get_irq_data) instead of the top-level chip_data, so MSI xive_irq_data is freed',
  },
  {
    id: 'msi-fuzz-xive-can-unplug',
    title: 'powerpc/xive: Refuse a CPU unplug that would strand an interrupt, and say -ENOSPC for full queues (msi-fuzz proposal)',
    scope: 'powerpc',
    proposedBy: 'msi-fuzz',
    link: 'msi-fuzz model finding (docs/reference/fault-injection.md); not posted, not upstream',
    summary:
      'the XIVE CPU disable path refuses the unplug when an irq routed to the CPU has no online CPU with queue room to go to (its managed mask, or any), as lapic_can_unplug_cpu() does for x86 vectors; xive_irq_set_affinity() returns -ENOSPC instead of -ENXIO when no queue of the mask has room, so migrate_one_irq() falls back to the online mask',
  },
  {
    id: 'msi-fuzz-xive-startup-retry',
    title: 'powerpc/xive: Retry a refused configure_irq() in xive_irq_startup() (msi-fuzz proposal)',
    scope: 'powerpc',
    proposedBy: 'msi-fuzz',
    link: 'msi-fuzz model finding (docs/results/false-positives.md); not posted, not upstream',
    summary:
      'xive_irq_startup() asks the firmware (H_INT_SET_SOURCE_CONFIG, OPAL_XIVE_SET_IRQ_CONFIG) once more when configure_irq() fails, before returning with the source off: on the CPU-online path (irq_startup_managed(), void) nobody sees the error, and the managed irq would stay started on a dead source',
  },
  {
    id: 'msi-fuzz-xive-flush-msi',
    title: 'powerpc/xive: Flush every MSI left in a dying CPU\'s queue (msi-fuzz proposal)',
    scope: 'powerpc',
    proposedBy: 'msi-fuzz',
    link: 'msi-fuzz model finding (docs/results/findings.md); not posted, not upstream',
    summary:
      'xive_smp_disable_cpu() acknowledges what arrived while the dying CPU had interrupts off (xive_ops->update_pending) before flushing, and xive_flush_cpu_queue() looks up the XIVE level of the irq (irq_domain_get_irq_data(xive_irq_domain, irq)) instead of testing the top-level irq_data\'s domain, which for an MSI is the PCI/MSI domain above XIVE, so a stale MSI entry is retriggered to its new target instead of dropped with P left set; an entry whose irq is still targeted at the dying CPU (its move failed) stays queued, since a retrigger would put it back into the queue being flushed',
  },
];
