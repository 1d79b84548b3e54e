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

/** One pool of parent resources, for the "back to baseline" and "no leak" invariants. */
export interface ResourceUsage {
  /** e.g. `LPI`, `its_device`, `ITT`, `IRTE`. */
  readonly pool: string;
  /** Units held now, not counting those pinned on purpose (shared ITS devices). */
  readonly inUse: number;
  /** Units held with no device present. */
  readonly baseline: number;
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
  /** Resource pools owned by the parents, for leak checks. */
  resources(): readonly ResourceUsage[];
  /** Follows an MSI write (address/data) sent by `dev` through the interrupt fabric. */
  deliver(dev: Device, msg: MsiMsg): Delivery;
  /**
   * Capacity oracle for the driver-outcome check: true when the parent's free resources
   * guarantee that `dev` can get `nvec` vectors (a device sharing a requester ID with
   * another never qualifies). False means "a shortfall would be legitimate".
   */
  headroom(dev: Device, nvec: number): boolean;
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
   * Optional: what the platform does once a hot-removed device is unbound (its driver gone, its
   * vectors freed) and before it is released: Hyper-V's PCI_EJECTION_COMPLETE.
   */
  afterDeviceUnbind?(dev: Device): void;
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
