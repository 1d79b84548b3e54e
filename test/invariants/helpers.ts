// Shared by the break-on-purpose tests: a healthy machine after some commands, and one
// invariant's verdict on it.
import type { Command } from '../../src/commands/command';
import { checkRecord, runCommands } from '../../src/engine/runner';
import { findInvariant } from '../../src/invariants/registry';
import { findPlatform } from '../../src/platforms';
import { resolveRevision } from '../../src/revision';
import type { Simulation, StepRecord } from '../../src/sim/simulation';

export function healthyOn(platformName: string, revision: string | undefined, commands: readonly Command[]): { sim: Simulation; record: StepRecord } {
  const p = findPlatform(platformName);
  if (p === undefined) throw new Error(`no platform ${platformName}`);
  const r = runCommands({ platform: p, revision: resolveRevision(p, revision), faultClasses: [] }, commands);
  expect(r.invalidAt).toBeNull();
  expect(r.violation).toBeNull();
  const record = r.records[r.records.length - 1];
  if (record === undefined) throw new Error('no command ran');
  return { sim: r.sim, record };
}

/** The invariant's own message (its full check) after the breakage, or null if it holds. */
export function verdict(id: string, sim: Simulation, record: StepRecord): string | null {
  const inv = findInvariant(id);
  if (inv === undefined) throw new Error(`no invariant ${id}`);
  return checkRecord(sim, record, [inv], true)?.message ?? null;
}
