// Records real-kernel traces for kernel-traces.test.ts: sequences of one seed run on a
// provisioned kernel, kept only where the model agreed when they were recorded. The test then
// checks, without any kernel, that the model still prints exactly what the kernel printed.
// Run: npx ts-node test/diff-kernel/record-fixtures.ts <6.12|latest> <seed> <count>
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cacheDir } from '../../src/kernel/paths';
import { describeKernel } from '../../src/kernel/record';
import { provisionedKernel } from '../../src/kernel/provision';
import { diffTarget, runSequence } from '../../src/diff-kernel/differential';
import { generateSequence } from '../../src/diff-kernel/generate';
import { formatOp } from '../../src/diff-kernel/syntax';
import { resolveRevision } from '../../src/revision';
import { KUNIT_FAKE_REVISIONS } from '../../models/platforms/kunit-fake/revisions';

export interface TraceFixture {
  readonly kernel: string;
  readonly version: string;
  readonly model: string;
  readonly seed: number;
  readonly recorded: string;
  readonly sequences: { readonly index: number; readonly ops: string[]; readonly trace: string[] }[];
}

async function main(): Promise<void> {
  const [name = 'latest', seedText = '100', countText = '25'] = process.argv.slice(2);
  // Brought up to date with the suite first (an incremental build when kunit/ changed)
  const rec = await provisionedKernel(name, { cache: cacheDir(), jobs: 2 });
  const revision = resolveRevision({ name: 'kunit-fake', revisions: KUNIT_FAKE_REVISIONS, currentRevision: 'kernel-7.2', patches: [] }, rec.modelRevision);
  const t = diffTarget(rec, revision);
  const seed = Number(seedText);
  const sequences: TraceFixture['sequences'][number][] = [];
  for (let i = 0; sequences.length < Number(countText) && i < 10 * Number(countText); i++) {
    const ops = generateSequence({ seed, index: i, maxOps: 24, patches: revision.patches, pci: t.pci });
    const r = await runSequence(t, ops);
    if (r.divergence === null && r.kernelComplete) sequences.push({ index: i, ops: ops.map(formatOp), trace: r.kernel });
  }
  const fixture: TraceFixture = { kernel: name, version: describeKernel(rec), model: revision.spec, seed, recorded: new Date().toISOString().slice(0, 10), sequences };
  const file = path.join(__dirname, 'fixtures', `kernel-traces-${name}.json`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(fixture, null, 1) + '\n');
  process.stdout.write(`${file}: ${sequences.length} sequences\n`);
}

void main();
