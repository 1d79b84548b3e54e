// Campaigns over many configurations: the same units find the same things inline and on
// worker threads; a state directory round-trips, resumes where it stopped, and shards merged
// find what one unsharded run finds.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runMulti, type MultiResult } from '../../src/engine/multi';
import type { PlanOptions } from '../../src/engine/plan';
import { emptyProgress, FindingStore, mergeProgress, StateDir } from '../../src/engine/state-dir';

const plan: PlanOptions = { platform: 'gic-v3-its', revision: 'all', seed: 1, runsPerUnit: 10, swarm: true, faults: ['resource', 'firmware'], maxSteps: 40 };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'msi-fuzz-campaign-'));
const worker = path.join(__dirname, '..', '..', 'dist', 'src', 'engine', 'worker.js');

/** What a campaign found, independent of timing and arrival order. */
function essence(r: MultiResult | { findings: MultiResult['findings']; progress: MultiResult['progress'] }): unknown {
  return {
    findings: r.findings.map((f) => ({ signature: f.signature, length: f.length, repro: f.repro, reproduce: f.reproduce, known: f.known })),
    done: r.progress.done,
    runs: r.progress.runs,
    commands: r.progress.commands,
    coverage: r.progress.coverage,
    openIssues: r.progress.openIssues,
  };
}

describe('campaign driver', () => {
  let inline: MultiResult;
  beforeAll(async () => {
    inline = await runMulti({ plan, rounds: 2, workers: 0 });
  });

  test('finds the known bugs of the bad ITS revisions, deduplicated, each with a command that replays it', () => {
    expect(inline.progress.done).toHaveLength(2 * inline.configs.length);
    const known = new Set(inline.findings.map((f) => f.known).filter((k) => k !== null));
    expect(known.has('its-nvme-realloc-uaf')).toBe(true);
    expect(new Set(inline.findings.map((f) => f.signature)).size).toBe(inline.findings.length);
    for (const f of inline.findings) expect(f.reproduce).toMatch(new RegExp(`--platform ${f.platform} --revision ${f.revision} --seed \\d+ --from-run \\d+ --runs 1 .*--swarm( --hunt \\S+)?$`));
  });

  test('2 worker threads find exactly what the inline run finds', async () => {
    if (!fs.existsSync(worker)) throw new Error('dist/ is missing: `npm test` builds before jest runs');
    const pooled = await runMulti({ plan, rounds: 2, workers: 2 });
    expect(essence(pooled)).toEqual(essence(inline));
  });

  test('a state directory holds the findings and statistics; a stopped campaign resumes to the same end', async () => {
    const dir = path.join(tmp, 'resume');
    let results = 0;
    const first = await runMulti({ plan, rounds: 2, workers: 0, state: new StateDir(dir), stopRequested: () => results >= 5, onUpdate: () => void results++ });
    expect(first.stopped).toBe(true);
    expect(first.progress.done).toHaveLength(5);
    const s = new StateDir(dir);
    expect(s.readPlan()).toEqual(plan);
    expect(s.readProgress().done).toEqual(first.progress.done);
    expect(s.readFindings().map((f) => f.signature)).toEqual(first.findings.map((f) => f.signature));
    for (const f of s.readFindings()) expect(fs.readFileSync(s.findingPath(f), 'utf8')).toBe(f.repro);
    const resumed = await runMulti({ plan, rounds: 2, workers: 0, state: new StateDir(dir), resume: true });
    expect(essence(resumed)).toEqual(essence(inline));
    expect(essence({ findings: new StateDir(dir).readFindings(), progress: new StateDir(dir).readProgress() })).toEqual(essence(inline));
  });

  test('shard 1/2 and shard 2/2 merged find what one unsharded run of the same seeds finds', async () => {
    const parts = [];
    for (const k of [1, 2]) {
      const dir = path.join(tmp, `shard${k}`);
      await runMulti({ plan: { ...plan, shard: { k, n: 2 } }, rounds: 2, workers: 0, state: new StateDir(dir) });
      parts.push(new StateDir(dir));
    }
    const progress = emptyProgress();
    const store = new FindingStore();
    for (const p of parts) {
      mergeProgress(progress, p.readProgress());
      for (const f of p.readFindings()) store.add(f, f.unitIndex, f.hits);
    }
    expect(essence({ findings: store.list(), progress })).toEqual(essence(inline));
  });
});
