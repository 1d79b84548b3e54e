// The kernel commands at the command line: bad input is one line naming the flag or
// FILE:LINE:COL with exit 2, and export --kunit writes a case from a kernel repro.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { root, run } from '../cli-helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'msi-fuzz-cli-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function oneLine(r: { code: number; stderr: string }, pattern: RegExp): void {
  expect(r.code).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
}

describe('kernel and diff-kernel', () => {
  test('a bad count names its flag', () => {
    oneLine(run('diff-kernel', '--sequences', 'x', '--cache', tmp), /^msi-fuzz: --sequences: expected a whole number, got 'x'$/);
  });

  test('an unknown kernel names its flag', () => {
    oneLine(run('diff-kernel', '--kernel', '5.10', '--cache', tmp), /^msi-fuzz: --kernel: expected 6\.12 or latest, got '5\.10'$/);
    oneLine(run('kernel', '--kernel', '5.10', '--cache', tmp), /^msi-fuzz: --kernel: expected 6\.12, latest or all, got '5\.10'$/);
  });

  test('a kernel that is not provisioned: the command that provisions it', () => {
    oneLine(run('diff-kernel', '--kernel', 'latest', '--cache', tmp), /^msi-fuzz: --kernel latest: not provisioned in .*; run: msi-fuzz kernel --kernel latest$/);
  });

  test('a cache inside the clone is refused', () => {
    oneLine(run('kernel', '--cache', path.join(root, 'kcache')), /^msi-fuzz: --cache: the kernel cache must live outside the clone/);
  });

  test('a bad model revision names its flag', () => {
    const repro = path.join(tmp, 'r.repro');
    fs.writeFileSync(repro, '# msi-fuzz kernel repro\n# model: kernel-7.2\ndev_add(dev0, kunit, its)\n');
    oneLine(run('export', '--kunit', repro, '--revision', 'kernel-9.9'), /^msi-fuzz: --revision: unknown revision 'kernel-9\.9'/);
  });
});

describe('export --kunit', () => {
  test('a kernel repro becomes a KUnit case asserting the model prediction', () => {
    const repro = path.join(tmp, 'ok.repro');
    fs.writeFileSync(
      repro,
      '# msi-fuzz kernel repro\n# model: kernel-7.2\ndev_add(dev0, kunit, its)\nmsi_create_device_irq_domain(dev0, 0, hwsize=2)\nmsi_domain_alloc_irqs_range(dev0, 0, 0, 2)\n',
    );
    const out = path.join(tmp, 'mf_export_ok.c');
    const r = run('export', '--kunit', repro, '--out', out);
    expect(r.code).toBe(0);
    const c = fs.readFileSync(out, 'utf8');
    expect(c).toMatch(/^\/\/ SPDX-License-Identifier: GPL-2\.0\n/);
    expect(c).toContain('KUNIT_EXPECT_EQ(test, mf_domain_create(ctx, 0, 0, 2), 1);');
    // hwsize 2: the range 0..2 is past it
    expect(c).toContain('KUNIT_EXPECT_EQ(test, mf_alloc_range(ctx, 0, 0, 0, 2), -EINVAL);');
    expect(c).toContain('"its.prepare its-IMS-dev0 nvec=2 obj=1 events=2 new",');
    expect(c).not.toContain('"WARN ');
    expect(c).toContain('kunit_test_suite(mf_export_ok_suite);');
  });

  test('a file that is not a kernel repro, and a bad op line, name FILE:LINE:COL', () => {
    const other = path.join(tmp, 'other.repro');
    fs.writeFileSync(other, '# msi-fuzz repro\n# platform: gic-v3-its\n');
    oneLine(run('export', '--kunit', other), /^msi-fuzz: .*other\.repro:1:1: not a kernel repro/);
    const bad = path.join(tmp, 'bad.repro');
    fs.writeFileSync(bad, '# msi-fuzz kernel repro\n# model: kernel-7.2\ndev_add(dev0, kunit, its)\nmsi_domain_alloc_irqs_range(dev0, 0, 0)\n');
    oneLine(run('export', '--kunit', bad), /^msi-fuzz: .*bad\.repro:4:\d+: msi_domain_alloc_irqs_range takes 4 arguments, got 3$/);
    oneLine(run('export', '--kunit', path.join(tmp, 'missing.repro')), /^msi-fuzz: .*missing\.repro: cannot read \(ENOENT\)$/);
  });
});
