// The vmd.c commits of the modelled interrupt paths and the named states of the x86-vmd
// platform. Nam Cao's conversion to an MSI parent went into v6.17-rc1 and needed two fixes in
// the same cycle: Kenneth Crudup and Ammar Faizi saw early reboots (the wrong kfree() in
// vmd_msi_free()), Ammar Faizi a WARN from a port below the VMD without MSI-X.
import { CORE_PATCHES } from '../../kernel/core-patches';
import { patchesUpTo, type NamedRevision, type Patch } from '../../kernel/patches';
import { VFIO_PATCHES, X86_PATCHES } from './revisions';

export const VMD_PATCHES: readonly Patch[] = [
  {
    id: 'd7d8ab87e3e7',
    title: 'PCI: vmd: Switch to msi_create_parent_irq_domain()',
    scope: 'vmd',
    release: 'v6.17',
    link: 'de3f1d737831b251e9cd2cbf9e4c732a5bbba13a.1750858083.git.namcao@linutronix.de',
    summary: 'the VMD domain becomes an MSI parent ("VMD-") of per-device domains: vmd_msi_alloc()/vmd_msi_free() as irq_domain_ops, the list handling in the device chip\'s startup/shutdown (vmd_init_dev_msi_info()), a WARN_ON_ONCE for children without MSI-X',
  },
  {
    id: 'd5c647b08ee0',
    title: 'PCI: vmd: Fix wrong kfree() in vmd_msi_free()',
    scope: 'vmd',
    release: 'v6.17',
    link: '20250807081051.2253962-1-namcao@linutronix.de',
    requires: ['d7d8ab87e3e7'],
    summary: 'vmd_msi_free() reads its vmd_irq from the VMD level (irq_domain_get_irq_data(domain, virq)) instead of irq_get_chip_data(), which is the top (per-device) level\'s chip_data since d7d8ab87e3e7',
  },
  {
    id: '5149bbb56bdc',
    title: 'PCI: vmd: Remove MSI-X check on child devices',
    scope: 'vmd',
    release: 'v6.17',
    link: '20250811053935.4049211-1-namcao@linutronix.de',
    requires: ['d7d8ab87e3e7'],
    summary: 'vmd_init_dev_msi_info() no longer refuses (with a WARN) a child that uses MSI instead of MSI-X',
  },
  {
    id: 'b37b6095a94e',
    title: 'PCI: vmd: Switch to pci_bus_find_emul_domain_nr()',
    scope: 'vmd',
    release: 'v6.18',
    link: 'lore.kernel.org/linux-pci (Dan Williams, "PCI: Enable host bridge emulation for PCI_DOMAINS_GENERIC platforms" series)',
    summary: 'the VMD\'s PCI domain is the first free emulated number from 0x10000 (ida) instead of one above the highest domain in use',
  },
];

const POOL: readonly Patch[] = [...CORE_PATCHES, ...X86_PATCHES, ...VFIO_PATCHES, ...VMD_PATCHES];

export function vmdRevisions(): readonly NamedRevision[] {
  const v616 = patchesUpTo(POOL, 'v6.16');
  return [
    { name: 'v6.12', description: 'Debian 6.12: the global VMD-MSI domain (pci_msi_create_irq_domain() without a parent), vmd_msi_init/free/prepare', patches: patchesUpTo(POOL, 'v6.12'), correct: true },
    { name: 'vmd-msi-parent-1of3', description: 'v6.16 with d7d8ab87e3e7 alone (v6.17-rc1 before its fixes): vmd_msi_free() frees the per-device level\'s chip_data', patches: [...v616, 'd7d8ab87e3e7'], correct: false },
    { name: 'vmd-msi-parent-2of3', description: 'with the kfree() fix d5c647b08ee0: children without MSI-X still refused with a WARN', patches: [...v616, 'd7d8ab87e3e7', 'd5c647b08ee0'], correct: false },
    { name: 'v6.17', description: 'the MSI parent with both fixes', patches: patchesUpTo(POOL, 'v6.17'), correct: true },
    { name: 'v7.2', description: 'current upstream (Debian unstable 7.2)', patches: patchesUpTo(POOL, 'v7.2'), correct: true },
  ];
}
