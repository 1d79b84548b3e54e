// The pseries-side commits and the named kernel states of the pseries platform.
import { CORE_PATCHES } from '../../kernel/core-patches';
import { patchesUpTo, type NamedRevision, type Patch } from '../../kernel/patches';
import { XIVE_COMMON_PATCHES } from '../powerpc-common/patches';

export const PSERIES_PATCHES: readonly Patch[] = [
  {
    id: 'daaa574aba6f-v1',
    title: '[PATCH 3/3] powerpc/pseries/msi: Switch to msi_create_parent_irq_domain() (first posting)',
    scope: 'pseries',
    link: 'linuxppc-dev, Jun 26 2025, "[PATCH 0/3] powerpc: Cleanup and convert to MSI parent domain" (seed 000)',
    requires: ['cc0cc23babc9'],
    conflicts: ['daaa574aba6f'],
    summary: 'pSeries-MSI becomes an MSI parent per PHB; prepare = rtas_prepare_msi_irqs with the domain type, and msi_post_free still disables every MSI after each free',
  },
  {
    id: 'daaa574aba6f',
    title: 'powerpc/pseries/msi: Switch to msi_create_parent_irq_domain()',
    scope: 'pseries',
    release: 'v6.18',
    link: 'c7a6d8f27fd217021dea4daad777e81a525ae460.1754903590.git.namcao@linutronix.de',
    requires: ['cc0cc23babc9', '28026cf2dd84'],
    conflicts: ['daaa574aba6f-v1'],
    summary: 'as the first posting, but rtas_disable_msi() moves to msi_teardown (pdev taken from arg->desc) instead of msi_post_free',
  },
  {
    id: 'pseries-i-1-fix',
    title: 'powerpc/pseries/msi: Fix potential underflow and leak issue',
    scope: 'pseries',
    release: 'v6.18',
    // Upstream id not found in the index (only stable backport ids); descriptive id instead.
    link: 'a980067f2b256bf716b4cd713bc1095966eed8cd.1754300646.git.namcao@linutronix.de',
    summary: 'pseries_irq_domain_alloc() error path frees the i parents already allocated instead of i - 1 (UINT_MAX for i = 0)',
  },
  {
    id: 'ef3e73a917ec',
    title: 'powerpc/pseries/msi: Fix NULL pointer dereference at irq domain teardown',
    scope: 'pseries',
    release: 'v6.18',
    link: 'powerpc/fixes, Oct 2025',
    requires: ['daaa574aba6f'],
    summary: 'pseries_msi_ops_teardown() takes the device from domain->dev, not from the template desc (always NULL)',
  },
  {
    id: 'c0215e2d72de',
    title: 'powerpc/pseries: Fix MSI-X allocation failure when quota is exceeded',
    scope: 'pseries',
    // Applied to powerpc/next in Jan 2026 (6.18.y backport); mainline tag inferred.
    release: 'v7.0',
    link: 'https://git.kernel.org/powerpc/c/c0215e2d72debcd9cbc1c002fb012d50a3140387',
    requires: ['daaa574aba6f', 'ef3e73a917ec'],
    summary:
      'prepare retries rtas_prepare_msi_irqs with the "only N" answer and keeps {msi_quota, msi_used} in scratchpad[0].ptr; alloc rejects used + n > quota with -ENOSPC and counts msi_used++; free and teardown account and free it',
  },
  {
    id: '35e4f2a17eb4',
    title: 'powerpc/pseries: Correct MSI allocation tracking',
    scope: 'pseries',
    release: 'v7.0',
    link: 'linuxppc-dev, Mar 2026, Cc stable (6.18.y)',
    requires: ['c0215e2d72de'],
    summary: 'pseries_irq_domain_alloc() adds nr_irqs to msi_used instead of 1',
  },
];

const POOL: readonly Patch[] = [...CORE_PATCHES, ...XIVE_COMMON_PATCHES, ...PSERIES_PATCHES];

const V6_18 = patchesUpTo(POOL, 'v6.18');
const STABLE_6_18_Y = ['c0215e2d72de', '35e4f2a17eb4', '6771c54728c2'];

export const PSERIES_REVISIONS: readonly NamedRevision[] = [
  {
    name: 'pseries-v1-on-v6.16',
    description:
      'seed 000: the first posting of the conversion (with the untangle) on the v6.16 core: prepare once at domain creation, msi_post_free() disabling all MSIs after every free, i - 1 error path',
    patches: [...patchesUpTo(CORE_PATCHES, 'v6.16'), 'da15c03b047d', 'cc0cc23babc9', 'daaa574aba6f-v1'],
    correct: false,
  },
  {
    name: 'pseries-v1-underflow-fixed',
    description:
      'the seed 000 v1 conversion with the separate underflow fix (pseries-i-1-fix, posted Aug 4 2025) applied: post_free still disables the MSIs prepare enabled once, but the refused allocation no longer wraps',
    patches: [...patchesUpTo(CORE_PATCHES, 'v6.16'), 'da15c03b047d', 'cc0cc23babc9', 'daaa574aba6f-v1', 'pseries-i-1-fix'],
    correct: false,
  },
  {
    name: 'pseries-v2-2025-08-11',
    description: 'the v2 posting (teardown instead of post_free) on v6.17, before the separate underflow fix; teardown reads the template desc',
    patches: [...patchesUpTo(CORE_PATCHES, 'v6.17'), 'da15c03b047d', 'cc0cc23babc9', 'daaa574aba6f'],
    correct: false,
  },
  {
    name: 'v6.18-rc1',
    description: 'the powerpc-6.18-1 merge: conversion, underflow fix, msi_post_free() removed; teardown still reads arg->desc',
    patches: V6_18.filter((id) => id !== 'ef3e73a917ec'),
    correct: false,
  },
  {
    name: 'v6.18',
    description: 'as released: a quota below hwsize fails device-domain creation; MSI xive_irq_data leaks on free',
    patches: V6_18,
    correct: false,
  },
  {
    name: 'v6.18-quota-fix',
    description: 'v6.18 + c0215e2d72de: per-device quota, but msi_used counts a multi-MSI allocation as one',
    patches: [...V6_18, 'c0215e2d72de'],
    correct: false,
  },
  {
    name: 'v6.18.y',
    description: 'v6.18 with the stable fixes c0215e2d72de, 35e4f2a17eb4 and 6771c54728c2 (current upstream state)',
    patches: [...V6_18, ...STABLE_6_18_Y],
    correct: true,
  },
];

export const PSERIES_PATCH_POOL: readonly Patch[] = POOL;
