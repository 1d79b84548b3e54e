// msi-fuzz replay FILE: re-runs a repro script; exit 1 when a violation reproduces.
import * as fs from 'node:fs';
import { errname } from '../../models/kernel/errno';
import { specOf } from '../commands/vocabulary';
import { formatCommand } from '../commands/spec';
import { runCommands } from '../engine/runner';
import { parseRepro, ReproSyntaxError } from '../repro/parse';
import { EXIT_CLEAN, EXIT_VIOLATION, UsageError } from './errors';
import { printJson } from './output';
import { configFor, platformOrFail } from './setup';

export interface ReplayOptions {
  file: string;
  revision?: string;
  json: boolean;
}

export function cmdReplay(o: ReplayOptions): number {
  let text: string;
  try {
    text = fs.readFileSync(o.file, 'utf8');
  } catch (e) {
    throw new UsageError(`${o.file}:1:1: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let repro;
  try {
    repro = parseRepro(text, o.file);
  } catch (e) {
    if (e instanceof ReproSyntaxError) throw new UsageError(e.message);
    throw e;
  }
  const platform = platformOrFail(`${o.file}: platform`, repro.platform);
  const config = configFor(platform, o.revision ?? repro.revision, repro.faults, o.revision !== undefined ? '--revision' : `${o.file}: revision`);
  const r = runCommands(config, repro.commands);
  if (r.invalidAt !== null) {
    const bad = repro.commands[r.invalidAt];
    throw new UsageError(`${o.file}: command ${r.invalidAt + 1} (${bad === undefined ? '?' : formatCommand(specOf(bad.kind) as never, bad)}) is not something a driver could issue at that point`);
  }
  const v = r.violation;
  const expected = repro.expect === 'clean' ? null : repro.expect.violation;
  if (!o.json) {
    process.stdout.write(`replay ${o.file} on ${platform.name}@${config.revision.spec}\n`);
    r.records.forEach((rec, i) => {
      const ret = rec.outcome?.ret;
      process.stdout.write(`  ${String(i + 1).padStart(2)} ${formatCommand(specOf(rec.command.kind) as never, rec.command)}${ret !== undefined && ret !== null ? ` = ${errname(ret)}` : ''}\n`);
      for (const n of rec.notes) process.stdout.write(`       | ${n}\n`);
    });
    if (v === null) process.stdout.write(`clean: no invariant violated${expected !== null ? ` (expected ${expected})` : ''}\n`);
    else process.stdout.write(`violation at command ${v.step + 1}: ${v.invariant}: ${v.message}${expected !== null && expected !== v.invariant ? ` (expected ${expected})` : ''}\n`);
  } else {
    printJson({ reproduced: v !== null && (expected === null || v.invariant === expected), invariant: v?.invariant ?? null, length: repro.commands.length });
  }
  return v !== null ? EXIT_VIOLATION : EXIT_CLEAN;
}
