// Comparing the kernel's trace with the model's: the first line where they differ, and both
// traces side by side around it for the report.

export interface Divergence {
  /** Index of the first differing line (equal up to there). */
  readonly at: number;
  readonly kernel: string | undefined;
  readonly model: string | undefined;
}

export function firstDivergence(kernel: readonly string[], model: readonly string[]): Divergence | null {
  const n = Math.max(kernel.length, model.length);
  for (let i = 0; i < n; i++) {
    if (kernel[i] !== model[i]) return { at: i, kernel: kernel[i], model: model[i] };
  }
  return null;
}

/** A divergence's identity for shrinking and counting: the two lines with their numbers blurred. */
export function signature(d: Divergence): string {
  const blur = (s: string | undefined): string => (s === undefined ? '(end)' : s.replace(/\d+/g, '#'));
  return `${blur(d.kernel)} <> ${blur(d.model)}`;
}

/** Both traces in two columns, the differing line marked; every line, or `context` around the divergence. */
export function sideBySide(kernel: readonly string[], model: readonly string[], d: Divergence | null, context = Infinity): string {
  const n = Math.max(kernel.length, model.length);
  const from = d === null || context === Infinity ? 0 : Math.max(0, d.at - context);
  const to = d === null || context === Infinity ? n : Math.min(n, d.at + context + 1);
  const width = Math.min(70, Math.max(12, ...kernel.slice(from, to).map((l) => l.length)));
  const out = [`${'kernel'.padEnd(width)}   model`];
  for (let i = from; i < to; i++) {
    const k = kernel[i] ?? '';
    const m = model[i] ?? '';
    const mark = k === m ? ' ' : '≠';
    out.push(`${(k.length > width ? k.slice(0, width - 1) + '…' : k).padEnd(width)} ${mark} ${m}`);
  }
  return out.join('\n');
}
