// The plan: configuration order, unit numbering, shard partition and swarm subsets are pure
// functions of the options.
import { planConfigs, parseShard, shardIndices, unitAt, type PlanOptions } from '../../src/engine/plan';
import { swarmVocabulary } from '../../src/engine/swarm';
import { runSeed } from '../../src/engine/random-engine';
import { allPlatforms } from '../../src/platforms';

const base: PlanOptions = { platform: 'all', revision: 'all', seed: 5, runsPerUnit: 10, swarm: false, faults: ['resource'], maxSteps: 40 };

const take = (it: Generator<number>, n: number): number[] => Array.from({ length: n }, () => it.next().value as number);

describe('campaign plan', () => {
  test('--platform all --revision all lists every named revision of every platform, platforms by name', () => {
    const configs = planConfigs('all', 'all');
    const expected = allPlatforms().flatMap((p) => p.revisions.map((r) => `${p.name}@${r.name}`));
    expect(configs.map((c) => `${c.platform}@${c.revision}`)).toEqual(expected);
    expect(planConfigs('all', undefined).map((c) => c.revision)).toEqual(allPlatforms().map((p) => p.currentRevision));
  });

  test('units deal configurations round-robin, round r runs seed + r', () => {
    const configs = planConfigs('all', 'all');
    const c = configs.length;
    expect(unitAt(base, configs, 0)).toMatchObject({ platform: configs[0]?.platform, revision: configs[0]?.revision, seed: 5 });
    expect(unitAt(base, configs, c + 2)).toMatchObject({ platform: configs[2]?.platform, revision: configs[2]?.revision, seed: 6 });
    expect(unitAt(base, configs, 7)).toEqual(unitAt(base, configs, 7));
  });

  test('shards K/N partition the unit sequence: disjoint, and their union is every unit', () => {
    const n = 3;
    const slices = [1, 2, 3].map((k) => take(shardIndices({ ...base, shard: { k, n } }), 40));
    const all = slices.flat().filter((i) => i < 100).sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 100 }, (_, i) => i).filter((i) => all.includes(i)));
    expect(new Set(all).size).toBe(all.length);
    expect(all.length).toBe(100);
    expect(take(shardIndices(base), 5)).toEqual([0, 1, 2, 3, 4]);
  });

  test('parseShard accepts K/N with 1 <= K <= N only', () => {
    expect(parseShard('2/4')).toEqual({ k: 2, n: 4 });
    expect(parseShard('0/4')).toBeNull();
    expect(parseShard('5/4')).toBeNull();
    expect(parseShard('x')).toBeNull();
  });

  test('swarm subsets are seeded: same run, same kinds; device creation always stays', () => {
    const a = swarmVocabulary(runSeed(1, 3)).map((s) => s.kind);
    expect(swarmVocabulary(runSeed(1, 3)).map((s) => s.kind)).toEqual(a);
    expect(a).toContain('pci_device_add');
    const distinct = new Set(Array.from({ length: 20 }, (_, i) => swarmVocabulary(runSeed(1, i)).map((s) => s.kind).join(',')));
    expect(distinct.size).toBeGreaterThan(1);
  });
});
