// Kernel repro files: the shrunk op sequence of a divergence, with the kernel and model that
// ran it, the first differing trace line, and both traces side by side as comments. The same
// file replays (`diff-kernel --repro FILE`) and exports to KUnit (`export --kunit FILE`).
import * as fs from 'node:fs';
import type { KernelOp } from '../../models/platforms/kunit-fake/ops';
import { UsageError } from '../cli/errors';
import { formatOp, parseOp } from './syntax';

export const KERNEL_REPRO_MAGIC = '# msi-fuzz kernel repro';

export interface KernelRepro {
  /** `latest (linux-source-7.2 7.2.13-1, pinned)`: what ran, as the header says it. */
  readonly kernel: string;
  /** The kunit-fake revision spec the model ran. */
  readonly model: string;
  readonly ops: readonly KernelOp[];
  /** Free-form header lines (seed, sequence, divergence). */
  readonly notes: readonly string[];
  /** The side-by-side traces, printed as a trailing comment block. */
  readonly traces?: string;
}

export function printKernelRepro(r: KernelRepro): string {
  const lines = [KERNEL_REPRO_MAGIC, `# kernel: ${r.kernel}`, `# model: ${r.model}`, ...r.notes.map((n) => `# ${n}`), ...r.ops.map(formatOp)];
  if (r.traces !== undefined) lines.push('#', ...r.traces.split('\n').map((l) => `# ${l}`.trimEnd()));
  return lines.join('\n') + '\n';
}

export function isKernelRepro(text: string): boolean {
  return text.startsWith(KERNEL_REPRO_MAGIC);
}

/** Parses a kernel repro; bad lines are a UsageError naming FILE:LINE:COL. */
export function parseKernelRepro(text: string, file: string): KernelRepro {
  if (!isKernelRepro(text)) throw new UsageError(`${file}:1:1: not a kernel repro (expected '${KERNEL_REPRO_MAGIC}')`);
  let kernel = '';
  let model = '';
  const notes: string[] = [];
  const ops: KernelOp[] = [];
  let inTraces = false;
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') return;
    if (line.startsWith('#')) {
      const m = /^#\s*([a-z-]+):\s*(.*)$/.exec(line);
      if (line.trim() === '#' && ops.length > 0) inTraces = true;
      if (inTraces || m === null) return;
      if (m[1] === 'kernel') kernel = m[2] as string;
      else if (m[1] === 'model') model = (m[2] as string).trim();
      else notes.push(`${m[1]}: ${m[2]}`);
      return;
    }
    const code = line.replace(/\s+#.*$/, '');
    ops.push(parseOp(code, { file, line: i + 1 }));
  });
  if (model === '') throw new UsageError(`${file}:1:1: no '# model: <revision>' header`);
  return { kernel, model, notes, ops };
}

export function readKernelRepro(file: string): KernelRepro {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return parseKernelRepro(text, file);
}
