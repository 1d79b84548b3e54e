// The part of struct irq_chip the x86 hierarchy needs beyond composing and writing messages:
// irq_set_affinity, and msi_domain_set_affinity() (kernel/irq/msi.c), the default an MSI
// domain's chip gets from MSI_FLAG_USE_DEF_CHIP_OPS.
import { IRQ_DOMAIN_FLAG_MSI, type IrqChip, type IrqData } from '../../kernel/irqdomain';
import type { Kernel } from '../../kernel/kernel';

export const IRQ_SET_MASK_OK = 0;
export const IRQ_SET_MASK_OK_NOCOPY = 1;
/** The chip did the whole job (remapped: the IRTE changed, the device message did not). */
export const IRQ_SET_MASK_OK_DONE = 2;

export interface X86IrqChip extends IrqChip {
  irqSetAffinity?(k: Kernel, data: IrqData, dest: readonly number[], force: boolean): number;
}

function setAffinityOf(chip: IrqChip | null): X86IrqChip['irqSetAffinity'] {
  return chip !== null && 'irqSetAffinity' in chip ? (chip as X86IrqChip).irqSetAffinity : undefined;
}

// msi_domain_set_affinity(): the parent moves the vector; unless it says DONE, the device gets
// the recomposed message
function msiDomainSetAffinity(k: Kernel, data: IrqData, dest: readonly number[], force: boolean): number {
  const parent = data.parentData;
  if (parent === null) return -22;
  const ret = chipSetAffinity(k, parent, dest, force);
  if (ret >= 0 && ret !== IRQ_SET_MASK_OK_DONE) {
    const composed = k.irqs.composeMsiMsg(data);
    if (composed !== null) data.chip?.writeMsiMsg?.(k, data, composed.msg);
  }
  return ret;
}

/** chip->irq_set_affinity() of the level `data`, or -EINVAL (-22) when the chip has none. */
export function chipSetAffinity(k: Kernel, data: IrqData, dest: readonly number[], force: boolean): number {
  const own = setAffinityOf(data.chip);
  if (own !== undefined) return own(k, data, dest, force);
  if ((data.domain.flags & IRQ_DOMAIN_FLAG_MSI) !== 0) return msiDomainSetAffinity(k, data, dest, force);
  return -22;
}
