// struct xive_cpu and the interrupt fetch of arch/powerpc/sysdev/xive/common.c: per CPU the
// CPPR Linux believes in and pending_prio; xive_get_irq() acknowledges at the presenter and
// pops the event queue (xive_scan_interrupts), xive_do_queue_eoi() peeks for more work and
// forces a replay, or opens CPPR again (0xff) when the queues are empty.
import type { IrqOrigin } from '../../kernel/irq-action';
import type { Kernel } from '../../kernel/kernel';
import { XIVE_CPPR_OPEN, type XivePresenter } from './xive-presenter';

export class XiveCpu {
  cppr = XIVE_CPPR_OPEN;
  pendingPrio = 0;
  /** force_external_irq_replay(): the CPU re-enters the interrupt path. */
  replay = false;
}

export class XiveCpus {
  readonly xc: XiveCpu[];
  constructor(
    readonly presenter: XivePresenter,
    nrCpus: number,
  ) {
    this.xc = Array.from({ length: nrCpus }, () => new XiveCpu());
  }

  cpu(cpu: number): XiveCpu {
    const xc = this.xc[cpu];
    if (xc === undefined) throw new Error(`no CPU ${cpu}`);
    return xc;
  }

  // xive_native_update_pending() / xive_spapr_update_pending(): the acknowledge cycle; the acked
  // priority becomes pending and "our idea of what the CPPR is" follows the hardware's
  private updatePending(cpu: number, xc: XiveCpu): void {
    const prio = this.presenter.ack(cpu);
    if (prio >= 8) return;
    xc.pendingPrio |= 1 << prio;
    xc.cppr = prio;
  }

  /** The acknowledge cycle alone (xive_ops->update_pending), for msi-fuzz's flush proposal. */
  acknowledge(cpu: number): void {
    this.updatePending(cpu, this.cpu(cpu));
  }

  // xive_scan_interrupts(): the first queue entry of the most favoured pending priority;
  // CPPR follows it (0xff when nothing is found). After da15c03b047d an entry whose irq has
  // no descriptor is reported and skipped.
  private scan(k: Kernel, cpu: number, xc: XiveCpu, justPeek: boolean): { irq: number; origin: IrqOrigin | null } | null {
    let found: { irq: number; origin: IrqOrigin | null } | null = null;
    let prio = XIVE_CPPR_OPEN;
    const q = this.presenter.queues[cpu] ?? [];
    while (xc.pendingPrio !== 0) {
      prio = Math.log2(xc.pendingPrio & -xc.pendingPrio);
      const e = justPeek ? q[0] : q.shift();
      if (e !== undefined) {
        if (justPeek || !k.applied('da15c03b047d') || k.irqs.desc(e.data) !== undefined) {
          found = { irq: e.data, origin: e.origin };
          break;
        }
        k.warn('xive_get_irq', `xive: got interrupt ${e.data} without descriptor, dropping`);
        continue;
      }
      xc.pendingPrio &= ~(1 << prio);
    }
    if (found === null) prio = XIVE_CPPR_OPEN;
    if (prio !== xc.cppr) {
      xc.cppr = prio;
      this.presenter.cppr[cpu] = prio; // out_8(TM_CPPR)
    }
    return found;
  }

  /** Is the CPU interrupted (an exception presented, or a replay forced)? */
  interrupted(cpu: number): boolean {
    return this.cpu(cpu).replay || this.presenter.presented(cpu);
  }

  // xive_get_irq()
  getIrq(k: Kernel, cpu: number): { irq: number; origin: IrqOrigin | null } | null {
    const xc = this.cpu(cpu);
    xc.replay = false;
    this.updatePending(cpu, xc);
    return this.scan(k, cpu, xc, false);
  }

  /**
   * xive_flush_cpu_queue(): on the dying CPU, with CPPR at 0, pop every entry the scan finds
   * (the priorities already acknowledged into pending_prio) and hand its irq number to `each`.
   */
  flushQueue(k: Kernel, cpu: number, each: (irq: number) => void): void {
    const xc = this.cpu(cpu);
    // The P bit allows one entry per source until its EOI, so an irq popped twice was put back
    // into this queue by its own retrigger (still targeted here): the kernel's loop would spin
    // on it for good, with the CPU on its way down
    const popped = new Set<number>();
    for (;;) {
      const got = this.scan(k, cpu, xc, false);
      if (got === null || got.irq === 0) break;
      if (popped.has(got.irq)) {
        k.report('soft-lockup', 'xive_flush_cpu_queue', `CPU ${cpu}: irq ${got.irq} retriggered into the queue being flushed (still targeted at the dying CPU)`);
        break;
      }
      popped.add(got.irq);
      each(got.irq);
    }
  }

  /** Writes CPPR (xc->cppr and TM_CPPR), as xive_smp_disable_cpu() and xive_setup_cpu() do. */
  setCppr(cpu: number, prio: number): void {
    this.cpu(cpu).cppr = prio;
    this.presenter.cppr[cpu] = prio;
  }

  // xive_do_queue_eoi(): more work -> replay; else CPPR back to 0xff (done by the scan)
  queueEoi(k: Kernel, cpu: number): void {
    const xc = this.cpu(cpu);
    if (this.scan(k, cpu, xc, true) !== null) xc.replay = true;
  }
}
