// The named revisions of the fake-parent machine: the core as the two pinned kernels have it
// (src/kernel/pins.ts), and the v6.16 state in between for developer trees of that age. The
// patches are the core's own (models/kernel/core-patches.ts); the fake parents follow them
// (msi_teardown() where the core has it, msi_post_free() before).
import { CORE_PATCHES } from '../../kernel/core-patches';
import { patchesUpTo, type NamedRevision } from '../../kernel/patches';

export const KUNIT_FAKE_REVISIONS: readonly NamedRevision[] = [
  {
    name: 'kernel-6.12',
    description: 'Debian linux-source-6.12 (6.12.118): msi_prepare() on every allocation, msi_post_free() after every free',
    patches: patchesUpTo(CORE_PATCHES, 'v6.15'),
    correct: true,
  },
  {
    name: 'kernel-6.16',
    description: 'v6.16-v6.17: msi_prepare() once at domain creation, msi_teardown() at removal, msi_post_free() still called',
    patches: patchesUpTo(CORE_PATCHES, 'v6.17'),
    correct: true,
  },
  {
    name: 'kernel-7.2',
    description: 'Debian linux-source-7.2 (7.2.13): as v6.16, without msi_post_free() (gone in v6.18)',
    patches: patchesUpTo(CORE_PATCHES, 'v7.1'),
    correct: true,
  },
];

export function findKunitFakeRevision(name: string): NamedRevision | undefined {
  return KUNIT_FAKE_REVISIONS.find((r) => r.name === name);
}
