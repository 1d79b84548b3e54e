// `diff-kernel`: N random sequences through the real kernel and the model, then every distinct
// divergence shrunk (re-running the real kernel) to a minimal repro with both traces side by
// side. Sequence i of seed S is the same on every run, so a divergence replays from (S, i).
import * as path from 'node:path';
import type { KernelOp } from '../../models/platforms/kunit-fake/ops';
import { describeKernel } from '../kernel/record';
import { sideBySide } from './compare';
import { runSequence, signatureOf, type DiffTarget, type SequenceResult } from './differential';
import { generateSequence } from './generate';
import { guardSequence } from './guards';
import { FakeMachine } from '../../models/platforms/kunit-fake/machine';
import { printKernelRepro } from './repro';
import { shrinkSequence } from './shrink';
import { checkLaws, type LawViolation } from './laws';
import * as fs from 'node:fs';

export interface CampaignOptions {
  readonly sequences: number;
  readonly seed: number;
  readonly maxOps: number;
  /** Concurrent UML boots. */
  readonly jobs: number;
  /** Kernel runs the shrinker may spend per divergence. */
  readonly shrinkRuns: number;
  /** Where repro files go; null: none written. */
  readonly out: string | null;
  readonly onProgress?: (done: number, divergent: number) => void;
}

export interface DivergenceReport {
  readonly signature: string;
  /** Sequences (of this run) that diverged with this signature. */
  readonly count: number;
  readonly sequence: number;
  readonly original: number;
  readonly ops: readonly KernelOp[];
  readonly shrinkRuns: number;
  readonly at: number;
  readonly kernelLine: string;
  readonly modelLine: string;
  readonly traces: string;
  readonly file: string | null;
}

export interface FindingReport extends LawViolation {
  readonly sequence: number;
  readonly ops: readonly KernelOp[];
  readonly file: string | null;
}

export interface CampaignReport {
  readonly kernel: string;
  readonly kernelVersion: string;
  readonly model: string;
  readonly seed: number;
  readonly sequences: number;
  readonly ops: number;
  readonly divergentSequences: number;
  readonly divergences: DivergenceReport[];
  readonly findings: FindingReport[];
  readonly bootMs: number;
  readonly modelMs: number;
  readonly wallMs: number;
}

/** Runs `fn` over 0..n-1 with at most `jobs` at a time; results in index order. */
async function pool<T>(n: number, jobs: number, fn: (i: number) => Promise<T>, each: (i: number, r: T) => void): Promise<T[]> {
  const results = new Array<T>(n);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      const i = next++;
      results[i] = await fn(i);
      each(i, results[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, n)) }, worker));
  return results;
}

function reproName(t: DiffTarget, seed: number, sequence: number, kind: string): string {
  return `kernel-${t.kernel.name}--${t.revision.spec}--${kind}--seed${seed}-seq${sequence}.repro`.replace(/[^A-Za-z0-9._+-]/g, '_');
}

function writeFile(dir: string | null, name: string, text: string): string | null {
  if (dir === null) return null;
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

export async function runCampaign(t: DiffTarget, o: CampaignOptions): Promise<CampaignReport> {
  const t0 = Date.now();
  const seqs: KernelOp[][] = [];
  for (let i = 0; i < o.sequences; i++) seqs.push(generateSequence({ seed: o.seed, index: i, maxOps: o.maxOps, patches: t.revision.patches, pci: t.pci }));
  let divergent = 0;
  let done = 0;
  const results = await pool<SequenceResult>(o.sequences, o.jobs, (i) => runSequence(t, seqs[i] as KernelOp[]), (_i, r) => {
    done++;
    if (r.divergence !== null) divergent++;
    o.onProgress?.(done, divergent);
  });

  const bySig = new Map<string, number[]>();
  const findings: FindingReport[] = [];
  results.forEach((r, i) => {
    const sig = signatureOf(r);
    if (sig !== null) bySig.set(sig, [...(bySig.get(sig) ?? []), i]);
    else {
      // The two sides agree: whatever the trace breaks is the real kernel's doing
      for (const v of checkLaws(r.kernel)) {
        if (findings.some((f) => f.law === v.law)) continue;
        const ops = seqs[i] as KernelOp[];
        const text = printKernelRepro({
          kernel: describeTarget(t),
          model: t.revision.spec,
          ops,
          notes: [`seed: ${o.seed}, sequence: ${i}`, `finding: ${v.law}: ${v.message}`, 'the model agrees with the kernel on every trace line'],
          traces: ['kernel trace:', ...r.kernel].join('\n'),
        });
        findings.push({ ...v, sequence: i, ops, file: writeFile(o.out, reproName(t, o.seed, i, v.law), text) });
      }
    }
  });

  const divergences: DivergenceReport[] = [];
  for (const [sig, idxs] of bySig) {
    const first = idxs[0] as number;
    const original = seqs[first] as KernelOp[];
    const make = (): FakeMachine => new FakeMachine(t.revision.patches);
    const shrunk = await shrinkSequence(original, {
      valid: (ops) => guardSequence(make, ops).ok,
      stillDiverges: async (ops) => {
        const r = await runSequence(t, ops);
        return signatureOf(r) === sig;
      },
      maxRuns: o.shrinkRuns,
    });
    const r = await runSequence(t, shrunk.ops);
    const d = r.divergence ?? (results[first] as SequenceResult).divergence;
    const traces = sideBySide(r.kernel, r.model, r.divergence);
    const text = printKernelRepro({
      kernel: describeTarget(t),
      model: t.revision.spec,
      ops: shrunk.ops,
      notes: [
        `seed: ${o.seed}, sequence: ${first} (shrunk from ${original.length} ops in ${shrunk.runs} kernel runs; ${idxs.length} sequence(s) diverged this way)`,
        `divergence: trace line ${(d?.at ?? 0) + 1}: kernel '${d?.kernel ?? '(end)'}', model '${d?.model ?? '(end)'}'`,
      ],
      traces,
    });
    divergences.push({
      signature: sig,
      count: idxs.length,
      sequence: first,
      original: original.length,
      ops: shrunk.ops,
      shrinkRuns: shrunk.runs,
      at: d?.at ?? 0,
      kernelLine: d?.kernel ?? '(end)',
      modelLine: d?.model ?? '(end)',
      traces,
      file: writeFile(o.out, reproName(t, o.seed, first, 'divergence'), text),
    });
  }
  return {
    kernel: t.kernel.name,
    kernelVersion: describeKernel(t.kernel),
    model: t.revision.spec,
    seed: o.seed,
    sequences: o.sequences,
    ops: seqs.reduce((n, s) => n + s.length, 0),
    divergentSequences: divergent,
    divergences,
    findings,
    bootMs: results.reduce((n, r) => n + r.bootMs, 0),
    modelMs: results.reduce((n, r) => n + r.modelMs, 0),
    wallMs: Date.now() - t0,
  };
}

export function describeTarget(t: DiffTarget): string {
  return `${t.kernel.name} (${describeKernel(t.kernel)})`;
}
