// Executes a command list on a fresh Simulation, checking the invariants after every step.
// Engines, the shrinker and replay share it, so what is found is what is replayed.
import type { Command } from '../commands/command';
import { specOf } from '../commands/vocabulary';
import type { Invariant, Violation } from '../invariants/invariant';
import { checkStep, invariantsFor } from '../invariants/registry';
import { Simulation, type SimulationConfig, type StepRecord } from '../sim/simulation';

export interface RunResult {
  readonly violation: Violation | null;
  readonly records: readonly StepRecord[];
  /** Index of the first command a driver could not have issued (precondition false), if any. */
  readonly invalidAt: number | null;
  /** Why that command could not be issued: the rule it breaks (CommandSpec.invalid). */
  readonly invalidWhy?: string;
  readonly sim: Simulation;
}

/**
 * Incremental invariants check only what a step touched, except on every FULL_CHECK_EVERY-th
 * step and at the end of a run (finalCheck), where every invariant scans the whole state: a
 * safety net, so a change the dirty sets did not record is still found, later.
 */
export const FULL_CHECK_EVERY = 128;

/** Checks one executed step against the invariants (incrementally where they allow it, or in full). */
export function checkRecord(sim: Simulation, record: StepRecord, invariants: readonly Invariant[], full = false): Violation | null {
  const reports = sim.kernel.reports.slice(record.firstReport);
  const periodic = record.step % FULL_CHECK_EVERY === FULL_CHECK_EVERY - 1;
  const touched = full || periodic ? null : sim.touched();
  return checkStep({ sim, record, reports, touched }, invariants);
}

/** The end-of-run safety net: the last step checked again, every invariant in full. */
export function finalCheck(sim: Simulation, last: StepRecord | undefined, invariants: readonly Invariant[]): Violation | null {
  return last === undefined ? null : checkRecord(sim, last, invariants, true);
}

/**
 * Runs `commands`; stops at the first violation. A command a driver could not issue stops
 * the run (invalidAt), unless `lenient`, which skips it (used by triage, where a fix may
 * change earlier outcomes and with them what later commands are allowed).
 */
export function runCommands(config: SimulationConfig, commands: readonly Command[], lenient = false): RunResult {
  const sim = new Simulation(config);
  const invariants = invariantsFor(config.platform.name);
  const records: StepRecord[] = [];
  const ctx = { faultSites: sim.faultSites, pools: sim.pools, platform: config.platform.name, hunt: new Set(config.hunt ?? []) };
  for (let i = 0; i < commands.length; i++) {
    const cmd = commands[i] as Command;
    const spec = specOf(cmd.kind);
    if (!spec.valid(cmd as never, sim.state, ctx)) {
      if (lenient) continue;
      const why = (spec.invalid as ((c: Command, st: typeof sim.state, x: typeof ctx) => string | null) | undefined)?.(cmd, sim.state, ctx);
      return { violation: null, records, invalidAt: i, invalidWhy: why ?? `not something a driver could issue in this state (a precondition of ${cmd.kind} is false)`, sim };
    }
    const record = sim.execute(cmd);
    records.push(record);
    const violation = checkRecord(sim, record, invariants);
    if (violation !== null) return { violation, records, invalidAt: null, sim };
    if (sim.dead) break;
  }
  return { violation: finalCheck(sim, records[records.length - 1], invariants), records, invalidAt: null, sim };
}
