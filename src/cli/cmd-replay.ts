// msi-fuzz replay FILE: re-runs a repro script; exit 1 when a violation reproduces. Whatever is
// wrong with the file is one line at its FILE:LINE:COL: it cannot be read (not a regular file,
// over the size limit), a syntax error, an unknown platform, revision or invariant in it, or a
// command a driver could not issue at that point (with the rule it breaks).
import { errname } from '../../models/kernel/errno';
import { specOf } from '../commands/vocabulary';
import { formatCommand } from '../commands/spec';
import { InputError, LIMITS, readBounded } from '../engine/files';
import { runCommands, type RunResult } from '../engine/runner';
import { findInvariant } from '../invariants/registry';
import { allPlatforms, findPlatform } from '../platforms';
import { parseRepro, ReproSyntaxError } from '../repro/parse';
import type { Loc, Repro } from '../repro/repro';
import { resolveRevision, RevisionError, type ResolvedRevision } from '../revision';
import type { SimulationConfig } from '../sim/simulation';
import { clip, EXIT_CLEAN, EXIT_VIOLATION, UsageError } from './errors';
import { printJson } from './output';

export interface ReplayOptions {
  file: string;
  revision?: string;
  json: boolean;
}

const at = (file: string, l: Loc | undefined): string => `${file}:${l?.line ?? 1}:${l?.col ?? 1}`;

/** Reads a repro file (a regular file within LIMITS.repro), or a UsageError at FILE:1:1. */
export function readRepro(file: string): string {
  try {
    return readBounded(file, LIMITS.repro, 'cannot read');
  } catch (e) {
    if (e instanceof InputError) throw new UsageError(`${file}:1:1: ${e.message.slice(file.length + 2)}`);
    throw e;
  }
}

/**
 * Parses a repro and runs it: the result, or a UsageError at FILE:LINE:COL for whatever is wrong
 * (syntax, an unknown platform, revision or invariant, a command invalid where it stands).
 */
export function replayText(text: string, file: string, revisionFlag?: string): { repro: Repro; config: SimulationConfig; run: RunResult } {
  const { repro, config } = checkRepro(text, file, revisionFlag);
  const run = runCommands(config, repro.commands);
  if (run.invalidAt !== null) {
    const bad = repro.commands[run.invalidAt];
    throw new UsageError(`${at(file, repro.where?.commands[run.invalidAt])}: ${bad?.kind ?? 'command'}: ${clip(run.invalidWhy ?? 'not something a driver could issue at that point', 200)}`);
  }
  return { repro, config, run };
}

function checkRepro(text: string, file: string, revisionFlag?: string): { repro: Repro; config: SimulationConfig } {
  let repro: Repro;
  try {
    repro = parseRepro(text, file);
  } catch (e) {
    if (e instanceof ReproSyntaxError) throw new UsageError(e.message);
    throw e;
  }
  const platform = findPlatform(repro.platform);
  if (platform === undefined) throw new UsageError(`${at(file, repro.where?.platform)}: unknown platform '${clip(repro.platform)}' (known: ${allPlatforms().map((p) => p.name).join(', ')})`);
  let revision: ResolvedRevision;
  try {
    revision = resolveRevision(platform, revisionFlag ?? repro.revision);
  } catch (e) {
    if (!(e instanceof RevisionError)) throw e;
    throw new UsageError(`${revisionFlag !== undefined ? '--revision' : at(file, repro.where?.revision)}: ${e.message}`);
  }
  if (repro.expect !== 'clean' && findInvariant(repro.expect.violation) === undefined) {
    throw new UsageError(`${at(file, repro.where?.expect)}: unknown invariant '${clip(repro.expect.violation)}' (see msi-fuzz list)`);
  }
  return { repro, config: { platform, revision, faultClasses: repro.faults } };
}

export function cmdReplay(o: ReplayOptions): number {
  const { repro, config, run: r } = replayText(readRepro(o.file), o.file, o.revision);
  const v = r.violation;
  const expected = repro.expect === 'clean' ? null : repro.expect.violation;
  if (!o.json) {
    process.stdout.write(`replay ${o.file} on ${config.platform.name}@${config.revision.spec}\n`);
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
