// The CI engine: fast-check model-based runs (fc.commands + fc.modelRun). Each fast-check
// command is a short vector of small choices; at run time it is resolved against the live
// abstract state by the same generator the long-run engine uses, so fast-check shrinks
// towards "the first option" everywhere. fast-check's shrink stops at local minima; the
// caller finishes with src/shrink/shrinker.ts.
import fc from 'fast-check';
import type { Command } from '../commands/command';
import { ChoiceRng } from '../commands/rng';
import type { Invariant, Violation } from '../invariants/invariant';
import { invariantsFor } from '../invariants/registry';
import { Simulation, type SimulationConfig, type StepRecord } from '../sim/simulation';
import { generateCommand } from './generate';
import { checkRecord, finalCheck } from './runner';
import { matchOpenIssue } from './triage';

const CHOICES_PER_COMMAND = 8;
// Wide enough that every option of every menu (and every command kind) is reachable; fast-check
// still shrinks each choice towards 0, the first and simplest option.
const CHOICE_MAX = 0xffff;

export interface Real {
  readonly sim: Simulation;
  readonly executed: Command[];
  last?: StepRecord;
}

/** Thrown inside fc.modelRun when an invariant breaks; carries what to shrink further. */
export class InvariantBroken extends Error {
  constructor(
    readonly violation: Violation,
    readonly commands: readonly Command[],
  ) {
    super(`${violation.invariant}: ${violation.message}`);
  }
}

/** What every step of a run reads and a step does not change: resolved once per arbitrary. */
interface StepShared {
  readonly config: SimulationConfig;
  readonly skipOpen: boolean;
  readonly hunt: ReadonlySet<string>;
  readonly invariants: readonly Invariant[];
}

class ChoiceStep implements fc.Command<object, Real> {
  private resolved: Command | null = null;

  constructor(
    private readonly choices: readonly number[],
    private readonly shared: StepShared,
  ) {}

  check(): boolean {
    return true;
  }

  run(_m: object, real: Real): void {
    const sim = real.sim;
    if (sim.dead) return;
    const { config, hunt, invariants, skipOpen } = this.shared;
    const ctx = { faultSites: sim.faultSites, pools: sim.pools, platform: config.platform.name, hunt };
    const cmd = generateCommand(sim.state, new ChoiceRng(this.choices), ctx);
    this.resolved = cmd;
    if (cmd === null) return;
    real.executed.push(cmd);
    const record = sim.execute(cmd);
    real.last = record;
    const v = checkRecord(sim, record, invariants);
    if (v !== null) broken(config, real, v, skipOpen);
  }

  toString(): string {
    return this.resolved === null ? `choices(${this.choices.join(',')})` : JSON.stringify(this.resolved);
  }
}

/** Throws InvariantBroken for `v`, unless it is a known open issue (then the run ends quietly). */
function broken(config: SimulationConfig, real: Real, v: Violation, skipOpen: boolean): void {
  // An open upstream issue (recognised by replay with its proposed fix) is not this run's finding.
  if (skipOpen && matchOpenIssue(config, real.executed, v.invariant) !== null) {
    real.sim.dead = true;
    return;
  }
  throw new InvariantBroken(v, [...real.executed]);
}

/** One fast-check run: fc.modelRun over a fresh machine, then the end-of-run full check (src/engine/runner.ts). */
export function modelRun(config: SimulationConfig, cmds: Iterable<fc.Command<object, Real>>, skipOpen: boolean): Real {
  const real: Real = { sim: new Simulation(config), executed: [] };
  fc.modelRun(() => ({ model: {}, real }), cmds);
  if (!real.sim.dead) {
    const v = finalCheck(real.sim, real.last, invariantsFor(config.platform.name));
    if (v !== null) broken(config, real, v, skipOpen);
  }
  return real;
}

export interface FcOptions {
  readonly config: SimulationConfig;
  readonly seed: number;
  readonly numRuns: number;
  /** fast-check's default caps runs at 10 commands ('small'); 'medium' allows 100. */
  readonly size?: fc.SizeForArbitrary;
  readonly skipOpenIssues?: boolean;
}

export interface FcResult {
  readonly failed: boolean;
  readonly numRuns: number;
  readonly violation?: Violation;
  /** The executed commands of fast-check's (shrunk) counterexample. */
  readonly commands?: readonly Command[];
}

export function commandsArbitrary(config: SimulationConfig, size: fc.SizeForArbitrary, skipOpen: boolean): fc.Arbitrary<Iterable<fc.Command<object, Real>>> {
  const shared: StepShared = { config, skipOpen, hunt: new Set(config.hunt ?? []), invariants: invariantsFor(config.platform.name) };
  const step = fc
    .array(fc.nat({ max: CHOICE_MAX }), { minLength: CHOICES_PER_COMMAND, maxLength: CHOICES_PER_COMMAND })
    .map((choices) => new ChoiceStep(choices, shared));
  return fc.commands([step], { size });
}

export function fcCheck(o: FcOptions): FcResult {
  let last: InvariantBroken | null = null;
  const skipOpen = o.skipOpenIssues ?? true;
  const property = fc.property(commandsArbitrary(o.config, o.size ?? 'medium', skipOpen), (cmds) => {
    modelRun(o.config, cmds, skipOpen);
  });
  const details = fc.check(property, { seed: o.seed, numRuns: o.numRuns });
  if (!details.failed) return { failed: false, numRuns: details.numRuns };
  // The error of the final (shrunk) counterexample is the last one thrown.
  const err = details.errorInstance;
  if (err instanceof InvariantBroken) last = err;
  if (last === null) throw err instanceof Error ? err : new Error(String(err));
  return { failed: true, numRuns: details.numRuns, violation: last.violation, commands: last.commands };
}
