// Re-runs a command list to annotate each line with what the kernel answered (return value,
// the first kernel report of that step), so the repro reads like a boot log.
import { errname } from '../../models/kernel/errno';
import type { Command } from '../commands/command';
import { runCommands } from '../engine/runner';
import type { SimulationConfig } from '../sim/simulation';

export function annotate(config: SimulationConfig, commands: readonly Command[]): { notes: (string | undefined)[]; found: string | null } {
  const r = runCommands(config, commands);
  const notes = commands.map((_c, i): string | undefined => {
    const rec = r.records[i];
    if (rec === undefined) return undefined;
    const report = r.sim.kernel.reports.slice(rec.firstReport).find((x) => x.step === rec.step);
    const ret = rec.outcome?.ret;
    const parts: string[] = [];
    if (ret !== undefined && ret !== null) parts.push(`-> ${errname(ret)}`);
    for (const n of rec.notes) parts.push(n);
    if (report !== undefined) parts.push(`${report.kind}: ${report.site}: ${report.message}`);
    return parts.length > 0 ? parts.join('; ') : undefined;
  });
  const v = r.violation;
  return { notes, found: v === null ? null : `step ${v.step + 1}: ${v.message}` };
}
