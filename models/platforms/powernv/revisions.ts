// The powernv-side commits (Linux and skiboot) and the named states of the powernv platform.
import { CORE_PATCHES } from '../../kernel/core-patches';
import { patchesUpTo, type NamedRevision, type Patch } from '../../kernel/patches';
import { XIVE_COMMON_PATCHES } from '../powerpc-common/patches';

export const POWERNV_PATCHES: readonly Patch[] = [
  {
    id: '6ccb4ac2bf8a',
    title: 'powerpc/xive: Fix bogus error code returned by OPAL',
    scope: 'powernv',
    release: 'v5.4',
    link: 'seed 003; stable 4.12+',
    summary: 'opal_xive_allocate_irq() becomes a wrapper that maps a raw 0xffffffff from OPAL_XIVE_ALLOCATE_IRQ to OPAL_RESOURCE',
  },
  {
    id: 'e97391ae2bb5',
    title: 'xive: fix return value of opal_xive_allocate_irq() (skiboot)',
    scope: 'skiboot',
    // Firmware, not a kernel release: skiboot v6.3.4 / v6.5.
    link: 'open-power/skiboot e97391ae2bb5, skiboot 6.3.4 (Oct 2019)',
    summary: 'xive_try_allocate_irq() returns OPAL_RESOURCE instead of XIVE_ALLOC_NO_SPACE (0xffffffff) when a chip has no IPI left, so the any-chip loop also moves on',
  },
  {
    id: 'f0ac60e6e311',
    title: 'powerpc/powernv/pci: Switch to use msi_create_parent_irq_domain()',
    scope: 'powernv',
    release: 'v6.18',
    link: 'powerpc-6.18-1 pull (same code as the Jun 2025 first posting, seed 000)',
    requires: ['cc0cc23babc9'],
    summary: 'PNV-MSI becomes an MSI parent per PHB (no prepare/teardown, no ALLOC_DYN, no CONTIGUOUS)',
  },
  {
    id: 'powernv-i-1-fix',
    title: 'powerpc/powernv/pci: Fix underflow and leak issue',
    scope: 'powernv',
    release: 'v6.18',
    // Upstream id not found in the index (only stable backport ids); descriptive id instead.
    link: '[PATCH 2/2] of cover.1754300646.git.namcao@linutronix.de (Aug 4 2025)',
    summary: 'pnv_irq_domain_alloc() error path frees the i parents already allocated instead of i - 1 (UINT_MAX for i = 0)',
  },
  {
    id: 'msi-fuzz-pnv-msi-setup-at-alloc',
    title: 'powerpc/powernv/pci: Set up the PHB for an MSI at allocation, not in compose (msi-fuzz proposal)',
    scope: 'powernv',
    proposedBy: 'msi-fuzz',
    link: 'msi-fuzz model finding (docs/reference/fault-injection.md); not posted, not upstream',
    summary: 'pnv_irq_domain_alloc() programs the PE (OPAL_PCI_SET_XIVE_PE) and reads the message (OPAL_GET_MSI_64), failing the allocation when OPAL fails; pnv_msi_compose_msg() only returns that message, where a failure could only be logged',
  },
];

const POOL: readonly Patch[] = [...CORE_PATCHES, ...XIVE_COMMON_PATCHES, ...POWERNV_PATCHES];

const SKIBOOT_FIX = 'e97391ae2bb5';
const V6_18 = [...patchesUpTo(POOL, 'v6.18'), SKIBOOT_FIX];
const V6_18_Y = [...V6_18, '6771c54728c2'];

export const POWERNV_REVISIONS: readonly NamedRevision[] = [
  {
    name: 'pnv-v1-on-v6.16',
    description: 'the first posting of the conversion (with the untangle) on the v6.16 core: i - 1 error path, MSI xive_irq_data never freed',
    patches: [...patchesUpTo(CORE_PATCHES, 'v6.16'), 'da15c03b047d', '6ccb4ac2bf8a', SKIBOOT_FIX, 'cc0cc23babc9', 'f0ac60e6e311'],
    correct: false,
  },
  {
    name: 'v6.18',
    description: 'as released: MSI xive_irq_data leaks on free (wrong-level chip_data lookup)',
    patches: V6_18,
    correct: false,
  },
  {
    name: 'v6.18.y',
    description: 'v6.18 with the stable XIVE fix 6771c54728c2 on a fixed skiboot (current upstream state)',
    patches: V6_18_Y,
    correct: true,
  },
  {
    name: 'xive-opal-pre-v5.4',
    description:
      'the OPAL allocator as in v4.12..v5.3 with skiboot < 6.3.4: exhaustion returns 0xffffffff and Linux takes it as an irq number (MSI paths as in v6.18.y; the pre-conversion PCI/MSI domain is not modelled and does not use this allocator)',
    patches: V6_18_Y.filter((id) => id !== '6ccb4ac2bf8a' && id !== SKIBOOT_FIX),
    correct: false,
  },
  {
    name: 'xive-pre-da15c03b047d',
    description:
      'XIVE before da15c03b047d (v4.12..v5.3): no irq_get_irqchip_state, so free_irq() returns while an entry of the source is still in another CPU\'s event queue (MSI paths as in v6.18.y)',
    patches: V6_18_Y.filter((id) => id !== 'da15c03b047d'),
    correct: false,
  },
  {
    name: 'v6.18.y-old-skiboot',
    description: 'current Linux on skiboot < 6.3.4: the 6ccb4ac2bf8a wrapper turns 0xffffffff into OPAL_RESOURCE',
    patches: V6_18_Y.filter((id) => id !== SKIBOOT_FIX),
    correct: true,
  },
  {
    name: 'pre-v5.4-fixed-skiboot',
    description: 'Linux without 6ccb4ac2bf8a on skiboot >= 6.3.4: OPAL returns OPAL_RESOURCE itself',
    patches: V6_18_Y.filter((id) => id !== '6ccb4ac2bf8a'),
    correct: true,
  },
];

export const POWERNV_PATCH_POOL: readonly Patch[] = POOL;
