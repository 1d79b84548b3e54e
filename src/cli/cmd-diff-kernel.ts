// `msi-fuzz diff-kernel`: the model against the real kernel (src/diff-kernel/).
import { SingleBar } from 'cli-progress';
import { KUNIT_FAKE_REVISIONS } from '../../models/platforms/kunit-fake/revisions';
import { defaultJobs } from '../kernel/build';
import { ProvisionError } from '../kernel/exec';
import { cacheDir } from '../kernel/paths';
import { findPin } from '../kernel/pins';
import { provisionedKernel, provisionTree } from '../kernel/provision';
import type { KernelRecord } from '../kernel/record';
import { resolveRevision, RevisionError, type ResolvedRevision } from '../revision';
import { runCampaign, describeTarget, type CampaignReport } from '../diff-kernel/campaign';
import { sideBySide } from '../diff-kernel/compare';
import { diffTarget, runSequence } from '../diff-kernel/differential';
import { checkLaws } from '../diff-kernel/laws';
import { readKernelRepro } from '../diff-kernel/repro';
import { formatOp } from '../diff-kernel/syntax';
import { EXIT_USAGE, UsageError } from './errors';
import { interactive, printJson } from './output';

export interface DiffKernelOptions {
  readonly kernel: string;
  readonly tree?: string;
  readonly revision?: string;
  readonly sequences: number;
  readonly seed: number;
  readonly maxOps: number;
  readonly jobs: number;
  readonly shrinkRuns: number;
  readonly out: string;
  readonly repro?: string;
  readonly cache?: string;
  readonly json: boolean;
}

/** The fake-parent machine as resolveRevision() sees a platform. */
const KUNIT_FAKE = { name: 'kunit-fake', revisions: KUNIT_FAKE_REVISIONS, currentRevision: 'kernel-7.2', patches: [] } as const;

function modelRevision(spec: string, flag: string): ResolvedRevision {
  try {
    return resolveRevision(KUNIT_FAKE, spec);
  } catch (e) {
    if (e instanceof RevisionError) throw new UsageError(`${flag}: ${e.message}`);
    throw e;
  }
}

async function kernelRecord(o: DiffKernelOptions): Promise<KernelRecord> {
  const opts = { cache: cacheDir('--cache', o.cache), jobs: defaultJobs() };
  if (o.tree !== undefined) return (await provisionTree(o.tree, opts)).record;
  if (findPin(o.kernel) === undefined) throw new UsageError(`--kernel: expected 6.12 or latest, got '${o.kernel}'`);
  return provisionedKernel(o.kernel, opts);
}

export async function cmdDiffKernel(o: DiffKernelOptions): Promise<number> {
  let rec: KernelRecord;
  try {
    rec = await kernelRecord(o);
  } catch (e) {
    if (!(e instanceof ProvisionError)) throw e;
    process.stderr.write(`msi-fuzz: diff-kernel: ${e.message}\n`);
    return EXIT_USAGE;
  }
  if (o.repro !== undefined) return replay(rec, o);
  const t = diffTarget(rec, modelRevision(o.revision ?? rec.modelRevision, '--revision'));
  const bar = interactive() ? new SingleBar({ format: 'diff-kernel {bar} {value}/{total} sequences | divergent: {divergent}', stream: process.stderr, clearOnComplete: true }) : null;
  bar?.start(o.sequences, 0, { divergent: 0 });
  const report = await runCampaign(t, {
    sequences: o.sequences,
    seed: o.seed,
    maxOps: o.maxOps,
    jobs: o.jobs,
    shrinkRuns: o.shrinkRuns,
    out: o.out,
    onProgress: (done, divergent) => bar?.update(done, { divergent }),
  });
  bar?.stop();
  printReport(report, describeTarget(t));
  if (o.json) printJson({ ...report, divergences: report.divergences.map((d) => ({ ...d, ops: d.ops.map(formatOp) })), findings: report.findings.map((f) => ({ ...f, ops: f.ops.map(formatOp) })) });
  return report.divergences.length > 0 || report.findings.length > 0 ? 1 : 0;
}

function printReport(r: CampaignReport, target: string): void {
  const w = (s: string): boolean => process.stdout.write(`${s}\n`);
  w(`diff-kernel: kernel ${target} | model ${r.model} | seed ${r.seed}`);
  for (const d of r.divergences) {
    w('');
    w(`DIVERGENCE (${d.count} sequence(s); sequence ${d.sequence} shrunk from ${d.original} to ${d.ops.length} ops in ${d.shrinkRuns} kernel runs)`);
    w(`  first differing trace line ${d.at + 1}: kernel '${d.kernelLine}' / model '${d.modelLine}'`);
    for (const op of d.ops) w(`  ${formatOp(op)}`);
    w(d.traces.split('\n').map((l) => `    ${l}`).join('\n'));
    if (d.file !== null) w(`  repro: ${d.file}`);
  }
  for (const f of r.findings) {
    w('');
    w(`KERNEL FINDING ${f.law}: ${f.statement}`);
    w(`  sequence ${f.sequence}, trace line ${f.line}: ${f.message} (the model agrees with the kernel on every line)`);
    if (f.file !== null) w(`  repro: ${f.file}`);
  }
  const perSeq = r.sequences > 0 ? r.bootMs / r.sequences / 1000 : 0;
  const modelPerSeq = r.sequences > 0 ? r.modelMs / r.sequences : 0;
  w('');
  w(`${r.sequences} sequences (${r.ops} ops): ${r.divergentSequences} divergent (${r.divergences.length} distinct), ${r.findings.length} kernel finding(s)`);
  w(`time per sequence: kernel boot ${perSeq.toFixed(2)} s, model ${modelPerSeq.toFixed(2)} ms; wall ${(r.wallMs / 1000).toFixed(1)} s`);
}

async function replay(rec: KernelRecord, o: DiffKernelOptions): Promise<number> {
  const file = o.repro as string;
  const repro = readKernelRepro(file);
  const t = diffTarget(rec, modelRevision(o.revision ?? repro.model, o.revision !== undefined ? '--revision' : `${file}: model`));
  const r = await runSequence(t, repro.ops);
  const laws = r.divergence === null ? checkLaws(r.kernel) : [];
  process.stdout.write(`diff-kernel: ${file} on kernel ${describeTarget(t)} | model ${t.revision.spec}\n`);
  process.stdout.write(sideBySide(r.kernel, r.model, r.divergence) + '\n');
  if (r.divergence !== null) process.stdout.write(`DIVERGENCE at trace line ${r.divergence.at + 1}\n`);
  else process.stdout.write(`agree (${r.kernel.length} trace lines)\n`);
  for (const v of laws) process.stdout.write(`KERNEL FINDING ${v.law}: line ${v.line}: ${v.message}\n`);
  if (o.json) printJson({ file, kernel: rec.name, kernelVersion: rec.version, model: t.revision.spec, agree: r.divergence === null, divergence: r.divergence, findings: laws, kernelTrace: r.kernel, modelTrace: r.model });
  return r.divergence !== null || laws.length > 0 ? 1 : 0;
}
