// Runs a plan (src/engine/plan.ts): units dealt in plan order to worker threads (workerpool)
// or run inline, results folded in as they arrive. What a unit finds depends only on the
// unit, so the findings of a given set of units are the same with any number of workers.
import * as fs from 'node:fs';
import * as path from 'node:path';
import workerpool from 'workerpool';
import { planConfigs, shardIndices, unitAt, type PlanConfig, type PlanOptions, type Unit } from './plan';
import { addResult, emptyProgress, FindingStore, StateDir, type Progress, type StoredFinding } from './state-dir';
import { runUnit, type UnitResult } from './unit';
import { STATES } from './coverage';

/** At most one timeline sample per this many milliseconds (plus one at the start and the end). */
const SAMPLE_MS = 2000;

export interface MultiOptions {
  readonly plan: PlanOptions;
  /** Seed rounds: units with index < rounds * configurations (deterministic budget). */
  readonly rounds?: number;
  /** Wall-time budget: no new unit starts after it. */
  readonly timeMs?: number;
  /** 0: inline on the main thread; N: a pool of N worker threads. */
  readonly workers: number;
  readonly state?: StateDir;
  /** Continue from the state directory's progress (skip units done, keep its findings). */
  readonly resume?: boolean;
  /** Polled between units: true stops dispatching (SIGINT). */
  readonly stopRequested?: () => boolean;
  readonly onUpdate?: (p: Progress, findings: number, elapsedMs: number, sessionCommands: number) => void;
  /** A new signature, or a shorter repro of one, just written. */
  readonly onFinding?: (f: StoredFinding) => void;
}

export interface MultiResult {
  readonly configs: readonly PlanConfig[];
  readonly progress: Progress;
  readonly findings: readonly StoredFinding[];
  readonly elapsedMs: number;
  readonly stopped: boolean;
  /** Commands run by this invocation (a resumed campaign's progress also counts earlier ones). */
  readonly sessionCommands: number;
}

/** The compiled worker script (under jest the sources are .ts; the worker runs the build in dist/). */
function workerScript(): string {
  const here = path.join(__dirname, 'worker.js');
  if (fs.existsSync(here)) return here;
  return path.join(__dirname, '..', '..', 'dist', 'src', 'engine', 'worker.js');
}

export async function runMulti(o: MultiOptions): Promise<MultiResult> {
  const t0 = Date.now();
  const configs = planConfigs(o.plan.platform, o.plan.revision);
  if (configs.length === 0) throw new Error('the plan has no configuration');
  const progress = o.resume === true && o.state !== undefined ? o.state.readProgress() : emptyProgress();
  const store = new FindingStore();
  if (o.resume === true && o.state !== undefined) for (const f of o.state.readFindings()) store.add(f, f.unitIndex, f.hits);
  o.state?.writePlan(o.plan);
  const done = new Set(progress.done);
  const startCommands = progress.commands;
  // The timeline continues where a resumed campaign stopped.
  const timeline = (progress.timeline ??= []);
  const offset = timeline.length > 0 ? (timeline[timeline.length - 1] as { t: number }).t : 0;
  let lastSample = -Infinity;
  const sample = (force: boolean): void => {
    const now = Date.now();
    if (!force && now - lastSample < SAMPLE_MS) return;
    lastSample = now;
    const states = STATES.filter((s) => (progress.coverage[`state:${s}`] ?? 0) > 0).length;
    timeline.push({ t: offset + now - t0, commands: progress.commands, states, findings: store.bySignature.size });
  };
  const limit = o.rounds !== undefined ? o.rounds * configs.length : Infinity;
  const indices = shardIndices(o.plan);
  const next = (): Unit | null => {
    if (o.stopRequested?.() === true) return null;
    if (o.timeMs !== undefined && Date.now() - t0 >= o.timeMs) return null;
    for (;;) {
      const i = indices.next().value as number;
      if (i >= limit) return null;
      if (!done.has(i)) return unitAt(o.plan, configs, i);
    }
  };
  const fold = (r: UnitResult): void => {
    // Findings first: once a unit counts as done, what it found is on disk.
    for (const f of r.findings) {
      if (store.add(f, r.unit.index)) {
        const kept = store.bySignature.get(f.signature) as StoredFinding;
        o.state?.writeFinding(kept);
        o.onFinding?.(kept);
      } else {
        o.state?.writeFinding(store.bySignature.get(f.signature) as StoredFinding);
      }
    }
    addResult(progress, r);
    sample(false);
    o.state?.writeProgress(progress);
    o.onUpdate?.(progress, store.bySignature.size, Date.now() - t0, progress.commands - startCommands);
  };
  sample(true);
  if (o.workers <= 0) {
    for (let u = next(); u !== null; u = next()) {
      fold(runUnit(u));
      // Let signal handlers run between units.
      await new Promise((res) => setImmediate(res));
    }
  } else {
    const pool = workerpool.pool(workerScript(), { maxWorkers: o.workers, workerType: 'thread' });
    try {
      await new Promise<void>((resolve, reject) => {
        let inFlight = 0;
        let finished = false;
        const pump = (): void => {
          while (!finished && inFlight < o.workers * 2) {
            const u = next();
            if (u === null) break;
            inFlight++;
            pool
              .exec('runUnit', [u])
              .then((r: UnitResult) => {
                inFlight--;
                fold(r);
                pump();
              })
              .catch((e: unknown) => {
                finished = true;
                reject(e instanceof Error ? e : new Error(String(e)));
              });
          }
          if (inFlight === 0 && !finished) {
            finished = true;
            resolve();
          }
        };
        pump();
      });
    } finally {
      await pool.terminate();
    }
  }
  sample(true);
  o.state?.writeProgress(progress);
  return { configs, progress, findings: store.list(), elapsedMs: Date.now() - t0, stopped: o.stopRequested?.() === true, sessionCommands: progress.commands - startCommands };
}
