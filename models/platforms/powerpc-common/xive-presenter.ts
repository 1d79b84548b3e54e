// The XIVE presenter as the hardware implements it: per hardware thread, one event queue per
// priority that the router writes entries into (the EQ data Linux configured for the source,
// its Linux irq number), the Interrupt Pending Buffer (IPB, one bit per priority), and the
// Current Processor Priority Register (CPPR) in the thread's TIMA. An interrupt is presented
// only when its priority is numerically below CPPR; 0xff accepts everything.
import type { IrqOrigin } from '../../kernel/irq-action';

export const XIVE_CPPR_OPEN = 0xff;
/** The priority Linux routes every source to (xive_irq_priority). */
export const XIVE_IRQ_PRIORITY = 7;

export interface EqEntry {
  readonly data: number;
  /** Who raised it (model bookkeeping; the hardware only has `data`). */
  readonly origin: IrqOrigin | null;
}

export class XivePresenter {
  /** queues[cpu]: entries at XIVE_IRQ_PRIORITY (the only priority Linux uses for devices). */
  readonly queues: EqEntry[][];
  readonly ipb: number[];
  readonly cppr: number[];

  constructor(readonly nrCpus: number) {
    this.queues = Array.from({ length: nrCpus }, () => []);
    this.ipb = new Array<number>(nrCpus).fill(0);
    this.cppr = new Array<number>(nrCpus).fill(XIVE_CPPR_OPEN);
  }

  /** The router writes an entry into the target's queue and sets the IPB bit. */
  enqueue(cpu: number, prio: number, entry: EqEntry): void {
    this.queues[cpu]?.push(entry);
    this.ipb[cpu] = (this.ipb[cpu] ?? 0) | (1 << prio);
  }

  /** Is an exception raised on the thread (an IPB priority below CPPR)? */
  presented(cpu: number): boolean {
    const ipb = this.ipb[cpu] ?? 0;
    if (ipb === 0) return false;
    const prio = Math.log2(ipb & -ipb);
    return prio < (this.cppr[cpu] ?? XIVE_CPPR_OPEN);
  }

  // TM_SPC_ACK_OS_REG: acknowledge the most favoured pending priority: CPPR takes it, IPB bit cleared
  ack(cpu: number): number {
    if (!this.presented(cpu)) return XIVE_CPPR_OPEN;
    const ipb = this.ipb[cpu] ?? 0;
    const prio = Math.log2(ipb & -ipb);
    this.ipb[cpu] = ipb & ~(1 << prio);
    this.cppr[cpu] = prio;
    return prio;
  }
}
