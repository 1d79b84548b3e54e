// Runs a plan (src/engine/plan.ts) round by round: units are dealt in plan order to worker
// threads (workerpool) or run inline, results folded in as they arrive. In a weighted plan the
// next round starts when the whole round is done (a barrier), so its weights come from complete
// rounds; an even plan needs none. What a unit finds depends only on the unit, so the plan and
// its findings are the same with any number of workers.
import * as fs from 'node:fs';
import * as path from 'node:path';
import workerpool from 'workerpool';
import { planConfigs, RoundCursor, type PlanConfig, type PlanOptions, type Unit } from './plan';
import { WriteError } from './files';
import { addResult, emptyProgress, FindingStore, StateDir, type Progress, type StoredFinding } from './state-dir';
import { runUnit, type UnitResult } from './unit';
import { STATES } from './coverage';

/** At most one timeline sample per this many milliseconds (plus one at the start and the end). */
const SAMPLE_MS = 2000;

export interface MultiOptions {
  readonly plan: PlanOptions;
  /** Plan rounds (deterministic budget: the same units and findings on any machine). */
  readonly rounds?: number;
  /** Wall-time budget: no new unit starts after it. */
  readonly timeMs?: number;
  /** 0: inline on the main thread; N: a pool of N worker threads. */
  readonly workers: number;
  /**
   * A pool of `workers` threads made by the caller (workerPool()), used instead of a new one and
   * left running: the benchmark warms its threads up before it starts the clock.
   */
  readonly pool?: workerpool.Pool;
  /** Runs a unit on the main thread when there is no pool (default runUnit); tests pass a memo of it to replay a campaign cheaply. */
  readonly runUnit?: (u: Unit) => UnitResult;
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
  /**
   * The state directory could not be written (a full disk): dispatching stopped there, the units
   * in flight were folded in, and the result is complete in memory but not on disk past the last
   * commit.
   */
  readonly writeError: WriteError | null;
}

/** The compiled worker script (under jest the sources are .ts; the worker runs the build in dist/). */
function workerScript(): string {
  const here = path.join(__dirname, 'worker.js');
  if (fs.existsSync(here)) return here;
  return path.join(__dirname, '..', '..', 'dist', 'src', 'engine', 'worker.js');
}

/** A pool of `workers` threads running plan units (the `runUnit` method of worker.ts). */
export function workerPool(workers: number): workerpool.Pool {
  return workerpool.pool(workerScript(), { maxWorkers: workers, workerType: 'thread' });
}

export async function runMulti(o: MultiOptions): Promise<MultiResult> {
  const t0 = Date.now();
  const configs = planConfigs(o.plan.platform, o.plan.revision);
  if (configs.length === 0) throw new Error('the plan has no configuration');
  // A weighted plan shards by configuration: a shard must own one.
  if (o.plan.weighting === 'found-less' && o.plan.shard !== undefined && o.plan.shard.n > configs.length) throw new Error(`a weighted plan of ${configs.length} configuration(s) has fewer than ${o.plan.shard.n} shards' worth`);
  const committed = o.resume === true && o.state !== undefined ? o.state.load() : { progress: emptyProgress(), findings: [] };
  const progress = committed.progress;
  const store = new FindingStore();
  for (const f of committed.findings) store.add(f, f.unitIndex, f.hits);
  let writeError: WriteError | null = null;
  /** Writes to the state directory; a failure stops dispatching (the caller reports it), anything else is thrown. */
  const persist = (write: (s: StateDir) => void): void => {
    if (o.state === undefined || writeError !== null) return;
    try {
      write(o.state);
    } catch (e) {
      if (!(e instanceof WriteError)) throw e;
      writeError = e;
    }
  };
  // A kill between a commit and its .repro views left them behind: bring them up to date.
  persist((s) => s.syncViews(committed.findings));
  persist((s) => s.writePlan(o.plan));
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
  const cursor = new RoundCursor(o.plan, configs);
  const keys = configs.map((c) => `${c.platform}@${c.revision}`);
  const foundBefore = (c: number, round: number): number => Object.values(progress.perConfig[keys[c] as string]?.found ?? {}).filter((r) => r < round).length;
  const outOfBudget = (): boolean => writeError !== null || o.stopRequested?.() === true || (o.timeMs !== undefined && Date.now() - t0 >= o.timeMs);
  const fold = (r: UnitResult): void => {
    const improved: StoredFinding[] = [];
    for (const f of r.findings) if (store.add(f, r.unit.index)) improved.push(store.bySignature.get(f.signature) as StoredFinding);
    addResult(progress, r);
    sample(false);
    // The unit is done, with its findings, when this one write lands (src/engine/state-dir.ts).
    persist((s) => s.commit(progress, store.list()));
    persist((s) => improved.forEach((f) => s.writeView(f)));
    for (const f of improved) o.onFinding?.(f);
    o.onUpdate?.(progress, store.bySignature.size, Date.now() - t0, progress.commands - startCommands);
  };
  sample(true);
  const pool = o.pool ?? (o.workers > 0 ? workerPool(o.workers) : null);
  try {
    // A weighted round depends on the rounds before it: each round is a batch, and the next
    // starts when it is done (the barrier). An even round depends on nothing, so one batch runs
    // every round (no worker idles at a round's end).
    const weighted = o.plan.weighting === 'found-less';
    const roundsLeft = (): boolean => o.rounds === undefined || cursor.round < o.rounds;
    const batch = (): (() => Unit | null) => {
      let queue: Unit[] = [];
      let opened = false;
      return () => {
        for (;;) {
          if (outOfBudget()) return null;
          const u = queue.shift();
          if (u !== undefined) return u;
          if ((opened && weighted) || !roundsLeft()) return null;
          opened = true;
          queue = cursor.next(foundBefore).filter((x) => !done.has(x.index));
        }
      };
    };
    while (roundsLeft() && !outOfBudget()) {
      const next = batch();
      if (pool === null) {
        for (let u = next(); u !== null; u = next()) {
          fold((o.runUnit ?? runUnit)(u));
          // Let signal handlers run between units.
          await new Promise((res) => setImmediate(res));
        }
      } else {
        await runBatch(pool, next, o.workers, fold);
      }
    }
  } finally {
    if (o.pool === undefined) await pool?.terminate();
  }
  sample(true);
  persist((s) => s.commit(progress, store.list()));
  return { configs, progress, findings: store.list(), elapsedMs: Date.now() - t0, stopped: o.stopRequested?.() === true, sessionCommands: progress.commands - startCommands, writeError };
}

/** Runs a batch of units on the pool (at most two in flight per worker); resolves when every unit it dispatched is folded. */
function runBatch(pool: workerpool.Pool, next: () => Unit | null, workers: number, fold: (r: UnitResult) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let inFlight = 0;
    let exhausted = false;
    let finished = false;
    const pump = (): void => {
      while (!finished && !exhausted && inFlight < workers * 2) {
        const u = next();
        if (u === null) {
          exhausted = true;
          break;
        }
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
}
