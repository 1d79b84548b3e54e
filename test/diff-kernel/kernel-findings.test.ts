// The kernel findings kept as repros (shrink-reports/kernel/): the model predicts what the
// real kernel printed, and the trace law names the finding. With a provisioned 7.2 kernel
// the real kernel replays it too (skipped without one, unless MSI_FUZZ_REQUIRE_KERNEL=1).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { modelTrace } from '../../models/platforms/kunit-fake/machine';
import { findKunitFakeRevision } from '../../models/platforms/kunit-fake/revisions';
import { checkLaws } from '../../src/diff-kernel/laws';
import { readKernelRepro } from '../../src/diff-kernel/repro';
import { diffTarget, runSequence } from '../../src/diff-kernel/differential';
import { cacheDir } from '../../src/kernel/paths';
import { readRecord } from '../../src/kernel/record';
import { provisionedKernel } from '../../src/kernel/provision';
import { resolveRevision } from '../../src/revision';
import { KUNIT_FAKE_REVISIONS } from '../../models/platforms/kunit-fake/revisions';

const file = path.join(__dirname, '..', '..', 'shrink-reports', 'kernel', 'pci-msix-free-irq-on-msi-oops.repro');

describe('pci_msix_free_irq() on an MSI function, then pci_free_irq_vectors()', () => {
  const repro = readKernelRepro(file);

  test.each(['kernel-6.12', 'kernel-7.2'])('the model at %s warns in pci_msi_shutdown() and oopses on the next line', (rev) => {
    const trace = modelTrace(findKunitFakeRevision(rev)?.patches ?? [], repro.ops);
    expect(trace.slice(-2)).toEqual(['WARN pci_msi_shutdown', 'OOPS']);
    expect(checkLaws(trace).map((v) => v.law)).toEqual(['no-oops']);
  });

  const latest = readRecord(cacheDir(), 'latest');
  (latest !== null ? test : test.skip)('the real 7.2 kernel prints the same trace, and the law names the finding', async () => {
    const rec = await provisionedKernel('latest', { cache: cacheDir(), jobs: 2 });
    const t = diffTarget(rec, resolveRevision({ name: 'kunit-fake', revisions: KUNIT_FAKE_REVISIONS, currentRevision: 'kernel-7.2', patches: [] }, repro.model));
    const r = await runSequence(t, repro.ops);
    expect(r.divergence).toBeNull();
    expect(checkLaws(r.kernel).map((v) => v.law)).toEqual(['no-oops']);
  }, 600_000);

  test('the repro says what the kernel does wrong, with the lines', () => {
    const text = fs.readFileSync(file, 'utf8');
    expect(text).toContain('# finding: no-oops');
    expect(text).toContain('# evidence: drivers/pci/msi/api.c');
  });
});
