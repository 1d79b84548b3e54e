// The CPU side of an interrupt: the arch entry takes what the interrupt controller presents
// (InterruptFabric.takeNext: xive_get_irq(), the vector, the IAR), generic_handle_irq() runs the
// flow handler of the irq it names (handle_fasteoi_irq() for MSIs), and the arch code finishes
// (apic_eoi(), or nothing where the chip EOIs in the flow, as XIVE does).
//
// A handler need not finish in the step that took the interrupt: cpuIrqEnter() stops inside
// the handler (IRQD_IRQ_INPROGRESS set, the irqaction in use, interrupts off on that CPU, the
// priority still raised) and cpuIrqExit() returns from it later (the action is read again,
// INPROGRESS cleared, EOI). cpuHandleIrq() is both at once. Meanwhile other CPUs run, and the
// driver may call free_irq(), whose __synchronize_hardirq() must wait for the handler.
import { chipCall } from './chip-call';
import type { IrqAction, IrqOrigin } from './irq-action';
import type { InterruptFabric, TakenIrq } from './irq-fabric';
import type { IrqDesc } from './irqdomain';
import type { Kernel } from './kernel';

/** One interrupt a CPU took, as observed (for the delivery invariants and annotations). */
export interface IrqEvent {
  readonly step: number;
  readonly cpu: number;
  readonly irq: number;
  readonly origin: IrqOrigin | null;
  /** irq_to_desc(irq) found a descriptor. */
  readonly hadDesc: boolean;
  /** The handler that ran (request_irq's owner), or null when none did. */
  readonly ranFor: { readonly dev: string; readonly vec: number } | null;
  readonly what: string;
}

/** A CPU inside a handler (hardirq context) across steps. */
export interface HardirqFrame {
  readonly cpu: number;
  readonly taken: TakenIrq;
  readonly desc: IrqDesc;
  /** The irqaction whose handler runs (desc->action when it started). */
  readonly action: IrqAction;
  /** Interrupts of this irq other CPUs took meanwhile (IRQS_PENDING): handled again on the way out. */
  readonly latched: IrqOrigin[];
}

type FlowStart = { ranFor: { dev: string; vec: number } | null; what: string; action: IrqAction | null };

// handle_fasteoi_irq() up to the handler: irq_may_run() fails while another CPU has the irq in
// progress (IRQS_PENDING; the running CPU handles it again: handle_edge_irq()'s loop on x86,
// IRQD_RESEND_WHEN_IN_PROGRESS on the ITS); no handler or disabled -> IRQS_PENDING and mask;
// otherwise handle_irq_event(): clear IRQS_PENDING, set IRQD_IRQ_INPROGRESS, call the handler.
// The EOI of the first two cases happens here; the handler's EOI comes when it returns.
function fasteoiStart(k: Kernel, desc: IrqDesc, origin: IrqOrigin | null): FlowStart {
  // handle_edge_irq(): chip->irq_ack() first (mask_ack_irq() on the early exits); only edge chips
  // have one (the IMSIC's runs irq_move_irq(), kernel/irq/migration.c)
  chipCall(k, desc.irqData, 'irqAck');
  if (desc.inProgress) {
    desc.pendingReplay = true;
    const running = k.hardirq.find((f) => f !== null && f.desc === desc) ?? null;
    if (running !== null && origin !== null) running.latched.push(origin);
    chipCall(k, desc.irqData, 'irqEoi'); // cond_eoi_irq()
    return { ranFor: null, what: `irq ${desc.irq}: in progress on CPU ${running?.cpu ?? '?'}, IRQS_PENDING (handled again when it returns)`, action: null };
  }
  const action = desc.action;
  if (action === null || desc.disabled) {
    desc.pendingReplay = true;
    chipCall(k, desc.irqData, 'irqMask');
    chipCall(k, desc.irqData, 'irqEoi');
    return { ranFor: null, what: `irq ${desc.irq}: no handler, IRQS_PENDING, masked`, action: null };
  }
  desc.pendingReplay = false;
  desc.inProgress = true;
  // __handle_irq_event_percpu(): action->handler(irq, action->dev_id)
  const a = k.heap.deref('__handle_irq_event_percpu', action, 'desc->action');
  return { ranFor: a.owner, what: `irq ${desc.irq}: handler ${a.name}`, action: a };
}

function withCpu<T>(k: Kernel, cpu: number, fn: () => T): T {
  const prev = k.currentCpu;
  k.currentCpu = cpu;
  try {
    return fn();
  } finally {
    k.currentCpu = prev;
  }
}

/**
 * The CPU takes the next interrupt presented to it and enters its flow handler; when a handler
 * starts, the CPU stays in it (k.hardirq[cpu]) until cpuIrqExit(). Null when nothing is presented
 * or the CPU is already in a handler (interrupts are off in hardirq context).
 */
export function cpuIrqEnter(k: Kernel, fabric: InterruptFabric, cpu: number, startWhat = ' starts (IRQD_IRQ_INPROGRESS)'): IrqEvent | null {
  if (k.hardirq[cpu] !== null && k.hardirq[cpu] !== undefined) return null;
  const taken = fabric.takeNext(cpu);
  if (taken === null) return null;
  return withCpu(k, cpu, () => {
    // generic_handle_irq(): irq_to_desc() NULL -> -EINVAL, nothing else runs
    const desc = k.irqs.desc(taken.irq);
    let flow: FlowStart;
    if (desc === undefined) {
      flow = { ranFor: null, what: `irq ${taken.irq}: no irq_desc, generic_handle_irq() returns -EINVAL`, action: null };
      fabric.afterFlow(cpu, taken, false);
    } else {
      flow = fasteoiStart(k, desc, taken.origin);
      if (flow.action === null) fabric.afterFlow(cpu, taken, true);
      else k.hardirq[cpu] = { cpu, taken, desc, action: flow.action, latched: [] };
    }
    const what = flow.action === null ? flow.what : `${flow.what}${startWhat}`;
    const ev: IrqEvent = { step: k.step, cpu, irq: taken.irq, origin: taken.origin, hadDesc: desc !== undefined, ranFor: flow.ranFor, what };
    k.irqEvents.push(ev);
    return ev;
  });
}

/** What a CPU leaving a handler did: the handler runs it repeated, and a line for the interleaving. */
export interface IrqExit {
  readonly irq: number;
  readonly reruns: readonly IrqEvent[];
  readonly what: string;
}

/** The handler running on `cpu` returns and the flow finishes; null when the CPU is in none. */
export function cpuIrqExit(k: Kernel, fabric: InterruptFabric, cpu: number): IrqExit | null {
  const frame = k.hardirq[cpu] ?? null;
  if (frame === null) return null;
  return withCpu(k, cpu, () => {
    const { desc, action } = frame;
    const reruns: IrqEvent[] = [];
    // __handle_irq_event_percpu(): after the handler, for_each_action_of_desc() reads action->next
    k.heap.deref('__handle_irq_event_percpu', action, 'action->next');
    // handle_irq_event(): IRQD_IRQ_INPROGRESS cleared under desc->lock
    desc.inProgress = false;
    k.hardirq[cpu] = null;
    // cond_unmask_eoi_irq(): the chip's EOI (XIVE: source EOI unless disabled, then the queue)
    chipCall(k, desc.irqData, 'irqEoi');
    fabric.afterFlow(cpu, frame.taken, true);
    // IRQS_PENDING set by another CPU meanwhile: the flow runs the handler again while the irq
    // has one and is enabled (handle_edge_irq()'s loop; check_irq_resend() on fasteoi)
    if (frame.latched.length > 0 && desc.pendingReplay) {
      const cur = desc.action;
      if (cur !== null && !desc.disabled) {
        desc.pendingReplay = false;
        const a = k.heap.deref('__handle_irq_event_percpu', cur, 'desc->action');
        for (const origin of frame.latched) {
          const ev: IrqEvent = { step: k.step, cpu, irq: desc.irq, origin, hadDesc: true, ranFor: a.owner, what: `irq ${desc.irq}: IRQS_PENDING, handler ${a.name} runs again` };
          k.irqEvents.push(ev);
          reruns.push(ev);
        }
      }
    }
    return { irq: desc.irq, reruns, what: `handler ${action.name} of irq ${desc.irq} returns, IRQD_IRQ_INPROGRESS cleared, EOI` };
  });
}

/** The CPU takes and handles the next interrupt presented to it in one go; null when nothing is. */
export function cpuHandleIrq(k: Kernel, fabric: InterruptFabric, cpu: number): IrqEvent | null {
  const ev = cpuIrqEnter(k, fabric, cpu, '');
  if (ev !== null && k.hardirq[cpu] !== null && k.hardirq[cpu] !== undefined) cpuIrqExit(k, fabric, cpu);
  return ev;
}
