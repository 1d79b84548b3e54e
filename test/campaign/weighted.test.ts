// A weighted campaign (the default): rounds with a barrier, each round giving a configuration
// more seeds the fewer signatures it found in the rounds before. The plan and its findings are
// a function of the options and the round budget only: the same inline and on 2 workers, the
// same after a stop and --resume, and the same as its shards merged.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runMulti, type MultiResult } from '../../src/engine/multi';
import { RoundCursor, planConfigs, seedsInRound, type PlanOptions } from '../../src/engine/plan';
import { emptyProgress, FindingStore, mergeProgress, StateDir, type Progress } from '../../src/engine/state-dir';

const plan: PlanOptions = { platform: 'gic-v3-its', revision: 'all', seed: 1, runsPerUnit: 10, swarm: false, faults: ['resource', 'firmware'], maxSteps: 40, weighting: 'found-less' };
const ROUNDS = 3;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'msi-fuzz-weighted-'));
const worker = path.join(__dirname, '..', '..', 'dist', 'src', 'engine', 'worker.js');

function essence(r: { findings: MultiResult['findings']; progress: Progress }): unknown {
  return {
    findings: r.findings.map((f) => ({ signature: f.signature, length: f.length, repro: f.repro, reproduce: f.reproduce, known: f.known, hits: f.hits, unitIndex: f.unitIndex })),
    done: r.progress.done,
    runs: r.progress.runs,
    commands: r.progress.commands,
    coverage: r.progress.coverage,
    perConfig: r.progress.perConfig,
  };
}

const units = (p: Progress, key: string): number => p.perConfig[key]?.units ?? 0;

describe('weighted campaign', () => {
  let inline: MultiResult;
  let even: MultiResult;
  // Two inline campaigns over every gic-v3-its revision: about 45 s on an idle 2-vCPU machine,
  // over the default 120 s with five campaigns beside it; a bound for hangs, not a speed check
  beforeAll(async () => {
    inline = await runMulti({ plan, rounds: ROUNDS, workers: 0 });
    even = await runMulti({ plan: { ...plan, weighting: 'even' }, rounds: ROUNDS, workers: 0 });
  }, 600_000);

  test('the weights follow what each configuration found in the rounds before', () => {
    expect(seedsInRound(plan, 0, 0)).toBe(1);
    expect([0, 1, 2, 5].map((n) => seedsInRound(plan, 1, n))).toEqual([3, 2, 1, 1]);
    expect(seedsInRound({ ...plan, weighting: 'even' }, 4, 0)).toBe(1);
    // Recompute the plan from the findings the campaign recorded: every unit done is in it.
    const configs = planConfigs(plan.platform, plan.revision);
    const keys = configs.map((c) => `${c.platform}@${c.revision}`);
    const cursor = new RoundCursor(plan, configs);
    const expected: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      expected.push(...cursor.next((c, round) => Object.values(inline.progress.perConfig[keys[c] as string]?.found ?? {}).filter((x) => x < round).length).map((u) => u.index));
    }
    expect(inline.progress.done).toEqual(expected.sort((a, b) => a - b));
  });

  test('the budget moves to the configurations that found less', () => {
    // The even plan gives every configuration one seed per round.
    for (const c of even.configs) expect(units(even.progress, `${c.platform}@${c.revision}`)).toBe(ROUNDS);
    // Correct revisions found nothing in round 0 (the open issue is not counted): 1 + 3 + 3 seeds.
    for (const r of ['v6.16', 'v6.17', 'v6.18']) {
      expect(inline.progress.perConfig[`gic-v3-its@${r}`]?.found ?? {}).toEqual({});
      expect(units(inline.progress, `gic-v3-its@${r}`)).toBe(1 + 3 + 3);
    }
    // A known-bad revision that gave up its bug in round 0 gets fewer seeds than one that found nothing.
    const found = inline.progress.perConfig['gic-v3-its@prepare-before-its-teardown']?.found ?? {};
    expect(Object.values(found)).toContain(0);
    expect(units(inline.progress, 'gic-v3-its@prepare-before-its-teardown')).toBeLessThan(units(inline.progress, 'gic-v3-its@v6.18'));
    expect(inline.progress.runs).toBeGreaterThan(even.progress.runs);
  });

  test('2 worker threads run the same plan and find exactly what the inline run finds', async () => {
    if (!fs.existsSync(worker)) throw new Error('dist/ is missing: `npm test` builds before jest runs');
    const pooled = await runMulti({ plan, rounds: ROUNDS, workers: 2 });
    expect(essence(pooled)).toEqual(essence(inline));
  });

  test('stopped in the middle of a round and resumed, it ends where the uninterrupted run ends', async () => {
    const dir = path.join(tmp, 'resume');
    let results = 0;
    const first = await runMulti({ plan, rounds: ROUNDS, workers: 0, state: new StateDir(dir), stopRequested: () => results >= 13, onUpdate: () => void results++ });
    expect(first.progress.done).toHaveLength(13);
    const resumed = await runMulti({ plan, rounds: ROUNDS, workers: 0, state: new StateDir(dir), resume: true });
    expect(essence(resumed)).toEqual(essence(inline));
  });

  test('shard 1/2 and 2/2 (by configuration) merged find what the unsharded run finds', async () => {
    const progress = emptyProgress();
    const store = new FindingStore();
    for (const k of [1, 2]) {
      const dir = path.join(tmp, `shard${k}`);
      await runMulti({ plan: { ...plan, shard: { k, n: 2 } }, rounds: ROUNDS, workers: 0, state: new StateDir(dir) });
      const s = new StateDir(dir);
      mergeProgress(progress, s.readProgress());
      for (const f of s.readFindings()) store.add(f, f.unitIndex, f.hits);
    }
    expect(essence({ findings: store.list(), progress })).toEqual(essence(inline));
  });
});
