// Prints a Repro as text.
import { specOf } from '../commands/vocabulary';
import { formatCommand } from '../commands/spec';
import type { Repro } from './repro';

export function printRepro(r: Repro): string {
  const lines: string[] = ['# msi-fuzz repro', `# platform: ${r.platform}`, `# revision: ${r.revision}`];
  if (r.seed !== undefined) lines.push(`# seed: ${r.seed}`);
  lines.push(`# faults: ${r.faults.join(',') || 'none'}`);
  for (const a of r.about ?? []) lines.push(`# ${a}`);
  const calls = r.commands.map((c) => formatCommand(specOf(c.kind) as never, c));
  const width = Math.min(64, Math.max(0, ...calls.map((c) => c.length)));
  calls.forEach((call, i) => {
    const note = r.notes?.[i];
    lines.push(note === undefined ? call : `${call.padEnd(width)}  # ${note}`);
  });
  lines.push(r.expect === 'clean' ? 'expect clean' : `expect violation ${r.expect.violation}`);
  return `${lines.join('\n')}\n`;
}
