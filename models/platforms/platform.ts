// The interface a parent model implements to be fuzzed. A platform is one MSI parent (or a
// family of them) at a set of named revisions; the harness boots it into a Kernel, adds
// devices under it, drives the driver API, and checks the generic invariants against the
// views below. A new platform needs nothing else to be fuzzed: see docs/how-to/add-a-platform.md.
import type { Device } from '../kernel/device';
import type { FaultSite, PoolSpec } from '../kernel/faults';
import type { IrqDomain, MsiMsg } from '../kernel/irqdomain';
import type { Kernel } from '../kernel/kernel';
import type { InterruptFabric } from '../kernel/irq-fabric';
import type { ArchCpuHotplug } from '../kernel/cpuhotplug';
import type { NamedRevision, Patch } from '../kernel/patches';

/**
 * One pool of parent resources, or one kind of heap object, as the object audit reads it
 * (models/kernel/audit.ts: auditUsage). A view for tests and reports: it judges nothing.
 */
export interface ResourceUsage {
  /** e.g. `LPI`, `its_device`, `ITT`, `IRTE`. */
  readonly pool: string;
  /** Units (objects) held now, whoever holds them. */
  readonly inUse: number;
  /** Of those, the ones allocated at boot. */
  readonly baseline: number;
}

/** One allocation the driver-outcome oracle asks the parent about (PlatformInstance.vectorRoom). */
export interface VectorRequest {
  /**
   * 'msix': one irq per vector, a shortfall at allocation retried with what was allocated
   * (msi_handle_pci_fail); 'msi': one multi-MSI block, a failure retried with one vector;
   * 'platform': platform MSI, one irq per vector, all or nothing.
   */
  readonly path: 'msix' | 'msi' | 'platform';
  /** The device MSI domain's size: MSI-X table, MSI capability, or the platform device's count. */
  readonly hwsize: number;
  /** Vectors asked for (at most hwsize). */
  readonly nvec: number;
  /** PCI_IRQ_AFFINITY: managed vectors (a reservation on every CPU of each vector's mask). */
  readonly managed: boolean;
}

/** The vectors an allocation ends with: at least `sure`, at most `most` (sure <= most <= nvec). */
export interface VectorRoom {
  readonly sure: number;
  readonly most: number;
}

/**
 * The room of a parent whose capacity oracle is all-or-nothing (it can tell whether `nvec`
 * vectors fit, not how many of fewer would): all of them, or no promise.
 */
export function roomIfFits(fits: boolean, nvec: number): VectorRoom {
  return fits ? { sure: nvec, most: nvec } : { sure: 0, most: nvec };
}

/** Translation state found by requester ID (PlatformInstance.requesterKey). */
export interface RequesterKey {
  /** The object itself: two irqs with the same key share the translation. */
  readonly key: object;
  /** For messages: `its_device 0x100`, `remap table of devid 100`. */
  readonly what: string;
  /** Does a write carrying this requester ID find it? */
  accepts(requester: number): boolean;
}

/** Where a memory write from a device lands once the platform has translated it. */
/** `cpu`: the CPU the message targets, where the platform knows it (x86 destination APIC ID). */
/**
 * Where a message goes: one irq; or, through a demultiplexer that calls every irq sharing its
 * vector (an Intel VMD's vmd_irq()), `irq` is that vector's irq and `demux` the irqs it calls.
 */
export type Delivery = { readonly irq: number; readonly cpu?: number; readonly demux?: readonly number[] } | { readonly blocked: string };

export interface PlatformInstance {
  readonly kernel: Kernel;
  /** dev_set_msi_domain() at device add: the MSI parent the device allocates under. */
  msiParentFor(dev: Device): IrqDomain | null;
  /** The audit's view of the parents' resource pools and heap objects (auditUsage()). */
  resources(): readonly ResourceUsage[];
  /** Follows an MSI write (address/data) sent by `dev` through the interrupt fabric. */
  deliver(dev: Device, msg: MsiMsg): Delivery;
  /**
   * Capacity oracle for the driver-outcome check: how many of the vectors `req` asks for the
   * parent hands `dev` now, derived from what the kernel reads to decide (free LPIs and event
   * maps, vector space per CPU, remap tables, firmware quotas and LISN blocks, device topology),
   * never from running the allocation. The count the allocation path ends with lies in
   * [sure, most] (0: the path fails); where the parent cannot be predicted, sure is 0.
   */
  vectorRoom(dev: Device, req: VectorRequest): VectorRoom;
  /**
   * Optional, for the identity invariant: the translation state the parent keeps for `irq` of
   * `dev` that is found by the requester ID a write carries (the its_device of an ITS DeviceID,
   * the AMD-Vi remap table a devid's DTE points at, the VT-d IRTE's source-id check), and
   * whether a write carrying `requester` finds it. Null where the irq has none. Absent: the
   * parent keys nothing by requester ID (pseries, powernv: PE-based).
   */
  requesterKey?(dev: Device, irq: number): RequesterKey | null;
  /**
   * Optional: true when irq_domain_activate_irq() of the (deactivated) irq `irq` cannot fail for
   * want of resources now (x86: an online CPU has a free vector). Absent: activation allocates
   * nothing that can run out.
   */
  canActivate?(irq: number): boolean;
  /**
   * Optional, read-only: the controller a device's MSI writes reach and the DeviceID they carry,
   * as the machine's firmware maps them (DT msi-map/msi-map-mask, ACPI IORT; ARM64 machines
   * with several ITSes). Two live devices share a DeviceID exactly when these agree.
   */
  msiTarget?(dev: Device): { readonly controller: string; readonly deviceId: number };
  /**
   * Optional: the MSI parent a PCI function gets by default on this machine, which a driver's
   * pci_msi_domain_supports() probes. Absent: the first MSI parent domain the kernel created
   * (wrong where a remapping unit sits between devices and the root MSI parent, as on x86).
   */
  defaultPciMsiParent?(): IrqDomain | null;
  /**
   * Optional: what the platform does before a device is hot-removed (a PF's VFs go first:
   * sriov_disable). Devices it removes are marked `removed` and taken off kernel.devices.
   */
  beforeDeviceRemove?(dev: Device): void;
  /**
   * Optional: true when an MSI's route is completed as it starts rather than as it is activated
   * (Hyper-V: hv_compose_msi_msg() asks the host for an entry on a dummy vCPU, "overwritten by
   * subsequent retarget in hv_irq_unmask()"): routes are checked once the irq has started.
   * Absent: routes hold from activation on.
   */
  routedAtStartup?(): boolean;
  /**
   * Optional: the injected failure (step and fault site) of a call the kernel only logs, which
   * left `irq`'s route where it was (Hyper-V: HVCALL_RETARGET_INTERRUPT at unmask), if the
   * route was stale at step `at` (default: now). The routing and delivery invariants accept
   * what that stale route did only if the fault record shows the failure.
   */
  staleRoute?(irq: number, at?: number): { readonly step: number; readonly site: string } | null;
  /**
   * Optional: what the platform does once a hot-removed device is unbound (its driver gone, its
   * vectors freed) and before it is released: Hyper-V's PCI_EJECTION_COMPLETE.
   */
  afterDeviceUnbind?(dev: Device): void;
  /**
   * Optional: what the platform does once a hot-removed device is gone from the bus (marked
   * `removed`, off kernel.devices): pseries DLPAR gives the function's firmware resources back.
   */
  afterDeviceRemove?(dev: Device): void;
  /**
   * Optional: the platform's own model of interrupt presentation (XIVE event queues and CPPR).
   * Absent: the core's generic one (a per-CPU pending set fed by deliver(), EOI by the CPU).
   */
  interruptFabric?(): InterruptFabric;
  /**
   * Optional: what the arch / interrupt controller does around the generic CPU hotplug code
   * (models/kernel/cpuhotplug.ts): x86 lapic_can_unplug_cpu / fixup_irqs / lapic_offline /
   * lapic_online. Absent: the generic code alone.
   */
  archCpuHotplug?(): ArchCpuHotplug;
}

export interface PlatformCapabilities {
  /** Platform devices can use per-device MSI (platform_device_msi_init_and_alloc_irqs). */
  readonly platformMsi: boolean;
  /**
   * The MSI parent's chips implement irq_set_affinity: affinity writes and CPU hotplug
   * (irq_set_affinity, cpu_down, cpu_up) are generated on this platform.
   */
  readonly affinity?: boolean;
  /**
   * PCI domains (segments) beyond 0 the booted machine has, where hot-added functions may sit
   * (an Intel VMD's emulated domain 0x10000).
   */
  readonly pciSegments?: readonly number[];
  /** PCI segments (host bridges) the firmware describes at boot, numbered from 0; absent: one. Devices are added on each (the segment is in their requester ID's domain bits). */
  readonly pciSegmentCount?: number;
}

export interface PlatformModel {
  /** CLI name, e.g. `gic-v3-its`. */
  readonly name: string;
  readonly title: string;
  /** The platform's own patches; core patches are shared by every platform. */
  readonly patches: readonly Patch[];
  /** Named whole-kernel states (releases and series intermediates). */
  readonly revisions: readonly NamedRevision[];
  /** The named revision that is current upstream. */
  readonly currentRevision: string;
  /** The platform's own fault sites (the core's, models/kernel/fault-sites.ts, come on top). */
  readonly faultSites: readonly FaultSite[];
  /**
   * Optional: the parent pools exhaust() can drain (the core's come on top). Each is registered
   * with its drain at boot (k.faults.registerPool).
   */
  readonly pools?: readonly PoolSpec[];
  readonly capabilities: PlatformCapabilities;
  /** Creates the parent domains in a fresh kernel (what the irqchip probe does at boot). */
  boot(k: Kernel): PlatformInstance;
}
