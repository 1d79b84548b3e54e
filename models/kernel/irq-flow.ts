// The CPU side of an interrupt: the arch entry takes what the interrupt controller presents
// (InterruptFabric.takeNext: xive_get_irq(), the vector, the IAR), generic_handle_irq() runs the
// flow handler of the irq it names (handle_fasteoi_irq() for MSIs), and the arch code finishes
// (apic_eoi(), or nothing where the chip EOIs in the flow, as XIVE does).
import { chipCall } from './chip-call';
import type { IrqOrigin } from './irq-action';
import type { InterruptFabric } from './irq-fabric';
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

// handle_fasteoi_irq(): no handler or disabled -> IRQS_PENDING, mask; the handler otherwise;
// chip->irq_eoi() in both cases (no IRQCHIP_EOI_IF_HANDLED on the modelled chips)
function handleFasteoiIrq(k: Kernel, desc: IrqDesc): { ranFor: { dev: string; vec: number } | null; what: string } {
  const action = desc.action;
  let out: { ranFor: { dev: string; vec: number } | null; what: string };
  if (action === null || desc.disabled) {
    desc.pendingReplay = true;
    chipCall(k, desc.irqData, 'irqMask');
    out = { ranFor: null, what: `irq ${desc.irq}: no handler, IRQS_PENDING, masked` };
  } else {
    out = { ranFor: action.owner, what: `irq ${desc.irq}: handler ${action.name}` };
  }
  chipCall(k, desc.irqData, 'irqEoi');
  return out;
}

/** The CPU takes and handles the next interrupt presented to it; null when nothing is. */
export function cpuHandleIrq(k: Kernel, fabric: InterruptFabric, cpu: number): IrqEvent | null {
  const taken = fabric.takeNext(cpu);
  if (taken === null) return null;
  const prev = k.currentCpu;
  k.currentCpu = cpu;
  // generic_handle_irq(): irq_to_desc() NULL -> -EINVAL, nothing else runs
  const desc = k.irqs.desc(taken.irq);
  const flow = desc === undefined ? { ranFor: null, what: `irq ${taken.irq}: no irq_desc, generic_handle_irq() returns -EINVAL` } : handleFasteoiIrq(k, desc);
  fabric.afterFlow(cpu, taken, desc !== undefined);
  k.currentCpu = prev;
  const ev: IrqEvent = { step: k.step, cpu, irq: taken.irq, origin: taken.origin, hadDesc: desc !== undefined, ranFor: flow.ranFor, what: flow.what };
  k.irqEvents.push(ev);
  return ev;
}
