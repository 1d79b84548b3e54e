// kernel/irq/manage.c: where an irq may be routed. irq_do_set_affinity() hands the mask
// (restricted to online CPUs) to the top chip, which walks the hierarchy down to the level that
// routes (x86 vector domain, ITS MOVI); the mask is recorded in the descriptor on success.
// irq_set_affinity() is what the kernel and /proc/irq/N/smp_affinity call; irq_setup_affinity()
// runs at startup.
import { chipCanSetAffinity, chipSetAffinity, irqCanMovePcntxt, IRQ_SET_MASK_OK, IRQ_SET_MASK_OK_DONE, IRQ_SET_MASK_OK_NOCOPY } from './chip-call';
import { EINVAL, EIO } from './errno';
import type { IrqData, IrqDesc } from './irqdomain';
import type { Kernel } from './kernel';

/** The CPU an irq is routed to now (irq_data_get_effective_affinity_mask), -1 when none. */
export function effectiveCpuOf(top: IrqData): number {
  for (let d: IrqData | null = top; d !== null; d = d.parentData) if (d.effectiveCpu >= 0) return d.effectiveCpu;
  return -1;
}

// irq_do_set_affinity(): the online part of the mask goes to the chip (all of it when forced)
export function irqDoSetAffinity(k: Kernel, desc: IrqDesc, mask: readonly number[], force: boolean): number {
  const data = desc.irqData;
  if (data.chip === null || !chipCanSetAffinity(data)) return -EINVAL;
  const online = mask.filter((c) => k.cpuIsOnline(c));
  let ret: number;
  if (!force && online.length > 0) ret = chipSetAffinity(k, data, online, force);
  else if (force) ret = chipSetAffinity(k, data, mask, force);
  else ret = -EINVAL;
  switch (ret) {
    case IRQ_SET_MASK_OK:
    case IRQ_SET_MASK_OK_DONE:
      desc.affinity = [...mask];
      return 0;
    case IRQ_SET_MASK_OK_NOCOPY:
      return 0;
    default:
      return ret;
  }
}

// irq_set_affinity_locked(): an irq that is not activated yet only records the mask
// (irq_set_affinity_deactivated); it is used when the irq starts. A chip that cannot move
// from process context (IRQCHIP_MOVE_DEFERRED) gets the mask as pending: the move happens
// when the interrupt next fires (irq_move_irq()).
export function irqSetAffinityLocked(k: Kernel, desc: IrqDesc, mask: readonly number[], force: boolean): number {
  if (!chipCanSetAffinity(desc.irqData)) return -EINVAL;
  if (!desc.irqData.activated) {
    desc.affinity = [...mask];
    desc.affinitySet = true;
    return 0;
  }
  // GENERIC_PENDING_IRQ: a chip that cannot move in process context (IRQCHIP_MOVE_DEFERRED), or
  // an irq with a move already pending, gets the mask at its next interrupt (migration.ts)
  if (!irqCanMovePcntxt(desc.irqData) || desc.pendingMask !== null) {
    desc.pendingMask = [...mask];
    desc.affinitySet = true;
    k.touchIrq(desc.irq);
    return 0;
  }
  const ret = irqDoSetAffinity(k, desc, mask, force);
  if (ret === 0) desc.affinitySet = true;
  return ret;
}

// write_irq_affinity() (kernel/irq/proc.c): a write to /proc/irq/N/smp_affinity.
// irq_can_set_affinity_usr(): managed interrupts belong to the kernel (-EIO); a mask without an
// online CPU is refused
export function writeIrqAffinity(k: Kernel, irq: number, mask: readonly number[]): number {
  const desc = k.irqs.desc(irq);
  if (desc === undefined) return -EINVAL;
  if (desc.affinityManaged || !chipCanSetAffinity(desc.irqData)) return -EIO;
  if (!mask.some((c) => k.cpuIsOnline(c))) return -EINVAL;
  return irqSetAffinityLocked(k, desc, mask, false);
}

// irq_setup_affinity(): at startup, the mask someone set (if it still has an online CPU), else
// every CPU, restricted to the online ones
export function irqSetupAffinity(k: Kernel, desc: IrqDesc): number {
  if (!chipCanSetAffinity(desc.irqData)) return 0;
  let set = Array.from({ length: k.nrCpus }, (_, c) => c);
  if (desc.affinityManaged || desc.affinitySet) {
    if (desc.affinity.some((c) => k.cpuIsOnline(c))) set = desc.affinity;
    else desc.affinitySet = false;
  }
  const mask = set.filter((c) => k.cpuIsOnline(c));
  return irqDoSetAffinity(k, desc, mask, false);
}
