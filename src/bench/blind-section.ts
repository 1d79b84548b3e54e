// The bench's fc-blind section: the blind fast-check harness (fc-blind.ts) against the engine,
// per platform in commands per second and per known bug in time to first detection. No target
// reads it; it answers "why not a plain fast-check harness?" with figures.
import type { Command, CommandKind } from '../commands/command';
import { randomRun } from '../engine/random-engine';
import { KNOWN_BUGS } from '../known-bugs';
import { findPlatform } from '../platforms';
import type { SimulationConfig } from '../sim/simulation';
import { configFor } from '../cli/setup';
import { DEFAULT_FAULTS } from '../cli/options';
import { UsageError } from '../cli/errors';
import { blindFc } from './fc-blind';
import { median } from './stats';

export interface BlindPlatformRow {
  platform: string;
  blindCps: number;
}

export interface BlindBugRow {
  id: string;
  found: number;
  seeds: number;
  /** Over the seeds that found it (null: none did). */
  medianMs: number | null;
}

/** What a hand-written harness for this platform would list: the kinds 200 engine runs draw. */
function kindsOf(config: SimulationConfig): Set<CommandKind> {
  const kinds = new Set<CommandKind>();
  const commands: Command[] = [];
  for (let run = 0; run < 200; run++) {
    commands.length = 0;
    randomRun(config, 1, run, 40, { runs: 0, commands: 0 }, false, undefined, commands);
    for (const c of commands) kinds.add(c.kind);
  }
  return kinds;
}

export function benchBlindPlatforms(platforms: readonly string[], timeMs: number, cpu: () => number): BlindPlatformRow[] {
  return platforms.map((name) => {
    const platform = findPlatform(name);
    if (platform === undefined) throw new UsageError(`--platforms: unknown platform '${name}'`);
    const config = configFor(platform, undefined, DEFAULT_FAULTS);
    const kinds = kindsOf(config);
    // Best of two passes (the first pays for JIT warm-up); no target reads this rate.
    let best = 0;
    for (let pass = 0; pass < 2; pass++) {
      const r = blindFc(config, kinds, { timeMs, seed: 1 + pass, cpu });
      best = Math.max(best, (r.commands * 1000) / r.ms);
    }
    return { platform: name, blindCps: Math.round(best) };
  });
}

export function benchBlindBugs(ids: readonly string[] | null, seeds: number, capMs: number, cpu: () => number, progress: (s: string) => void): BlindBugRow[] {
  const rows: BlindBugRow[] = [];
  for (const bug of KNOWN_BUGS) {
    if (ids !== null && !ids.includes(bug.id)) continue;
    const platform = findPlatform(bug.platform);
    if (platform === undefined) continue;
    // The same configuration `run --known-bug` fuzzes, hunted kinds included.
    const base = configFor(platform, bug.revision, bug.faults);
    const config = bug.commands !== undefined ? { ...base, hunt: bug.commands } : base;
    const kinds = kindsOf(config);
    const found: number[] = [];
    for (let seed = 1; seed <= seeds; seed++) {
      progress(`fc-blind: ${bug.id} seed ${seed}`);
      const r = blindFc(config, kinds, { timeMs: capMs, seed: seed * 1000, cpu, target: bug.invariant });
      if (r.detectedMs !== null) found.push(r.detectedMs);
    }
    rows.push({ id: bug.id, found: found.length, seeds, medianMs: found.length === 0 ? null : Math.round(median(found) * 10) / 10 });
  }
  return rows;
}
