// Generation details that known-bug hunting leans on: the end-of-run teardown reaches the
// quiescent point after a failed allocation, a driver out of vectors gives up until unbound,
// and a hunt weighs the default kinds it names HUNT_BOOST times more.
import type { Command } from '../../src/commands/command';
import { generateCommand, HUNT_BOOST } from '../../src/engine/generate';
import { nextTeardown, SeededRng } from '../../src/engine/random-engine';
import { findPlatform } from '../../src/platforms';
import { resolveRevision } from '../../src/revision';
import { Simulation, type FaultClass } from '../../src/sim/simulation';

function sim(platformName: string, revision: string, faults: FaultClass[]): Simulation {
  const platform = findPlatform(platformName);
  if (platform === undefined) throw new Error(platformName);
  return new Simulation({ platform, revision: resolveRevision(platform, revision), faultClasses: faults });
}

const ctxOf = (s: Simulation, hunt: string[] = []) => ({ faultSites: s.faultSites, platform: s.config.platform.name, hunt: new Set(hunt) });

/** How many of `n` draws from the same state are of `kind` (each draw from its own seed). */
function draws(s: Simulation, kind: string, n: number, hunt: string[] = []): number {
  let hits = 0;
  for (let i = 0; i < n; i++) if (generateCommand(s.state, new SeededRng(`draw:${i}`), ctxOf(s, hunt))?.kind === kind) hits++;
  return hits;
}

// An allocation the injected exhaustion makes fail: the device keeps its MSI device data.
const FAILED_ALLOC: Command[] = [
  { kind: 'pci_device_add', dev: 'dev0', rid: 0x100, msi: 2, msix: 0 },
  { kind: 'fail_next', site: 'alloc_lpi_range', nth: 0 },
  { kind: 'pci_alloc_irq_vectors', dev: 'dev0', min: 2, max: 2, flags: 2 },
];

describe('generation for hunting', () => {
  test('the end-of-run teardown unbinds a driver whose allocation failed, then stops', () => {
    const s = sim('gic-v3-its', 'v6.18', ['resource']);
    for (const c of FAILED_ALLOC) s.execute(c);
    expect(s.state.devices.get('dev0')?.mode).toBe('none');
    expect(s.kernel.devices.some((d) => d.msiData !== null)).toBe(true);
    const c = nextTeardown(s.state, ctxOf(s));
    expect(c).toEqual({ kind: 'device_release_driver', dev: 'dev0' });
    s.execute(c as Command);
    expect(s.kernel.devices.some((d) => d.msiData !== null)).toBe(false);
    expect(nextTeardown(s.state, ctxOf(s))).toBeNull();
  });

  test('a driver whose allocation failed for want of vectors asks again only once unbound', () => {
    const s = sim('gic-v3-its', 'v6.18', ['resource']);
    for (const c of FAILED_ALLOC.slice(0, 2)) s.execute(c);
    // A fault is armed (the driver cannot tell): the allocation is drawn all the same
    expect(draws(s, 'pci_alloc_irq_vectors', 200)).toBeGreaterThan(0);
    const r = s.execute(FAILED_ALLOC[2] as Command);
    expect(r.outcome?.ret).toBeLessThan(0);
    expect(draws(s, 'pci_alloc_irq_vectors', 200)).toBe(0);
    s.execute({ kind: 'device_release_driver', dev: 'dev0' });
    expect(draws(s, 'pci_alloc_irq_vectors', 200)).toBeGreaterThan(0);
  });

  test(`a hunt weighs a default kind it names ${HUNT_BOOST} times more`, () => {
    const s = sim('powernv', 'v6.18.y', []);
    s.execute({ kind: 'pci_device_add', dev: 'dev0', rid: 0x100, msi: 1, msix: 4 });
    const plain = draws(s, 'xive_native_alloc_irq', 2000);
    const hunted = draws(s, 'xive_native_alloc_irq', 2000, ['xive_native_alloc_irq']);
    expect(plain).toBeGreaterThan(0);
    // the kind's share p becomes 4p / (1 + 3p): more than 3 times when it was rare
    expect(hunted).toBeGreaterThan(3 * plain);
  });
});
