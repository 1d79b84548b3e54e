// A campaign killed at any write boundary resumes to the result of an uninterrupted one: the
// same units done, the same findings with the same hits, the same statistics, and on disk a
// state.json and .repro views that agree with it. The kill is deterministic: a hook at the k-th
// write boundary (before or after each file write of src/engine/state-dir.ts) stops the campaign
// there, for every k a campaign has; then one real SIGKILL through MSI_FUZZ_CRASH_AT, at the
// boundary between a unit's commit and its .repro view, through the CLI.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runMulti, type MultiResult } from '../../src/engine/multi';
import type { PlanOptions, Unit } from '../../src/engine/plan';
import { StateDir, type Progress, type StoredFinding } from '../../src/engine/state-dir';
import { runUnit, type UnitResult } from '../../src/engine/unit';
import { cli, lastJson, root, run } from '../cli-helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'msi-fuzz-crash-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const plan: PlanOptions = { platform: 'gic-v3-its', revision: 'all', seed: 1, runsPerUnit: 4, swarm: false, faults: ['resource', 'firmware'], maxSteps: 40, weighting: 'found-less' };
const ROUNDS = 2;

class Crash extends Error {}

// What a unit finds depends only on the unit: each runs once, and every replay of the campaign
// below reuses its result, so only the state directory's writes are repeated.
const results = new Map<number, UnitResult>();
const memo = (u: Unit): UnitResult => {
  const r = results.get(u.index) ?? runUnit(u);
  results.set(u.index, r);
  return r;
};

/** What must not depend on where the campaign was killed (timings aside). */
function essence(progress: Progress, findings: readonly StoredFinding[]): unknown {
  return {
    done: progress.done,
    runs: progress.runs,
    commands: progress.commands,
    coverage: progress.coverage,
    openIssues: progress.openIssues,
    perConfig: progress.perConfig,
    findings: findings.map(({ shrinkMs: _t, ...f }) => f),
  };
}

/** The directory agrees with itself: every committed finding has its .repro view, holding its repro. */
function onDisk(dir: string): unknown {
  const s = new StateDir(dir);
  const { progress, findings } = s.load();
  for (const f of findings) expect(fs.readFileSync(s.findingPath(f), 'utf8')).toBe(f.repro);
  return essence(progress, findings);
}

describe('a campaign killed at a write boundary resumes to the uninterrupted result', () => {
  let whole: MultiResult;
  const labels: string[] = [];

  beforeAll(async () => {
    whole = await runMulti({ plan, rounds: ROUNDS, workers: 0, runUnit: memo, state: new StateDir(path.join(tmp, 'whole'), { boundary: (l) => void labels.push(l) }) });
  });

  test('the campaign has findings, several units and a write boundary around every file write', () => {
    expect(whole.progress.done.length).toBeGreaterThan(8);
    expect(whole.findings.length).toBeGreaterThan(2);
    // plan.json, one state.json commit per unit and at the end, and a view per new or shorter finding
    expect(labels.filter((l) => l === 'state.json:after')).toHaveLength(whole.progress.done.length + 1);
    expect(labels.filter((l) => l.startsWith('findings/') && l.endsWith(':before')).length).toBeGreaterThanOrEqual(whole.findings.length);
    expect(onDisk(path.join(tmp, 'whole'))).toEqual(essence(whole.progress, whole.findings));
  });

  test('killed at each boundary k, then resumed: the same units, findings, hits and statistics', async () => {
    for (let k = 1; k <= labels.length; k++) {
      const dir = path.join(tmp, `k${k}`);
      let seen = 0;
      const crashAt = (l: string): void => {
        if (++seen === k) throw new Crash(`killed at ${l}`);
      };
      await expect(runMulti({ plan, rounds: ROUNDS, workers: 0, runUnit: memo, state: new StateDir(dir, { boundary: crashAt }) })).rejects.toThrow(Crash);
      // Before plan.json landed there is no campaign to resume: it starts again, as the CLI would.
      const resumed = await runMulti({ plan, rounds: ROUNDS, workers: 0, runUnit: memo, state: new StateDir(dir), resume: StateDir.exists(dir) });
      const want = essence(whole.progress, whole.findings);
      expect({ k, label: labels[k - 1], got: essence(resumed.progress, resumed.findings) }).toEqual({ k, label: labels[k - 1], got: want });
      expect({ k, disk: onDisk(dir) }).toEqual({ k, disk: want });
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('kill -9 (MSI_FUZZ_CRASH_AT) between a unit commit and its repro view, then --resume, through the CLI', () => {
    // The first boundary just after a commit that a view write follows: the unit is done and its finding is in state.json, its .repro is not written yet.
    const k = labels.findIndex((l, i) => l === 'state.json:after' && labels[i + 1]?.startsWith('findings/') === true) + 1;
    expect(k).toBeGreaterThan(0);
    const args = ['run', '--platform', 'gic-v3-its', '--revision', 'all', '--seeds', String(ROUNDS), '--runs-per-seed', '4', '--faults', 'resource,firmware'];
    const dir = path.join(tmp, 'cli-killed');
    const killed = spawnSync(process.execPath, [cli, ...args, '--state', dir, '--json'], { cwd: root, encoding: 'utf8', env: { ...process.env, CI: 'true', MSI_FUZZ_CRASH_AT: String(k) } });
    expect(killed.signal).toBe('SIGKILL');
    expect(killed.stdout).toBe('');
    const atKill = new StateDir(dir).load();
    expect(atKill.findings.length).toBeGreaterThan(0);
    // The newest finding is committed but has no view yet.
    expect(atKill.findings.some((f) => !fs.existsSync(new StateDir(dir).findingPath(f)))).toBe(true);

    const resumed = run('run', '--state', dir, '--resume', '--seeds', String(ROUNDS), '--json');
    expect(resumed.stderr).toBe('');
    const j = lastJson(resumed.stdout);
    expect({ units: j['units'], runs: j['runs'], commands: j['commands'] }).toEqual({ units: whole.progress.done.length, runs: whole.progress.runs, commands: whole.progress.commands });
    expect((j['findings'] as { signature: string; length: number; hits: number }[]).map((f) => [f.signature, f.length, f.hits])).toEqual(whole.findings.map((f) => [f.signature, f.length, f.hits]));
    expect(onDisk(dir)).toEqual(essence(whole.progress, whole.findings));
  });
});
