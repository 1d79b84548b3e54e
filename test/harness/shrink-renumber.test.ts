// The shrinker's vector renumbering (pass 2b): deleting a command shifts which of a device's
// vectors the allocator puts on a given CPU, so a deletion only keeps the bug when every
// command naming the vector follows it to its new number.
import type { Command } from '../../src/commands/command';
import { findKnownBug, type KnownBug } from '../../src/known-bugs';
import { findPlatform } from '../../src/platforms';
import { resolveRevision } from '../../src/revision';
import { failsWith, renumbered, shrink } from '../../src/shrink/shrinker';
import type { SimulationConfig } from '../../src/sim/simulation';

function config(platform: string, revision?: string): SimulationConfig {
  const p = findPlatform(platform);
  if (p === undefined) throw new Error(`no platform ${platform}`);
  return { platform: p, revision: resolveRevision(p, revision), faultClasses: [] };
}

// x86-offline-vector-leak as the random engine found it on seed 2: the DMAR fault irq takes a
// vector on CPU 0 first, so the device's vector 4 is the one on CPU 1.
const WITH_DMAR: Command[] = [
  { kind: 'pci_device_add', dev: 'dev0', rid: 0x100, msi: 0, msix: 8 },
  { kind: 'dmar_set_interrupt', unit: 0 },
  { kind: 'pci_alloc_irq_vectors', dev: 'dev0', min: 1, max: 5, flags: 4 },
  { kind: 'irq_set_affinity', target: 'dev0', vec: 4, cpus: 0x1 },
  // the DMAR irq on CPU 1, dev0's vectors on CPUs 2, 3, 0, 1, 2 (CPU 0 holds the timer's vector)
  { kind: 'cpu_down', cpu: 2 },
  { kind: 'generic_handle_irq', target: 'dev0', vec: 4 },
];

describe('shrinker: renumbering a vector together with a deletion', () => {
  test('renumbered() changes one device vector in every command naming it, onto unused numbers only', () => {
    const alts = renumbered(WITH_DMAR);
    // vec=4 of dev0 goes to 0..3 and 5
    expect(alts).toHaveLength(5);
    for (const alt of alts) {
      const vecs = alt.filter((c): c is Command & { vec: number } => 'vec' in c).map((c) => c.vec);
      expect(vecs).toHaveLength(2);
      expect(vecs[0]).toBe(vecs[1]);
      expect(vecs[0]).not.toBe(4);
      expect(alt.filter((c) => !('vec' in c))).toEqual(WITH_DMAR.filter((c) => !('vec' in c)));
    }
    expect(renumbered(WITH_DMAR.filter((c) => !('vec' in c)))).toEqual([]);
    // an HPET irq's number is its channel, tied to its hpet_assign_irq: not renumbered alone
    const hpet: Command[] = [
      { kind: 'hpet_assign_irq', channel: 0 },
      { kind: 'irq_set_affinity', target: 'hpet', vec: 0, cpus: 0x1 },
      { kind: 'generic_handle_irq', target: 'hpet', vec: 0 },
    ];
    expect(renumbered(hpet)).toEqual([]);
  });

  test('no single deletion keeps the bug, but a deletion with vec 4 renumbered does', () => {
    const bug = findKnownBug('x86-offline-vector-leak') as KnownBug;
    const cfg = config(bug.platform, bug.revision);
    expect(failsWith(cfg, WITH_DMAR, bug.invariant)).toBe(true);
    for (let j = 0; j < WITH_DMAR.length; j++) expect(failsWith(cfg, WITH_DMAR.filter((_c, x) => x !== j), bug.invariant)).toBe(false);
    const shrunk = shrink(cfg, WITH_DMAR, bug.invariant);
    // the PCI form: one command more than the DMAR form the bug's minimal length counts
    expect(shrunk.commands).toHaveLength(bug.minimalLength + 1);
    expect(shrunk.commands.some((c) => c.kind === 'dmar_set_interrupt')).toBe(false);
    expect(failsWith(cfg, shrunk.commands, bug.invariant)).toBe(true);
  });
});
