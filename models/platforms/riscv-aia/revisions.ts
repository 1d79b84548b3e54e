// The RISC-V AIA commits the models branch on, and the named kernel states of the platform:
// the Debian 6.12 kernel (6.12.118) and the newest source (Debian 7.2.13).
import { CORE_PATCHES } from '../../kernel/core-patches';
import { patchesUpTo, type NamedRevision, type Patch } from '../../kernel/patches';
import { X86_PATCHES } from '../x86/revisions';

/** The irq_force_complete_move() call order in migrate_one_irq() is core code; x86 records the commit. */
const CPUHOTPLUG_ORDER = X86_PATCHES.filter((p) => p.id === 'a6c11c0a5235');

const IMSIC_PATCHES: readonly Patch[] = [
  {
    id: '896f8e436f99',
    title: 'irqchip/riscv-imsic: Special handling for non-atomic device MSI update',
    scope: 'riscv-aia',
    release: 'v6.15',
    link: '20250217085657.789309-11-apatel@ventanamicro.com',
    summary: 'imsic_irq_set_affinity() first points a device that cannot move in process context at a temporary vector (old CPU, new ID); __imsic_local_sync() checks that ID too',
  },
  {
    id: '0bd55080ba9e',
    title: 'irqchip/riscv-imsic: Avoid interrupt translation in interrupt handler',
    scope: 'riscv-aia',
    release: 'v6.15',
    link: '20250217085657.789309-10-apatel@ventanamicro.com',
    summary: 'imsic_handle_irq() hands lpriv->vectors[id].irq to generic_handle_irq() instead of looking vec->hwirq up in the base domain',
  },
  {
    id: 'fe35ecee8ec8',
    title: 'irqchip/riscv-imsic: Move to common MSI library',
    scope: 'riscv-aia',
    release: 'v6.15',
    link: '20250217085657.789309-5-apatel@ventanamicro.com (with 58d868b67a9a "RISC-V: Select CONFIG_GENERIC_PENDING_IRQ")',
    summary: 'msi_lib_init_dev_msi_info() shapes the device domains; PCI/MSI ones get IRQCHIP_MOVE_DEFERRED, the IMSIC flow becomes handle_edge_irq() whose irq_ack runs irq_move_irq(): a PCI irq moves at its next interrupt',
  },
  {
    id: '51611130d57d',
    title: 'irqchip/riscv-imsic: Implement irq_force_complete_move() for IMSIC',
    scope: 'riscv-aia',
    release: 'v6.15',
    link: '20250217085657.789309-9-apatel@ventanamicro.com',
    summary: 'the IMSIC chip gains irq_force_complete_move(): an in-flight move whose old vector is on the outgoing CPU is cleaned up by imsic_vector_force_move_cleanup()',
  },
  {
    id: 'msi-fuzz-imsic-hotplug',
    title: 'irqchip/riscv-imsic: Leave nothing on an outgoing CPU (msi-fuzz proposal)',
    scope: 'riscv-aia',
    proposedBy: 'msi-fuzz',
    link: 'msi-fuzz model finding (docs/reference/platforms-arm64-riscv.md); not posted, not upstream',
    summary: 'a CPU whose identities the other online CPUs cannot take is not unplugged (as x86 lapic_can_unplug_cpu()), and the identity of an irq that is not started is moved off the outgoing CPU too (migrate_one_irq() skips such irqs, and their later startup may find no room)',
  },
  {
    id: 'msi-fuzz-imsic-tvec-in-use',
    title: 'irqchip/riscv-imsic: Retrigger a temporary vector that belongs to any irq (msi-fuzz proposal)',
    scope: 'riscv-aia',
    proposedBy: 'msi-fuzz',
    link: 'msi-fuzz model finding (docs/reference/platforms-arm64-riscv.md); not posted, not upstream',
    requires: ['896f8e436f99'],
    summary: '__imsic_local_sync() re-triggers the temporary identity (old CPU, new local ID) whose pending bit it took when that identity belongs to an irq at all, not only when it is enabled: an irq disabled because it moves too keeps its interrupt',
  },
  {
    id: 'msi-fuzz-imsic-free-vector',
    title: 'irqchip/riscv-imsic: Finish moves and clear pending state of freed vectors (msi-fuzz proposal)',
    scope: 'riscv-aia',
    proposedBy: 'msi-fuzz',
    link: 'msi-fuzz model finding (docs/reference/platforms-arm64-riscv.md); not posted, not upstream',
    summary: 'imsic_irq_domain_free() completes a move still in flight (the old vector is unlinked and freed with the irq, not later by a sync that reads the freed irq\'s data), and a freed identity is marked dirty so its hart\'s sync clears its pending bit before the identity is handed out again',
  },
];

/** The platform's own patches (the core's are every platform's). */
export const RISCV_AIA_PATCHES: readonly Patch[] = [...CPUHOTPLUG_ORDER, ...IMSIC_PATCHES];

const POOL: readonly Patch[] = [...CORE_PATCHES, ...RISCV_AIA_PATCHES];

/** Every landed patch of the pool: the state of the newest source, Debian 7.2.13. */
const V7_2 = patchesUpTo(POOL, 'v7.2');

export const RISCV_AIA_REVISIONS: readonly NamedRevision[] = [
  {
    name: 'v7.2',
    description: 'Debian 7.2.13 (the newest source): the v6.15 IMSIC series, the v6.16 MSI sequencing, msi_post_free() gone',
    patches: V7_2,
    correct: true,
  },
  {
    name: 'v6.12',
    description: 'Debian 6.12.118: IMSIC with separate move_next/move_prev links but no irq_force_complete_move(); prepare on every allocation',
    patches: patchesUpTo(POOL, 'v6.12'),
    correct: true,
  },
];

export const RISCV_AIA_PATCH_POOL: readonly Patch[] = POOL;
