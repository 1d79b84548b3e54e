// pci_msix_alloc_irq_at() (parents with MSI_FLAG_PCI_MSIX_ALLOC_DYN: the x86 ones) at an index the driver already holds: msi_insert_desc()'s
// xa_insert() refuses it with -EBUSY, the descriptor in place keeps its irq, and the harness
// both generates such requests and expects exactly that answer.
import type { Command } from '../../src/commands/command';
import { specOf } from '../../src/commands/vocabulary';
import { SeededRng } from '../../src/engine/random-engine';
import { runCommands } from '../../src/engine/runner';
import { findPlatform } from '../../src/platforms';
import { resolveRevision } from '../../src/revision';
import type { SimulationConfig } from '../../src/sim/simulation';

function config(platform: string): SimulationConfig {
  const p = findPlatform(platform);
  if (p === undefined) throw new Error(`no platform ${platform}`);
  return { platform: p, revision: resolveRevision(p, undefined), faultClasses: [] };
}

const SEQ: Command[] = [
  { kind: 'pci_device_add', dev: 'dev0', rid: 0x100, msi: 0, msix: 8 },
  { kind: 'pci_alloc_irq_vectors', dev: 'dev0', min: 2, max: 2, flags: 4 },
  { kind: 'pci_msix_alloc_irq_at', dev: 'dev0', index: 1 },
];

describe('pci_msix_alloc_irq_at() on an index in use', () => {
  test.each(['x86-intel-ir', 'x86-amd-ir', 'x86-noir'])('%s: -EBUSY, and the vector already there keeps its irq', (platform) => {
    const before = runCommands(config(platform), SEQ.slice(0, 2));
    const r = runCommands(config(platform), SEQ);
    expect(r.invalidAt).toBeNull();
    expect(r.violation).toBeNull();
    expect(r.records[2]?.outcome?.ret).toBe(-16);
    expect(r.records[2]?.expectation).toMatchObject({ kind: 'exact', ret: -16 });
    const irqOf = (x: typeof r): number | undefined => x.sim.kernel.devices.find((d) => d.name === 'dev0')?.msiData?.domains[0]?.store.get(1)?.irq;
    expect(irqOf(r)).toBe(irqOf(before));
    expect(irqOf(r)).toBeGreaterThan(0);
  });

  test('the generator asks for an index in use now and then', () => {
    const spec = specOf('pci_msix_alloc_irq_at');
    const cfg = config('x86-noir');
    const r = runCommands(cfg, SEQ.slice(0, 2));
    const ctx = { faultSites: r.sim.faultSites, pools: r.sim.pools, platform: cfg.platform.name, hunt: new Set<string>() };
    const seen = new Set<string>();
    const rng = new SeededRng('busy');
    for (let i = 0; i < 400; i++) {
      const c = spec.generate(r.sim.state, rng, ctx);
      if (c !== null) seen.add(String(c.index));
    }
    expect(seen.has('0') || seen.has('1')).toBe(true);
  });
});
