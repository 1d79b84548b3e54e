// CPU offline on XIVE (arch/powerpc/sysdev/xive/common.c): pnv_smp_cpu_disable() and
// pseries_cpu_disable() call xive_smp_disable_cpu() once the CPU is out of cpu_online_mask:
// irq_migrate_all_off_this_cpu() retargets every irq routed to it (xive_irq_set_affinity), then
// CPPR 0 stops the flow, xive_flush_cpu_queue() pops what is still queued and retriggers it so
// it reaches its new target, and CPPR goes back to 0xff. The generic code runs the migration
// (cpuhotplug.ts); these are the XIVE steps after it.
import type { ArchCpuHotplug } from '../../kernel/cpuhotplug';
import type { IrqData, IrqDomain } from '../../kernel/irqdomain';
import type { Kernel } from '../../kernel/kernel';
import { KernelOops } from '../../kernel/report';
import { ENOSPC } from '../../kernel/errno';
import { xiveIrqRetrigger } from './xive-chip';
import type { XiveCpus } from './xive-cpu';
import { XiveIrqData } from './xive-irq-data';
import { XIVE_CPPR_OPEN } from './xive-presenter';

// msi-fuzz's proposal (msi-fuzz-xive-can-unplug), what x86 does in lapic_can_unplug_cpu():
// refuse the unplug when an irq routed to the CPU would find no queue with room among the
// online CPUs it may go to (its managed mask, or any online CPU)
function xiveCanUnplugCpu(k: Kernel, xiveDomain: IrqDomain, cpu: number): number {
  for (const desc of k.irqs.descs.values()) {
    const d = k.irqs.getIrqData(xiveDomain, desc.irq);
    if (d === null || !(d.chipData instanceof XiveIrqData) || d.chipData.target !== cpu) continue;
    const allowed = desc.affinityManaged ? desc.affinity : k.onlineCpus();
    if (allowed.some((c) => c !== cpu && k.cpuIsOnline(c) && !k.faults.exhausted('xive-queue', c))) continue;
    k.printk(`xive: CPU ${cpu}: irq ${desc.irq} has no queue to go to. Cannot disable CPU`);
    return -ENOSPC;
  }
  return 0;
}

export function xiveArchCpuHotplug(k: Kernel, cpus: XiveCpus, xiveDomain: IrqDomain): ArchCpuHotplug {
  return {
    canDisable: (cpu: number) => (k.applied('msi-fuzz-xive-can-unplug') ? xiveCanUnplugCpu(k, xiveDomain, cpu) : 0),
    // xive_smp_disable_cpu(), after irq_migrate_all_off_this_cpu()
    afterMigrate(cpu: number): void {
      // msi-fuzz's proposal: acknowledge what arrived while the CPU had interrupts off, so
      // that the flush below sees it (upstream scans only priorities already acknowledged)
      if (k.applied('msi-fuzz-xive-flush-msi')) cpus.acknowledge(cpu);
      // Set CPPR to 0 to disable flow of interrupts
      cpus.setCppr(cpu, 0);
      // xive_flush_cpu_queue()
      cpus.flushQueue(k, cpu, (irq) => {
        const desc = k.irqs.desc(irq);
        // irq_desc_get_irq_data(irq_to_desc(irq)): an entry whose descriptor is gone (the
        // scan only skips those since da15c03b047d) is a NULL dereference
        if (desc === undefined) throw new KernelOops('xive_flush_cpu_queue', `NULL pointer dereference (irq_to_desc(${irq}) is NULL)`);
        // "Ignore anything that isn't a XIVE irq": upstream tests the descriptor's irq_data,
        // the top of the hierarchy, which for an MSI is the PCI/MSI device domain's, so the
        // entry is dropped (its P bit stays set). msi-fuzz's proposal looks up the XIVE level
        // of the hierarchy instead (irq_domain_get_irq_data(xive_irq_domain, irq)).
        let d: IrqData | null = desc.irqData;
        if (k.applied('msi-fuzz-xive-flush-msi')) while (d !== null && d.domain !== xiveDomain) d = d.parentData;
        if (d === null || d.domain !== xiveDomain) {
          k.printk(`xive: CPU ${cpu}: queue entry for irq ${irq} (domain ${desc.irqData.domain.name}) dropped while offlining`);
          return;
        }
        if (!(d.chipData instanceof XiveIrqData)) return;
        const xd = k.heap.deref('xive_flush_cpu_queue', d.chipData, 'chip_data');
        // msi-fuzz's proposal retriggers only what migration moved away: an irq whose move
        // failed (a firmware error) is still targeted here, and a retrigger would put it back
        // into this very queue
        if (k.applied('msi-fuzz-xive-flush-msi') && xd.target === cpu) {
          k.printk(`xive: CPU ${cpu}: irq ${irq} still targeted at the dying CPU, left queued`);
          return;
        }
        // Clear saved_p to indicate that it's no longer pending, then an MSI retrigger
        xd.savedP = false;
        xiveIrqRetrigger(k, xd);
      });
      // Re-enable CPPR
      cpus.setCppr(cpu, XIVE_CPPR_OPEN);
    },
  };
}
