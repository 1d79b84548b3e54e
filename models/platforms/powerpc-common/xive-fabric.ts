// Interrupt presentation on XIVE (powernv and pseries): a PHB MSI write becomes a trigger of an
// XIVE source (the firmware's ESB state machine and router: skiboot on powernv, the
// hypervisor's spapr XIVE on pseries), entries land in the target thread's event queue, and the
// CPU fetches them with xive_get_irq(). The chip EOIs in the flow (xive_irq_eoi); __do_irq()
// does nothing more, also when the irq has no descriptor.
import type { Device } from '../../kernel/device';
import type { IrqOrigin } from '../../kernel/irq-action';
import type { InFlight, InterruptFabric, TakenIrq } from '../../kernel/irq-fabric';
import type { MsiMsg } from '../../kernel/irqdomain';
import type { Kernel } from '../../kernel/kernel';
import type { XiveCpus } from './xive-cpu';
import { XIVE_CPPR_OPEN, type XivePresenter } from './xive-presenter';

/** What the firmware's XIVE router offers the fabric: triggers, the EAS, and the Q bits. */
export interface XiveRouter {
  readonly presenter: XivePresenter;
  /** A source notification (ESB PQ state machine, then the EAS's queue); what became of it. */
  trigger(src: number, origin: IrqOrigin | null): string;
  /** Sources whose Q bit holds a trigger that fires again on EOI. */
  queuedTriggers(): { girq: number; origin: IrqOrigin | null }[];
  /** The EAS of a source: target thread and EQ data. */
  easOf(src: number): { readonly server: number; readonly eqData: number } | undefined;
}

export class XiveFabric implements InterruptFabric {
  readonly name = 'xive';
  readonly nrCpus: number;

  constructor(
    private readonly k: Kernel,
    private readonly fw: XiveRouter,
    private readonly cpus: XiveCpus,
    /** The PHB's MSI window check: the source an MSI write triggers. */
    private readonly route: (dev: Device, msg: MsiMsg) => { girq: number } | { blocked: string },
  ) {
    this.nrCpus = k.nrCpus;
  }

  signal(dev: Device, msg: MsiMsg, origin: IrqOrigin): string {
    const r = this.route(dev, msg);
    if ('blocked' in r) return `blocked: ${r.blocked}`;
    return this.fw.trigger(r.girq, origin);
  }

  takeNext(cpu: number): TakenIrq | null {
    // an offline thread takes nothing
    if (!this.k.cpuIsOnline(cpu) || !this.cpus.interrupted(cpu)) return null;
    // __do_irq(): irq = ppc_md.get_irq(); 0 is "no interrupt"
    const got = this.cpus.getIrq(this.k, cpu);
    return got === null || got.irq === 0 ? null : got;
  }

  idleReason(cpu: number): string {
    const xc = this.cpus.cpu(cpu);
    const n = this.fw.presenter.queues[cpu]?.length ?? 0;
    return `CPU ${cpu}: CPPR=${xc.cppr === XIVE_CPPR_OPEN ? '0xff' : xc.cppr}, ${n} queue entr${n === 1 ? 'y' : 'ies'}, nothing presented`;
  }

  afterFlow(): void {
    // XIVE EOIs from the flow handler (chip->irq_eoi); nothing else happens on the way out.
  }

  inFlight(): InFlight[] {
    const out: InFlight[] = [];
    this.fw.presenter.queues.forEach((q, cpu) => {
      if (!this.k.cpuIsOnline(cpu)) return;
      for (const e of q) out.push({ irq: e.data, cpu, origin: e.origin, where: `XIVE event queue of CPU ${cpu}`, oncePerSource: true });
    });
    for (const t of this.fw.queuedTriggers()) {
      const eas = this.fw.easOf(t.girq);
      if (eas !== undefined) out.push({ irq: eas.eqData, cpu: eas.server, origin: t.origin, where: `Q bit of XIVE source ${t.girq} (fires again on EOI)` });
    }
    return out;
  }

  /** Queue entries of an irq that still exists, left in the queue of an offline CPU. */
  leftBehind(): string[] {
    const out: string[] = [];
    this.fw.presenter.queues.forEach((q, cpu) => {
      if (this.k.cpuIsOnline(cpu)) return;
      for (const e of q) {
        if (this.k.irqs.desc(e.data) === undefined) continue;
        const by = e.origin === null ? '' : ` (raised by ${e.origin.dev} vec ${e.origin.vec})`;
        out.push(`irq ${e.data}${by} in the XIVE event queue of offline CPU ${cpu}`);
      }
    });
    return out;
  }

  priorityRaised(cpu: number): string | null {
    const xc = this.cpus.cpu(cpu);
    if (xc.cppr === XIVE_CPPR_OPEN || xc.replay) return null;
    return `CPU ${cpu}: CPPR stays at ${xc.cppr} with no EOI to come: it takes no interrupt of priority ${xc.cppr} or lower again`;
  }
}
