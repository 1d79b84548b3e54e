// Interrupt presentation: where a device's MSI write waits until a CPU takes it, and what the
// CPU does around the genirq flow. A platform may model its own (XIVE event queues with CPPR);
// every other platform gets GenericFabric: the message goes through PlatformInstance.deliver()
// (ITS translation to an LPI, x86 remapping to a (CPU, vector)), the irq is pending on the
// target CPU (LPI pending table / local APIC IRR, one bit per irq, so repeats coalesce), the CPU
// takes the oldest pending one, and the arch code EOIs after the flow (gic_eoi_irq / apic_eoi).
// What is pending is the hardware's name for the interrupt (LPI, vector), translated to the irq
// when taken: once the irq is freed the translation is gone (ITS DISCARD drops the pending
// LPI; vector_irq[] says VECTOR_UNUSED and the CPU only acks), so a pending entry whose irq
// descriptor is no longer the one it was raised for is dropped as spurious.
import type { Device } from './device';
import type { IrqOrigin } from './irq-action';
import type { MsiMsg } from './irqdomain';

/** An interrupt waiting somewhere a CPU can take it. */
export interface InFlight {
  readonly irq: number;
  readonly cpu: number;
  readonly origin: IrqOrigin | null;
  /** e.g. `XIVE queue of CPU 1`, `LAPIC IRR of CPU 0`. */
  readonly where: string;
  /**
   * The hardware sends one interrupt of the source here until it is EOIed (a XIVE source's P
   * bit covers its event queue entry, wherever it is): two such entries of one irq are one too
   * many. Absent where the place itself latches one per irq (an IRR or LPI pending bit), or
   * is no latch (a demultiplexer's list).
   */
  readonly oncePerSource?: boolean;
}

/** What the CPU's external-interrupt entry got: the Linux irq and where it came from. */
export interface TakenIrq {
  readonly irq: number;
  readonly origin: IrqOrigin | null;
}

export interface InterruptFabric {
  readonly name: string;
  /** The device's memory write reaches the interrupt controller; returns what became of it. */
  signal(dev: Device, msg: MsiMsg, origin: IrqOrigin): string;
  /** The CPU's interrupt entry (ppc_md.get_irq, the vector, the IAR read); null: nothing presented. */
  takeNext(cpu: number): TakenIrq | null;
  /** Why the CPU takes nothing, for annotations. */
  idleReason(cpu: number): string;
  /** The arch code after generic_handle_irq(): EOI where the chip does not do it itself. */
  afterFlow(cpu: number, taken: TakenIrq, hadDesc: boolean): void;
  inFlight(): readonly InFlight[];
  /** Null when the CPU accepts every interrupt again, else why not (a raised priority, an un-EOIed vector). */
  priorityRaised(cpu: number): string | null;
  readonly nrCpus: number;
  /**
   * What a move or a CPU offline left behind and nothing will take or clean up: an interrupt
   * pending on an offline CPU, or where its irq no longer routes (for the invariant).
   */
  leftBehind?(): string[];
  /** The pending state of `irq` follows it to another CPU (GIC MOVI). */
  movePending?(irq: number, fromCpu: number, toCpu: number): void;
  /** The pending state of `irq` on `cpu` is removed (GIC DISCARD). */
  discardPending?(irq: number, cpu: number): void;
}

/** A platform's deliver() as GenericFabric needs it. */
export type DeliverFn = (dev: Device, msg: MsiMsg) => { readonly irq: number; readonly cpu?: number } | { readonly blocked: string };

interface Pending {
  readonly irq: number;
  readonly origin: IrqOrigin | null;
  /** The descriptor the hardware name translated to when raised. */
  readonly desc: object | undefined;
  /** The platform named the target CPU (ITS collection); false: CPU 0 by default. */
  readonly routed: boolean;
}

/** What GenericFabric reads from the kernel. */
export interface FabricKernelView {
  /** irq_to_desc() */
  descOf(irq: number): object | undefined;
  cpuIsOnline(cpu: number): boolean;
  /** The CPU the irq is routed to now (effective affinity), -1 when the platform does not track it. */
  targetOf(irq: number): number;
}

export class GenericFabric implements InterruptFabric {
  readonly name = 'generic';
  /** Per CPU: pending irqs in arrival order (one entry per irq: the pending bit). */
  private readonly pending: Pending[][];
  /** Per CPU: irqs taken and not yet EOIed (the in-service register). */
  private readonly inService: number[][];

  constructor(
    private readonly deliver: DeliverFn,
    private readonly kv: FabricKernelView,
    readonly nrCpus: number,
  ) {
    this.pending = Array.from({ length: nrCpus }, () => []);
    this.inService = Array.from({ length: nrCpus }, () => []);
  }

  private descOf(irq: number): object | undefined {
    return this.kv.descOf(irq);
  }

  signal(dev: Device, msg: MsiMsg, origin: IrqOrigin): string {
    const d = this.deliver(dev, msg);
    if ('blocked' in d) return `blocked: ${d.blocked}`;
    const routed = d.cpu !== undefined && d.cpu >= 0 && d.cpu < this.nrCpus;
    const cpu = routed ? (d.cpu as number) : 0;
    // A redistributor whose CPU is offline does not take it
    if (!this.kv.cpuIsOnline(cpu)) return `blocked: irq ${d.irq} routed to offline CPU ${cpu}`;
    const q = this.pending[cpu] as Pending[];
    this.dropStale(cpu);
    if (q.some((e) => e.irq === d.irq)) return `irq ${d.irq} already pending on CPU ${cpu} (coalesced)`;
    q.push({ irq: d.irq, origin, desc: this.descOf(d.irq), routed });
    return `irq ${d.irq} pending on CPU ${cpu}`;
  }

  // MOVI: the pending state of the LPI follows it to the new redistributor
  movePending(irq: number, fromCpu: number, toCpu: number): void {
    const from = this.pending[fromCpu];
    const to = this.pending[toCpu];
    if (from === undefined || to === undefined || fromCpu === toCpu) return;
    const i = from.findIndex((e) => e.irq === irq);
    if (i < 0) return;
    const [e] = from.splice(i, 1);
    if (e !== undefined && !to.some((x) => x.irq === irq)) to.push(e);
  }

  // DISCARD: the pending state of the LPI is removed
  discardPending(irq: number, cpu: number): void {
    const q = this.pending[cpu];
    if (q === undefined) return;
    const i = q.findIndex((e) => e.irq === irq);
    if (i >= 0) q.splice(i, 1);
  }

  takeNext(cpu: number): TakenIrq | null {
    if ((this.inService[cpu]?.length ?? 0) > 0 || !this.kv.cpuIsOnline(cpu)) return null;
    this.dropStale(cpu);
    const e = this.pending[cpu]?.shift();
    if (e === undefined) return null;
    this.inService[cpu]?.push(e.irq);
    return { irq: e.irq, origin: e.origin };
  }

  /** Pending entries whose irq was freed since: their LPI or vector no longer translates. */
  private dropStale(cpu: number): void {
    const q = this.pending[cpu];
    if (q === undefined) return;
    for (let i = q.length - 1; i >= 0; i--) {
      const e = q[i] as Pending;
      if (this.descOf(e.irq) !== e.desc) q.splice(i, 1);
    }
  }

  idleReason(cpu: number): string {
    const isr = this.inService[cpu] ?? [];
    if (isr.length > 0) return `CPU ${cpu} has irq ${isr.join(',')} in service (no EOI)`;
    return `nothing pending on CPU ${cpu}`;
  }

  // apic_eoi() / gic_eoi_irq(): done for every taken interrupt, with or without a descriptor
  afterFlow(cpu: number, taken: TakenIrq, _hadDesc: boolean): void {
    const isr = this.inService[cpu] ?? [];
    const i = isr.lastIndexOf(taken.irq);
    if (i >= 0) isr.splice(i, 1);
  }

  inFlight(): InFlight[] {
    return this.pending.flatMap((q, cpu) =>
      this.kv.cpuIsOnline(cpu) ? q.filter((e) => this.descOf(e.irq) === e.desc).map((e) => ({ irq: e.irq, cpu, origin: e.origin, where: `pending on CPU ${cpu}` })) : [],
    );
  }

  /** Pending on an offline CPU, or on a CPU the irq is no longer routed to (its pending state did not follow a move). */
  leftBehind(): string[] {
    const out: string[] = [];
    this.pending.forEach((q, cpu) => {
      for (const e of q) {
        if (this.descOf(e.irq) !== e.desc) continue;
        const by = e.origin === null ? '' : ` (raised by ${e.origin.dev} vec ${e.origin.vec})`;
        if (!this.kv.cpuIsOnline(cpu)) out.push(`irq ${e.irq}${by} pending on offline CPU ${cpu}`);
        else if (e.routed && this.kv.targetOf(e.irq) >= 0 && this.kv.targetOf(e.irq) !== cpu) out.push(`irq ${e.irq}${by} pending on CPU ${cpu}, but routed to CPU ${this.kv.targetOf(e.irq)}`);
      }
    });
    return out;
  }

  priorityRaised(cpu: number): string | null {
    const isr = this.inService[cpu] ?? [];
    return isr.length === 0 ? null : `CPU ${cpu}: irq ${isr.join(',')} taken and never EOIed`;
  }
}
