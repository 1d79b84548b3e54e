// The shrinker's stand-ins and the simplifications of the affinity commands: a command of
// another kind may do a command's job in a shorter list (x86 generic_handle_irq for the
// msi_raise and request_irq that delivered an interrupt), cpu_down follows an irq to any lower
// CPU, and irq_set_affinity masks only ever get simpler (no 0x1 <-> 0x2 swap eating the budget).
import type { Command } from '../../src/commands/command';
import { specOf } from '../../src/commands/vocabulary';
import { findPlatform } from '../../src/platforms';
import { resolveRevision } from '../../src/revision';
import { failsWith, shrink } from '../../src/shrink/shrinker';
import type { SimulationConfig } from '../../src/sim/simulation';

function config(platform: string, revision?: string): SimulationConfig {
  const p = findPlatform(platform);
  if (p === undefined) throw new Error(`no platform ${platform}`);
  return { platform: p, revision: resolveRevision(p, revision), faultClasses: [] };
}

const INV = 'nothing-left-behind';

describe('shrinker: stand-ins and affinity simplifications', () => {
  test('an interrupt raised on an unrequested vector and let through by request_irq becomes generic_handle_irq', () => {
    const cfg = config('x86-noir', 'v5.10');
    const six: Command[] = [
      { kind: 'pci_device_add', dev: 'dev0', rid: 0x100, msi: 0, msix: 2 },
      { kind: 'pci_alloc_irq_vectors', dev: 'dev0', min: 1, max: 2, flags: 4 },
      { kind: 'irq_set_affinity', target: 'dev0', vec: 1, cpus: 0x1 },
      // vec 0 on CPU 1, vec 1 on CPU 2 (CPU 0 holds the timer's vector)
      { kind: 'cpu_down', cpu: 2 },
      { kind: 'msi_raise', dev: 'dev0', vec: 1 },
      { kind: 'request_irq', dev: 'dev0', vec: 1 },
    ];
    expect(failsWith(cfg, six, INV)).toBe(true);
    const r = shrink(cfg, six, INV);
    expect(r.commands).toHaveLength(5);
    expect(r.commands[4]).toEqual({ kind: 'generic_handle_irq', target: 'dev0', vec: 1 });
  });

  test('a DMAR irq on CPU 2 shrinks to the one on CPU 1: cpu_down follows it to a lower CPU', () => {
    const cfg = config('x86-noir', 'v5.10');
    // the HPET irq on CPU 1, the DMAR one on CPU 2 (CPU 0 holds the timer's vector)
    const five: Command[] = [
      { kind: 'hpet_assign_irq', channel: 0 },
      { kind: 'dmar_set_interrupt', unit: 0 },
      { kind: 'irq_set_affinity', target: 'dmar', vec: 0, cpus: 0x1 },
      { kind: 'cpu_down', cpu: 2 },
      { kind: 'generic_handle_irq', target: 'dmar', vec: 0 },
    ];
    expect(failsWith(cfg, five, INV)).toBe(true);
    const r = shrink(cfg, five, INV);
    expect(r.commands).toHaveLength(4);
    expect(r.commands).toContainEqual({ kind: 'cpu_down', cpu: 1 });
    expect(r.attempts).toBeLessThan(500);
  });

  test('simplify: cpu_down offers every lower CPU, irq_set_affinity only lower masks', () => {
    expect(specOf('cpu_down').simplify({ kind: 'cpu_down', cpu: 3 })).toEqual([
      { kind: 'cpu_down', cpu: 1 },
      { kind: 'cpu_down', cpu: 2 },
    ]);
    expect(specOf('cpu_down').simplify({ kind: 'cpu_down', cpu: 1 })).toEqual([]);
    const aff = (cpus: number): Command => ({ kind: 'irq_set_affinity', target: 'dev0', vec: 0, cpus });
    expect(specOf('irq_set_affinity').simplify(aff(0x1) as never)).toEqual([]);
    expect(specOf('irq_set_affinity').simplify(aff(0x2) as never)).toEqual([aff(0x1)]);
    expect(specOf('irq_set_affinity').simplify(aff(0xc) as never)).toEqual([aff(0x1), aff(0x2)]);
  });
});
