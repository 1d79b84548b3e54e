// Kernel provisioning without a network or a build: the pin/fallback rules against a stand-in
// archive, the cache kept out of the clone, the suite installed idempotently into a tree, the
// model revision chosen by kernel version, and the private apt configuration.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveVersion } from '../../src/kernel/resolve';
import { findPin, KERNEL_PINS } from '../../src/kernel/pins';
import { cacheDir, projectRoot } from '../../src/kernel/paths';
import { installSuite, suiteHash, SUITE_DIR_IN_TREE } from '../../src/kernel/suite';
import { modelRevisionForVersion } from '../../src/kernel/tree-version';
import { PrivateApt } from '../../src/kernel/apt';
import { ProvisionError } from '../../src/kernel/exec';
import { UsageError } from '../../src/cli/errors';
import { findKunitFakeRevision } from '../../models/platforms/kunit-fake/revisions';

const latest = findPin('latest');

function archive(versions: string[], series: string[] = []): { versions: () => string[]; kernelSeries: () => string[] } {
  return { versions: () => versions, kernelSeries: () => series };
}

describe('pins and fallback', () => {
  test('the pin is used while the archive has it, with no notice', () => {
    if (latest === undefined) throw new Error('no latest pin');
    expect(resolveVersion(archive(['7.2.14-1', latest.version]), latest)).toEqual({ version: latest.version, notice: null });
  });

  test('without the pin, the newest of the series, with a notice naming both and the model revision', () => {
    if (latest === undefined) throw new Error('no latest pin');
    const r = resolveVersion(archive(['7.2.15-1', '7.2.14-1']), latest);
    expect(r.version).toBe('7.2.15-1');
    expect(r.notice).toContain(latest.version);
    expect(r.notice).toContain('7.2.15-1');
    expect(r.notice).toContain(latest.modelRevision);
  });

  test('a series gone from the archive is an error that says how to move the pin', () => {
    if (latest === undefined) throw new Error('no latest pin');
    expect(() => resolveVersion(archive([], ['linux-source-7.3']), latest)).toThrow(ProvisionError);
    expect(() => resolveVersion(archive([], ['linux-source-7.3']), latest)).toThrow(/linux-source-7\.3.*src\/kernel\/pins\.ts/);
  });

  test('every pin names a model revision that exists', () => {
    for (const p of KERNEL_PINS) expect(findKunitFakeRevision(p.modelRevision)?.name).toBe(p.modelRevision);
  });

  test('kernel versions map to the revisions of the lifecycle change', () => {
    expect(modelRevisionForVersion('6.12.118')).toBe('kernel-6.12');
    expect(modelRevisionForVersion('6.16.0-rc2')).toBe('kernel-6.16');
    expect(modelRevisionForVersion('6.18.1')).toBe('kernel-7.2');
    expect(modelRevisionForVersion('7.2.13')).toBe('kernel-7.2');
    expect(modelRevisionForVersion('6.6.30')).toBeNull();
  });
});

describe('the cache', () => {
  test('a cache inside the clone is refused, naming the flag', () => {
    expect(() => cacheDir('--cache', path.join(projectRoot(), 'kcache'))).toThrow(UsageError);
    expect(() => cacheDir('--cache', path.join(projectRoot(), 'kcache'))).toThrow(/^--cache: the kernel cache must live outside the clone/);
  });

  test('the default is ~/.cache/msi-fuzz, or $MSI_FUZZ_CACHE', () => {
    const saved = process.env['MSI_FUZZ_CACHE'];
    delete process.env['MSI_FUZZ_CACHE'];
    const xdg = process.env['XDG_CACHE_HOME'];
    delete process.env['XDG_CACHE_HOME'];
    try {
      expect(cacheDir()).toBe(path.join(os.homedir(), '.cache', 'msi-fuzz'));
      process.env['MSI_FUZZ_CACHE'] = '/tmp/elsewhere';
      expect(cacheDir()).toBe('/tmp/elsewhere');
    } finally {
      if (saved === undefined) delete process.env['MSI_FUZZ_CACHE'];
      else process.env['MSI_FUZZ_CACHE'] = saved;
      if (xdg !== undefined) process.env['XDG_CACHE_HOME'] = xdg;
    }
  });
});

describe('installing the suite into a tree', () => {
  test('three things change, once: the suite directory, one Kconfig line, one Makefile line', () => {
    const tree = fs.mkdtempSync(path.join(os.tmpdir(), 'msi-fuzz-tree-'));
    const irqchip = path.join(tree, 'drivers', 'irqchip');
    fs.mkdirSync(irqchip, { recursive: true });
    fs.writeFileSync(path.join(irqchip, 'Kconfig'), 'menu "IRQ chip support"\nconfig FOO\n\tbool\nendmenu\n');
    fs.writeFileSync(path.join(irqchip, 'Makefile'), 'obj-y += foo.o\n');
    try {
      const h1 = installSuite(tree);
      const k1 = fs.readFileSync(path.join(irqchip, 'Kconfig'), 'utf8');
      const m1 = fs.readFileSync(path.join(irqchip, 'Makefile'), 'utf8');
      expect(installSuite(tree)).toBe(h1);
      expect(fs.readFileSync(path.join(irqchip, 'Kconfig'), 'utf8')).toBe(k1);
      expect(fs.readFileSync(path.join(irqchip, 'Makefile'), 'utf8')).toBe(m1);
      expect(h1).toBe(suiteHash());
      expect(k1).toMatch(/source "drivers\/irqchip\/msi-fuzz\/Kconfig"\n\nendmenu\n$/);
      expect(m1).toMatch(/obj-y\t\+= msi-fuzz\/\n$/);
      const files = fs.readdirSync(path.join(tree, SUITE_DIR_IN_TREE)).sort();
      expect(files).toEqual(expect.arrayContaining(['Kconfig', 'Makefile', 'mf.h', 'mf_parent.c', 'mf_replay.c']));
      expect(files).toContain('.kunitconfig');
      for (const f of files.filter((x) => /\.[ch]$/.test(x) || x === 'Kconfig' || x === 'Makefile')) {
        expect(fs.readFileSync(path.join(tree, SUITE_DIR_IN_TREE, f), 'utf8')).toMatch(/^(\/\/|\/\*|#) SPDX-License-Identifier: GPL-2\.0/);
      }
    } finally {
      fs.rmSync(tree, { recursive: true, force: true });
    }
  });
});

describe('the private apt configuration', () => {
  test('apt is pointed at our own sources, lists and cache only', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'msi-fuzz-apt-'));
    try {
      const apt = new PrivateApt(dir);
      apt.configure(KERNEL_PINS);
      const sources = fs.readFileSync(path.join(dir, 'sources.list'), 'utf8');
      expect(sources).toMatch(/^deb \S+\/debian sid main$/m);
      expect(sources).toMatch(/^deb \S+\/debian-security bookworm-security main$/m);
      const o = apt.options().join(' ');
      expect(o).toContain(`Dir::Etc::sourcelist=${path.join(dir, 'sources.list')}`);
      expect(o).toContain('Dir::Etc::sourceparts=-');
      expect(o).toContain(`Dir::State::Lists=${path.join(dir, 'lists')}`);
      expect(o).toContain(`Dir::Cache=${path.join(dir, 'cache')}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
