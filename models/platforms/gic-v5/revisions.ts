// The GICv5 commits the models branch on, and the named states: v6.17 (the driver as merged)
// and the newest source (Debian 7.2.13). GICv5 did not exist in 6.12.
import { CORE_PATCHES } from '../../kernel/core-patches';
import { patchesUpTo, type NamedRevision, type Patch } from '../../kernel/patches';

export const GIC_V5_PATCHES: readonly Patch[] = [
  {
    id: 'dec85d2fbd20',
    title: 'irqchip/gic-v5: Move LPI allocation into the LPI domain',
    scope: 'gic-v5',
    release: 'v7.1',
    link: '20260506093634.382062-2-sascha.bischoff@arm.com (Fixes: 0f0101325876)',
    summary: 'gicv5_irq_lpi_domain_alloc() allocates the LPI (alloc_lpi()) and its .free releases it; the ITS no longer calls gicv5_alloc_lpi()/gicv5_free_lpi() around each parent allocation',
  },
  {
    id: 'eb6f6d523813',
    title: 'irqchip/gic-v5: Support range allocation for LPIs',
    scope: 'gic-v5',
    release: 'v7.1',
    link: '20260506093634.382062-3-sascha.bischoff@arm.com',
    requires: ['dec85d2fbd20'],
    summary: 'the LPI domain allocates and frees a range of LPIs, unwinding a partial allocation itself; before it, nr_irqs != 1 was a WARN and -EINVAL',
  },
  {
    id: 'a7c7e42654b6',
    title: 'irqchip/gic-v5: Allocate ITS parent LPIs as a range',
    scope: 'gic-v5',
    release: 'v7.1',
    link: '20260506093634.382062-4-sascha.bischoff@arm.com',
    requires: ['eb6f6d523813'],
    summary: 'gicv5_its_irq_domain_alloc()/free() ask the LPI domain for the whole range in one call instead of one parent per event',
  },
];

const POOL: readonly Patch[] = [...CORE_PATCHES, ...GIC_V5_PATCHES];

export const GIC_V5_REVISIONS: readonly NamedRevision[] = [
  {
    name: 'v7.2',
    description: 'Debian 7.2.13 (the newest source): the LPI domain owns LPI allocation and allocates ranges',
    patches: patchesUpTo(POOL, 'v7.2'),
    correct: true,
  },
  {
    name: 'v6.17',
    description: 'GICv5 as merged: the ITS allocates each LPI itself (gicv5_alloc_lpi()) and hands it to the LPI domain one event at a time',
    patches: patchesUpTo(POOL, 'v6.17'),
    correct: true,
  },
];

export const GIC_V5_PATCH_POOL: readonly Patch[] = POOL;
