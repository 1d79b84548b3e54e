// kill -9 in the middle of a campaign loses nothing: the state directory holds every finding
// reported (whole, repro and metadata agreeing) and every unit done, and --resume ends where an
// uninterrupted campaign with the same seeds ends. The kill comes once the state directory
// shows some units done and a finding (polled), so nothing here depends on how fast the machine is.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cli, lastJson, root, run } from '../cli-helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'msi-fuzz-kill-'));
const args = ['--platform', 'gic-v3-its', '--revision', 'all', '--seeds', '3', '--runs-per-seed', '10', '--workers', '2'];

function doneUnits(dir: string): number {
  try {
    return (JSON.parse(fs.readFileSync(path.join(dir, 'progress.json'), 'utf8')) as { done: number[] }).done.length;
  } catch {
    return 0;
  }
}

const essence = (j: Record<string, unknown>): unknown => ({
  units: j['units'],
  runs: j['runs'],
  commands: j['commands'],
  findings: (j['findings'] as { signature: string; length: number; hits: number; reproduce: string }[]).map((f) => `${f.signature} ${f.length} ${f.hits} ${f.reproduce}`),
  coverage: j['coverage'],
});

describe('kill -9 and --resume', () => {
  test('nothing reported before the kill is lost, and the resumed campaign ends as an uninterrupted one', async () => {
    const dir = path.join(tmp, 'killed');
    const child = spawn(process.execPath, [cli, 'run', ...args, '--state', dir, '--json'], { cwd: root, env: { ...process.env, CI: 'true' }, stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    let finished = false;
    void exited.then(() => (finished = true));
    const someFindings = (): boolean => fs.existsSync(path.join(dir, 'findings')) && fs.readdirSync(path.join(dir, 'findings')).some((n) => n.endsWith('.json'));
    while (!finished && (doneUnits(dir) < 5 || !someFindings())) await new Promise((r) => setTimeout(r, 50));
    expect(finished).toBe(false);
    child.kill('SIGKILL');
    await exited;

    // What was on disk at the kill: whole files, repro and metadata agreeing.
    const before = JSON.parse(fs.readFileSync(path.join(dir, 'progress.json'), 'utf8')) as { done: number[] };
    expect(before.done.length).toBeGreaterThanOrEqual(5);
    const findingsDir = path.join(dir, 'findings');
    const kept = fs.existsSync(findingsDir) ? fs.readdirSync(findingsDir).filter((n) => n.endsWith('.json')) : [];
    const atKill = new Map<string, { length: number; repro: string }>();
    for (const n of kept) {
      const f = JSON.parse(fs.readFileSync(path.join(findingsDir, n), 'utf8')) as { signature: string; length: number; repro: string };
      expect(fs.readFileSync(path.join(findingsDir, n.replace(/\.json$/, '.repro')), 'utf8')).toBe(f.repro);
      atKill.set(f.signature, f);
    }
    expect(atKill.size).toBeGreaterThan(0);

    const resumed = run('run', '--resume', '--state', dir, '--seeds', '3', '--workers', '2', '--json');
    const r = lastJson(resumed.stdout);
    const after = (r['findings'] as { signature: string; length: number }[]).filter((f) => atKill.has(f.signature));
    expect(after).toHaveLength(atKill.size);
    for (const f of after) expect(f.length).toBeLessThanOrEqual((atKill.get(f.signature) as { length: number }).length);
    const done = JSON.parse(fs.readFileSync(path.join(dir, 'progress.json'), 'utf8')) as { done: number[] };
    expect(before.done.every((i) => done.done.includes(i))).toBe(true);

    const whole = lastJson(run('run', ...args, '--state', path.join(tmp, 'whole'), '--json').stdout);
    expect(essence(r)).toEqual(essence(whole));
  });
});
