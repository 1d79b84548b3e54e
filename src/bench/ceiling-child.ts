// A child process of the bench's workers section: the same plan inline on its own main thread
// (a warm-up window, then the timed one), printing its warm rate as one JSON line. One child
// alone against two at once gives what the machine itself allows two independent processes for
// this workload: the ceiling of any worker pool on it.
import { runMulti } from '../engine/multi';
import { commandsPerSecond, WORKERS_PLAN, WARM_UP_SEED } from './workers';

async function main(): Promise<void> {
  const [timeMs, warmUpMs, seed] = process.argv.slice(2).map(Number) as [number, number, number];
  await runMulti({ plan: { ...WORKERS_PLAN, seed: WARM_UP_SEED + seed }, timeMs: warmUpMs, workers: 0 });
  const r = await runMulti({ plan: { ...WORKERS_PLAN, seed }, timeMs, workers: 0 });
  process.stdout.write(`${JSON.stringify({ cps: commandsPerSecond(r) })}\n`);
}

void main();
