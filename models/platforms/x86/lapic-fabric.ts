// x86 interrupt presentation: a message, once remapped, sets a bit in the target CPU's local
// APIC IRR, per vector (repeats coalesce). The CPU takes the highest pending vector, moves it
// to the ISR, and common_interrupt() translates it through its vector_irq[] as it is *then*:
// after a move the old (CPU, vector) still names the irq until its cleanup, so an interrupt
// that was pending there is still handled; apic_ack_edge() -> irq_complete_move() lets the
// old vector go once one arrives on the new target; apic_eoi() after the flow clears the ISR.
// A slot that names no irq (VECTOR_UNUSED, VECTOR_SHUTDOWN, VECTOR_RETRIGGERED) is acked and
// dropped ("No irq handler for vector").
import type { Device } from '../../kernel/device';
import type { IrqOrigin } from '../../kernel/irq-action';
import type { InFlight, InterruptFabric, TakenIrq } from '../../kernel/irq-fabric';
import type { MsiMsg } from '../../kernel/irqdomain';
import type { Kernel } from '../../kernel/kernel';
import { apicAckEdge } from './hotplug';
import type { IrqCfg } from './msi-msg';
import { VECTOR_RETRIGGERED, VECTOR_SHUTDOWN, VECTOR_UNUSED, type IrrEntry, type X86Vector } from './vector';

/** The platform's message path up to the APIC bus: remapping or compatibility decoding. */
export type X86Route = (dev: Device, msg: MsiMsg) => IrqCfg | { readonly blocked: string };

export class LapicFabric implements InterruptFabric {
  readonly name = 'lapic';
  /** Per CPU: vectors taken and not yet EOIed (the ISR), with the irq each named. */
  private readonly isr: { vector: number; irq: number }[][];

  constructor(
    private readonly k: Kernel,
    private readonly v: X86Vector,
    private readonly route: X86Route,
  ) {
    this.isr = Array.from({ length: v.nrCpus }, () => []);
  }

  get nrCpus(): number {
    return this.v.nrCpus;
  }

  private irr(cpu: number): Map<number, IrrEntry> {
    return this.v.irr[cpu] as Map<number, IrrEntry>;
  }

  signal(dev: Device, msg: MsiMsg, origin: IrqOrigin): string {
    const cfg = this.route(dev, msg);
    if ('blocked' in cfg) return `blocked: ${cfg.blocked}`;
    const cpu = cfg.destApicid;
    if (cpu >= this.v.nrCpus) return `blocked: no CPU with APIC ID ${cpu}`;
    // An offline CPU's APIC does not accept interrupts: the message is lost
    if (!this.v.isOnline(cpu)) return `blocked: CPU ${cpu} is offline`;
    const irq = (this.v.vectorIrq[cpu] as Int32Array)[cfg.vector] ?? VECTOR_UNUSED;
    const irr = this.irr(cpu);
    const desc = irq >= 0 ? this.k.irqs.desc(irq) : undefined;
    const old = irr.get(cfg.vector);
    // One bit per vector: a raise while it is set merges with it; the CPU will take it as the
    // irq the vector names now (a bit left by an irq since freed counts for this one)
    if (old !== undefined && old.desc === desc && old.irq === irq) return `vector ${cfg.vector} already pending in the IRR of CPU ${cpu} (coalesced)`;
    irr.set(cfg.vector, { irq, origin, desc });
    return irq >= 0 ? `vector ${cfg.vector} pending in the IRR of CPU ${cpu} (irq ${irq})` : `vector ${cfg.vector} pending in the IRR of CPU ${cpu} (vector_irq: no irq)`;
  }

  takeNext(cpu: number): TakenIrq | null {
    if ((this.isr[cpu]?.length ?? 0) > 0 || !this.v.isOnline(cpu)) return null;
    const irr = this.irr(cpu);
    const slots = this.v.vectorIrq[cpu] as Int32Array;
    for (;;) {
      // The highest vector is the highest priority
      let vector = -1;
      for (const vec of irr.keys()) if (vec > vector) vector = vec;
      if (vector < 0) return null;
      const e = irr.get(vector) as IrrEntry;
      irr.delete(vector);
      const irq = slots[vector] ?? VECTOR_UNUSED;
      if (irq < 0 || this.k.irqs.desc(irq) === undefined || this.k.irqs.desc(irq) !== e.desc) {
        // common_interrupt(): no descriptor -> apic_eoi(); the markers go back to VECTOR_UNUSED
        if (irq === VECTOR_SHUTDOWN || irq === VECTOR_RETRIGGERED) slots[vector] = VECTOR_UNUSED;
        else this.k.printk(`No irq handler for ${cpu}.${vector}`);
        continue;
      }
      this.isr[cpu]?.push({ vector, irq });
      // apic_ack_edge() -> irq_complete_move()
      apicAckEdge(this.k, this.v, irq, cpu);
      return { irq, origin: e.origin };
    }
  }

  idleReason(cpu: number): string {
    if (!this.v.isOnline(cpu)) return `CPU ${cpu} is offline`;
    const isr = this.isr[cpu] ?? [];
    if (isr.length > 0) return `CPU ${cpu} has vector ${isr.map((e) => e.vector).join(',')} in service (no EOI)`;
    return `nothing pending in the IRR of CPU ${cpu}`;
  }

  // apic_eoi()
  afterFlow(cpu: number, taken: TakenIrq): void {
    const isr = this.isr[cpu] ?? [];
    const i = isr.findIndex((e) => e.irq === taken.irq);
    if (i >= 0) isr.splice(i, 1);
  }

  /** IRR bits a CPU will take as the irq they were raised for (online CPU, slot still naming that irq). */
  inFlight(): InFlight[] {
    const out: InFlight[] = [];
    this.v.irr.forEach((irr, cpu) => {
      if (!this.v.isOnline(cpu)) return;
      for (const [vector, e] of irr) {
        const irq = (this.v.vectorIrq[cpu] as Int32Array)[vector] ?? VECTOR_UNUSED;
        if (irq >= 0 && irq === e.irq && this.k.irqs.desc(irq) !== undefined && this.k.irqs.desc(irq) === e.desc) out.push({ irq, cpu, origin: e.origin, where: `IRR of CPU ${cpu} vector ${vector}` });
      }
    });
    return out;
  }

  priorityRaised(cpu: number): string | null {
    const isr = this.isr[cpu] ?? [];
    return isr.length === 0 ? null : `CPU ${cpu}: vector ${isr.map((e) => e.vector).join(',')} taken and never EOIed`;
  }

  /**
   * What a move or an offline left behind: an interrupt pending in the IRR of an offline CPU
   * (fixup_irqs() forwards those), an old vector still allocated after its move completed with
   * no cleanup queued to free it, and a vector allocated on an offline CPU that no irq holds.
   */
  leftBehind(): string[] {
    const out: string[] = [];
    this.v.irr.forEach((irr, cpu) => {
      if (this.v.isOnline(cpu)) return;
      for (const [vector, e] of irr) if (e.origin !== null) out.push(`vector ${vector} (raised by ${e.origin.dev} vec ${e.origin.vec}) pending in the IRR of offline CPU ${cpu}`);
    });
    for (const irq of this.k.irqs.descs.keys()) {
      const apicd = this.v.chipDataOf(irq);
      if (apicd === null || apicd.prevVector === 0) continue;
      if (apicd.moveInProgress || apicd.clistCpu >= 0) continue;
      out.push(`irq ${irq}: old vector ${apicd.prevVector} on CPU ${apicd.prevCpu} still allocated after its move completed, and no cleanup is queued`);
    }
    // A vector still allocated on an offline CPU that no irq holds: nothing will ever free it
    for (const { cpu, vector } of this.v.leftOnOfflineCpus()) out.push(`CPU ${cpu} is offline with vector ${vector} still allocated and no irq holding it`);
    return out;
  }
}
