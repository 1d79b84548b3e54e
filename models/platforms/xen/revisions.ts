// The Xen-side commits of the modelled paths and the named kernel states of the Xen platforms.
// arch/x86/pci/xen.c and the pirq half of drivers/xen/events/events_base.c are the same in
// Debian's 6.12 and 7.2 as far as the model follows them (diffed: only kcalloc() ->
// kzalloc_objs() and a workqueue name changed).
import { CORE_PATCHES } from '../../kernel/core-patches';
import { patchesUpTo, type NamedRevision, type Patch } from '../../kernel/patches';

export const XEN_PATCHES: readonly Patch[] = [
  {
    id: '2905c50b7d3e',
    title: 'x86/xen: Wrap XEN MSI management into irqdomain',
    scope: 'xen',
    release: 'v5.10',
    link: '20200826112333.326841410@linutronix.de',
    summary: 'the XEN-MSI domain (domain_alloc_irqs/domain_free_irqs over the old x86_msi ops) becomes every PCI device\'s MSI domain; the oldest state the Xen model knows',
  },
  {
    id: '0bcfade92080',
    title: 'x86/pci/XEN: Use PCI device property',
    scope: 'xen',
    release: 'v5.17',
    link: '20211210221813.311410967@linutronix.de (V3: "Use pci_dev->msix_enabled")',
    requires: ['2905c50b7d3e'],
    summary: 'xen_msi_domain_alloc_irqs() and xen_pv_teardown_msi_irqs() read MSI vs MSI-X from pci_dev::msix_enabled instead of the first MSI descriptor (pci_msix_shutdown() has cleared it by the time pci_disable_msix() frees)',
  },
  {
    id: 'msi-fuzz-xen-pv-teardown-msix',
    title: 'x86/pci/xen: Tell pcifront MSI-X from the first MSI descriptor on teardown (msi-fuzz proposal)',
    scope: 'xen',
    proposedBy: 'msi-fuzz',
    link: 'not posted: arch/x86/pci/xen.c xen_pv_teardown_msi_irqs()',
    requires: ['0bcfade92080'],
    summary: 'xen_pv_teardown_msi_irqs() asks msi_first_desc()->pci.msi_attrib.is_msix instead of pci_dev::msix_enabled, which pci_msix_shutdown() clears before pci_disable_msix() frees the vectors',
  },
  {
    id: 'msi-fuzz-xen-pirq-request-resources',
    title: 'xen/events: Bind a pirq\'s event channel in irq_request_resources() (msi-fuzz proposal)',
    scope: 'xen',
    proposedBy: 'msi-fuzz',
    link: 'not posted: drivers/xen/events/events_base.c __startup_pirq()',
    summary: 'xen_pirq_chip binds the event channel (EVTCHNOP_bind_pirq) in irq_request_resources() and closes it in irq_release_resources(), so request_irq() fails with the hypercall\'s error instead of succeeding with an irq that cannot fire',
  },
  {
    id: 'msi-fuzz-xen-initdom-unmap-on-bind-failure',
    title: 'x86/pci/xen: Unmap the pirq when binding it to an irq fails in dom0 (msi-fuzz proposal)',
    scope: 'xen',
    proposedBy: 'msi-fuzz',
    link: 'not posted: arch/x86/pci/xen.c xen_initdom_setup_msi_irqs()',
    summary: 'when xen_bind_pirq_msi_to_irq() fails after PHYSDEVOP_map_pirq succeeded, xen_initdom_setup_msi_irqs() unmaps the pirq (PHYSDEVOP_unmap_pirq) before it returns; upstream leaves it mapped in Xen, since the descriptor has no irq for xen_teardown_msi_irqs() to destroy',
  },
];

const POOL: readonly Patch[] = [...CORE_PATCHES, ...XEN_PATCHES];

/**
 * The named states of a Xen platform. All are marked correct: the findings of the model at v5.17
 * and later are labelled open upstream issues (src/known-bugs.ts: xen-pcifront-msix-disable,
 * xen-pirq-bind-failure-silent, xen-dom0-bind-failure-pirq-leak), recognised by replay with their
 * proposed fixes.
 */
export function xenRevisions(): readonly NamedRevision[] {
  const release = (tag: string, description: string): NamedRevision => ({ name: tag, description, patches: patchesUpTo(POOL, tag), correct: true });
  return [
    release('v5.10', 'the XEN-MSI domain; the core\'s global-domain paths are modelled as of v6.x (descriptor storage of v5.10 is not)'),
    release('v5.17', 'MSI vs MSI-X read from pci_dev::msix_enabled (0bcfade92080)'),
    release('v6.12', 'Debian 6.12: the same XEN-MSI paths as v5.17'),
    release('v7.2', 'current upstream (Debian unstable 7.2): unchanged in the modelled paths since v5.17'),
  ];
}
