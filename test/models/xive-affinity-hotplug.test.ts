// XIVE affinity and CPU offline (powernv and pseries): xive_irq_set_affinity() retargets the
// source with configure_irq (an entry already in the old queue is taken there), and
// xive_smp_disable_cpu() after irq_migrate_all_off_this_cpu() sets CPPR 0, flushes the queue
// (xive_flush_cpu_queue) and reopens CPPR.
import type { Command } from '../../src/commands/command';
import { runCommands } from '../../src/engine/runner';
import { findPlatform } from '../../src/platforms';
import { resolveRevision } from '../../src/revision';
import type { SimulationConfig } from '../../src/sim/simulation';
import type { PowernvPlatform } from '../../models/platforms/powernv';
import { xiveArchCpuHotplug } from '../../models/platforms/powerpc-common/xive-hotplug';

function config(platform: string): SimulationConfig {
  const p = findPlatform(platform);
  if (p === undefined) throw new Error(`no platform ${platform}`);
  return { platform: p, revision: resolveRevision(p, undefined), faultClasses: [] };
}

// powernv: the source of a function on PHB 1 sits on chip 1 (CPUs 1 and 3); it starts on CPU 1
const START: Command[] = [
  { kind: 'pci_device_add', dev: 'dev0', rid: 0x100, msi: 0, msix: 1 },
  { kind: 'pci_alloc_irq_vectors', dev: 'dev0', min: 1, max: 1, flags: 4 },
  { kind: 'request_irq', dev: 'dev0', vec: 0 },
];

const notesOf = (cmds: Command[], platform = 'powernv'): string[] => {
  const r = runCommands(config(platform), cmds);
  expect(r.invalidAt).toBeNull();
  expect(r.violation).toBeNull();
  expect(r.sim.ledger.outstanding()).toEqual([]);
  return r.records.map((x) => x.notes.join(' | '));
};

describe('xive_irq_set_affinity', () => {
  test('retargets the source: the next raise lands in the new CPU\'s queue', () => {
    const n = notesOf([...START, { kind: 'irq_set_affinity', target: 'dev0', vec: 0, cpus: 0x8 }, { kind: 'msi_raise', dev: 'dev0', vec: 0 }, { kind: 'cpu_handle_irq', cpu: 3 }]);
    expect(n[4]).toMatch(/entry 1 in the queue of CPU 3/);
    expect(n[5]).toMatch(/cpu3: takes irq 1 .*handler dev0:0/);
  });

  test('an entry already in the old queue is taken by the old CPU', () => {
    const n = notesOf([
      ...START,
      { kind: 'msi_raise', dev: 'dev0', vec: 0 },
      { kind: 'irq_set_affinity', target: 'dev0', vec: 0, cpus: 0x8 },
      { kind: 'cpu_handle_irq', cpu: 1 },
      { kind: 'msi_raise', dev: 'dev0', vec: 0 },
      { kind: 'cpu_handle_irq', cpu: 3 },
    ]);
    expect(n[3]).toMatch(/entry 1 in the queue of CPU 1/);
    expect(n[5]).toMatch(/cpu1: takes irq 1 .*handler dev0:0/);
    expect(n[6]).toMatch(/entry 1 in the queue of CPU 3/);
    expect(n[7]).toMatch(/cpu3: takes irq 1 .*handler dev0:0/);
  });

  test('pseries: H_INT_SET_SOURCE_CONFIG moves the LISN to the new vCPU', () => {
    const n = notesOf([...START, { kind: 'irq_set_affinity', target: 'dev0', vec: 0, cpus: 0x4 }, { kind: 'msi_raise', dev: 'dev0', vec: 0 }, { kind: 'cpu_handle_irq', cpu: 2 }], 'pseries');
    expect(n[4]).toMatch(/LISN \d+ PQ=00 -> 10, entry 1 in the queue of CPU 2/);
    expect(n[5]).toMatch(/cpu2: takes irq 1 .*handler dev0:0/);
  });
});

describe('CPU offline on XIVE', () => {
  test('cpu_down: the dying CPU takes what is queued, its irqs move, CPPR is open again', () => {
    const cmds: Command[] = [...START, { kind: 'msi_raise', dev: 'dev0', vec: 0 }, { kind: 'cpu_down', cpu: 1 }, { kind: 'msi_raise', dev: 'dev0', vec: 0 }, { kind: 'cpu_handle_irq', cpu: 3 }];
    const n = notesOf(cmds);
    expect(n[4]).toMatch(/cpu1: takes irq 1 .*handler dev0:0/);
    expect(n[5]).toMatch(/entry 1 in the queue of CPU 3/);
    const r = runCommands(config('powernv'), cmds);
    const pl = r.sim.platform as PowernvPlatform;
    expect(pl.xiveCpus.cpu(1).cppr).toBe(0xff);
  });

  test('xive_flush_cpu_queue(): an MSI entry is not a XIVE-domain irq at the top of its hierarchy and is dropped, not retriggered', () => {
    // an entry on CPU 1 whose priority was acknowledged but not consumed (as the flush finds it)
    const r = runCommands(config('powernv'), [...START, { kind: 'msi_raise', dev: 'dev0', vec: 0 }]);
    const k = r.sim.kernel;
    const pl = r.sim.platform as PowernvPlatform;
    const xc = pl.xiveCpus.cpu(1);
    xc.pendingPrio |= 1 << 7;
    k.cpuOnline[1] = false;
    xiveArchCpuHotplug(k, pl.xiveCpus, pl.xiveDomain).afterMigrate?.(1);
    expect(pl.fw.presenter.queues[1]).toEqual([]);
    expect(k.dmesg.join('\n')).toMatch(/queue entry for irq 1 \(domain .*\) dropped while offlining/);
    expect(xc.cppr).toBe(0xff);
  });
});
