// Campaign mode on the command line: the --json object, JUnit XML, merge of shards, and
// one-line errors (exit 2) for bad campaign flags.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lastJson, run } from '../cli-helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'msi-fuzz-campaign-cli-'));

const common = ['--platform', 'gic-v3-its', '--revision', 'all', '--seeds', '1', '--runs-per-seed', '8'];

describe('msi-fuzz run (campaign mode) and merge', () => {
  test('--json prints one object with configurations, findings (new, known or expected), coverage; JUnit XML is written', () => {
    const state = path.join(tmp, 'full');
    const junit = path.join(tmp, 'junit.xml');
    const r = run('run', ...common, '--state', state, '--junit', junit, '--json');
    // Every revision behaves as declared: known bugs where they live, nothing new where the revision is correct.
    expect(r.code).toBe(0);
    const j = lastJson(r.stdout);
    expect(j).toMatchObject({ mode: 'campaign', platform: 'gic-v3-its', revision: 'all', seed: 1, runsPerSeed: 8, shard: null, workers: 0, stopped: false, state });
    expect(j['configurations']).toBeGreaterThan(1);
    expect(j['units']).toBe(j['configurations']);
    const findings = j['findings'] as { status: string; known: string | null; signature: string; repro: string; reproduce: string; revisionCorrect: boolean }[];
    expect(findings.some((f) => f.status === 'known' && f.known === 'its-nvme-realloc-uaf')).toBe(true);
    for (const f of findings) {
      expect(f.status).toBe(f.known !== null ? 'known' : f.revisionCorrect ? 'new' : 'expected');
      expect(fs.existsSync(f.repro)).toBe(true);
    }
    expect(findings.some((f) => f.status === 'new')).toBe(false);
    expect(j).toMatchObject({ newFindings: 0, lostKnownBugs: [], writeErrors: [], exitCode: 0 });
    const replays = j['knownBugReplays'] as { id: string; reproduced: boolean }[];
    expect(replays.map((k) => k.id)).toContain('its-nvme-realloc-uaf');
    expect(replays.every((k) => k.reproduced)).toBe(true);
    const cov = j['coverage'] as { commands: Record<string, number>; states: Record<string, number>; unreached: string[] };
    expect(cov.commands['pci_alloc_irq_vectors']).toBeGreaterThan(0);
    expect(Object.keys(cov.states)).toEqual(expect.arrayContaining(['error-return', 'shared-requester-id', 'domain-switch']));
    const xml = fs.readFileSync(junit, 'utf8');
    expect(xml).toContain('<testsuites name="msi-fuzz"');
    expect(xml).toContain('name="gic-v3-its@prepare-before-its-teardown"');
  });

  test('merge of shard 1/2 and 2/2 gives the unsharded findings over weighted rounds; --into writes a state directory and its report', () => {
    // Two rounds: the second is weighted by what the first found, per configuration, so shards (by configuration) agree with the whole.
    const two = [...common.slice(0, 4), '--seeds', '2', ...common.slice(6)];
    const full = lastJson(run('run', ...two, '--json').stdout);
    expect(full['weighting']).toBe('found-less');
    expect(full['units']).toBeGreaterThan(2 * (full['configurations'] as number));
    for (const k of [1, 2]) run('run', ...two, '--shard', `${k}/2`, '--state', path.join(tmp, `s${k}`), '--json');
    const into = path.join(tmp, 'merged');
    const m = run('merge', path.join(tmp, 's1'), path.join(tmp, 's2'), '--into', into, '--json');
    const j = lastJson(m.stdout);
    expect(j).toMatchObject({ mode: 'merge', samePlan: true, units: full['units'], runs: full['runs'], commands: full['commands'] });
    const sig = (x: Record<string, unknown>): string[] => (x['findings'] as { signature: string; length: number }[]).map((f) => `${f.signature}:${f.length}`).sort();
    expect(sig(j)).toEqual(sig(full));
    expect(fs.existsSync(path.join(into, 'plan.json'))).toBe(true);
    expect(j['html']).toBe(path.join(into, 'report.html'));
    expect(fs.readFileSync(path.join(into, 'report.html'), 'utf8')).toContain('<table id="findings">');
  });

  test('bad campaign flags: one line naming the flag, exit 2', () => {
    for (const [args, flag] of [
      [['run', '--platform', 'all', '--shard', '3/2'], '--shard'],
      [['run', '--platform', 'all', '--workers', 'many'], '--workers'],
      [['run', '--platform', 'all', '--runs', '5'], '--runs'],
      [['run', '--platform', 'gic-v3-its', '--revision', 'v6.18', '--shard', '1/2'], '--shard'],
      [['run', '--platform', 'x86-noir', '--runs', '5', '--hunt', 'no_such_command'], '--hunt'],
      [['run', '--resume'], '--resume'],
      [['merge', path.join(tmp, 'nothing-here')], 'merge'],
    ] as const) {
      const r = run(...args);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(flag);
    }
  });
});
