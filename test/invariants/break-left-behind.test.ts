// nothing-left-behind fires when a move or a CPU offline leaves something behind: an LPI whose
// pending state did not follow its MOVI, an interrupt still routed to an offline CPU, an x86
// IRR bit on an offline CPU, an old vector nobody will clean up, a vector forgotten on an offline
// CPU, a managed irq not restarted.
import { effectiveCpuOf } from '../../models/kernel/affinity';
import { PciDev } from '../../models/kernel/device';
import { pciIrqVector } from '../../models/kernel/pci-msi';
import type { ItsDevice } from '../../models/platforms/gic-v3-its/its';
import { ItsPlatform } from '../../models/platforms/gic-v3-its';
import { X86Platform } from '../../models/platforms/x86/instance';
import type { Command } from '../../src/commands/command';
import type { Simulation } from '../../src/sim/simulation';
import { healthyOn, verdict } from './helpers';

const ID = 'nothing-left-behind';

function irqOf(sim: Simulation, dev: string, vec: number): number {
  const d = sim.devices.get(dev);
  if (!(d instanceof PciDev)) throw new Error(`no PCI device ${dev}`);
  return pciIrqVector(d, vec);
}

/** A vector of dev0 routed to a CPU other than 0 (the driver thread's CPU takes its own at once). */
function vecOffCpu0(sim: Simulation): { vec: number; irq: number; cpu: number } {
  for (let vec = 0; vec < 4; vec++) {
    const irq = irqOf(sim, 'dev0', vec);
    const top = sim.kernel.irqs.desc(irq)?.irqData;
    const cpu = top === undefined ? -1 : effectiveCpuOf(top);
    if (cpu > 0) return { vec, irq, cpu };
  }
  throw new Error('every vector on CPU 0');
}

const SETUP: Command[] = [
  { kind: 'pci_device_add', dev: 'dev0', rid: 0x100, msi: 0, msix: 4 },
  { kind: 'pci_alloc_irq_vectors', dev: 'dev0', min: 4, max: 4, flags: 4 },
  ...[0, 1, 2, 3].map((vec): Command => ({ kind: 'request_irq', dev: 'dev0', vec })),
];

describe('nothing-left-behind fires when its rule is broken', () => {
  test('ITS: a MOVI whose LPI stays pending at the old redistributor', () => {
    const { sim, record } = healthyOn('gic-v3-its', 'v6.18', SETUP);
    const t = vecOffCpu0(sim);
    sim.execute({ kind: 'msi_raise', dev: 'dev0', vec: t.vec });
    expect(verdict(ID, sim, record)).toBeNull();
    // A buggy its_set_affinity: the collection changes, the pending state is not moved
    const d = sim.kernel.irqs.getIrqData((sim.platform as ItsPlatform).itsDomain, t.irq);
    if (d === null) throw new Error('no ITS level');
    const itsDev = d.chipData as ItsDevice;
    const to = t.cpu === 1 ? 2 : 1;
    itsDev.its.send({ op: 'MOVI', devId: itsDev.deviceId, event: d.hwirq - itsDev.lpiBase, col: to });
    itsDev.colMap.cpus[d.hwirq - itsDev.lpiBase] = to;
    d.effectiveCpu = to;
    expect(verdict(ID, sim, record)).toMatch(new RegExp(`irq ${t.irq} \\(raised by dev0 vec ${t.vec}\\) pending on CPU ${t.cpu}, but routed to CPU ${to}`));
  });

  test('an activated irq still routed to a CPU that went offline', () => {
    const { sim, record } = healthyOn('gic-v3-its', 'v6.18', SETUP);
    const t = vecOffCpu0(sim);
    expect(verdict(ID, sim, record)).toBeNull();
    // A CPU taken down without irq_migrate_all_off_this_cpu()
    sim.kernel.cpuOnline[t.cpu] = false;
    expect(verdict(ID, sim, record)).toMatch(/is still routed to offline CPU/);
  });

  test('x86: an IRR bit left on an offline CPU, and an old vector nobody cleans up', () => {
    const { sim, record } = healthyOn('x86-noir', 'v6.18', SETUP);
    const p = sim.platform as X86Platform;
    const t = vecOffCpu0(sim);
    sim.execute({ kind: 'msi_raise', dev: 'dev0', vec: t.vec });
    expect(verdict(ID, sim, record)).toBeNull();
    // An offline that neither drained nor forwarded the IRR (and moved nothing)
    sim.kernel.cpuOnline[t.cpu] = false;
    expect(verdict(ID, sim, record)).toMatch(new RegExp(`vector \\d+ \\(raised by dev0 vec ${t.vec}\\) pending in the IRR of offline CPU ${t.cpu}`));
    sim.kernel.cpuOnline[t.cpu] = true;
    p.vec.irr[t.cpu]?.clear();
    expect(verdict(ID, sim, record)).toBeNull();
    // A move whose completion forgets to queue the old vector for cleanup
    expect(p.setAffinity(t.irq, [t.cpu === 1 ? 2 : 1])).toBe(0);
    const apicd = p.vec.chipDataOf(t.irq);
    if (apicd === null) throw new Error('no apic_chip_data');
    expect(apicd.moveInProgress).toBe(true);
    expect(verdict(ID, sim, record)).toBeNull();
    apicd.moveInProgress = false;
    expect(verdict(ID, sim, record)).toMatch(new RegExp(`irq ${t.irq}: old vector ${apicd.prevVector} on CPU ${t.cpu} still allocated after its move completed`));
  });

  test('x86: a vector left allocated on an offline CPU that no irq holds', () => {
    const { sim, record } = healthyOn('x86-noir', 'v6.18', [...SETUP, { kind: 'cpu_down', cpu: 3 }]);
    const p = sim.platform as X86Platform;
    expect(verdict(ID, sim, record)).toBeNull();
    // An old vector on CPU 3 forgotten instead of freed (prev_vector = 0 with the CPU offline)
    const cm = p.vec.matrix.maps[3];
    if (cm === undefined) throw new Error('no CPU 3');
    cm.allocMap[0x40] = 1;
    expect(verdict(ID, sim, record)).toMatch(/CPU 3 is offline with vector 64 still allocated and no irq holding it/);
  });

  test('a managed irq left shut down while a CPU of its mask is online', () => {
    const managed: Command[] = [
      { kind: 'pci_device_add', dev: 'dev0', rid: 0x100, msi: 0, msix: 4 },
      { kind: 'pci_alloc_irq_vectors', dev: 'dev0', min: 4, max: 4, flags: 4 | 8 },
      { kind: 'request_irq', dev: 'dev0', vec: 3 },
      { kind: 'cpu_down', cpu: 3 },
    ];
    const { sim, record } = healthyOn('gic-v3-its', 'v6.18', managed);
    const desc = sim.kernel.irqs.desc(irqOf(sim, 'dev0', 3));
    expect(desc?.managedShutdown).toBe(true);
    expect(verdict(ID, sim, record)).toBeNull();
    // CPU 3 back without irq_affinity_online_cpu()
    sim.kernel.cpuOnline[3] = true;
    expect(verdict(ID, sim, record)).toMatch(/managed irq \d+ stays shut down although CPU 3 of its mask is online/);
  });
});
