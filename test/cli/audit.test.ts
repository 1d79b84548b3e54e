// Bad paths, bad files and bad numbers, as a new user meets them: each is one line on stderr
// naming the flag or the file (and field, or LINE:COL), exit 2, before any work, no hang and no
// stack trace. A write that fails at the end anyway (a full disk, injected with
// MSI_FUZZ_FAIL_WRITE) still prints the summary and the --json line, and exits 3.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cli, lastJson, root } from '../cli-helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'msi-fuzz-audit-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const aFile = path.join(tmp, 'a-file');
fs.writeFileSync(aFile, 'not a directory\n');

/** The CLI with a time limit: a hang fails the test instead of stalling it. */
function run(args: readonly string[], env: Record<string, string> = {}): { code: number | null; signal: string | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', timeout: 60_000, env: { ...process.env, CI: 'true', ...env } });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Exit 2, nothing on stdout, one line on stderr that matches, no stack trace. */
function refused(args: readonly string[], pattern: RegExp, env: Record<string, string> = {}): void {
  const r = run(args, env);
  expect({ args, signal: r.signal, code: r.code, stdout: r.stdout, lines: r.stderr.trim().split('\n').length }).toEqual({ args, signal: null, code: 2, stdout: '', lines: 1 });
  expect(r.stderr.trim()).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at |Error:/);
  expect(r.stderr.length).toBeLessThan(400);
}

const campaign = ['run', '--platform', 'gic-v3-its', '--revision', 'v6.18', '--seeds', '1', '--runs-per-seed', '3'];

describe('output paths are checked before any work', () => {
  test.each([
    ['--html at a directory', ['--html', tmp], /^msi-fuzz: --html: .* is a directory, expected a file name$/],
    ['--html under a file', ['--html', path.join(aFile, 'report.html')], /^msi-fuzz: --html: .*a part of this path is a file/],
    ['--html under /sys', ['--html', '/sys/report.html'], /^msi-fuzz: --html: \/sys\/report.html is under \/sys/],
    ['--junit in a directory that is a file', ['--junit', path.join(aFile, 'junit.xml')], /^msi-fuzz: --junit: /],
    ['--junit under /proc', ['--junit', '/proc/junit.xml'], /^msi-fuzz: --junit: \/proc\/junit.xml is under \/proc/],
    ['--state at a file', ['--state', aFile], /^msi-fuzz: --state: .* is a file, expected a directory$/],
    ['--state under /proc', ['--state', '/proc/msi-fuzz-state'], /^msi-fuzz: --state: .* is under \/proc/],
    ['--out under /proc', ['--out', '/proc/self/x'], /^msi-fuzz: --out: .* is under \/proc/],
    ['--out under /dev', ['--out', '/dev/shm-not/x'], /^msi-fuzz: --out: .* is under \/dev/],
  ])('%s: one line naming the flag, exit 2', (_what, flags, pattern) => {
    refused([...campaign, ...flags], pattern);
  });

  test('nothing is written when a later flag is refused (the state directory is not even made)', () => {
    const state = path.join(tmp, 'never');
    refused([...campaign, '--state', state, '--html', tmp], /--html/);
    expect(fs.existsSync(state)).toBe(false);
  });

  test('run and fuzz check --out too', () => {
    refused(['run', '--platform', 'gic-v3-its', '--runs', '1', '--out', aFile], /^msi-fuzz: --out: .* is a file, expected a directory$/);
    refused(['fuzz', '--time', '1s', '--out', '/proc/x'], /^msi-fuzz: --out: .* is under \/proc/);
  });

  test('merge --into and its directories', () => {
    refused(['merge', aFile], /^msi-fuzz: merge: .* is not a directory$/);
    refused(['merge', tmp], /^msi-fuzz: merge: .* is not a state directory \(no plan.json\)$/);
    refused(['merge', '/proc/self'], /^msi-fuzz: merge: /);
  });

  test('--workers above the CPUs of the machine is refused', () => {
    const cpus = os.availableParallelism();
    refused(['run', '--platform', 'all', '--workers', String(cpus + 1)], new RegExp(`^msi-fuzz: --workers: ${cpus + 1} is more than the ${cpus} CPU`));
  });
});

describe('inputs that are not regular files, or too large, are refused', () => {
  test('replay /dev/zero', () => refused(['replay', '/dev/zero'], /^msi-fuzz: \/dev\/zero:1:1: cannot read: a character device, not a regular file$/));

  test('replay of a FIFO does not block', () => {
    const fifo = path.join(tmp, 'fifo');
    const mk = spawnSync('mkfifo', [fifo]);
    expect(mk.status).toBe(0);
    refused(['replay', fifo], /:1:1: cannot read: a FIFO, not a regular file$/);
  });

  test('replay of a directory', () => refused(['replay', tmp], /:1:1: cannot read: (EISDIR|a directory, not a regular file)$/));

  test('replay of a 400 KB file', () => {
    const big = path.join(tmp, 'big.repro');
    fs.writeFileSync(big, `# platform: gic-v3-its\n# revision: v6.18\n${'x'.repeat(400_000)}\nexpect clean\n`);
    refused(['replay', big], /:1:1: cannot read: \d+ bytes, more than the limit of 256 KiB$/);
  });

  test('a repro line of 200 KB is echoed as a short prefix', () => {
    const long = path.join(tmp, 'long.repro');
    fs.writeFileSync(long, `# platform: gic-v3-its\n# revision: v6.18\npci_free_irq_vectors(${'D'.repeat(200_000)})\nexpect clean\n`);
    refused(['replay', long], /^msi-fuzz: .*long.repro:3:22: pci_free_irq_vectors: expected a device name like dev0, got 'D{40}\.\.\.'$/);
    fs.writeFileSync(long, `# platform: gic-v3-its\n# revision: v6.18\npci_free_irq_vectors(${'d'.repeat(200_000)})\nexpect clean\n`);
    refused(['replay', long], /^msi-fuzz: .*long.repro:3:1: pci_free_irq_vectors: no device d{40}\.\.\. \(never added, or removed\)$/);
    fs.writeFileSync(long, `# platform: ${'p'.repeat(100_000)}\n# revision: v6.18\npci_free_irq_vectors(dev0)\nexpect clean\n`);
    refused(['replay', long], /^msi-fuzz: .*long.repro:1:13: unknown platform 'p{40}\.\.\.' \(known: /);
  });
});

describe('numbers and a bare command line', () => {
  test.each([
    [['run', '--platform', 'gic-v3-its', '--seed', '99999999999999999999'], /^msi-fuzz: --seed: '99999999999999999999' is too large \(at most \d+\)$/],
    [['run', '--platform', 'gic-v3-its', '--max-steps', '100000'], /^msi-fuzz: --max-steps: '100000' is too large \(at most 10000\)$/],
    [['run', '--platform', 'gic-v3-its', '--time', '0'], /^msi-fuzz: --time: must be more than 0/],
    [['run', '--platform', 'gic-v3-its', '--time', '0.0001ms'], /^msi-fuzz: --time: must be more than 0/],
    [['run', '--platform', 'gic-v3-its', '--time', '99999999h'], /^msi-fuzz: --time: '99999999h' is too large/],
    [['run', '--platform', 'all', '--seeds', '0'], /^msi-fuzz: --seeds: must be at least 1/],
    [['run', '--platform', 'gic-v3-its', '--runs', '5', '--faults', `${'z'.repeat(5000)}`], /^msi-fuzz: --faults: unknown fault class 'z{40}\.\.\.'/],
    [['run', '--platform', `${'q'.repeat(5000)}`], /^msi-fuzz: --platform: unknown platform 'q{40}\.\.\.'/],
  ])('%#: a bad number or name is refused in one short line', (args, pattern) => refused(args, pattern));

  test('msi-fuzz alone prints the whole help (every command, the exit codes) on stderr and exits 2', () => {
    const r = run([]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    for (const c of ['list', 'run', 'merge', 'replay', 'fuzz', 'help']) expect(r.stderr).toMatch(new RegExp(`^  ${c} `, 'm'));
    expect(r.stderr).toContain('Exit codes: 0 clean; 1 ');
    expect(r.stderr).toContain('--version');
  });

  test('--version prints the package version; --help exits 0', () => {
    const v = run(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toBe((JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version);
    const h = run(['--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain('Exit codes');
  });
});

describe('a write that fails at the end', () => {
  test('the summary and the --json line still print; the failed files are named; exit 3', () => {
    const state = path.join(tmp, 'full-disk');
    const r = run([...campaign, '--state', state, '--json'], { MSI_FUZZ_FAIL_WRITE: 'report.html' });
    expect(r.code).toBe(3);
    const j = lastJson(r.stdout);
    expect(j).toMatchObject({ mode: 'campaign', units: 1, html: null, exitCode: 3, writeErrors: [`cannot write ${path.resolve(state, 'report.html')} (ENOSPC)`] });
    expect(r.stderr.trim().split('\n')).toEqual([`msi-fuzz: cannot write ${path.resolve(state, 'report.html')} (ENOSPC)`]);
    // The state itself was written: the campaign can be resumed or merged.
    expect(fs.existsSync(path.join(state, 'state.json'))).toBe(true);
  });

  test('a state directory that cannot be committed: dispatching stops, the text summary still prints, exit 3', () => {
    const state = path.join(tmp, 'full-disk-state');
    const r = run([...campaign, '--state', state], { MSI_FUZZ_FAIL_WRITE: 'state.json' });
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('msi-fuzz campaign: 1 configuration(s)');
    expect(r.stdout).toMatch(/^summary: /m);
    expect(r.stdout).toMatch(/^NOT WRITTEN: cannot write .*state.json \(ENOSPC\)/m);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  test('run: a repro that cannot be written is printed on stderr, exit 3', () => {
    const r = run(['run', '--known-bug', 'its-nvme-realloc-uaf', '--seed', '3', '--runs', '50', '--out', path.join(tmp, 'out'), '--json'], { MSI_FUZZ_FAIL_WRITE: '*' });
    expect(r.code).toBe(3);
    expect(lastJson(r.stdout)).toMatchObject({ violations: [{ invariant: 'no-use-after-free', repro: null }] });
    expect(r.stderr).toMatch(/^msi-fuzz: cannot write .* \(ENOSPC\); the repro follows:\n# msi-fuzz repro\n/);
  });
});
