// Known bugs: each a historical (or still open) failure the models reproduce, with the
// revision it lives at, the invariant that catches it, the shortest repro known, and a golden
// repro under shrink-reports/golden/ that `npm test` replays.
import type { FaultClass } from './sim/simulation';

export interface KnownBug {
  readonly id: string;
  readonly platform: string;
  /**
   * For open bugs in the core: the other platforms where triage recognises the same finding (at
   * whatever revision it occurs) by replaying it with `fixPatch`, a core patch.
   */
  readonly alsoOn?: readonly string[];
  readonly revision: string;
  readonly invariant: string;
  /** Driver calls in the shortest repro (the shrinker must reach it). */
  readonly minimalLength: number;
  /**
   * Command kinds hunting this bug favours: hidden ones are generated, default ones weigh
   * HUNT_BOOST times more (src/engine/generate.ts).
   */
  readonly commands?: readonly string[];
  /** Fault classes the run needs (none for bugs any driver triggers). */
  readonly faults: readonly FaultClass[];
  /** fixed: gone at the platform's current revision; open: still there upstream. */
  readonly status: 'fixed' | 'open';
  /** For open bugs, a proposed (unmerged) patch that makes the golden repro pass. */
  readonly fixPatch?: string;
  /**
   * For fixed bugs, the fix as patches to add to or drop from `revision` (`+d27e623ace6a`), where
   * the fixing commit is modelled; without it the platform's current revision stands for the fix.
   * Triage recognises a finding as this bug when the fix makes its failure go away.
   */
  readonly fixedBy?: string;
  /** Where the bug comes from: seed thread, commit, or model finding. */
  readonly source: string;
  readonly description: string;
}

export const KNOWN_BUGS: readonly KnownBug[] = [
  {
    id: 'its-nvme-realloc-uaf',
    platform: 'gic-v3-its',
    revision: 'prepare-before-its-teardown',
    invariant: 'no-use-after-free',
    minimalLength: 4,
    faults: [],
    status: 'fixed',
    fixedBy: '+713335b6ee29',
    source: 'seeds/002 (maz, "Changing prepare first breaks nvme and igbxe"); fixed by ordering 713335b6ee29 before 1396e89e09f0',
    description: 'prepare runs once at domain creation, but the ITS still frees its_device on the last LPI free: alloc 1, free, alloc N uses the freed its_device',
  },
  {
    id: 'its-teardown-scratchpad-ul',
    platform: 'gic-v3-its',
    revision: 'sequencing-v1',
    invariant: 'scratchpad-union-aliasing',
    minimalLength: 3,
    faults: [],
    status: 'fixed',
    fixedBy: '-713335b6ee29-v1+713335b6ee29',
    source: 'seeds/002 (lpieralisi review of [PATCH 2/4]); fixed in v2 (713335b6ee29 reads scratchpad[0].ptr)',
    description: 'the first its_msi_teardown() reads the DeviceID from scratchpad[0].ul, which its_msi_prepare() overwrote with the its_device pointer',
  },
  {
    id: 'its-interim-teardown-leak',
    platform: 'gic-v3-its',
    revision: 'sequencing-3of5',
    invariant: 'prepare-teardown-pairing',
    minimalLength: 3,
    faults: [],
    status: 'fixed',
    fixedBy: '+03c298760ed9',
    source: 'seeds/002 (maz: "a temporary leak of ITTs in the ITS driver between patches (2) and (4)"); fixed by 03c298760ed9',
    description: 'the ITS no longer frees on the last LPI free, and the core does not call msi_teardown() yet: every removed device leaks its ITT, LPIs and DeviceID mapping',
  },
  {
    id: 'its-multi-msi-hwsize1',
    platform: 'gic-v3-its',
    revision: 'irq-msi-2025-05-25',
    invariant: 'driver-outcome',
    minimalLength: 2,
    faults: [],
    status: 'fixed',
    fixedBy: '+9cc82d99b13c',
    source: 'Zenghui Yu\'s report; fixed by 9cc82d99b13c "PCI/MSI: Size device MSI domain with the maximum number of vectors"',
    description: 'with prepare at creation, the PCI/MSI domain of size 1 sizes the ITS device for one event: a Multi-MSI device gets one vector',
  },
  {
    id: 'its-v6.15-failed-alloc-leak',
    platform: 'gic-v3-its',
    revision: 'v6.15',
    invariant: 'object-audit',
    minimalLength: 4,
    // the injected exhaustion, more often than the default mix arms it
    commands: ['fail_next'],
    faults: ['resource'],
    status: 'fixed',
    source: 'model finding at v6.15 (prepare per allocation, its_device freed only on an LPI free); gone by construction with the v6.16 sequencing series',
    description: 'when the LPI space is short (its_lpi_alloc halves), an allocation that fails after prepare created the its_device leaves it, its ITT and LPIs behind',
  },
  {
    id: 'its-multi-msi-npot-leak',
    platform: 'gic-v3-its',
    // the GICv5 ITS frees its event regions the same way (gicv5_its_irq_domain_free()); the
    // server machines run the same ITS driver
    alsoOn: ['gic-v5', 'gic-v3-its-dt', 'gic-v3-its-acpi'],
    revision: 'v6.18',
    invariant: 'no-kernel-warning',
    minimalLength: 3,
    faults: [],
    status: 'open',
    fixPatch: '87350178tl',
    source: 'thread "PCI MSI issue with reinserting a driver" (John Garry 2021; tglx\'s IRQ_DOMAIN_FREE_BULK proposal, 2023-08-30), not merged as far as we found',
    description: 'a non-power-of-two Multi-MSI allocation takes an aligned power-of-two event block, but the generic path frees one event per irq: the rest of the block stays allocated, its_msi_teardown() WARNs and leaks',
  },
  {
    id: 'multi-msi-deactivate-zeroes-block',
    platform: 'gic-v3-its',
    alsoOn: ['x86-intel-ir', 'x86-amd-ir', 'powernv', 'x86-hyperv', 'x86-vmd', 'gic-v5', 'gic-v3-its-dt', 'gic-v3-its-acpi'],
    revision: 'v6.18',
    invariant: 'message-routing',
    minimalLength: 4,
    faults: [],
    status: 'open',
    fixPatch: 'msi-fuzz-multi-msi-deactivate',
    source: 'msi-fuzz model finding (__free_irq() deactivates; msi_domain_deactivate() writes a zero message; pci_msi_domain_write_msg() writes the MSI capability for desc->irq only); no upstream report or fix found; the fix is msi-fuzz\'s proposal, not upstream',
    description:
      'free_irq() of the first vector of a multi-MSI block deactivates its irq: the all-zero message goes to the MSI capability, which is the whole block\'s message, while the block\'s other irqs stay activated: their interrupts go to address 0',
  },
  {
    id: 'its-shared-device-kept',
    platform: 'gic-v3-its',
    // the same ITS code on the ARM64 servers, where firmware may also collapse functions onto
    // one DeviceID (DT msi-map-mask)
    alsoOn: ['gic-v3-its-dt', 'gic-v3-its-acpi'],
    revision: 'v6.18',
    invariant: 'object-audit',
    minimalLength: 6,
    // two functions with one DeviceID, both hot-removed
    commands: ['pci_device_add', 'device_del'],
    faults: [],
    status: 'open',
    fixPatch: 'msi-fuzz-its-device-users',
    source:
      'msi-fuzz model finding (irq-gic-v3-its.c, 7.2: its_msi_prepare() sets its_dev->shared when a second prepare finds the DeviceID\'s its_device, and its_msi_teardown() then returns early: "If the device is shared, keep everything around"); no upstream report or fix found; the fix is msi-fuzz\'s proposal, not upstream',
    description:
      'two PCI functions whose MSIs carry one DeviceID (a quirk DMA alias) share an its_device; once both are hot-removed nothing frees it: the its_device, its ITT and event map, its LPI range and the DeviceID\'s MAPD stay with no requester left that can use them (bounded by the DeviceIDs, and reused, with its first user\'s ITT size, if one comes back)',
  },
  {
    id: 'xive-offline-msi-left-in-queue',
    platform: 'powernv',
    alsoOn: ['pseries'],
    revision: 'v6.18.y',
    invariant: 'nothing-left-behind',
    minimalLength: 8,
    faults: [],
    // The hunt weighs the three steps of the race more: a coalesced raise, a move, an offline.
    commands: ['msi_raise', 'irq_set_affinity', 'cpu_down'],
    status: 'open',
    fixPatch: 'msi-fuzz-xive-flush-msi',
    source: 'msi-fuzz model finding (xive_flush_cpu_queue() scans only priorities already acknowledged, and skips irqs whose top-level irq_data is not in xive_irq_domain, which with hierarchical PCI/MSI domains is every MSI); no upstream report or fix found; the fix is msi-fuzz\'s proposal, not upstream',
    description:
      'an MSI re-fired (Q bit at EOI) to a CPU just before it goes offline stays in that CPU\'s event queue: xive_smp_disable_cpu() flushes only acknowledged priorities and would drop an MSI entry anyway, so the interrupt waits in the queue of an offline CPU instead of reaching its new target',
  },
  {
    id: 'pseries-nvme-post-free',
    platform: 'pseries',
    revision: 'pseries-v1-underflow-fixed',
    invariant: 'pseries-source-enabled',
    minimalLength: 4,
    faults: [],
    status: 'fixed',
    fixedBy: '-daaa574aba6f-v1+daaa574aba6f',
    source: 'seeds/000 (Power11 LPAR, dedicated nvme: H_INT_GET_SOURCE_INFO lisn=0x1 failed -55, soft lockup); fixed by daaa574aba6f (teardown instead of post_free)',
    description: 'prepare (ibm,change-msi) runs once at creation, msi_post_free() disables every MSI after the free: the next allocation asks the hypervisor for a disabled source (H_P2). Hunted with the underflow fix applied, since at the v1 conversion the same step also wraps the i - 1 error path (no-soft-lockup comes first)',
  },
  {
    id: 'pseries-alloc-error-underflow',
    platform: 'pseries',
    revision: 'pseries-v2-2025-08-11',
    invariant: 'no-soft-lockup',
    minimalLength: 3,
    faults: ['firmware'],
    status: 'fixed',
    fixedBy: '+pseries-i-1-fix',
    source: 'seeds/000 (soft lockup in irq_domain_free_irqs_hierarchy); fixed by the i - 1 -> i error path fix',
    description: 'a failing XIVE parent allocation at i = 0 (here an H_INT_GET_SOURCE_INFO hardware error) makes pseries_irq_domain_alloc() free i - 1 = UINT_MAX parents; the code predates the conversion and is hunted at its v2, where post_free is gone and only the fault reaches it',
  },
  {
    id: 'pseries-quota-below-hwsize',
    platform: 'pseries',
    revision: 'v6.18',
    invariant: 'driver-outcome',
    minimalLength: 2,
    faults: [],
    status: 'fixed',
    fixedBy: '+c0215e2d72de',
    source: 'c0215e2d72de "powerpc/pseries: Fix MSI-X allocation failure when quota is exceeded" (v7.0, 6.18.y); found by the driver-outcome oracle once it derives the count from ibm,req#msi-x and ibm,pe-total-#msi',
    description:
      'since prepare runs at device-domain creation with the MSI-X table size, a function whose table is larger than its share of the PE\'s MSIs gets a positive "only this many" from rtas_prepare_msi_irqs(), which fails the domain creation: pci_alloc_irq_vectors() returns -ENODEV where the firmware would give the quota',
  },
  {
    id: 'powernv-opal-bogus-irq',
    platform: 'powernv',
    revision: 'xive-opal-pre-v5.4',
    invariant: 'powernv-opal-irq-valid',
    minimalLength: 7,
    // seven IPIs held at once: more allocations than the default mix makes in a run
    commands: ['xive_native_alloc_irq'],
    faults: [],
    status: 'fixed',
    fixedBy: '+6ccb4ac2bf8a',
    source: 'seeds/003 (skiboot returned 0xffffffff on exhaustion); fixed by 6ccb4ac2bf8a',
    description: 'OPAL_XIVE_ALLOCATE_IRQ on an exhausted chip returns 0xffffffff, which old Linux takes for an interrupt number: the 7th IPI asked for on chip 0 (6 free after the boot IPIs) comes back as 0xffffffff; a KVM source given it oopses on its ESB load',
  },
  {
    id: 'x86-dmar-null-callback',
    platform: 'x86-intel-ir',
    revision: 'next-2020-09-25',
    invariant: 'no-kernel-oops',
    minimalLength: 1,
    faults: [],
    status: 'fixed',
    fixedBy: '+d27e623ace6a',
    source: 'seeds/001 (Qian Cai / Peter Zijlstra: RIP 0 in dmar_alloc_hwirq at boot); broken by 9006c133a422, fixed by d27e623ace6a "x86/apic/msi: Unbreak DMAR and HPET MSI"',
    description: 'DMAR-MSI and HPET-MSI dropped their get_hwirq for the core default without MSI_FLAG_USE_DEF_DOM_OPS: msi_domain_alloc() calls a NULL msi_domain_ops::get_hwirq on the first fault-event (or HPET) irq',
  },
  {
    id: 'x86-vf-compat-format',
    platform: 'x86-intel-ir',
    revision: 'v5.10-rc1',
    invariant: 'message-routing',
    minimalLength: 3,
    faults: [],
    status: 'fixed',
    fixedBy: '+ff828729be44',
    source: 'seeds/001 ("Blocked a compatibility format interrupt request"); broken by 85a8dfc57a0b, fixed by ff828729be44 "iommu/vt-d: Cure VF irqdomain hickup"',
    description: 'the DMAR bus notifier sets the remapping domain only on devices DMAR lists; an SR-IOV VF keeps the plain vector domain and sends compatibility-format MSIs that interrupt remapping blocks',
  },
  {
    id: 'xive-shutdown-race',
    platform: 'powernv',
    revision: 'xive-pre-da15c03b047d',
    invariant: 'irq-handled-for-owner',
    minimalLength: 7,
    faults: [],
    status: 'fixed',
    fixedBy: '+da15c03b047d',
    source: 'seeds/003 (Paul Mackerras, "Implement get_irqchip_state method for XIVE to fix shutdown race"); broken by 243e25112d06, fixed by da15c03b047d',
    description:
      'free_irq() shuts the source down while its entry still sits in another CPU\'s XIVE event queue; without irq_get_irqchip_state __synchronize_irq() does not wait, the vectors are freed, and the CPU then takes an irq with no descriptor: no handler, no EOI, its CPPR stays raised',
  },
  {
    id: 'vfio-msix-reenable-lost-irq',
    platform: 'x86-noir',
    revision: 'v5.10',
    invariant: 'irq-not-lost',
    minimalLength: 4,
    commands: ['vfio_pci_set_irqs_ioctl'],
    faults: [],
    status: 'fixed',
    // dynamic MSI-X needs x86's per-device MSI domains (v6.2): v5.10 runs the global PCI-MSI domain
    fixedBy: '+b6d5fc3a5245+9a945234abea+cc7594ffadde+vfio-pci-dyn-msix',
    source: 'seeds/004 (tglx, "genirq, PCI/MSI: Support for per device MSI and PCI/IMS - Part 2": "the MSI-X disable/enable dance can just result in losing interrupts"); avoided by VFIO\'s dynamic MSI-X (pci_msix_alloc_irq_at, v6.5)',
    description:
      'VFIO without dynamic MSI-X grows a passed-through function\'s MSI-X by disabling it and enabling it again with more vectors; an interrupt the device raises on a vector in use while MSI-X is disabled is never sent',
  },
  {
    id: 'x86-offline-vector-leak',
    platform: 'x86-noir',
    revision: 'v5.10',
    invariant: 'nothing-left-behind',
    minimalLength: 4,
    faults: [],
    status: 'fixed',
    fixedBy: '+a6c11c0a5235',
    source: 'a6c11c0a5235 (Dongli Zhang, "genirq/cpuhotplug, x86/vector: Prevent vector leak during CPU offline", v6.10, backported to stable)',
    description:
      'an irq moved away from a CPU (move in progress, old vector still on it) is skipped by migrate_one_irq() when that CPU goes offline, before irq_force_complete_move() runs; when the next interrupt arrives on the new target, __send_cleanup_vector() finds the old CPU offline and sets prev_vector = 0: the old vector stays allocated on the offline CPU for good',
  },
  {
    id: 'xen-pcifront-msix-disable',
    platform: 'xen-pv-domu',
    revision: 'v7.2',
    invariant: 'resources-baseline',
    minimalLength: 3,
    faults: [],
    status: 'open',
    fixPatch: 'msi-fuzz-xen-pv-teardown-msix',
    source:
      'msi-fuzz model finding, read in the kernel: arch/x86/pci/xen.c xen_pv_teardown_msi_irqs() "if (dev->msix_enabled) xen_pci_frontend_disable_msix(dev); else xen_pci_frontend_disable_msi(dev);" (0bcfade92080, v5.17) runs from pci_disable_msix() -> pci_free_msi_irqs() after drivers/pci/msi/msi.c pci_msix_shutdown() set "dev->msix_enabled = 0"; drivers/xen/xen-pciback/pciback_ops.c xen_pcibk_disable_msi() only acts "if (dev->msi_enabled)". Unchanged in 6.12 and 7.2. Not confirmed on hardware; no upstream report or fix found; the fix is msi-fuzz\'s proposal',
    description:
      'a PV guest freeing its MSI-X vectors tells pcifront to disable MSI instead of MSI-X: pciback leaves MSI-X enabled on the device with the guest\'s pirqs mapped, and the guest\'s next XEN_PCI_OP_enable_msix gets -EALREADY',
  },
  {
    id: 'xen-pirq-bind-failure-silent',
    platform: 'xen-pv-dom0',
    alsoOn: ['xen-pv-domu', 'xen-hvm-domu'],
    revision: 'v7.2',
    invariant: 'message-routing',
    minimalLength: 4,
    faults: ['resource'],
    status: 'open',
    fixPatch: 'msi-fuzz-xen-pirq-request-resources',
    source:
      'msi-fuzz model finding, read in the kernel: drivers/xen/events/events_base.c __startup_pirq() "rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_pirq, &bind_pirq); if (rc != 0) { pr_warn(\"Failed to obtain physical IRQ %d\\n\", info->irq); return 0; }", and irq_startup()\'s return value is not an error for request_irq(). Same in 6.12 and 7.2. The fix (bind in irq_request_resources()) is msi-fuzz\'s proposal',
    description:
      'when Xen has no event channel left for a pirq, request_irq() still returns 0: the pirq stays unbound and the device\'s interrupts are acked and dropped by Xen, with only a warning in the log',
  },
  {
    id: 'xen-dom0-bind-failure-pirq-leak',
    platform: 'xen-pv-dom0',
    revision: 'v7.2',
    invariant: 'resources-baseline',
    minimalLength: 4,
    faults: ['kmalloc'],
    status: 'open',
    fixPatch: 'msi-fuzz-xen-initdom-unmap-on-bind-failure',
    source:
      'msi-fuzz model finding under injected allocation failures (fault sites irq_alloc_descs, xen_irq_init), read in the kernel: arch/x86/pci/xen.c xen_initdom_setup_msi_irqs() "ret = xen_bind_pirq_msi_to_irq(...); if (ret < 0) goto out;" after HYPERVISOR_physdev_op(PHYSDEVOP_map_pirq) succeeded, with no unmap on that path; drivers/xen/events/events_base.c xen_bind_pirq_msi_to_irq() error_irq only unbinds irqs, and xen_teardown_msi_irqs() destroys (and unmaps through xen_destroy_irq()) only descriptors that have an irq. Same in 6.12 and 7.2. Not confirmed on Xen; the fix is msi-fuzz\'s proposal',
    description:
      'in dom0, when the irq descriptor or irq_info for a freshly mapped pirq cannot be allocated, pci_alloc_irq_vectors() fails but the pirq stays mapped in Xen to the device: nothing unmaps it, and each such failure takes a pirq (and its machine vector) for good',
  },
  {
    id: 'hv-multi-msi-partial-series',
    platform: 'x86-hyperv',
    revision: 'hv-multi-msi-1of4',
    invariant: 'message-routing',
    minimalLength: 5,
    faults: [],
    status: 'fixed',
    fixedBy: '+455880dfe292+b4b77778ecc5+a2bad844a67b',
    source:
      '08e61e861a0e (Jeffrey Hugo, "PCI: hv: Fix multi-MSI to allow more than one MSI vector", v5.19) picked alone for 5.18-stable; Dexuan Cui: "Multi-MSI can\'t work properly if we only pick up the first patch"; fixed by the rest of the series, a2bad844a67b ("PCI: hv: Fix interrupt mapping for multi-MSI") above all',
    description:
      'with MSI_FLAG_MULTI_PCI_MSI but still one PCI_CREATE_INTERRUPT_MESSAGE per irq, the function sends the first irq\'s data plus its vector number, which names a host entry the host never made for it (or another function\'s)',
  },
  {
    id: 'vmd-msi-free-top-chip-data',
    platform: 'x86-vmd',
    revision: 'vmd-msi-parent-1of3',
    invariant: 'no-kernel-oops',
    minimalLength: 3,
    faults: [],
    status: 'fixed',
    fixedBy: '+d5c647b08ee0',
    source:
      'd7d8ab87e3e7 (Nam Cao, "PCI: vmd: Switch to msi_create_parent_irq_domain()", v6.17-rc1); Kenneth Crudup and Ammar Faizi reported early reboots; fixed by d5c647b08ee0 ("PCI: vmd: Fix wrong kfree() in vmd_msi_free()"): "irq_get_chip_data() returns the chip_data associated with the top interrupt domain ... VMD\'s interrupt domain is not the top domain anymore"',
    description:
      'freeing a VMD child\'s vectors: vmd_msi_free() takes its vmd_irq from irq_get_chip_data(), which since the MSI-parent conversion is the per-device domain\'s chip_data (NULL for a PCI device domain), and dereferences it',
  },
  {
    id: 'vmd-msi-child-refused',
    platform: 'x86-vmd',
    revision: 'vmd-msi-parent-2of3',
    invariant: 'no-kernel-warning',
    minimalLength: 2,
    faults: [],
    status: 'fixed',
    fixedBy: '+5149bbb56bdc',
    source:
      'd7d8ab87e3e7 added "WARN_ON_ONCE(info->bus_token != DOMAIN_BUS_PCI_DEVICE_MSIX)" to vmd_init_dev_msi_info() after Intel\'s VMD white paper ("Intel VMD only supports MSIx Interrupts from child devices"); Ammar Faizi hit it with a PCIe port below VMD without MSI-X; removed by 5149bbb56bdc ("PCI: vmd: Remove MSI-X check on child devices", v6.17)',
    description:
      'a function below a VMD that has MSI but no MSI-X: pci_alloc_irq_vectors() fails (no per-device domain) with a WARN, where the driver had MSI before the conversion',
  },
  {
    id: 'hv-compose-failure-zero-message',
    platform: 'x86-hyperv',
    revision: 'v7.2',
    invariant: 'message-routing',
    minimalLength: 4,
    faults: ['resource'],
    status: 'open',
    fixPatch: 'msi-fuzz-hv-irte-at-alloc',
    source:
      'msi-fuzz model finding, read in the kernel: drivers/pci/controller/pci-hyperv.c hv_compose_msi_msg() ends every failure (vmbus_sendpacket_getid(), "Request for interrupt failed", kzalloc) at return_null_message: "msg->address_hi = 0; msg->address_lo = 0; msg->data = 0;", and irq_compose_msi_msg() cannot fail; the driver\'s own TODO in hv_pcie_domain_alloc(): "Allocating and populating struct tran_int_desc in hv_compose_msi_msg() should be moved here." Same in 6.12. The fix follows that TODO; it is msi-fuzz\'s, not upstream',
    description:
      'when the host cannot give a vPCI function an interrupt entry, pci_alloc_irq_vectors() still succeeds: the vector\'s message is all zeros and its interrupts become DMA writes to address 0',
  },
  {
    id: 'hv-multi-msi-dummy-vector',
    platform: 'x86-hyperv',
    revision: 'v7.2',
    invariant: 'irq-handled-for-owner',
    minimalLength: 5,
    faults: [],
    status: 'open',
    fixPatch: 'msi-fuzz-hv-multi-msi-entry-follows-irq',
    source:
      'msi-fuzz model finding, read in the kernel: drivers/pci/controller/pci-hyperv.c hv_compose_msi_msg() creates a multi-MSI block\'s host entries on "vector = 32;" ("The vector we select here is a dummy value. The correct value gets sent to the hypervisor in unmask()"), only hv_irq_unmask() -> hv_arch_irq_unmask() retargets an entry, and nothing points it elsewhere when the irq is shut down and its vector released (the vPCI parent has no deactivate); an allocated irq nobody requested is never unmasked. Same in 6.12 (a2bad844a67b, v5.19). Without per-vector mask bits nothing stops the function from signalling such a vector. Not confirmed on Hyper-V; the fix is msi-fuzz\'s proposal (for the 7.2 shape)',
    description:
      'a vPCI function with a multi-MSI block signals a vector whose irq is not started (allocated but never requested, or freed since): the host still delivers it on the entry\'s last vector (dummy vector 32+i, or the irq\'s released one), which the guest may have given to another irq, and that irq\'s handler runs',
  },
  {
    id: 'hv-startup-move-stale-entry',
    platform: 'x86-hyperv',
    revision: 'v7.2',
    invariant: 'message-routing',
    minimalLength: 9,
    faults: ['resource'],
    status: 'open',
    fixPatch: 'msi-fuzz-hv-affinity-pre-startup',
    source:
      'msi-fuzz model finding, read in the kernel: kernel/irq/chip.c irq_startup() calls irq_setup_affinity() after __irq_startup() unless the chip has IRQCHIP_AFFINITY_PRE_STARTUP; irq_setup_affinity() -> irq_do_set_affinity() is not deferred for IRQCHIP_MOVE_DEFERRED chips; drivers/pci/controller/pci-hyperv.c hv_pcie_init_dev_msi_info() and hv_msi_irq_chip set irq_set_affinity = irq_chip_set_affinity_parent (no recompose), and only hv_irq_unmask() -> hv_irq_retarget_interrupt() points the host entry at a vector. Same in 6.12. Reached when activation had to place the vector outside the affinity mask (a transient vector shortage). Not confirmed on Hyper-V; the fix is msi-fuzz\'s proposal',
    description:
      'a vPCI irq whose vector irq_setup_affinity() moves right after startup keeps its host entry on the old vector: the move never completes through the device, and once something completes it (or the old CPU goes offline) the old vector is released while the function still signals it',
  },
  {
    id: 'wired-msi-desc-leak',
    platform: 'riscv-aia',
    // every wire-to-MSI bridge the core serves: the MBIGENs of the ARM64 servers too
    alsoOn: ['gic-v3-its-dt', 'gic-v3-its-acpi'],
    revision: 'v7.2',
    invariant: 'no-kernel-warning',
    minimalLength: 4,
    faults: [],
    status: 'open',
    fixPatch: 'msi-fuzz-wired-free-descs',
    source: 'msi-fuzz model finding (kernel/irq/msi.c: msi_device_domain_alloc_wired() allocates a descriptor per mapping with MSI_ANY_INDEX; msi_domain_free_locked() frees descriptors only with MSI_FLAG_FREE_MSI_DESCS, which msi_lib_init_dev_msi_info() sets for DOMAIN_BUS_DEVICE_MSI but not DOMAIN_BUS_WIRED_TO_MSI); no upstream report or fix found; the fix is msi-fuzz\'s proposal',
    description:
      'irq_dispose_mapping() of a wired interrupt frees its irq but not the MSI descriptor msi_device_domain_alloc_wired() created: every map/unmap cycle uses up one MSI index of the bridge\'s domain (mapping fails once hwsize are used), and removing the bridge WARNs in msi_device_data_release() about the descriptors left',
  },
  {
    id: 'imsic-offline-no-room',
    platform: 'riscv-aia',
    revision: 'v7.2',
    invariant: 'nothing-left-behind',
    minimalLength: 3,
    faults: [],
    status: 'open',
    fixPatch: 'msi-fuzz-imsic-hotplug',
    source: 'msi-fuzz model finding (RISC-V has no lapic_can_unplug_cpu() counterpart: __cpu_disable() migrates, migrate_one_irq() prints "set affinity failed(-28)" and goes on; the IMSIC has no managed reservations); no upstream report or fix found; the fix is msi-fuzz\'s proposal',
    description:
      'a CPU whose IMSIC identities the other online CPUs cannot take (all their identities in use, or a managed irq\'s other CPUs full) is unplugged anyway: the irqs left on it stay routed to the offline CPU\'s interrupt file until it comes back',
  },
  {
    id: 'imsic-stale-pending-reuse',
    platform: 'riscv-aia',
    revision: 'v7.2',
    invariant: 'irq-handled-for-owner',
    minimalLength: 7,
    faults: [],
    status: 'open',
    fixPatch: 'msi-fuzz-imsic-free-vector',
    source: 'msi-fuzz model finding (irq-riscv-imsic-state.c: imsic_vector_free() and imsic_vector_alloc() leave the identity\'s EIP bit alone, and nothing else clears it; the AIA IMSIC latches EIP whatever EIE says); no upstream report or fix found; the fix is msi-fuzz\'s proposal',
    description:
      'an MSI that arrived on an identity its driver never enabled stays pending in the interrupt file after the vector is freed; the next irq given that identity takes it as its own as soon as it is unmasked, and its handler runs for an interrupt another device raised',
  },
  {
    id: 'imsic-freed-irq-sync-oops',
    platform: 'riscv-aia',
    revision: 'v7.2',
    invariant: 'no-kernel-oops',
    minimalLength: 6,
    commands: ['irq_set_affinity', 'irq_dispose_mapping', 'cpu_down'],
    faults: [],
    status: 'open',
    fixPatch: 'msi-fuzz-imsic-free-vector',
    source: 'msi-fuzz model finding (896f8e436f99 "irqchip/riscv-imsic: Special handling for non-atomic device MSI update": __imsic_local_sync() calls irq_can_move_in_process_context(irq_get_irq_data(vec->irq)) for the old vector of a move; imsic_irq_domain_free() frees the irq without finishing the move, so irq_get_irq_data() is NULL); no upstream report or fix found; the fix is msi-fuzz\'s proposal',
    description:
      'an irq moved in process context (a wired APLIC interrupt, or a PCI one at startup) and then freed before its old CPU synced: that CPU\'s sync looks the freed irq up to decide about the temporary vector and dereferences NULL in irq_can_move_in_process_context()',
  },
  {
    id: 'imsic-temporary-vector-steal',
    platform: 'riscv-aia',
    revision: 'v7.2',
    invariant: 'irq-not-lost',
    minimalLength: 6,
    commands: ['msi_raise', 'cpu_down', 'request_irq'],
    faults: [],
    status: 'open',
    fixPatch: 'msi-fuzz-imsic-tvec-in-use',
    source: 'msi-fuzz model finding (896f8e436f99: __imsic_local_sync() takes the pending bit of the temporary identity (old CPU, new local ID) of a deferred-move irq and re-triggers it only if that identity is enabled); no upstream report or fix found; the fix is msi-fuzz\'s proposal',
    description:
      'when a CPU goes down, all its irqs move at once; its last sync, for one moved PCI irq, takes the pending bit of the identity with the same number as that irq\'s new local ID, which belongs to another irq moved off the CPU (disabled while it moves): the other irq\'s interrupt goes to the first irq\'s new vector and is lost for its owner',
  },
  {
    id: 'vlpi-unmap-offline-collection',
    platform: 'gic-v3-its-dt',
    alsoOn: ['gic-v3-its-acpi'],
    revision: 'v7.2',
    invariant: 'nothing-left-behind',
    minimalLength: 7,
    commands: ['vgic_v4_init', 'kvm_vgic_v4_set_forwarding', 'kvm_vgic_v4_unset_forwarding', 'vgic_v4_teardown', 'cpu_down'],
    faults: [],
    status: 'open',
    fixPatch: 'msi-fuzz-vlpi-unmap-online',
    source:
      'msi-fuzz model finding (drivers/irqchip/irq-gic-v3-its.c: its_set_affinity() returns -EINVAL for an irq forwarded to a vCPU, so migrate_one_irq() only prints "set affinity failed(-22)"; its_vlpi_unmap() then MAPTIs the host LPI to event_map.col_map[event], the CPU of before); no upstream report or fix found; the fix is msi-fuzz\'s proposal',
    description:
      'a passed-through vector forwarded to a vCPU (its_map_vlpi()) stays on its old collection when that CPU goes offline; when KVM unsets the forwarding (vCPU routing change, VM teardown) the host LPI is mapped back to the offline CPU\'s redistributor, where nothing takes its interrupts until the CPU returns',
  },
  {
    id: 'vpe-doorbell-request-teardown-leak',
    platform: 'gic-v3-its-dt',
    alsoOn: ['gic-v3-its-acpi'],
    revision: 'v7.2',
    invariant: 'no-kernel-warning',
    minimalLength: 2,
    commands: ['vgic_v4_init'],
    faults: ['kmalloc'],
    status: 'open',
    fixPatch: 'msi-fuzz-vgic-v4-init-teardown',
    source:
      'msi-fuzz model finding (arch/arm64/kvm/vgic/vgic-v4.c: vgic_v4_init() sets its_vm.nr_vpes to the vCPUs whose doorbell request_irq() succeeded, and vgic_v4_teardown() -> its_free_vcpu_irqs() frees only nr_vpes vPE irqs before irq_domain_remove(), which WARNs on the mapped rest); no upstream report or fix found; the fix is msi-fuzz\'s proposal',
    description:
      'a vCPU doorbell whose request_irq() fails makes KVM tear the VM\'s vPEs down counting only the vCPUs before it: the other vPE irqs stay allocated in a domain that is removed (WARN in irq_domain_remove()), with their doorbell LPIs, vPE IDs and pending tables',
  },
  {
    id: 'vpe-sgi-alloc-unwind-leak',
    platform: 'gic-v3-its-dt',
    alsoOn: ['gic-v3-its-acpi'],
    revision: 'v7.2',
    invariant: 'no-kernel-warning',
    minimalLength: 2,
    commands: ['vgic_v4_init'],
    faults: ['kmalloc'],
    status: 'open',
    fixPatch: 'msi-fuzz-vpe-alloc-unwind',
    source:
      'msi-fuzz model finding (drivers/irqchip/irq-gic-v4.c: its_alloc_vcpu_irqs() jumps to err when its_alloc_vcpu_sgis() fails for a vPE, and err only removes the domain and frees its fwnode: the vPE irqs allocated by irq_domain_alloc_irqs() and the SGI domains of the vPEs before stay); no upstream report or fix found; the fix is msi-fuzz\'s proposal',
    description:
      'when the vSGI domain of a vPE cannot be allocated, its_alloc_vcpu_irqs() removes the vPE domain with every vPE irq still mapped (WARN in irq_domain_remove()): the doorbell LPIs, vPE IDs, pending tables and earlier vPEs\' SGI domains leak',
  },
  {
    id: 'mbigen-stale-pin-event',
    platform: 'gic-v3-its-dt',
    alsoOn: ['gic-v3-its-acpi'],
    revision: 'v7.2',
    invariant: 'irq-handled-for-owner',
    minimalLength: 9,
    commands: ['wired_bridge_add', 'irq_create_fwspec_mapping', 'irq_dispose_mapping', 'msi_raise'],
    faults: [],
    status: 'open',
    fixPatch: 'msi-fuzz-mbigen-clear-vector',
    source:
      'msi-fuzz model finding (drivers/irqchip/irq-mbigen.c: mbigen_write_msi_msg() returns early for the zeroed message msi_domain_deactivate() writes, so the pin\'s vector register keeps its EventID; the chip masks only at the parent (irq_chip_mask_parent); the ITS reuses the freed event for the next pin mapped); no upstream report or fix found; the fix is msi-fuzz\'s proposal',
    description:
      'a pin whose mapping was disposed keeps sending its old EventID; once that event belongs to another pin of the MBIGEN, an assertion of the old pin runs the other pin\'s handler (a stuck level line would storm it until the spurious-interrupt detector disables it)',
  },
  {
    id: 'dmar-fault-irq-freed-unrequested',
    platform: 'x86-noir',
    alsoOn: ['x86-intel-ir', 'x86-vmd'],
    revision: 'v6.18',
    invariant: 'no-kernel-warning',
    minimalLength: 3,
    faults: ['kmalloc'],
    status: 'open',
    fixPatch: 'msi-fuzz-dmar-irq-unwind',
    source:
      'msi-fuzz model finding under injected allocation failures (fault site request_threaded_irq); drivers/iommu/intel/dmar.c at 7.2: dmar_set_interrupt() sets iommu->irq (2029) before request_irq() (2035) and returns its error with iommu->irq still set; init_dmars() (iommu.c:1749-1759) and intel_iommu_add() (iommu.c:2165-2178) then call free_dmar_iommu(), whose free_irq(iommu->irq) (dmar.c:1195) finds no action',
    description:
      'when request_irq() of a VT-d unit\'s fault-event irq fails, the irq stays recorded in iommu->irq with no action; the error path frees the unit with free_dmar_iommu(), and free_irq() WARNs "Trying to free already-free IRQ"',
  },
  {
    id: 'hpet-msi-irq-freed-unrequested',
    platform: 'x86-noir',
    alsoOn: ['x86-intel-ir', 'x86-amd-ir', 'x86-vmd', 'x86-hyperv'],
    revision: 'v6.18',
    invariant: 'no-kernel-warning',
    minimalLength: 3,
    faults: ['kmalloc'],
    status: 'open',
    fixPatch: 'msi-fuzz-hpet-irq-unwind',
    source:
      'msi-fuzz model finding under injected allocation failures (fault site request_threaded_irq); arch/x86/kernel/hpet.c at 7.2: init_one_hpet_msi_clockevent() (653) ignores what hpet_setup_msi_irq() returns (request_irq() at 632) and records the channel as the CPU\'s; hpet_cpuhp_dead() (692) then calls free_irq(hc->irq, hc) on it',
    description:
      'when request_irq() of an HPET MSI channel fails as its CPU comes online, the channel stays the CPU\'s clock event with no irqaction; when that CPU goes offline free_irq() WARNs "Trying to free already-free IRQ"',
  },
  {
    id: 'its-create-device-lpi-leak',
    platform: 'gic-v3-its',
    // the same ITS code runs on the ARM64 server machines (a range of the shared LPI space)
    alsoOn: ['gic-v3-its-dt', 'gic-v3-its-acpi'],
    revision: 'v6.18',
    invariant: 'its-lpi-accounting',
    minimalLength: 3,
    faults: ['kmalloc'],
    status: 'open',
    fixPatch: 'msi-fuzz-its-lpi-range-unwind',
    source: 'msi-fuzz model finding under injected allocation failures (fault sites bitmap_zalloc, itt_alloc_pool, its_device, col_map); irq-gic-v3-its.c at 7.2: its_lpi_alloc() "goto out" after bitmap_zalloc() fails without free_lpi_range(), its_create_device() error path calls bitmap_free(lpi_map) only',
    description: 'when an allocation in its_create_device() fails after its_lpi_alloc() took an LPI range (the event bitmap, the ITT, the its_device or the collection map), the range is never given back: LPIs leak for good',
  },
  {
    id: 'its-lpi-free-alloc-leak',
    platform: 'gic-v3-its',
    alsoOn: ['gic-v3-its-dt', 'gic-v3-its-acpi'],
    revision: 'v6.18',
    invariant: 'no-kernel-warning',
    minimalLength: 4,
    faults: ['kmalloc'],
    status: 'open',
    fixPatch: 'msi-fuzz-its-lpi-free-noalloc',
    source: 'msi-fuzz model finding under injected allocation failures (fault site mk_lpi_range); irq-gic-v3-its.c at 7.2: free_lpi_range() starts with mk_lpi_range() (kmalloc) and returns -ENOMEM, its_lpi_free() only WARN_ON()s',
    description: 'freeing an its_device\'s LPIs allocates a list entry; when that allocation fails its_lpi_free() WARNs and the range is never given back',
  },
  {
    id: 'its-alloc-events-leak',
    platform: 'gic-v3-its',
    alsoOn: ['gic-v3-its-dt', 'gic-v3-its-acpi'],
    revision: 'v6.18',
    invariant: 'no-kernel-warning',
    minimalLength: 4,
    faults: ['kmalloc'],
    status: 'open',
    fixPatch: 'msi-fuzz-its-alloc-unwind',
    source: 'msi-fuzz model finding under injected allocation failures (fault site iommu_dma_prepare_msi); irq-gic-v3-its.c at 7.2: its_irq_domain_alloc() returns the iommu_dma_prepare_msi() error after its_alloc_device_irq() without releasing the region, and irq_domain_alloc_irqs_locked() frees only the irq data',
    description: 'a device behind an IOMMU whose doorbell mapping cannot be allocated: the event region its_alloc_device_irq() took stays set in the lpi_map; at teardown its_msi_teardown() WARNs on the non-empty map and keeps the its_device, its ITT, LPIs and DeviceID mapping',
  },
  {
    id: 'xive-startup-error-dead-line',
    platform: 'pseries',
    alsoOn: ['powernv'],
    revision: 'v6.18.y',
    invariant: 'irq-not-lost',
    minimalLength: 5,
    faults: ['firmware'],
    status: 'open',
    fixPatch: 'msi-fuzz-startup-error',
    source: 'msi-fuzz model finding under injected firmware errors (fault sites plpar_int_set_source_config, opal_xive_set_irq_config); xive/common.c at 7.2: xive_irq_startup() returns the configure_irq() error before xive_do_source_set_mask(d, false), and kernel/irq/manage.c __setup_irq() ignores what irq_startup() returns',
    description: 'when the hypervisor or OPAL refuses to route a source at request_irq() time, request_irq() still returns 0: the handler is installed on a source left off (PQ=01), and every interrupt the device raises is dropped',
  },
  {
    id: 'xive-migrate-enxio-left-on-dead-cpu',
    platform: 'pseries',
    alsoOn: ['powernv'],
    revision: 'v6.18.y',
    invariant: 'nothing-left-behind',
    minimalLength: 5,
    faults: ['firmware'],
    status: 'open',
    fixPatch: 'msi-fuzz-migrate-retry-online',
    source: 'msi-fuzz model finding under injected firmware errors (plpar_int_set_source_config, opal_xive_set_irq_config); kernel/irq/cpuhotplug.c at 7.2: migrate_one_irq() retries with cpu_online_mask only for -ENOSPC, and xive_irq_set_affinity() returns the configure_irq() error',
    description: 'an irq whose move off a dying CPU fails on XIVE with a firmware error stays routed to that CPU: migrate_one_irq() only falls back to the online mask for -ENOSPC',
  },
  {
    id: 'xive-unplug-strands-irq',
    platform: 'powernv',
    alsoOn: ['pseries'],
    revision: 'v6.18.y',
    invariant: 'nothing-left-behind',
    minimalLength: 5,
    faults: ['resource'],
    status: 'open',
    fixPatch: 'msi-fuzz-xive-can-unplug',
    source: 'msi-fuzz model finding under per-CPU queue exhaustion (exhaust(xive-queue, cpu=N) before cpu_down); xive/common.c at 7.2: xive_find_target_in_mask() skips CPUs whose queue is full (xive_try_pick_target), xive_irq_set_affinity() then returns -ENXIO, and nothing on the XIVE unplug path checks for room as lapic_can_unplug_cpu() does on x86',
    description: 'when the queues of every CPU an irq may move to are full, a CPU unplug still goes ahead: the move fails with -ENXIO (not the -ENOSPC migrate_one_irq() falls back on) and the irq stays routed to the dead CPU',
  },
  {
    id: 'xive-managed-restart-refused',
    platform: 'pseries',
    alsoOn: ['powernv'],
    revision: 'v6.18.y',
    invariant: 'irq-not-lost',
    minimalLength: 7,
    faults: ['firmware'],
    status: 'open',
    fixPatch: 'msi-fuzz-xive-startup-retry',
    source:
      'msi-fuzz campaign finding at a revision marked correct (2x10^6-command campaigns, pseries and powernv, injected plpar_int_set_source_config / opal_xive_set_irq_config failures); read in 7.2: kernel/irq/cpuhotplug.c irq_restore_affinity_of_irq() calls irq_startup_managed(), which is void (kernel/irq/chip.c) and calls irq_startup(desc, IRQ_RESEND, IRQ_START_COND) without looking at its result; __irq_startup() clears IRQD_IRQ_DISABLED and IRQD_IRQ_MASKED and sets IRQD_IRQ_STARTED whatever chip->irq_startup() returned; arch/powerpc/sysdev/xive/common.c xive_irq_startup() returns the configure_irq() error before xive_do_source_set_mask(xd, false), so the ESB stays at PQ=01. Same in 6.12. The fix is msi-fuzz\'s proposal',
    description:
      'a managed irq shut down because every CPU of its mask went offline is restarted when one comes back; if the hypervisor or OPAL refuses to route the source then, the irq counts as started but its source stays off, and every interrupt the device raises is dropped (the request_irq() form of the same error is xive-startup-error-dead-line)',
  },
  {
    id: 'powernv-compose-opal-error',
    platform: 'powernv',
    revision: 'v6.18.y',
    invariant: 'message-routing',
    minimalLength: 3,
    faults: ['firmware'],
    status: 'open',
    fixPatch: 'msi-fuzz-pnv-msi-setup-at-alloc',
    source: 'msi-fuzz model finding under injected firmware errors (fault sites opal_pci_set_xive_pe, opal_get_msi_64); pci-ioda.c at 7.2: pnv_msi_compose_msg() only dev_err()s a __pnv_pci_ioda_msi_setup() failure, and msi_domain_activate() writes the zeroed message',
    description: 'an OPAL failure while the PHB is set up for an MSI (at activation or an affinity change) cannot be returned from irq_compose_msi_msg(): the device gets an all-zero message and its MSIs go to address 0',
  },
];

export function findKnownBug(id: string): KnownBug | undefined {
  return KNOWN_BUGS.find((b) => b.id === id);
}

export const GOLDEN_DIR = 'shrink-reports/golden';
