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
    alsoOn: ['x86-intel-ir', 'x86-amd-ir', 'powernv'],
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
    fixedBy: '+vfio-pci-dyn-msix',
    source: 'seeds/004 (tglx, "genirq, PCI/MSI: Support for per device MSI and PCI/IMS - Part 2": "the MSI-X disable/enable dance can just result in losing interrupts"); avoided by VFIO\'s dynamic MSI-X (pci_msix_alloc_irq_at, v6.5)',
    description:
      'VFIO without dynamic MSI-X grows a passed-through function\'s MSI-X by disabling it and enabling it again with more vectors; an interrupt the device raises on a vector in use while MSI-X is disabled is never sent',
  },
  {
    id: 'x86-offline-vector-leak',
    platform: 'x86-noir',
    revision: 'v5.10',
    invariant: 'nothing-left-behind',
    minimalLength: 5,
    faults: [],
    status: 'fixed',
    fixedBy: '+a6c11c0a5235',
    source: 'a6c11c0a5235 (Dongli Zhang, "genirq/cpuhotplug, x86/vector: Prevent vector leak during CPU offline", v6.10, backported to stable)',
    description:
      'an irq moved away from a CPU (move in progress, old vector still on it) is skipped by migrate_one_irq() when that CPU goes offline, before irq_force_complete_move() runs; when the next interrupt arrives on the new target, __send_cleanup_vector() finds the old CPU offline and sets prev_vector = 0: the old vector stays allocated on the offline CPU for good',
  },
  {
    id: 'dmar-fault-irq-freed-unrequested',
    platform: 'x86-noir',
    alsoOn: ['x86-intel-ir'],
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
    alsoOn: ['x86-intel-ir', 'x86-amd-ir'],
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
