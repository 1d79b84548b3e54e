// 1 worker against 2: the same plan (every platform at its current revision, swarm off,
// 100 runs per unit) through the worker pool; commands per second of wall time.
// Both pools live side by side. Each first runs a warm-up window (other seeds) whose rate is the
// cold figure: thread start-up and each thread's JIT warm-up over six platform models are in it.
// V8 keeps compiling for about ten seconds (a lone runner uses 1.4, then 1.2, then 1.1 cores in
// successive 5 s windows: the background compiler takes the idle core), so the warm-up is 10 s.
// The timed windows then alternate between the two warm pools, one pair after another, and the
// ratio is the median of the pairs: a noisy host that speeds up or slows down over a minute moves
// both members of a pair alike, where one long window per pool put the drift into the ratio.
// Last, the same plan inline in one child process alone and in two at once (ceiling-child.ts):
// how far two independent processes scale on this machine.
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import type workerpool from 'workerpool';
import { DEFAULT_FAULTS } from '../cli/options';
import { runMulti, workerPool, type MultiResult } from '../engine/multi';
import type { PlanOptions } from '../engine/plan';
import { median } from './stats';

export interface WorkerFigures {
  platforms: number;
  warmUpMs: number;
  /** Timed windows per pool (alternating with the other pool's). */
  pairs: number;
  /** Steady state: medians over the timed windows. */
  oneCps: number;
  twoCps: number;
  /** The median of the pairs' ratios. */
  ratio: number;
  /**
   * CPU time of the whole process (main thread, workers, V8's compiler and GC threads) per second
   * of wall time in the timed windows, medians: 1 worker alone uses more than one core while a
   * core is idle, which leaves 2 workers on a 2-core machine less than twice its CPU.
   */
  coresOne: number;
  coresTwo: number;
  /** Each pair's ratio, in the order run. */
  pairRatios: number[];
  /** The warm-up windows: from a fresh pool, start-up included. */
  coldOneCps: number;
  coldTwoCps: number;
  coldRatio: number;
  /** One child process alone, and the sum of two running at once (warm windows). */
  processOneCps: number;
  processTwoCps: number;
  processRatio: number;
}

export const WORKERS_PLAN: PlanOptions = { platform: 'all', seed: 1, runsPerUnit: 100, swarm: false, faults: DEFAULT_FAULTS, maxSteps: 40 };
/** The warm-up windows run seeds far from the timed ones. */
export const WARM_UP_SEED = 10_001;
/** Timed windows per pool; `timeMs` is split between them. */
export const WORKER_PAIRS = 4;

/** A campaign's commands per second of wall time. */
export const commandsPerSecond = (r: MultiResult): number => (r.progress.commands * 1000) / r.elapsedMs;

const ratio = (a: number, b: number): number => Math.round((a / b) * 100) / 100;

/** `timeMs` is each pool's timed total, run as WORKER_PAIRS alternating windows. */
export async function benchWorkers(timeMs: number, warmUpMs: number): Promise<WorkerFigures> {
  const pools = [workerPool(1), workerPool(2)] as const;
  const window = async (workers: 1 | 2, seed: number, ms: number): Promise<{ cps: number; configs: number; cores: number }> => {
    const pool: workerpool.Pool = pools[workers - 1];
    const cpu0 = process.cpuUsage();
    const r = await runMulti({ plan: { ...WORKERS_PLAN, seed }, timeMs: ms, workers, pool });
    const cpu = process.cpuUsage(cpu0);
    return { cps: commandsPerSecond(r), configs: r.configs.length, cores: (cpu.user + cpu.system) / 1000 / r.elapsedMs };
  };
  try {
    const coldOne = await window(1, WARM_UP_SEED, warmUpMs);
    const coldTwo = await window(2, WARM_UP_SEED, warmUpMs);
    const one: number[] = [];
    const two: number[] = [];
    const cores = { 1: [] as number[], 2: [] as number[] };
    const pairRatios: number[] = [];
    const windowMs = Math.max(1, Math.round(timeMs / WORKER_PAIRS));
    // Each pair runs the same seeds on both pools, so both do the same kind of work.
    for (let pair = 0; pair < WORKER_PAIRS; pair++) {
      const seed = WORKERS_PLAN.seed + pair * 1000;
      // ABBA order: a drift over the whole section does not favour whichever pool runs first.
      const order: readonly (1 | 2)[] = pair % 2 === 0 ? [1, 2] : [2, 1];
      const cps = { 1: 0, 2: 0 };
      for (const workers of order) {
        const w = await window(workers, seed, windowMs);
        cps[workers] = w.cps;
        cores[workers].push(w.cores);
      }
      one.push(cps[1]);
      two.push(cps[2]);
      pairRatios.push(ratio(cps[2], cps[1]));
    }
    // Half a pool's timed total per child: an indication, not a target, and two minutes were too many.
    const childMs = Math.round(timeMs / 2);
    const alone = await childRate(childMs, warmUpMs, 1);
    const duo = await Promise.all([childRate(childMs, warmUpMs, 1), childRate(childMs, warmUpMs, 2)]);
    const duoCps = duo[0] + duo[1];
    return {
      platforms: coldOne.configs,
      warmUpMs,
      pairs: WORKER_PAIRS,
      oneCps: Math.round(median(one)),
      twoCps: Math.round(median(two)),
      ratio: median(pairRatios),
      pairRatios,
      coresOne: Math.round(median(cores[1]) * 100) / 100,
      coresTwo: Math.round(median(cores[2]) * 100) / 100,
      coldOneCps: Math.round(coldOne.cps),
      coldTwoCps: Math.round(coldTwo.cps),
      coldRatio: ratio(coldTwo.cps, coldOne.cps),
      processOneCps: Math.round(alone),
      processTwoCps: Math.round(duoCps),
      processRatio: ratio(duoCps, alone),
    };
  } finally {
    await Promise.all(pools.map((p) => p.terminate()));
  }
}

/** The warm rate of ceiling-child.js run with campaign seed `seed` (compiled next to this file). */
function childRate(timeMs: number, warmUpMs: number, seed: number): Promise<number> {
  const script = path.join(__dirname, 'ceiling-child.js');
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [script, String(timeMs), String(warmUpMs), String(seed)], (err, stdout) => {
      if (err !== null) return reject(err);
      const last = stdout.trim().split('\n').pop() ?? '';
      resolve((JSON.parse(last) as { cps: number }).cps);
    });
  });
}
