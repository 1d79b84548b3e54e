// The generic irq code x86 relies on for affinity and CPU hotplug (kernel/irq/manage.c,
// kernel/irq/cpuhotplug.c, arch/x86/kernel/smpboot.c), reduced to what moves vectors:
// /proc/irq/N/smp_affinity writes, taking a CPU down (migrate or shut down every irq on it,
// then lapic_offline), bringing one up (lapic_online, restart managed irqs), and the first
// interrupt after a move (apic_ack_edge -> irq_complete_move).
import { EBUSY, EINVAL, EIO } from '../../kernel/errno';
import type { IrqData } from '../../kernel/irqdomain';
import type { Kernel } from '../../kernel/kernel';
import { chipSetAffinity, IRQ_SET_MASK_OK, IRQ_SET_MASK_OK_DONE } from './chip';
import {
  irqCompleteMove,
  irqForceCompleteMove,
  lapicCanUnplugCpu,
  lapicOffline,
  lapicOnline,
  type ApicChipData,
  type X86Vector,
} from './vector';

function topOf(k: Kernel, irq: number): IrqData | null {
  return k.irqs.desc(irq)?.irqData ?? null;
}

// irq_do_set_affinity(): the top chip moves the interrupt; the mask is recorded on success
function irqDoSetAffinity(k: Kernel, top: IrqData, apicd: ApicChipData, mask: readonly number[], force: boolean): number {
  const ret = chipSetAffinity(k, top, mask, force);
  if (ret === IRQ_SET_MASK_OK || ret === IRQ_SET_MASK_OK_DONE) apicd.affinity = [...mask];
  return ret < 0 ? ret : 0;
}

// write_irq_affinity() -> irq_set_affinity(): what a write to /proc/irq/N/smp_affinity does
export function irqSetAffinity(k: Kernel, v: X86Vector, irq: number, mask: readonly number[]): number {
  const top = topOf(k, irq);
  const apicd = v.chipDataOf(irq);
  if (top === null || apicd === null) return -EINVAL;
  // irq_can_set_affinity_usr(): managed interrupts belong to the kernel
  if (apicd.affinityManaged) return -EIO;
  if (!mask.some((c) => v.isOnline(c))) return -EINVAL;
  // irq_set_affinity_deactivated(): not activated yet, the mask is used at activation
  if (!top.activated) {
    apicd.affinity = [...mask];
    return 0;
  }
  return irqDoSetAffinity(k, top, apicd, mask, false);
}

// migrate_one_irq(): move an interrupt off the dying CPU, or shut a managed one down
function migrateOneIrq(k: Kernel, v: X86Vector, irq: number, cpu: number): void {
  const top = topOf(k, irq);
  const apicd = v.chipDataOf(irq);
  if (top === null || apicd === null) return;
  irqForceCompleteMove(k, v, irq, cpu);
  // Not started, or not targeted at this CPU: nothing to move
  if (!top.activated || apicd.vector === 0 || apicd.cpu !== cpu) return;
  let affinity = apicd.affinity;
  if (!affinity.some((c) => v.isOnline(c))) {
    if (apicd.affinityManaged) {
      // irq_shutdown_and_deactivate(), affinity left untouched
      apicd.managedShutdown = true;
      k.irqs.deactivateIrq(top);
      return;
    }
    affinity = v.onlineCpus();
    k.printk(`IRQ ${irq}: no longer affine to CPU${cpu}`);
  }
  const err = irqDoSetAffinity(k, top, apicd, affinity, false);
  if (err !== 0) k.printk(`IRQ${irq}: set affinity failed(${err}).`);
}

// takedown_cpu() as far as interrupts go: native_cpu_disable() -> lapic_can_unplug_cpu(),
// set_cpu_online(false), fixup_irqs() -> irq_migrate_all_off_this_cpu(), lapic_offline()
export function cpuOffline(k: Kernel, v: X86Vector, cpu: number): number {
  if (cpu < 0 || cpu >= v.nrCpus || !v.isOnline(cpu)) return -EINVAL;
  // The boot CPU stays (no BSP hotplug), and so does the last one
  if (cpu === 0 || v.onlineCpus().length <= 1) return -EBUSY;
  const ret = lapicCanUnplugCpu(k, v, cpu);
  if (ret !== 0) return ret;
  v.online[cpu] = false;
  v.matrix.roomGuaranteed = true;
  try {
    for (const irq of [...k.irqs.descs.keys()].sort((a, b) => a - b)) migrateOneIrq(k, v, irq, cpu);
  } finally {
    v.matrix.roomGuaranteed = false;
  }
  lapicOffline(k, v, cpu);
  return 0;
}

// start_secondary(): lapic_online(), set_cpu_online(), then irq_affinity_online_cpu() restarts
// the managed interrupts that were shut down for want of a CPU
export function cpuOnline(k: Kernel, v: X86Vector, cpu: number): number {
  if (cpu < 0 || cpu >= v.nrCpus || v.isOnline(cpu)) return -EINVAL;
  lapicOnline(v, cpu);
  v.online[cpu] = true;
  for (const irq of [...k.irqs.descs.keys()].sort((a, b) => a - b)) {
    const apicd = v.chipDataOf(irq);
    const top = topOf(k, irq);
    if (apicd === null || top === null || !apicd.affinityManaged || !apicd.affinity.includes(cpu)) continue;
    if (apicd.managedShutdown) {
      // irq_startup(): clear the shutdown state, activate again
      apicd.managedShutdown = false;
      k.irqs.activateIrq(top, false);
    }
  }
  return 0;
}

// common_interrupt() -> apic_ack_edge(): the device fired and the interrupt arrived on the CPU
// its current message targets; the first one after a move lets the old vector go
export function apicAckEdge(k: Kernel, v: X86Vector, irq: number, cpu: number): void {
  const apicd = v.chipDataOf(irq);
  if (apicd !== null) irqCompleteMove(k, v, apicd, cpu);
}
