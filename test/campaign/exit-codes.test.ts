// The exit code a job array reads: 1 only for a new finding (at a revision declared correct and
// not a known bug) or a known bug whose golden repro stopped failing; a failure at a revision
// declared known-bad is 'expected', reported with its status but not counted.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findingStatus } from '../../src/engine/finding-status';
import { replayKnownBugs } from '../../src/engine/known-replay';
import { planConfigs } from '../../src/engine/plan';
import { junitXml } from '../../src/cli/junit';
import { GOLDEN_DIR } from '../../src/known-bugs';
import { lastJson, root, run } from '../cli-helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'msi-fuzz-exit-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('exit codes', () => {
  test('status: known wins, then the revision decides between new and expected', () => {
    expect(findingStatus({ known: 'x', revisionCorrect: true })).toBe('known');
    expect(findingStatus({ known: 'x', revisionCorrect: false })).toBe('known');
    expect(findingStatus({ known: null, revisionCorrect: true })).toBe('new');
    expect(findingStatus({ known: null, revisionCorrect: false })).toBe('expected');
  });

  test('merge of a state with a finding made new (correct revision, no known bug) exits 1; made expected, 0', () => {
    const dir = path.join(tmp, 'state');
    const r = run('run', '--platform', 'gic-v3-its', '--revision', 'prepare-before-its-teardown', '--seeds', '1', '--runs-per-seed', '4', '--state', dir, '--json');
    expect(r.code).toBe(0);
    const file = path.join(dir, 'state.json');
    const state = JSON.parse(fs.readFileSync(file, 'utf8')) as { findings: { known: string | null; revisionCorrect: boolean }[] };
    const f = state.findings[0];
    if (f === undefined) throw new Error('the campaign found nothing');
    f.known = null;
    f.revisionCorrect = true;
    fs.writeFileSync(file, JSON.stringify(state));
    const fresh = run('merge', dir, '--json');
    expect(fresh.code).toBe(1);
    expect(lastJson(fresh.stdout)).toMatchObject({ newFindings: 1, exitCode: 1, findings: [expect.objectContaining({ status: 'new' })] });
    f.revisionCorrect = false;
    fs.writeFileSync(file, JSON.stringify(state));
    const expected = run('merge', dir);
    expect(expected.code).toBe(0);
    expect(expected.stdout).toMatch(/^expected no-use-after-free on gic-v3-its@prepare-before-its-teardown .*\[revision known bad\]$/m);
    expect(expected.stdout).toContain('summary: 0 new, 0 known, 1 expected at known-bad revisions');
  });

  test('a known bug whose golden repro no longer fails is lost', () => {
    const configs = planConfigs('gic-v3-its', 'all');
    const all = replayKnownBugs(configs, path.join(root, GOLDEN_DIR));
    expect(all?.length).toBeGreaterThan(3);
    expect(all?.every((k) => k.reproduced)).toBe(true);
    // The nvme golden without its last command (the second allocation) runs clean.
    const dir = path.join(tmp, 'golden');
    fs.cpSync(path.join(root, GOLDEN_DIR), dir, { recursive: true });
    const file = path.join(dir, 'its-nvme-realloc-uaf.repro');
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    const last = lines.map((l) => l.startsWith('pci_alloc_irq_vectors')).lastIndexOf(true);
    fs.writeFileSync(file, lines.filter((_, i) => i !== last).join('\n'));
    const lost = (replayKnownBugs(configs, dir) ?? []).filter((k) => !k.reproduced);
    expect(lost).toEqual([expect.objectContaining({ id: 'its-nvme-realloc-uaf', instead: 'runs clean' })]);
    expect(replayKnownBugs(configs, null)).toBeNull();
  });

  test('JUnit fails a configuration for a new finding or a lost known bug only', () => {
    const f = (status: 'new' | 'known' | 'expected') => ({ status, invariant: 'inv', known: status === 'known' ? 'bug' : null, repro: null, reproduce: 'msi-fuzz run ...', length: 3 });
    const xml = junitXml(
      [
        { name: 'a@correct', runs: 1, findings: [f('new')] },
        { name: 'b@bad', runs: 1, findings: [f('expected'), f('known')] },
        { name: 'c@bad', runs: 1, findings: [], lost: [{ id: 'bug', invariant: 'inv', instead: 'runs clean' }] },
      ],
      1000,
    );
    expect(xml).toContain('tests="3" failures="2"');
    expect(xml).toMatch(/name="b@bad">\n      <system-out>1 runs\nexpected: {2}\(inv, 3 commands\) \nknown: bug \(inv, 3 commands\) <\/system-out>/);
    expect(xml).toContain('type="lost-known-bug"');
  });
});
