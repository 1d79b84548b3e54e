// One sequence through both sides: a fresh UML boot of the real kernel and a fresh model
// machine at the matching revision, each printing the same trace vocabulary, compared line by line.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { modelTrace } from '../../models/platforms/kunit-fake/machine';
import type { KernelOp } from '../../models/platforms/kunit-fake/ops';
import type { KernelRecord } from '../kernel/record';
import type { ResolvedRevision } from '../revision';
import { firstDivergence, signature, type Divergence } from './compare';
import { parseConsole, SourceIndex } from './console';
import { bootSequence } from './uml';

export interface DiffTarget {
  readonly kernel: KernelRecord;
  readonly revision: ResolvedRevision;
  readonly source: SourceIndex;
  /** The kernel's UML has in-kernel virtual PCI functions (CONFIG_UML_PCI): PCI ops are generated. */
  readonly pci: boolean;
}

export function diffTarget(kernel: KernelRecord, revision: ResolvedRevision): DiffTarget {
  return { kernel, revision, source: new SourceIndex(kernel.tree), pci: hasUmlPci(kernel) };
}

/** CONFIG_UML_PCI=y in the build's .config: kunit/mf_pci.c is built and the PCI ops run. */
export function hasUmlPci(kernel: KernelRecord): boolean {
  const config = path.join(kernel.build, '.config');
  return fs.existsSync(config) && /^CONFIG_UML_PCI=y$/m.test(fs.readFileSync(config, 'utf8'));
}

export interface SequenceResult {
  readonly kernel: string[];
  readonly model: string[];
  readonly divergence: Divergence | null;
  /** Wall time of the UML boot. */
  readonly bootMs: number;
  readonly modelMs: number;
  /** The boot printed no "done" (it oopsed, hung or died): said in reports. */
  readonly kernelComplete: boolean;
  readonly timedOut: boolean;
}

export async function runSequence(t: DiffTarget, ops: readonly KernelOp[]): Promise<SequenceResult> {
  const boot = await bootSequence(t.kernel.binary, ops);
  const k = parseConsole(boot.console, t.source);
  const m0 = process.hrtime.bigint();
  const model = modelTrace(t.revision.patches, ops);
  const modelMs = Number(process.hrtime.bigint() - m0) / 1e6;
  const kernel = boot.timedOut ? [...k.lines, 'TIMEOUT'] : k.lines;
  return { kernel, model, divergence: firstDivergence(kernel, model), bootMs: boot.ms, modelMs, kernelComplete: k.complete, timedOut: boot.timedOut };
}

/** The divergence's signature, or null when the traces agree. */
export function signatureOf(r: SequenceResult): string | null {
  return r.divergence === null ? null : signature(r.divergence);
}
