// The driver's view of the machine: which devices exist, what each supports, what it holds.
// Preconditions read it so every generated sequence is one a real driver could issue;
// the outcome check compares what the kernel returned with what this view predicts.

export interface AbstractDevice {
  readonly name: string;
  readonly bus: 'pci' | 'platform';
  readonly rid: number;
  readonly msiCap: number;
  readonly msixSize: number;
  readonly alias?: number;
  readonly bridge?: string;
  /** pci_domain_nr() when not 0. */
  readonly segment?: number;
  /**
   * What pci_msi_domain_supports() answers for this function when its MSI parent is not the
   * platform's default one (a VMD child): multi-MSI and dynamic MSI-X allocation.
   */
  readonly caps?: { readonly multiMsi: boolean; readonly dynMsix: boolean };
  /** pci_create_ims_domain() gave the driver an IMS domain of `size` slots; `used`: pci_ims_alloc_irq() indices. */
  ims?: { readonly size: number; readonly used: Set<number> };
  /** Platform devices: the msi-parent ID. */
  readonly devid: number;
  /** 'wired': a wire-to-MSI bridge, whose mapped wires are held in `dynamic` (vocabulary/wired.ts). */
  mode: 'none' | 'msi' | 'msix' | 'platform' | 'wired';
  /** Vectors the driver holds from pci_alloc_irq_vectors / platform init. */
  nvec: number;
  /** MSI-X indices allocated with pci_msix_alloc_irq_at. */
  readonly dynamic: Set<number>;
  /**
   * The driver has called an MSI allocation API since it was bound: devres holds its MSI device
   * data (msi_setup_device_data) even after a failed allocation, pci_free_irq_vectors or
   * platform_device_msi_free_irqs_all, until the driver is released. Unset on devices whose
   * driver never asked for vectors.
   */
  msiData?: boolean;
  /** The driver's last pci_alloc_irq_vectors() failed with -ENOSPC or -ENOMEM: it gives up until unbound. */
  outOfVectors?: boolean;
  /**
   * The driver asked for its vectors with PCI_IRQ_AFFINITY: the first nvec are managed, the
   * kernel's to place (irq_set_affinity() from user space gets -EIO).
   */
  managed?: boolean;
}

/** A Map that counts its changes, so what is derived from its entries can be cached by version. */
export class VersionedMap<K, V> extends Map<K, V> {
  version = 0;

  override set(key: K, value: V): this {
    this.version++;
    return super.set(key, value);
  }

  override delete(key: K): boolean {
    this.version++;
    return super.delete(key);
  }

  override clear(): void {
    this.version++;
    super.clear();
  }
}

export interface AbstractState {
  readonly devices: VersionedMap<string, AbstractDevice>;
  readonly bridges: VersionedMap<string, number>;
  /**
   * Fault sites (fail_next) and pools (exhaust) armed for the next command that is not itself a
   * fault command; emptied when that command ends, whether they fired or not.
   */
  readonly armed: Set<string>;
  nextDevice: number;
  nextBridge: number;
  /** Platform-specific driver-visible state kept by platform commands (e.g. online CPUs, VFs), by key. */
  readonly extra: Map<string, unknown>;
  /** Vectors each driver has a handler for (request_irq), by device name. */
  readonly handlers: Map<string, Set<number>>;
  /** CPUs inside a handler (cpu_irq_enter without its cpu_irq_exit yet). */
  readonly inHandler: Set<number>;
  /** The driver thread (CPU 0) is stuck in a kernel wait: only devices and other CPUs act. */
  driverBlocked: boolean;
  /** cpu_online_mask as an admin sees it (cpu_down / cpu_up). */
  readonly online: Set<number>;
  /**
   * The last irq_set_affinity writes that moved an irq (effective_affinity before and after),
   * most recent last: where an old vector, a queued entry or an interrupt re-fired at EOI may
   * still be on its way. cpu_down aims at their CPUs, deliveries at their irqs.
   */
  readonly moves: AffinityMove[];
  /**
   * The vectors devices raised last (msi_raise), most recent last, whatever became of the
   * interrupts: a vector raised again coalesces (Pending Bit, IRR, XIVE Q bit), and a move or a
   * CPU offline while it may still be pending must carry it along.
   */
  readonly raised: { readonly dev: string; readonly vec: number }[];
  /**
   * What the parent supports, as pci_msi_domain_supports() would answer a driver; `affinity`:
   * its chips move interrupts (irq_set_affinity, CPU hotplug).
   */
  readonly caps: { readonly multiMsi: boolean; readonly dynMsix: boolean; readonly platformMsi: boolean; readonly affinity: boolean; readonly ims?: boolean; readonly pciSegments?: boolean; readonly pciSegmentCount?: number };
  /**
   * What an observer of the running machine sees beyond the driver's view, for generation only
   * (never preconditions, never the outcome check): generation aims with it at what the state
   * makes reachable. Set by the Simulation; without it generation keeps to the driver's view.
   */
  machine?: MachineView;
}

/** The machine as an observer sees it (src/sim/simulation.ts implements it over the model). */
export interface MachineView {
  /** The CPU an irq is routed to now, as /proc/irq/N/effective_affinity reads (a device vector, or x86 hpet/dmar and its channel/unit), or -1. */
  effectiveCpu(target: string, vec: number): number;
  /** Interrupts devices raised that no CPU has taken yet (Pending Bit aside: pending, IRR, event queue, Q bit), with the CPU each waits for. */
  inFlight(): readonly { readonly dev: string; readonly vec: number; readonly cpu: number }[];
  /** The calls of fault site `site` the last command of `kind` that called it made (null: the most of any command); 0 if never. */
  faultCalls?(kind: string | null, site: string): number;
  /** How many command kinds were seen to call fault site `site` (boot's entry points included). */
  faultCallers?(site: string): number;
}

/** An irq moved by irq_set_affinity: its target (device, hpet or dmar) and vector, CPU before and after. */
export interface AffinityMove {
  readonly target: string;
  readonly vec: number;
  readonly from: number;
  readonly to: number;
}

/** How many recent moves (and raised vectors) the abstract state keeps. */
export const RECENT_MOVES = 4;

/** Appends `item` to a list of recent events (moves, raises), dropping the oldest past RECENT_MOVES. */
export function remember<T>(recent: T[], item: T): void {
  recent.push(item);
  if (recent.length > RECENT_MOVES) recent.shift();
}

/** Online CPUs other than 0 (which never goes down) at either end of a recent move. */
export function moveEnds(s: AbstractState): number[] {
  const out: number[] = [];
  for (const m of s.moves) for (const c of [m.from, m.to]) if (c > 0 && s.online.has(c) && !out.includes(c)) out.push(c);
  return out;
}

/** The online ends other than CPU 0 of the latest move that has any (moveEnds of that move alone). */
export function latestMoveEnds(s: AbstractState): number[] {
  for (let i = s.moves.length - 1; i >= 0; i--) {
    const m = s.moves[i] as AffinityMove;
    const out = [m.from, m.to].filter((c) => c > 0 && s.online.has(c));
    if (out.length > 0) return out;
  }
  return [];
}

/**
 * The factor on a kind's weight (CommandSpec.boost) when the state gives it nothing to act on
 * though it is valid: a CPU taking an interrupt while none is in flight, a device raising one
 * while no vector has a handler, cpu_down while no irq exists to migrate. Not 0: the idle path
 * (nothing presented, a spurious interrupt, hotplug of an empty machine) stays reachable.
 */
export const IDLE_BOOST = 0.25;

/** Kernel() default: four possible CPUs, all brought up by smp_init(). */
export const NR_CPUS = 4;

export function newAbstractState(caps: AbstractState['caps']): AbstractState {
  const online = new Set(Array.from({ length: NR_CPUS }, (_, i) => i));
  return { devices: new VersionedMap(), bridges: new VersionedMap(), armed: new Set(), extra: new Map(), handlers: new Map(), inHandler: new Set(), driverBlocked: false, online, moves: [], raised: [], nextDevice: 0, nextBridge: 0, caps };
}

export function liveRids(s: AbstractState): Set<number> {
  const out = new Set<number>();
  for (const d of s.devices.values()) if (d.bus === 'pci') out.add(d.rid);
  for (const rid of s.bridges.values()) out.add(rid);
  return out;
}

/** Devices that share a requester ID with another (aliases, same bridge), for coverage. */
export function sharesRequesterId(s: AbstractState, d: AbstractDevice): boolean {
  return d.bus === 'pci' && sharingDevices(s).has(d);
}

/** The PCI devices that share a requester ID, for the devices and bridges at their current versions. */
const sharing = new WeakMap<AbstractState, { readonly devices: number; readonly bridges: number; readonly set: ReadonlySet<AbstractDevice> }>();

/**
 * Every PCI device with another whose requester ID key (the bridge's, else the alias or RID) is
 * the same, or whose alias is its RID or the other way round. Derived once per change of the
 * devices or bridges: every allocation's outcome check asks, and a scan per question grows with
 * the machine.
 */
function sharingDevices(s: AbstractState): ReadonlySet<AbstractDevice> {
  const cached = sharing.get(s);
  if (cached !== undefined && cached.devices === s.devices.version && cached.bridges === s.bridges.version) return cached.set;
  const key = (x: AbstractDevice): number => (x.bridge !== undefined ? -1 - (s.bridges.get(x.bridge) ?? 0) : (x.alias ?? x.rid));
  const byKey = new Map<number, AbstractDevice[]>();
  const byRid = new Map<number, AbstractDevice[]>();
  const byAlias = new Map<number, AbstractDevice[]>();
  const add = (m: Map<number, AbstractDevice[]>, k: number, x: AbstractDevice): void => void (m.get(k) ?? m.set(k, []).get(k))?.push(x);
  const pci = [...s.devices.values()].filter((x) => x.bus === 'pci');
  for (const x of pci) {
    add(byKey, key(x), x);
    add(byRid, x.rid, x);
    if (x.alias !== undefined) add(byAlias, x.alias, x);
  }
  const other = (list: readonly AbstractDevice[] | undefined, x: AbstractDevice): boolean => list !== undefined && list.some((y) => y !== x);
  const set = new Set<AbstractDevice>();
  for (const x of pci) {
    if (other(byKey.get(key(x)), x) || other(byAlias.get(x.rid), x) || (x.alias !== undefined && other(byRid.get(x.alias), x))) set.add(x);
  }
  sharing.set(s, { devices: s.devices.version, bridges: s.bridges.version, set });
  return set;
}

/** Does the driver of `name` hold a handler on any vector (it frees them before its vectors)? */
export function hasHandlers(s: AbstractState, name: string): boolean {
  return (s.handlers.get(name)?.size ?? 0) > 0;
}

/** Removing `name` also removes its SR-IOV VFs (named `${name}vfN`): none of them may hold handlers. */
export function treeHasHandlers(s: AbstractState, name: string): boolean {
  for (const [dev, vecs] of s.handlers) if (vecs.size > 0 && (dev === name || dev.startsWith(`${name}vf`))) return true;
  return false;
}

/** How many devices satisfy `pred` (a command kind's choices). */
export function count(s: AbstractState, pred: (d: AbstractDevice) => boolean): number {
  let n = 0;
  for (const d of s.devices.values()) if (pred(d)) n++;
  return n;
}

/** Multi-MSI and dynamic MSI-X as the function's own MSI parent supports them. */
export function devCaps(s: AbstractState, d: AbstractDevice): { readonly multiMsi: boolean; readonly dynMsix: boolean } {
  return d.caps ?? s.caps;
}
