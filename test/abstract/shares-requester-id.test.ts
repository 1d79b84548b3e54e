// sharesRequesterId() answers from a set derived once per change of the abstract devices and
// bridges (VersionedMap). Over random runs on every platform, with aliases, bridges, VFs and
// device removal, its answer for every device after every step is the pairwise scan's.
import { sharesRequesterId, VersionedMap, type AbstractDevice, type AbstractState } from '../../src/abstract/state';
import { generateCommand } from '../../src/engine/generate';
import { runSeed, SeededRng } from '../../src/engine/random-engine';
import { allPlatforms } from '../../src/platforms';
import { resolveRevision } from '../../src/revision';
import { Simulation } from '../../src/sim/simulation';

/** The definition: another PCI device with the same requester ID key, or aliasing its RID, or aliased by it. */
function pairwise(s: AbstractState, d: AbstractDevice): boolean {
  if (d.bus !== 'pci') return false;
  const key = (x: AbstractDevice): number => (x.bridge !== undefined ? -1 - (s.bridges.get(x.bridge) ?? 0) : (x.alias ?? x.rid));
  for (const other of s.devices.values()) {
    if (other === d || other.bus !== 'pci') continue;
    if (key(other) === key(d) || other.alias === d.rid || d.alias === other.rid) return true;
  }
  return false;
}

describe('sharesRequesterId', () => {
  test('VersionedMap counts every set, delete and clear', () => {
    const m = new VersionedMap<string, number>();
    m.set('a', 1);
    m.set('a', 2);
    m.delete('a');
    m.clear();
    expect(m.version).toBe(4);
  });

  test.each(allPlatforms().map((p) => p.name))('%s: the cached answer is the pairwise scan, every device after every step of 60 runs', (name) => {
    const p = allPlatforms().find((x) => x.name === name);
    if (p === undefined) throw new Error(name);
    const config = { platform: p, revision: resolveRevision(p, undefined), faultClasses: [] };
    let shared = 0;
    let asked = 0;
    for (let run = 0; run < 60; run++) {
      const rng = new SeededRng(runSeed(5, run));
      const sim = new Simulation(config);
      const ctx = { faultSites: sim.faultSites, platform: name };
      for (let i = 0; i < 40 && !sim.dead; i++) {
        const cmd = generateCommand(sim.state, rng, ctx);
        if (cmd === null) break;
        sim.execute(cmd);
        for (const d of sim.state.devices.values()) {
          const want = pairwise(sim.state, d);
          expect({ run, step: i, dev: d.name, shares: sharesRequesterId(sim.state, d) }).toEqual({ run, step: i, dev: d.name, shares: want });
          asked++;
          if (want) shared++;
        }
      }
    }
    expect(asked).toBeGreaterThan(500);
    // the generator makes aliases and shared bridges: both answers are exercised
    // (x86-vmd puts half its functions in the VMD's domain, where no alias or bridge is generated)
    if ((name.startsWith('x86') && name !== 'x86-vmd') || name === 'gic-v3-its') expect(shared).toBeGreaterThan(0);
  });
});
