// kernel/irq/migration.c (GENERIC_PENDING_IRQ): an affinity change of an irq whose chip cannot
// be moved in process context (IRQCHIP_MOVE_DEFERRED) is only recorded in desc->pending_mask; the
// move happens in the interrupt's own context, masked, when the next interrupt is acked
// (irq_move_irq() from the chip's irq_ack). CPU hotplug moves such an irq itself, masked, with
// the pending mask if one is set (irq_fixup_move_pending()).
import { irqDoSetAffinity } from './affinity';
import { chipCall, chipCanSetAffinity } from './chip-call';
import { EBUSY } from './errno';
import type { IrqData, IrqDesc } from './irqdomain';
import type { Kernel } from './kernel';

/**
 * irq_move_masked_irq(): the pending mask, if it has an online CPU, goes to the chip; a move the
 * chip refuses with -EBUSY (a cleanup still pending) is tried again at the next interrupt
 */
function irqMoveMaskedIrq(k: Kernel, desc: IrqDesc): void {
  const pending = desc.pendingMask;
  if (pending === null) return;
  desc.pendingMask = null;
  // no irq_set_affinity() on the chip: nothing can move it
  if (pending.length === 0 || !chipCanSetAffinity(desc.irqData)) return;
  if (pending.some((c) => k.cpuIsOnline(c))) {
    const ret = irqDoSetAffinity(k, desc, pending, false);
    if (ret === -EBUSY) {
      desc.pendingMask = pending;
      return;
    }
  }
}

/** __irq_move_irq(): not for a disabled irq; masked around the move unless it already was */
export function irqMoveIrq(k: Kernel, d: IrqData): void {
  const desc = k.irqs.desc(d.irq);
  if (desc === undefined || desc.pendingMask === null) return;
  if (desc.disabled) return;
  k.touchIrq(d.irq);
  chipCall(k, desc.irqData, 'irqMask');
  irqMoveMaskedIrq(k, desc);
  chipCall(k, desc.irqData, 'irqUnmask');
}

/**
 * irq_fixup_move_pending(): a pending move whose mask has no online CPU left is dropped (false);
 * otherwise true, and with `forceClear` the pending state is cleared (its mask still returned).
 */
export function irqFixupMovePending(k: Kernel, desc: IrqDesc, forceClear: boolean): number[] | null {
  const pending = desc.pendingMask;
  if (pending === null) return null;
  if (!pending.some((c) => k.cpuIsOnline(c))) {
    desc.pendingMask = null;
    return null;
  }
  if (forceClear) desc.pendingMask = null;
  return pending;
}
