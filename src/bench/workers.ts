// 1 worker against 2: the same plan (every platform at its current revision, swarm off,
// 100 runs per unit) for the same wall-time budget through the worker pool; commands per second.
// Each pool first runs a warm-up window (other seeds) whose rate is the cold figure: thread
// start-up and each thread's own JIT warm-up over six platform models are in it. The timed
// window then runs on the same warm threads: the steady state an overnight campaign lives in,
// and the figure the target is read on. Last, the same plan inline in one child process alone and
// in two at once (ceiling-child.ts): how far two independent processes scale on this machine.
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { DEFAULT_FAULTS } from '../cli/options';
import { runMulti, workerPool, type MultiResult } from '../engine/multi';
import type { PlanOptions } from '../engine/plan';

export interface WorkerFigures {
  platforms: number;
  warmUpMs: number;
  /** Steady state (after the warm-up window). */
  oneCps: number;
  twoCps: number;
  ratio: number;
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

/** A campaign's commands per second of wall time. */
export const commandsPerSecond = (r: MultiResult): number => (r.progress.commands * 1000) / r.elapsedMs;

const ratio = (a: number, b: number): number => Math.round((a / b) * 100) / 100;

export async function benchWorkers(timeMs: number, warmUpMs: number): Promise<WorkerFigures> {
  const rate = async (workers: number): Promise<{ cps: number; coldCps: number; configs: number }> => {
    const pool = workerPool(workers);
    try {
      const cold = await runMulti({ plan: { ...WORKERS_PLAN, seed: WARM_UP_SEED }, timeMs: warmUpMs, workers, pool });
      const r = await runMulti({ plan: WORKERS_PLAN, timeMs, workers, pool });
      return { cps: commandsPerSecond(r), coldCps: commandsPerSecond(cold), configs: r.configs.length };
    } finally {
      await pool.terminate();
    }
  };
  const one = await rate(1);
  const two = await rate(2);
  const alone = await childRate(timeMs, warmUpMs, 1);
  const pair = await Promise.all([childRate(timeMs, warmUpMs, 1), childRate(timeMs, warmUpMs, 2)]);
  const pairCps = pair[0] + pair[1];
  return {
    platforms: one.configs,
    warmUpMs,
    oneCps: Math.round(one.cps),
    twoCps: Math.round(two.cps),
    ratio: ratio(two.cps, one.cps),
    coldOneCps: Math.round(one.coldCps),
    coldTwoCps: Math.round(two.coldCps),
    coldRatio: ratio(two.coldCps, one.coldCps),
    processOneCps: Math.round(alone),
    processTwoCps: Math.round(pairCps),
    processRatio: ratio(pairCps, alone),
  };
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
