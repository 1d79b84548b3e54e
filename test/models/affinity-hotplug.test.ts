// Affinity and CPU hotplug through the delivery model: an interrupt in flight during a move or
// an offline is handled exactly once, on the CPU the irq is routed to; x86 keeps the old
// vector while its IRR bit is set and forwards what the dying CPU still has pending; the ITS
// carries the pending LPI with MOVI and DISCARDs it at managed shutdown; managed vectors from
// pci_alloc_irq_vectors(PCI_IRQ_AFFINITY) shut down with their CPUs and come back with them.
import { effectiveCpuOf } from '../../models/kernel/affinity';
import { cpuDown } from '../../models/kernel/cpuhotplug';
import { PciDev } from '../../models/kernel/device';
import { pciIrqVector } from '../../models/kernel/pci-msi';
import { X86Platform } from '../../models/platforms/x86/instance';
import type { Command } from '../../src/commands/command';
import { checkRecord, runCommands } from '../../src/engine/runner';
import { invariantsFor } from '../../src/invariants/registry';
import { findPlatform } from '../../src/platforms';
import { resolveRevision } from '../../src/revision';
import type { Simulation } from '../../src/sim/simulation';

function start(platform: string, commands: readonly Command[]): Simulation {
  const p = findPlatform(platform);
  if (p === undefined) throw new Error(platform);
  const r = runCommands({ platform: p, revision: resolveRevision(p, undefined), faultClasses: [] }, commands);
  expect(r.invalidAt).toBeNull();
  expect(r.violation).toBeNull();
  return r.sim;
}

/** Runs one more command and checks every invariant after it. */
function step(sim: Simulation, cmd: Command): string[] {
  const record = sim.execute(cmd);
  const v = checkRecord(sim, record, invariantsFor(sim.config.platform.name));
  expect(v?.message ?? null).toBeNull();
  return [...record.notes];
}

function irqOf(sim: Simulation, vec: number): number {
  return pciIrqVector(sim.devices.get('dev0') as PciDev, vec);
}

function cpuOf(sim: Simulation, vec: number): number {
  const top = sim.kernel.irqs.desc(irqOf(sim, vec))?.irqData;
  return top === undefined ? -1 : effectiveCpuOf(top);
}

/** Handler runs for dev0 `vec` so far. */
function handled(sim: Simulation, vec: number): number {
  return sim.kernel.irqEvents.filter((e) => e.ranFor?.dev === 'dev0' && e.ranFor.vec === vec).length;
}

const FOUR: Command[] = [
  { kind: 'pci_device_add', dev: 'dev0', rid: 0x100, msi: 0, msix: 4 },
  { kind: 'pci_alloc_irq_vectors', dev: 'dev0', min: 4, max: 4, flags: 4 },
  ...[0, 1, 2, 3].map((vec): Command => ({ kind: 'request_irq', dev: 'dev0', vec })),
];

/** A vector routed away from CPU 0 (the driver thread's CPU takes its own interrupts at once). */
function offCpu0(sim: Simulation): number {
  for (let vec = 0; vec < 4; vec++) if (cpuOf(sim, vec) > 0) return vec;
  throw new Error('all on CPU 0');
}

describe('ITS: MOVI carries the pending LPI', () => {
  test('a move with the LPI pending: handled once, on the new CPU', () => {
    const sim = start('gic-v3-its', FOUR);
    const vec = offCpu0(sim);
    const from = cpuOf(sim, vec);
    const to = from === 3 ? 2 : 3;
    step(sim, { kind: 'msi_raise', dev: 'dev0', vec });
    const notes = step(sim, { kind: 'irq_set_affinity', target: 'dev0', vec, cpus: 1 << to });
    expect(notes).toEqual([]);
    expect(cpuOf(sim, vec)).toBe(to);
    expect(step(sim, { kind: 'cpu_handle_irq', cpu: from })).toEqual([`cpu${from}: nothing pending on CPU ${from}`]);
    expect(step(sim, { kind: 'cpu_handle_irq', cpu: to })[0]).toMatch(new RegExp(`cpu${to}: takes irq \\d+ \\(raised by dev0 vec ${vec}`));
    expect(handled(sim, vec)).toBe(1);
  });

  test('cpu_down: the dying CPU takes what is pending, then its LPIs move', () => {
    const sim = start('gic-v3-its', FOUR);
    const vec = offCpu0(sim);
    const cpu = cpuOf(sim, vec);
    step(sim, { kind: 'msi_raise', dev: 'dev0', vec });
    const notes = step(sim, { kind: 'cpu_down', cpu });
    expect(notes[0]).toMatch(new RegExp(`cpu${cpu}: takes irq`));
    expect(handled(sim, vec)).toBe(1);
    expect(cpuOf(sim, vec)).not.toBe(cpu);
    step(sim, { kind: 'msi_raise', dev: 'dev0', vec });
    step(sim, { kind: 'cpu_handle_irq', cpu: cpuOf(sim, vec) });
    expect(handled(sim, vec)).toBe(2);
    expect(sim.ledger.outstanding()).toEqual([]);
  });
});

describe('x86: the old vector stays while it is pending', () => {
  test('non-remapped move: the old CPU still handles what was pending there, the cleanup waits for its IRR', () => {
    const sim = start('x86-noir', FOUR);
    const p = sim.platform as X86Platform;
    const vec = offCpu0(sim);
    const from = cpuOf(sim, vec);
    const to = from === 3 ? 2 : 3;
    step(sim, { kind: 'msi_raise', dev: 'dev0', vec });
    step(sim, { kind: 'irq_set_affinity', target: 'dev0', vec, cpus: 1 << to });
    const apicd = p.vec.chipDataOf(irqOf(sim, vec));
    if (apicd === null) throw new Error('no apic_chip_data');
    expect([apicd.moveInProgress, apicd.prevCpu, apicd.cpu]).toEqual([true, from, to]);
    // The first interrupt on the new target completes the move and queues the old vector
    step(sim, { kind: 'msi_raise', dev: 'dev0', vec });
    step(sim, { kind: 'cpu_handle_irq', cpu: to });
    expect(apicd.clistCpu).toBe(from);
    // The cleanup timer finds the old vector pending in the old CPU's IRR: keeps it, re-arms
    step(sim, { kind: 'vector_cleanup_callback', cpu: from });
    expect(apicd.prevVector).not.toBe(0);
    expect(p.vec.timerPending[from]).toBe(true);
    expect(sim.kernel.dmesg).toContain(`Moved interrupt pending in old target APIC ${apicd.irq}`);
    step(sim, { kind: 'cpu_handle_irq', cpu: from });
    expect(handled(sim, vec)).toBe(2);
    step(sim, { kind: 'vector_cleanup_callback', cpu: from });
    expect(apicd.prevVector).toBe(0);
    expect(sim.ledger.outstanding()).toEqual([]);
  });

  test('fixup_irqs() forwards a vector still pending in the dying CPU\'s IRR to the new target', () => {
    const sim = start('x86-intel-ir', FOUR);
    const p = sim.platform as X86Platform;
    const vec = offCpu0(sim);
    const cpu = cpuOf(sim, vec);
    step(sim, { kind: 'msi_raise', dev: 'dev0', vec });
    // An interrupt that arrived after stop_machine disabled interrupts: the model's cpu_down
    // command drains first, so call the generic code directly
    expect(cpuDown(sim.kernel, p.archCpuHotplug(), cpu)).toBe(0);
    const to = cpuOf(sim, vec);
    expect(to).not.toBe(cpu);
    expect(sim.kernel.dmesg.some((l) => l.startsWith(`fixup_irqs: CPU ${cpu} vector`))).toBe(true);
    expect(sim.kernel.fabric?.leftBehind?.()).toEqual([]);
    const ev = sim.kernel.fabric?.takeNext(to);
    expect(ev?.irq).toBe(irqOf(sim, vec));
    expect(ev?.origin).toEqual(expect.objectContaining({ dev: 'dev0', vec }));
  });
});

describe('managed vectors from pci_alloc_irq_vectors(PCI_IRQ_AFFINITY)', () => {
  test.each(['gic-v3-its', 'x86-intel-ir', 'x86-noir'])('%s: spread one CPU each, shut down with it, restarted with it', (platform) => {
    const sim = start(platform, [
      { kind: 'pci_device_add', dev: 'dev0', rid: 0x100, msi: 0, msix: 8 },
      { kind: 'pci_alloc_irq_vectors', dev: 'dev0', min: 1, max: 8, flags: 4 | 8 },
    ]);
    // irq_calc_affinity_vectors(): no more than the four CPUs
    expect(sim.state.devices.get('dev0')?.nvec).toBe(4);
    for (let vec = 0; vec < 4; vec++) {
      const desc = sim.kernel.irqs.desc(irqOf(sim, vec));
      expect([desc?.affinity, desc?.affinityManaged]).toEqual([[vec], true]);
    }
    step(sim, { kind: 'request_irq', dev: 'dev0', vec: 2 });
    expect(cpuOf(sim, 2)).toBe(2);
    // Managed: /proc/irq/N/smp_affinity is refused
    expect(sim.execute({ kind: 'irq_set_affinity', target: 'dev0', vec: 2, cpus: 1 }).outcome?.ret).toBe(-5);
    step(sim, { kind: 'cpu_down', cpu: 2 });
    const desc = sim.kernel.irqs.desc(irqOf(sim, 2));
    expect([desc?.managedShutdown, desc?.started, desc?.irqData.activated]).toEqual([true, false, false]);
    // Raised while its CPU is away: nothing is owed (the driver quiesced the queue)
    step(sim, { kind: 'msi_raise', dev: 'dev0', vec: 2 });
    expect(sim.ledger.outstanding()).toEqual([]);
    step(sim, { kind: 'cpu_up', cpu: 2 });
    expect([desc?.managedShutdown, desc?.started, cpuOf(sim, 2)]).toEqual([false, true, 2]);
    step(sim, { kind: 'msi_raise', dev: 'dev0', vec: 2 });
    step(sim, { kind: 'cpu_handle_irq', cpu: 2 });
    expect(handled(sim, 2)).toBe(1);
  });
});
