// A command a driver could not issue is refused with the rule it breaks (CommandSpec.invalid),
// which restates CommandSpec.valid in words: the two must agree. Checked on the states of
// generated runs on every platform (hunting every hidden kind, so VFIO and the OPAL commands
// show up), for each command run and for variants of it with each field changed.
import type { Command } from '../../src/commands/command';
import type { VocabContext } from '../../src/commands/spec';
import { specOf, VOCABULARY } from '../../src/commands/vocabulary';
import { randomRun } from '../../src/engine/random-engine';
import { allPlatforms } from '../../src/platforms';
import { resolveRevision } from '../../src/revision';
import { Simulation, type SimulationConfig } from '../../src/sim/simulation';

const NAMES = ['dev0', 'dev1', 'dev2', 'dev5', 'dev0vf0', 'pdev0', 'pdev1', 'br0', 'kvm0', 'kvm1', 'hw0', 'hw3', 'nope', 'hpet', 'dmar'];

/** The command with one field changed at a time: numbers nudged and pushed out of range, names swapped. */
function variants(c: Command): Command[] {
  const out: Command[] = [];
  for (const [k, v] of Object.entries(c)) {
    if (k === 'kind') continue;
    // Only values the field can hold after parsing: pci_msix_alloc_irq_at's index is a number or 'any'.
    const numbers = [v as number - 1, v as number + 1, 0, -1, 3, 64, 4096, 1 << 20];
    const values: unknown[] = k === 'index' ? [...(typeof v === 'number' ? numbers : [0, 1, 31]), 'any'] : typeof v === 'number' ? numbers : typeof v === 'string' ? [...NAMES, 'alloc_lpi_range'] : [];
    for (const x of values) out.push({ ...c, [k]: x } as Command);
  }
  out.push({ ...c, bridge: 'br0' } as Command, { ...c, alias: 0x100 } as Command);
  return out;
}

function agree(c: Command, sim: Simulation, ctx: VocabContext): string | null {
  const spec = specOf(c.kind) as unknown as { valid(c: Command, s: unknown, x: VocabContext): boolean; invalid?(c: Command, s: unknown, x: VocabContext): string | null };
  const valid = spec.valid(c, sim.state, ctx);
  const why = spec.invalid?.(c, sim.state, ctx);
  if (valid && why !== null) return `${JSON.stringify(c)} is valid but invalid() says: ${why}`;
  if (!valid && (typeof why !== 'string' || why === '')) return `${JSON.stringify(c)} is invalid but invalid() gives no reason`;
  return null;
}

describe('invalid() agrees with valid()', () => {
  test('every command kind explains why it is invalid', () => {
    expect(VOCABULARY.filter((s) => (s as { invalid?: unknown }).invalid === undefined).map((s) => s.kind)).toEqual([]);
  });

  test.each(allPlatforms().map((p) => [p.name]))('on generated runs of %s, for each command and its variants', (name) => {
    const platform = allPlatforms().find((p) => p.name === name);
    if (platform === undefined) throw new Error(name);
    const hunt = VOCABULARY.filter((s) => s.weight === 0).map((s) => s.kind);
    const disagreements: string[] = [];
    const seen = new Set<string>();
    let checked = 0;
    for (const revision of platform.revisions.slice(0, 3)) {
      const config: SimulationConfig = { platform, revision: resolveRevision(platform, revision.name), faultClasses: ['resource', 'firmware'], hunt };
      for (let run = 0; run < 12; run++) {
        const commands: Command[] = [];
        randomRun(config, 7, run, 40, { runs: 0, commands: 0 }, false, undefined, commands);
        const sim = new Simulation(config);
        const ctx: VocabContext = { faultSites: sim.faultSites, platform: platform.name, hunt: new Set(hunt) };
        for (const c of commands) {
          for (const v of [c, ...variants(c)]) {
            checked++;
            seen.add(v.kind);
            const d = agree(v, sim, ctx);
            if (d !== null) disagreements.push(d);
          }
          sim.execute(c);
          if (sim.dead) break;
        }
      }
    }
    expect(disagreements.slice(0, 5)).toEqual([]);
    expect(checked).toBeGreaterThan(1000);
    expect(seen.size).toBeGreaterThan(10);
  });
});
