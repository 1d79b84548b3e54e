// Commits to arch/powerpc/sysdev/xive/common.c shared by the pseries and powernv models.
import type { Patch } from '../../kernel/patches';

export const XIVE_COMMON_PATCHES: readonly Patch[] = [
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
];
