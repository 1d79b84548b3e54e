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

  test('x86-platform-msi-routing: a DMAR fault-event message with the wrong vector', () => {
    const { sim, record, x86 } = healthy([{ kind: 'dmar_set_interrupt', unit: 0 }]);
    expect(verdict('x86-platform-msi-routing', sim, record)).toBeNull();
    const unit = x86.iommus[0];
    if (unit === undefined || unit.faultEventMsg === null) throw new Error('no DMAR fault-event message');
    unit.faultEventMsg = { ...unit.faultEventMsg, data: unit.faultEventMsg.data ^ 0x1 };
    expect(verdict('x86-platform-msi-routing', sim, record)).not.toBeNull();
  });
});
