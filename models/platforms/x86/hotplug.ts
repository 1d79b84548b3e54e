// What x86 does around the generic CPU hotplug code (models/kernel/cpuhotplug.ts):
// native_cpu_disable() -> lapic_can_unplug_cpu(), cpu_disable_common() -> fixup_irqs()
// (irq_migrate_all_off_this_cpu(), then the IRR scan, arch/x86/kernel/irq.c) and
// lapic_offline(); start_secondary() -> lapic_online(); irq_force_complete_move() from
// migrate_one_irq(). And the first interrupt after a move (apic_ack_edge -> irq_complete_move).
import { chipRetrigger } from '../../kernel/chip-call';
import { irqMoveIrq } from '../../kernel/migration';
import type { ArchCpuHotplug } from '../../kernel/cpuhotplug';
import type { Kernel } from '../../kernel/kernel';
import {
  FIRST_EXTERNAL_VECTOR,
  irqCompleteMove,
  irqForceCompleteMove,
  lapicCanUnplugCpu,
  lapicOffline,
  lapicOnline,
  NR_VECTORS,
  VECTOR_RETRIGGERED,
  VECTOR_UNUSED,
  type IrrEntry,
  type X86Vector,
} from './vector';

// fixup_irqs() after irq_migrate_all_off_this_cpu(): a vector still pending in the dying CPU's
// IRR is retriggered to where its irq is routed now (chip->irq_retrigger ->
// apic_retrigger_irq), and its vector_irq[] slot says VECTOR_RETRIGGERED; every other slot is
// cleared. A pending vector whose slot no longer names an irq is not forwarded.
export function fixupIrqsIrr(k: Kernel, v: X86Vector, cpu: number): void {
  const slots = v.vectorIrq[cpu] as Int32Array;
  const irr = v.irr[cpu] as Map<number, IrrEntry>;
  for (let vector = FIRST_EXTERNAL_VECTOR; vector < NR_VECTORS; vector++) {
    const irq = slots[vector] ?? VECTOR_UNUSED;
    if (irq < 0) continue;
    const pending = irr.get(vector);
    if (pending !== undefined) {
      const desc = k.irqs.desc(irq);
      if (desc !== undefined && chipRetrigger(k, desc.irqData)) {
        slots[vector] = VECTOR_RETRIGGERED;
        irr.delete(vector);
        // Who raised it travels with the IPI (bookkeeping for the delivery invariants)
        const apicd = v.chipDataOf(irq);
        const target = apicd === null ? undefined : v.irr[apicd.cpu]?.get(apicd.vector);
        if (target !== undefined && target.origin === null) target.origin = pending.origin;
        k.printk(`fixup_irqs: CPU ${cpu} vector ${vector} (irq ${irq}) retriggered`);
      }
    }
    if (slots[vector] !== VECTOR_RETRIGGERED) slots[vector] = VECTOR_UNUSED;
  }
}

/** The x86 hooks for models/kernel/cpuhotplug.ts. */
export function x86CpuHotplug(k: Kernel, v: X86Vector): ArchCpuHotplug {
  return {
    canDisable: (cpu) => lapicCanUnplugCpu(k, v, cpu),
    forceCompleteMove: (desc, cpu) => irqForceCompleteMove(k, v, desc.irq, cpu),
    // cpu_disable_common(): the matrix must have room for what moves off the CPU
    dying: () => {
      v.matrix.roomGuaranteed = true;
    },
    afterMigrate: (cpu) => {
      v.matrix.roomGuaranteed = false;
      fixupIrqsIrr(k, v, cpu);
    },
    offline: (cpu) => lapicOffline(k, v, cpu),
    online: (cpu) => lapicOnline(v, cpu),
  };
}

// common_interrupt() -> apic_ack_edge(): the interrupt arrived on `cpu`; the first one on the
// new target after a move lets the old vector go
export function apicAckEdge(k: Kernel, v: X86Vector, irq: number, cpu: number): void {
  const apicd = v.chipDataOf(irq);
  if (apicd !== null) irqCompleteMove(k, v, apicd, cpu);
  // irq_move_irq(): a move deferred to interrupt context (IRQCHIP_MOVE_DEFERRED) happens now
  const desc = k.irqs.desc(irq);
  if (desc !== undefined) irqMoveIrq(k, desc.irqData);
}
