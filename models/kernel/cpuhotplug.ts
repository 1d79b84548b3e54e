// CPU hotplug as far as interrupts go (kernel/irq/cpuhotplug.c, kernel/cpu.c): the outgoing
// CPU leaves cpu_online_mask, irq_migrate_all_off_this_cpu() moves every irq routed to it
// (migrate_one_irq: a managed irq whose last CPU goes is shut down and deactivated), and the
// arch code does what it does around that; a CPU coming up gets its managed irqs back
// (irq_affinity_online_cpu). The arch parts are optional hooks of the platform.
import { effectiveCpuOf, irqDoSetAffinity } from './affinity';
import { chipCanSetAffinity } from './chip-call';
import { EBUSY, EINVAL, ENOSPC } from './errno';
import type { IrqDesc } from './irqdomain';
import type { Kernel } from './kernel';
import { irqShutdownAndDeactivate, irqStartup } from './manage';

/** What an architecture (or interrupt controller driver) does around the generic hotplug code. */
export interface ArchCpuHotplug {
  /** __cpu_disable() before anything moves (x86 lapic_can_unplug_cpu): non-zero refuses the unplug. */
  canDisable?(cpu: number): number;
  /**
   * The CPU is out of cpu_online_mask, its interrupts are still where they were (XIVE:
   * xive_smp_disable_cpu() sets its CPPR to 0 before the migration).
   */
  dying?(cpu: number): void;
  /**
   * After irq_migrate_all_off_this_cpu(), still on the dying CPU with interrupts off: x86
   * fixup_irqs() retriggers the vectors still pending in its IRR, XIVE flushes its queue.
   */
  afterMigrate?(cpu: number): void;
  /** The CPU is gone (x86 lapic_offline()). */
  offline?(cpu: number): void;
  /** Before the CPU is marked online (x86 lapic_online()). */
  online?(cpu: number): void;
  /** irq_force_complete_move(): finish a move that involves the outgoing CPU (x86). */
  forceCompleteMove?(desc: IrqDesc, cpu: number): void;
}

// migrate_one_irq()
function migrateOneIrq(k: Kernel, arch: ArchCpuHotplug, desc: IrqDesc, cpu: number): void {
  const d = desc.irqData;
  if (d.chip === null || !chipCanSetAffinity(d)) {
    k.printk(`IRQ ${desc.irq}: Unable to migrate away`);
    return;
  }
  // Complete an eventually pending irq move cleanup; before a6c11c0a5235 (v6.10) this came
  // after the skip below, so the old vector of an irq already moved away from this CPU stayed
  const forceFirst = k.applied('a6c11c0a5235');
  if (forceFirst) arch.forceCompleteMove?.(desc, cpu);
  // No move required if the interrupt is not started or not routed to this CPU (irq_needs_fixup).
  // The model activates every MSI early with a real target (no x86 reservation mode), so an
  // activated irq that is not started yet holds a real vector or collection on this CPU where
  // the kernel's holds only a reservation: "not started" is read as "not activated" here.
  if (!d.activated || effectiveCpuOf(d) !== cpu) return;
  if (!forceFirst) arch.forceCompleteMove?.(desc, cpu);
  let affinity: readonly number[] = desc.affinity;
  let brokeaff = false;
  if (!affinity.some((c) => k.cpuIsOnline(c))) {
    // Shut managed irqs down until one of their CPUs comes back
    if (desc.affinityManaged) {
      desc.managedShutdown = true;
      irqShutdownAndDeactivate(k, desc);
      return;
    }
    affinity = k.onlineCpus();
    brokeaff = true;
  }
  let err = irqDoSetAffinity(k, desc, affinity, false);
  // Online CPUs in the mask but no vectors left there: try every online CPU
  if (err === -ENOSPC && !desc.affinityManaged && !brokeaff) {
    affinity = k.onlineCpus();
    brokeaff = true;
    err = irqDoSetAffinity(k, desc, affinity, false);
  } else if (err < 0 && k.applied('msi-fuzz-migrate-retry-online')) {
    // msi-fuzz's proposal: any other failure (a firmware error) gets one more try, with every
    // online CPU (a managed irq: its own mask again) rather than leaving the irq behind
    if (!desc.affinityManaged) {
      affinity = k.onlineCpus();
      brokeaff = true;
    }
    err = irqDoSetAffinity(k, desc, affinity, false);
  }
  if (err !== 0) {
    k.printk(`IRQ${desc.irq}: set affinity failed(${err}).`);
    brokeaff = false;
  }
  if (brokeaff) k.printk(`IRQ ${desc.irq}: no longer affine to CPU${cpu}`);
}

// irq_migrate_all_off_this_cpu(): every irq, in number order
export function irqMigrateAllOffThisCpu(k: Kernel, arch: ArchCpuHotplug, cpu: number): void {
  for (const irq of [...k.irqs.descs.keys()].sort((a, b) => a - b)) {
    const desc = k.irqs.desc(irq);
    if (desc !== undefined) migrateOneIrq(k, arch, desc, cpu);
  }
}

/**
 * cpu_down() -> takedown_cpu() -> take_cpu_down() on the outgoing CPU: __cpu_disable() (the
 * arch check, set_cpu_online(false), the migration and the arch fixups), then the CPU is dead.
 * The boot CPU and the last online CPU stay.
 */
export function cpuDown(k: Kernel, arch: ArchCpuHotplug, cpu: number): number {
  if (cpu < 0 || cpu >= k.nrCpus || !k.cpuIsOnline(cpu)) return -EINVAL;
  if (cpu === 0 || k.onlineCpus().length <= 1) return -EBUSY;
  const ret = arch.canDisable?.(cpu) ?? 0;
  if (ret !== 0) return ret;
  k.cpuOnline[cpu] = false;
  arch.dying?.(cpu);
  irqMigrateAllOffThisCpu(k, arch, cpu);
  arch.afterMigrate?.(cpu);
  arch.offline?.(cpu);
  return 0;
}

// irq_restore_affinity_of_irq(): a managed irq with a handler whose mask holds the CPU coming
// up is started again if it was shut down. A running one stays where it is: every modelled
// router is single-target (IRQD_SINGLE_TARGET: x86 vector, ITS), already on a CPU of its mask.
function irqRestoreAffinityOfIrq(k: Kernel, desc: IrqDesc, cpu: number): void {
  if (!desc.affinityManaged || desc.action === null || desc.irqData.chip === null || !desc.affinity.includes(cpu)) return;
  if (desc.managedShutdown) irqStartup(k, desc);
}

/** cpu_up(): the arch brings the CPU up, it is marked online, then irq_affinity_online_cpu(). */
export function cpuUp(k: Kernel, arch: ArchCpuHotplug, cpu: number): number {
  if (cpu < 0 || cpu >= k.nrCpus || k.cpuIsOnline(cpu)) return -EINVAL;
  arch.online?.(cpu);
  k.cpuOnline[cpu] = true;
  // irq_affinity_online_cpu()
  for (const irq of [...k.irqs.descs.keys()].sort((a, b) => a - b)) {
    const desc = k.irqs.desc(irq);
    if (desc !== undefined) irqRestoreAffinityOfIrq(k, desc, cpu);
  }
  return 0;
}
