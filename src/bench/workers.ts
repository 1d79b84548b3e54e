// 1 worker against 2: the same plan (every platform at its current revision, swarm off,
// 100 runs per unit) for the same wall-time budget through the worker pool; commands per second.
import { DEFAULT_FAULTS } from '../cli/options';
import { runMulti } from '../engine/multi';
import type { PlanOptions } from '../engine/plan';

export interface WorkerFigures {
  platforms: number;
  oneCps: number;
  twoCps: number;
  ratio: number;
}

const PLAN: PlanOptions = { platform: 'all', seed: 1, runsPerUnit: 100, swarm: false, faults: DEFAULT_FAULTS, maxSteps: 40 };

export async function benchWorkers(timeMs: number): Promise<WorkerFigures> {
  const rate = async (workers: number): Promise<{ cps: number; configs: number }> => {
    const r = await runMulti({ plan: PLAN, timeMs, workers });
    return { cps: (r.progress.commands * 1000) / r.elapsedMs, configs: r.configs.length };
  };
  const one = await rate(1);
  const two = await rate(2);
  return { platforms: one.configs, oneCps: Math.round(one.cps), twoCps: Math.round(two.cps), ratio: Math.round((two.cps / one.cps) * 100) / 100 };
}
