// The irq_chip_*_parent() helpers (kernel/irq/chip.c): a level without its own callback hands
// the operation to its parent. genirq calls the top level (irq_desc::irq_data); the PCI/MSI
// device level forwards startup, shutdown, mask, unmask and EOI to the MSI parent the way
// irq_chip_startup_parent() / irq_chip_eoi_parent() do, so the parent that owns the source
// (XIVE, the GIC) acts.
import type { IrqChip, IrqData } from './irqdomain';
import type { Kernel } from './kernel';

type ChipOp = 'irqStartup' | 'irqShutdown' | 'irqMask' | 'irqUnmask' | 'irqEoi';

/** Calls `op` at the first level from `data` down that has it; false when none has. */
export function chipCall(k: Kernel, data: IrqData | null, op: ChipOp): boolean {
  for (let d = data; d !== null; d = d.parentData) {
    const fn = d.chip?.[op] as IrqChip[ChipOp];
    if (fn !== undefined) {
      fn.call(d.chip, k, d);
      return true;
    }
  }
  return false;
}

/** The parent of `data` and below (irq_chip_*_parent). */
export function chipCallParent(k: Kernel, data: IrqData, op: ChipOp): boolean {
  return chipCall(k, data.parentData, op);
}

// __irq_get_irqchip_state(): the first level whose chip implements irq_get_irqchip_state; a
// level without a chip is a WARN_ON_ONCE and -ENODEV. Null: nobody can tell (-EINVAL).
export function irqGetIrqchipStateActive(k: Kernel, top: IrqData): boolean | null {
  for (let d: IrqData | null = top; d !== null; d = d.parentData) {
    if (d.chip === null) {
      k.warn('__irq_get_irqchip_state', `irq ${top.irq}: no chip at ${d.domain.name}`);
      return null;
    }
    const fn = d.chip.irqGetIrqchipStateActive;
    if (fn !== undefined) return fn.call(d.chip, k, d);
  }
  return null;
}
