// The long-run engine: runs of state-aware random commands, each run seeded from the
// campaign seed and its index alone, so any finding replays from (seed, run, config).
import seedrandom from 'seedrandom';
import type { Command } from '../commands/command';
import type { Rng } from '../commands/rng';
import type { Violation } from '../invariants/invariant';
import { invariantsFor } from '../invariants/registry';
import { Simulation, type SimulationConfig, type StepRecord } from '../sim/simulation';
import { RunGenerator } from './generate';
import { swarmVocabulary } from './swarm';
import { beforeStep, noteStep, type Coverage } from './coverage';
import { checkRecord, finalCheck } from './runner';
import type { AbstractState } from '../abstract/state';
import type { VocabContext } from '../commands/spec';
import { specOf } from '../commands/vocabulary';
import { MAX_LIVE_DEVICES } from '../commands/vocabulary/devices';

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

/**
 * The orderly end of a run, as at driver unload: every handler freed, then the driver of every
 * device holding vectors or MSI device data released. Leak invariants (object-audit) only speak once no device holds MSI state, a
 * quiescent point random runs seldom reach by chance. Deterministic from the state, so a run
 * still replays from (seed, run, config). Returns the next valid teardown command, or null.
 */
export function nextTeardown(s: AbstractState, ctx: VocabContext): Command | null {
  if (s.driverBlocked) return null;
  for (const [dev, vecs] of s.handlers) {
    for (const vec of vecs) {
      const c: Command = { kind: 'free_irq', dev, vec };
      if (specOf(c.kind).valid(c as never, s, ctx)) return c;
    }
  }
  for (const [dev, d] of s.devices) {
    // A device without vectors may still hold MSI device data (a failed allocation, or vectors freed)
    if (d.mode === 'none' && d.msiData !== true) continue;
    const c: Command = { kind: 'device_release_driver', dev };
    if (specOf(c.kind).valid(c as never, s, ctx)) return c;
  }
  return null;
}

/** Executes one random run (then its teardown); returns the finding, if any. `sink` gets the commands run. */
export function randomRun(config: SimulationConfig, seed: number, run: number, maxSteps: number, stats: RunStats, swarm = false, coverage?: Coverage, sink?: Command[]): Finding | null {
  const rng = new SeededRng(runSeed(seed, run));
  // Swarm testing draws the run's switched-off kinds from a stream of its own, so the
  // default (no swarm) draws exactly what it always drew.
  const enabled = swarm ? swarmVocabulary(runSeed(seed, run)) : undefined;
  const sim = new Simulation(config);
  const invariants = invariantsFor(config.platform.name);
  const ctx = { faultSites: sim.faultSites, pools: sim.pools, platform: config.platform.name, hunt: new Set(config.hunt ?? []) };
  const gen = new RunGenerator(ctx, enabled);
  const commands: Command[] = sink ?? [];
  const lastModes = new Map<string, string>();
  const steps = 8 + rng.below(maxSteps - 7);
  let record: StepRecord | undefined;
  // A bound on the teardown too: each command frees a handler or a device's vectors.
  const limit = steps + 4 * MAX_LIVE_DEVICES + 64;
  for (let i = 0; i < limit; i++) {
    // A command a fault was aimed at is issued even when the fault came last
    const cmd = i < steps || gen.hasQueued() ? gen.next(sim.state, rng) : nextTeardown(sim.state, ctx);
    if (cmd === null && i < steps) {
      i = steps - 1;
      continue;
    }
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
