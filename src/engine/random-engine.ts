// The long-run engine: runs of state-aware random commands, each run seeded from the
// campaign seed and its index alone, so any finding replays from (seed, run, config).
import seedrandom from 'seedrandom';
import type { Command } from '../commands/command';
import type { Rng } from '../commands/rng';
import type { Violation } from '../invariants/invariant';
import { invariantsFor } from '../invariants/registry';
import { Simulation, type SimulationConfig, type StepRecord } from '../sim/simulation';
import { generateCommand } from './generate';
import { swarmVocabulary } from './swarm';
import { beforeStep, noteStep, type Coverage } from './coverage';
import { checkRecord, finalCheck } from './runner';

export interface Finding {
  readonly violation: Violation;
  /** The commands of the failing run, up to and including the violating one. */
  readonly commands: readonly Command[];
  readonly run: number;
}

export interface RunStats {
  runs: number;
  commands: number;
}

export class SeededRng implements Rng {
  private readonly prng: seedrandom.PRNG;
  constructor(seed: string) {
    this.prng = seedrandom(seed);
  }
  below(n: number): number {
    return n <= 1 ? 0 : Math.floor(this.prng() * n);
  }
}

/** The seed string of run `run` in a campaign with seed `seed`. */
export function runSeed(seed: number, run: number): string {
  return `msi-fuzz:${seed}:${run}`;
}

/** Executes one random run; returns the finding, if any. */
export function randomRun(config: SimulationConfig, seed: number, run: number, maxSteps: number, stats: RunStats, swarm = false, coverage?: Coverage): Finding | null {
  const rng = new SeededRng(runSeed(seed, run));
  // Swarm testing draws the run's switched-off kinds from a stream of its own, so the
  // default (no swarm) draws exactly what it always drew.
  const enabled = swarm ? swarmVocabulary(runSeed(seed, run)) : undefined;
  const sim = new Simulation(config);
  const invariants = invariantsFor(config.platform.name);
  const ctx = { faultSites: sim.faultSites, platform: config.platform.name, hunt: new Set(config.hunt ?? []) };
  const commands: Command[] = [];
  const lastModes = new Map<string, string>();
  const steps = 8 + rng.below(maxSteps - 7);
  let record: StepRecord | undefined;
  for (let i = 0; i < steps; i++) {
    const cmd = generateCommand(sim.state, rng, ctx, enabled);
    if (cmd === null) break;
    commands.push(cmd);
    const before = coverage !== undefined ? beforeStep(sim, cmd, lastModes) : null;
    record = sim.execute(cmd);
    stats.commands++;
    if (coverage !== undefined && before !== null) noteStep(coverage, sim, cmd, before, record, lastModes);
    const violation = checkRecord(sim, record, invariants);
    if (violation !== null) return { violation, commands, run };
    if (sim.dead) break;
  }
  const violation = finalCheck(sim, record, invariants);
  return violation === null ? null : { violation, commands, run };
}
