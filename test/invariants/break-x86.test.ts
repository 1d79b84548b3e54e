// The x86 invariants fire when what they guard is broken by hand on a healthy machine.
import { X86Platform } from '../../models/platforms/x86/instance';
import type { Command } from '../../src/commands/command';
import type { Simulation, StepRecord } from '../../src/sim/simulation';
import { healthyOn, verdict } from './helpers';

function healthy(commands: Command[]): { sim: Simulation; record: StepRecord; x86: X86Platform } {
  const { sim, record } = healthyOn('x86-intel-ir', 'v6.18', commands);
  return { sim, record, x86: sim.platform as X86Platform };
}

const DEVICE: Command[] = [
  { kind: 'pci_device_add', dev: 'dev0', rid: 0x100, msi: 0, msix: 4 },
  { kind: 'pci_alloc_irq_vectors', dev: 'dev0', min: 1, max: 4, flags: 4 },
];

describe('x86 invariants fire when broken', () => {
  test('x86-matrix-accounting: a counter that no longer matches its map', () => {
    const { sim, record, x86 } = healthy(DEVICE);
    expect(verdict('x86-matrix-accounting', sim, record)).toBeNull();
    const cm = x86.vec.matrix.maps[0];
    if (cm === undefined) throw new Error('no CPU 0 map');
    cm.allocated += 1;
    expect(verdict('x86-matrix-accounting', sim, record)).not.toBeNull();
  });

  test('x86-vector-ownership: vector_irq[] pointing at the wrong irq', () => {
    const { sim, record, x86 } = healthy(DEVICE);
    expect(verdict('x86-vector-ownership', sim, record)).toBeNull();
    for (const table of x86.vec.vectorIrq) {
      const i = table.findIndex((irq) => irq > 0);
      if (i >= 0) {
        table[i] = (table[i] as number) + 1000;
        break;
      }
    }
    expect(verdict('x86-vector-ownership', sim, record)).not.toBeNull();
  });

  test('x86-vector-ownership: a managed irq on a regular vector, a regular irq on a managed slot', () => {
    const managed: Command[] = [
      { kind: 'pci_device_add', dev: 'dev0', rid: 0x100, msi: 0, msix: 4 },
      { kind: 'pci_alloc_irq_vectors', dev: 'dev0', min: 1, max: 4, flags: 4 | 8 },
    ];
    const m = healthy(managed);
    expect(verdict('x86-vector-ownership', m.sim, m.record)).toBeNull();
    const managedIrq = [...m.sim.kernel.irqs.descs.values()].find((d) => d.affinityManaged && (m.x86.vec.chipDataOf(d.irq)?.vector ?? 0) !== 0);
    if (managedIrq === undefined) throw new Error('no managed irq with a vector');
    const a = m.x86.vec.chipDataOf(managedIrq.irq);
    if (a === null) throw new Error('no apic data');
    const cm = m.x86.vec.matrix.maps[a.cpu];
    if (cm === undefined) throw new Error('no map');
    cm.managedMap[a.vector] = 0;
    expect(verdict('x86-vector-ownership', m.sim, m.record)).toMatch(/\(managed\): CPU \d+ vector \d+ is not a managed slot/);

    const r = healthy(DEVICE);
    const irq = [...r.sim.kernel.irqs.descs.values()].find((d) => !d.affinityManaged && (r.x86.vec.chipDataOf(d.irq)?.vector ?? 0) !== 0 && d.msiDesc !== null);
    const b = irq === undefined ? null : r.x86.vec.chipDataOf(irq.irq);
    if (b === null) throw new Error('no regular irq with a vector');
    const cm2 = r.x86.vec.matrix.maps[b.cpu];
    if (cm2 === undefined) throw new Error('no map');
    cm2.managedMap[b.vector] = 1;
    expect(verdict('x86-vector-ownership', r.sim, r.record)).toMatch(/\(not managed\): CPU \d+ vector \d+ is a managed slot/);
  });

  test('x86-platform-msi-routing: a DMAR fault-event message with the wrong vector', () => {
    const { sim, record, x86 } = healthy([{ kind: 'dmar_set_interrupt', unit: 0 }]);
    expect(verdict('x86-platform-msi-routing', sim, record)).toBeNull();
    const unit = x86.iommus[0];
    if (unit === undefined || unit.faultEventMsg === null) throw new Error('no DMAR fault-event message');
    unit.faultEventMsg = { ...unit.faultEventMsg, data: unit.faultEventMsg.data ^ 0x1 };
    expect(verdict('x86-platform-msi-routing', sim, record)).not.toBeNull();
  });
});

// resources-baseline on x86 counts the vectors allocations took: the platform's own irqs (DMAR
// fault events, HPET channels) live as long as the machine, wherever irq_set_affinity moved
// them, and a vector left on an offline CPU that no irq holds is what a move and CPU offline
// left behind: nothing-left-behind reports it, at the step it happens.
describe('resources-baseline on x86: pinned irqs, moves and what offline left behind', () => {
  const MOVED_DMAR: Command[] = [
    { kind: 'dmar_set_interrupt', unit: 0 },
    { kind: 'dmar_set_interrupt', unit: 1 },
    { kind: 'irq_set_affinity', target: 'dmar', vec: 1, cpus: 0x1 },
  ];

  function movedDmar(): { sim: Simulation; record: StepRecord; x86: X86Platform; irq: number } {
    const { sim, record } = healthyOn('x86-noir', 'v6.18', MOVED_DMAR);
    const x86 = sim.platform as X86Platform;
    const irq = x86.iommus[1]?.irq ?? 0;
    return { sim, record, x86, irq };
  }

  test('a DMAR irq with its move in flight holds two vectors: not a leak', () => {
    const { sim, record, x86, irq } = movedDmar();
    const apicd = x86.vec.chipDataOf(irq);
    expect(apicd?.moveInProgress).toBe(true);
    expect(apicd?.prevCpu).toBe(1);
    expect(verdict('resources-baseline', sim, record)).toBeNull();
  });

  test('a vector allocated on an online CPU that nobody holds is a leak', () => {
    const { sim, record, x86 } = movedDmar();
    const cm = x86.vec.matrix.maps[2];
    if (cm === undefined) throw new Error('no CPU 2');
    expect(cm.allocMap[0x60]).toBe(0);
    cm.allocMap[0x60] = 1;
    expect(verdict('resources-baseline', sim, record)).toMatch(/vector: 1 in use with no device holding MSI state/);
  });

  test('the old vector of a moved DMAR irq forgotten on an offline CPU: nothing-left-behind, not resources-baseline', () => {
    const { sim, record, x86, irq } = movedDmar();
    const apicd = x86.vec.chipDataOf(irq);
    if (apicd === null) throw new Error('no apic_chip_data');
    // CPU 1 offline with the move still in flight, then __send_cleanup_vector() as at v5.10:
    // prev_cpu offline, so prev_vector = 0 and the vector stays allocated there
    x86.vec.online[1] = false;
    apicd.moveInProgress = false;
    apicd.prevVector = 0;
    expect(verdict('resources-baseline', sim, record)).toBeNull();
    expect(verdict('nothing-left-behind', sim, record)).toMatch(/CPU 1 is offline with vector \d+ still allocated and no irq holding it/);
    // Back online, the vector is an ordinary leak again
    x86.vec.online[1] = true;
    expect(verdict('resources-baseline', sim, record)).toMatch(/vector: 1 in use/);
  });
});
