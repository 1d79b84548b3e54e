// The differential against a real kernel (UML). These need a provisioned kernel: without one
// they are skipped with a message, unless MSI_FUZZ_REQUIRE_KERNEL=1 (as .ci/run sets after
// provisioning), which turns a missing kernel into a failure.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cacheDir } from '../../src/kernel/paths';
import { readRecord, type KernelRecord } from '../../src/kernel/record';
import { provisionedKernel } from '../../src/kernel/provision';
import { addSuiteFile, SUITE_DIR_IN_TREE } from '../../src/kernel/suite';
import { runCampaign } from '../../src/diff-kernel/campaign';
import { diffTarget } from '../../src/diff-kernel/differential';
import { exportKunit } from '../../src/diff-kernel/export-kunit';
import { parseKernelRepro } from '../../src/diff-kernel/repro';
import { bootKunitSuites } from '../../src/diff-kernel/uml';
import { resolveRevision } from '../../src/revision';
import { KUNIT_FAKE_REVISIONS } from '../../models/platforms/kunit-fake/revisions';

const KUNIT_FAKE = { name: 'kunit-fake', revisions: KUNIT_FAKE_REVISIONS, currentRevision: 'kernel-7.2', patches: [] };
const required = process.env['MSI_FUZZ_REQUIRE_KERNEL'] === '1';
const cache = cacheDir();
const latest = readRecord(cache, 'latest');
const old = readRecord(cache, '6.12');

test('a provisioned kernel is there when CI requires one', () => {
  if (latest === null) {
    const msg = `no provisioned kernel in ${cache}: the real-kernel tests are skipped (run: msi-fuzz kernel --kernel latest)`;
    if (required) throw new Error(msg);
    process.stderr.write(`msi-fuzz tests: ${msg}\n`);
  }
});

const withLatest = latest !== null ? describe : describe.skip;

async function fresh(name: string): Promise<KernelRecord> {
  return provisionedKernel(name, { cache, jobs: 2 });
}

describe('a deliberately wrong model fails the differential with a shrunk sequence', () => {
  const cases = [
    ['latest', 'kernel-6.12', latest],
    ['6.12', 'kernel-7.2', old],
  ] as const;
  for (const [kernel, wrong, rec] of cases) {
    (rec !== null ? test : test.skip)(`kernel ${kernel} against model ${wrong}`, async () => {
      const t = diffTarget(await fresh(kernel), resolveRevision(KUNIT_FAKE, wrong));
      const r = await runCampaign(t, { sequences: 4, seed: 1, maxOps: 24, jobs: 1, shrinkRuns: 80, out: null });
      expect(r.divergences.length).toBeGreaterThan(0);
      const d = r.divergences[0];
      // The lifecycle differs at the first domain creation or allocation: a device, a domain, one allocation at most
      expect(d?.ops.length).toBeLessThanOrEqual(3);
      expect(d?.ops.length).toBeLessThanOrEqual(d?.original ?? 0);
      expect(d?.traces).toContain('≠');
    }, 600_000);
  }
});

withLatest('export --kunit', () => {
  test('an exported case builds and passes in UML, and one with a wrong prediction fails where predicted', async () => {
    const rec = await fresh('latest');
    const text = [
      '# msi-fuzz kernel repro',
      '# model: kernel-7.2',
      'dev_add(dev0, kunit, its-early)',
      'msi_create_device_irq_domain(dev0, 0, hwsize=4)',
      'msi_domain_alloc_irqs_range(dev0, 0, 0, 1)',
      'msi_domain_alloc_irqs_range(dev0, 0, 1, 2)',
      'msi_domain_alloc_irq_at(dev0, 0, MSI_ANY_INDEX)',
      'dev_add(dev1, platform, ps)',
      'platform_device_msi_init_and_alloc_irqs(dev1, 3)',
      'msi_domain_free_irqs_range(dev1, 0, 1, 1)',
      'platform_device_msi_free_irqs_all(dev1)',
      '',
    ].join('\n');
    const repro = parseKernelRepro(text, 'selftest.repro');
    const right = exportKunit({ repro, revision: resolveRevision(KUNIT_FAKE, 'kernel-7.2'), name: 'selftest_right', source: 'selftest.repro' });
    const wrong = exportKunit({ repro, revision: resolveRevision(KUNIT_FAKE, 'kernel-6.12'), name: 'selftest_wrong', source: 'selftest.repro' });
    const files = [addSuiteFile(rec.tree, 'mf_export_selftest_right.c', right), addSuiteFile(rec.tree, 'mf_export_selftest_wrong.c', wrong)];
    try {
      // The new files are not part of the suite's hash: build them explicitly
      const built = await provisionedKernel('latest', { cache, jobs: 2 });
      const { buildKernel } = await import('../../src/kernel/build');
      await buildKernel(built.tree, built.build, { jobs: 2, label: 'build exported cases' });
      const console = await bootKunitSuites(built.binary, 'msi_fuzz_export_selftest_*');
      expect(console).toMatch(/^\s*ok 1 selftest_right$/m);
      expect(console).toMatch(/^\s*not ok 1 selftest_wrong$/m);
      // The wrong prediction fails at the creation prepare, which 6.12's core would not make
      expect(console).toMatch(/model predicted/);
    } finally {
      for (const f of files) fs.rmSync(f, { force: true });
    }
    expect(fs.existsSync(path.join(rec.tree, SUITE_DIR_IN_TREE, 'mf_export_selftest_right.c'))).toBe(false);
  }, 1_800_000);
});
