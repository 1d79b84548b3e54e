// exhaust(imsic-identity, cpu=N) drains one hart's interrupt file for a command, and every reader
// of the matrix sees it: the allocator, and msi-fuzz's hotplug proposal, whose room check must
// refuse an unplug that the drained hart would have to absorb.
import type { Command } from '../../src/commands/command';
import { runCommands } from '../../src/engine/runner';
import { findPlatform } from '../../src/platforms';
import { resolveRevision } from '../../src/revision';
import type { SimulationConfig } from '../../src/sim/simulation';

function config(revision: string): SimulationConfig {
  const p = findPlatform('riscv-aia');
  if (p === undefined) throw new Error('no riscv-aia');
  return { platform: p, revision: resolveRevision(p, revision), faultClasses: ['resource'] };
}

// Three managed vectors spread over four harts: one of them may live on harts 2 and 3 only
const UNPLUG_ONTO_DRAINED: Command[] = [
  { kind: 'pci_device_add', dev: 'dev0', rid: 0x100, msi: 0, msix: 3 },
  { kind: 'pci_alloc_irq_vectors', dev: 'dev0', min: 1, max: 3, flags: 4 | 8 },
  { kind: 'exhaust', pool: 'imsic-identity', cpu: 3 },
  { kind: 'cpu_down', cpu: 2 },
];

describe('riscv-aia: a drained interrupt file', () => {
  test('v7.2 unplugs anyway and leaves the managed irq on the offline hart (imsic-offline-no-room)', () => {
    const r = runCommands(config('v7.2'), UNPLUG_ONTO_DRAINED);
    expect(r.invalidAt).toBeNull();
    expect(r.violation?.invariant).toBe('nothing-left-behind');
  });

  test('the hotplug proposal counts the drained hart as full and refuses the unplug', () => {
    const r = runCommands(config('v7.2+msi-fuzz-imsic-hotplug'), UNPLUG_ONTO_DRAINED);
    expect(r.invalidAt).toBeNull();
    expect(r.records[3]?.outcome?.ret).toBe(-28);
    expect(r.violation).toBeNull();
  });
});
