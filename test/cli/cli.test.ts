// The CLI as a user and CI see it: exit codes (0 clean, 1 violation, 2 bad input), one-line
// errors naming the flag or FILE:LINE:COL, and --json as the last stdout line.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cli, lastJson, run } from '../cli-helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'msi-fuzz-cli-'));

describe('msi-fuzz CLI', () => {
  beforeAll(() => {
    if (!fs.existsSync(cli)) throw new Error('dist/ is missing: `npm test` builds before jest runs');
  });

  test('list --json describes platforms, patches, revisions, invariants and known bugs', () => {
    const r = run('list', '--json');
    expect(r.code).toBe(0);
    const l = lastJson(r.stdout);
    const bugs = l['knownBugs'] as { id: string; minimalLength: number }[];
    expect(bugs.map((b) => b.id)).toContain('its-nvme-realloc-uaf');
    expect((l['patches'] as { id: string }[]).map((p) => p.id)).toEqual(expect.arrayContaining(['28026cf2dd84', '713335b6ee29', '713335b6ee29-v1', '1396e89e09f0', '03c298760ed9', '7dd20bf2f010', '91daac8a6893']));
    expect((l['platforms'] as { name: string }[]).map((p) => p.name)).toContain('gic-v3-its');
  });

  test('run --known-bug finds the nvme bug, writes a 4-line repro, and replay reproduces it', () => {
    const r = run('run', '--known-bug', 'its-nvme-realloc-uaf', '--seed', '3', '--time', '30s', '--out', tmp, '--json');
    expect(r.code).toBe(1);
    const j = lastJson(r.stdout);
    expect(j).toEqual(expect.objectContaining({ platform: 'gic-v3-its', revision: 'prepare-before-its-teardown', seed: 3 }));
    const v = (j['violations'] as { invariant: string; repro: string; length: number }[])[0];
    expect(v).toEqual(expect.objectContaining({ invariant: 'no-use-after-free', length: 4 }));
    const rep = run('replay', v?.repro ?? '', '--json');
    expect(rep.code).toBe(1);
    expect(lastJson(rep.stdout)).toEqual({ reproduced: true, invariant: 'no-use-after-free', length: 4 });
    const fixed = run('replay', v?.repro ?? '', '--revision', 'v6.18', '--json');
    expect(fixed.code).toBe(0);
    expect(lastJson(fixed.stdout)).toEqual(expect.objectContaining({ reproduced: false, invariant: null }));
  });

  test('run on the current upstream revision is clean (exit 0), known open issues aside', () => {
    const r = run('run', '--platform', 'gic-v3-its', '--runs', '300', '--seed', '5', '--out', tmp, '--json');
    expect(r.code).toBe(0);
    expect(lastJson(r.stdout)).toEqual(expect.objectContaining({ runs: 300, violations: [] }));
  });

  test('the same seed and configuration give the same output, byte for byte', () => {
    const a = run('run', '--platform', 'gic-v3-its', '--revision', 'v6.15', '--runs', '200', '--seed', '9', '--out', tmp);
    const b = run('run', '--platform', 'gic-v3-its', '--revision', 'v6.15', '--runs', '200', '--seed', '9', '--out', tmp);
    const strip = (s: string): string => s.replace(/ in [\d.]+s/, '');
    expect(strip(a.stdout)).toBe(strip(b.stdout));
    expect(a.code).toBe(b.code);
  });

  test.each([
    [['run', '--platform', 'sparc'], /^msi-fuzz: --platform: unknown platform 'sparc'/],
    [['run', '--platform', 'gic-v3-its', '--revision', 'v9.9'], /^msi-fuzz: --revision: unknown revision 'v9.9'/],
    [['run', '--platform', 'gic-v3-its', '--time', 'soon'], /^msi-fuzz: --time: expected a duration/],
    [['run', '--platform', 'gic-v3-its', '--bogus'], /unknown option '--bogus'/],
    [['run', '--known-bug', 'nope'], /^msi-fuzz: --known-bug: unknown bug 'nope'/],
    [['replay', '/nonexistent.repro'], /^msi-fuzz: \/nonexistent.repro:1:1: cannot read/],
  ])('bad input %j: one line, exit 2', (args, pattern) => {
    const r = run(...args);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr.trim()).toMatch(pattern);
  });

  test('a malformed repro names FILE:LINE:COL and exits 2', () => {
    const file = path.join(tmp, 'broken.repro');
    fs.writeFileSync(file, '# platform: gic-v3-its\n# revision: v6.18\npci_alloc_irq_vectors(dev0, 1, two, PCI_IRQ_MSIX)\nexpect clean\n');
    const r = run('replay', file);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`msi-fuzz: ${file}:3:32: pci_alloc_irq_vectors: max_vecs must be a number, got 'two'`);
  });
});
