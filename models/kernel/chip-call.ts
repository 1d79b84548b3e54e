// The irq_chip_*_parent() helpers (kernel/irq/chip.c): a level without its own callback hands
// the operation to its parent. genirq calls the top level (irq_desc::irq_data); the PCI/MSI
// device level forwards startup, shutdown, mask, unmask and EOI to the MSI parent the way
// irq_chip_startup_parent() / irq_chip_eoi_parent() do, so the parent that owns the source
// (XIVE, the GIC) acts.
import { IRQ_DOMAIN_FLAG_MSI, type IrqChip, type IrqData } from './irqdomain';
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

/**
 * irq_startup at the first level from `data` down that has one, else irq_unmask (irq_enable);
 * what the startup returned (0 or a negative errno; 0 for an unmask).
 */
export function chipStartup(k: Kernel, data: IrqData | null): number {
  for (let d = data; d !== null; d = d.parentData) {
    const fn = d.chip?.irqStartup;
    if (fn !== undefined) {
      const ret = fn.call(d.chip, k, d);
      return typeof ret === 'number' ? ret : 0;
    }
  }
  chipCall(k, data, 'irqUnmask');
  return 0;
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

export const IRQ_SET_MASK_OK = 0;
export const IRQ_SET_MASK_OK_NOCOPY = 1;
/** The chip did the whole job (remapped, or an ITS MOVI): the device's message does not change. */
export const IRQ_SET_MASK_OK_DONE = 2;
const EINVAL = 22;

// msi_domain_set_affinity() (kernel/irq/msi.c), the irq_set_affinity MSI_FLAG_USE_DEF_CHIP_OPS
// gives an MSI domain's chip: the parent moves the interrupt; unless it says DONE, the device
// gets the recomposed message
function msiDomainSetAffinity(k: Kernel, data: IrqData, dest: readonly number[], force: boolean): number {
  const parent = data.parentData;
  if (parent === null) return -EINVAL;
  const ret = chipSetAffinity(k, parent, dest, force);
  if (ret >= 0 && ret !== IRQ_SET_MASK_OK_DONE) {
    const composed = k.irqs.composeMsiMsg(data);
    if (composed !== null) data.chip?.writeMsiMsg?.(k, data, composed.msg);
  }
  return ret;
}

/** chip->irq_set_affinity() of the level `data`, or -EINVAL when the chip has none. */
export function chipSetAffinity(k: Kernel, data: IrqData, dest: readonly number[], force: boolean): number {
  const own = data.chip?.irqSetAffinity;
  if (own !== undefined) return own.call(data.chip, k, data, dest, force);
  if ((data.domain.flags & IRQ_DOMAIN_FLAG_MSI) !== 0 && data.chip !== null) return msiDomainSetAffinity(k, data, dest, force);
  return -EINVAL;
}

/** irq_chip_set_affinity_parent(): a level that only forwards the move to its parent. */
export function chipSetAffinityParent(k: Kernel, data: IrqData, dest: readonly number[], force: boolean): number {
  return data.parentData === null ? -EINVAL : chipSetAffinity(k, data.parentData, dest, force);
}

/** irq_can_set_affinity(): the top chip has a setter and, for the MSI default, some parent does. */
export function chipCanSetAffinity(top: IrqData): boolean {
  for (let d: IrqData | null = top; d !== null; d = d.parentData) {
    if (d.chip?.irqSetAffinity !== undefined) return true;
    if ((d.domain.flags & IRQ_DOMAIN_FLAG_MSI) === 0 || d.chip === null) return false;
  }
  return false;
}

// irq_chip_retrigger_hierarchy(): the first level with irq_retrigger resends the interrupt
export function chipRetrigger(k: Kernel, top: IrqData): boolean {
  for (let d: IrqData | null = top; d !== null; d = d.parentData) {
    const fn = d.chip?.irqRetrigger;
    if (fn !== undefined) return fn.call(d.chip, k, d);
  }
  return false;
}
