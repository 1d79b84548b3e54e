// msi-fuzz run in campaign mode (--platform all, --revision all, --workers, --state, --shard,
// --seeds): plan units over every configuration, findings deduplicated by signature and
// triaged (new, known, expected), a state directory that survives kill -9, and a summary.
// Every output path is checked before the first unit runs; a write that fails anyway is
// reported after the summary, which is always printed, and the exit code is then 3.
import * as os from 'node:os';
import * as path from 'node:path';
import { STATES } from '../engine/coverage';
import { WriteError } from '../engine/files';
import { findingStatus, type FindingStatus } from '../engine/finding-status';
import { replayKnownBugs, type KnownReplay } from '../engine/known-replay';
import { runMulti, type MultiResult } from '../engine/multi';
import { planConfigs, type PlanOptions } from '../engine/plan';
import { findingFile, StateDir, type Progress, type StoredFinding } from '../engine/state-dir';
import { renderReport } from '../report/html';
import { parseRepro } from '../repro/parse';
import type { FaultClass } from '../sim/simulation';
import { EXIT_CLEAN, EXIT_INCOMPLETE, EXIT_VIOLATION, UsageError } from './errors';
import { junitXml } from './junit';
import { DEFAULT_FAULTS } from './options';
import { interactive, printJson, startProgress } from './output';
import { checkOutputDir, checkOutputFile, checkStateDir } from './paths';
import { configFor, platformOrFail } from './setup';
import { writeRepro } from './write-repro';

export interface CampaignCliOptions {
  platform: string;
  revision?: string;
  seed: number;
  seeds?: number;
  timeMs?: number;
  runsPerSeed: number;
  swarm: boolean;
  weighting: 'even' | 'found-less';
  faults?: FaultClass[];
  maxSteps: number;
  workers: number;
  state?: string;
  resume: boolean;
  shard?: { k: number; n: number };
  junit?: string;
  html?: string;
  out: string;
  json: boolean;
}

/**
 * `--workers N|auto`. More threads than CPUs (os.availableParallelism) are refused: a unit's
 * result does not depend on the number of workers, so extra threads only cost memory (each loads
 * the models) and make the commands-per-second figure lie.
 */
export function parseWorkers(text: string): number {
  const cpus = Math.max(1, os.availableParallelism());
  if (text === 'auto') return cpus;
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new UsageError(`--workers: expected a number of worker threads (at least 1) or 'auto', got '${text.slice(0, 40)}'`);
  if (Number(text) > cpus) throw new UsageError(`--workers: ${text.slice(0, 20)} is more than the ${cpus} CPU(s) of this machine; use at most ${cpus}, or 'auto'`);
  return Number(text);
}

/** Checks a plan's names; `from` is where they came from (the flags, or a resumed plan.json). */
function validatePlan(plan: PlanOptions, from: string | null): void {
  const flag = (f: string): string => (from === null ? `--${f}` : `${from}: ${f}`);
  if (plan.platform !== 'all') platformOrFail(flag('platform'), plan.platform);
  if (plan.revision !== undefined && plan.revision !== 'all') {
    for (const c of planConfigs(plan.platform, undefined)) configFor(platformOrFail(flag('platform'), c.platform), plan.revision, plan.faults, flag('revision'));
  }
  const n = planConfigs(plan.platform, plan.revision).length;
  if (plan.weighting === 'found-less' && plan.shard !== undefined && plan.shard.n > n) {
    throw new UsageError(`${flag('shard')}: a weighted campaign is sharded by configuration and this one has ${n}; use at most ${n} shards, or --even to shard the seeds`);
  }
}

/** Every output path, before any work. */
function checkPaths(o: CampaignCliOptions): void {
  if (o.state !== undefined) {
    if (o.resume) checkStateDir('--state', o.state);
    else {
      checkOutputDir('--state', o.state);
      if (StateDir.exists(o.state)) throw new UsageError(`--state: ${o.state} already holds a campaign; add --resume to continue it or choose another directory`);
    }
  } else {
    checkOutputDir('--out', o.out);
  }
  if (o.html !== undefined) checkOutputFile('--html', o.html);
  if (o.junit !== undefined) checkOutputFile('--junit', o.junit);
}

export async function cmdCampaign(o: CampaignCliOptions): Promise<number> {
  if (o.resume && o.state === undefined) throw new UsageError('--resume: needs --state DIR');
  checkPaths(o);
  let state: StateDir | undefined;
  let plan: PlanOptions;
  if (o.resume) {
    state = new StateDir(o.state as string);
    plan = state.readPlan();
    validatePlan(plan, path.join(state.dir, 'plan.json'));
    state.load(); // a damaged state.json is refused now, not after the first unit
  } else {
    if (o.state !== undefined) state = new StateDir(o.state);
    plan = {
      platform: o.platform,
      ...(o.revision !== undefined ? { revision: o.revision } : {}),
      seed: o.seed,
      runsPerUnit: o.runsPerSeed,
      swarm: o.swarm,
      faults: o.faults ?? DEFAULT_FAULTS,
      maxSteps: o.maxSteps,
      ...(o.shard !== undefined ? { shard: o.shard } : {}),
      weighting: o.weighting,
    };
    validatePlan(plan, null);
  }
  const budget = o.seeds === undefined && o.timeMs === undefined ? { timeMs: 10_000 } : { ...(o.seeds !== undefined ? { rounds: o.seeds } : {}), ...(o.timeMs !== undefined ? { timeMs: o.timeMs } : {}) };
  let stop = false;
  const onSigint = (): void => {
    if (stop) process.exit(130);
    stop = true;
    process.stderr.write('\nmsi-fuzz: SIGINT: finishing the units in flight, then the summary (again to quit at once)\n');
  };
  process.on('SIGINT', onSigint);
  const progress = startProgress(interactive() && !o.json);
  let result: MultiResult;
  try {
    result = await runMulti({
      plan,
      ...budget,
      workers: o.workers,
      ...(state !== undefined ? { state } : {}),
      resume: o.resume,
      stopRequested: () => stop,
      onUpdate: (p, findings, elapsedMs, sessionCommands) => {
        const reached = STATES.filter((s) => (p.coverage[`state:${s}`] ?? 0) > 0).length;
        progress.update({ label: `${p.done.length} units, coverage ${reached}/${STATES.length} states`, runs: p.runs, commands: sessionCommands, elapsedMs, findings });
      },
    });
  } finally {
    progress.stop();
    process.off('SIGINT', onSigint);
  }
  return summarize(o, plan, result, state);
}

export interface FindingOut {
  signature: string;
  status: FindingStatus;
  known: string | null;
  /** false: the revision is a known-bad intermediate state (msi-fuzz list). */
  revisionCorrect: boolean;
  invariant: string;
  platform: string;
  revision: string;
  lastKind: string;
  length: number;
  hits: number;
  repro: string | null;
  reproduce: string;
}

export function findingOut(f: StoredFinding, repro: string | null): FindingOut {
  return {
    signature: f.signature,
    status: findingStatus(f),
    known: f.known,
    revisionCorrect: f.revisionCorrect,
    invariant: f.invariant,
    platform: f.platform,
    revision: f.revision,
    lastKind: f.lastKind,
    length: f.length,
    hits: f.hits,
    repro,
    reproduce: f.reproduce,
  };
}

export interface CoverageSummary {
  readonly commands: Record<string, number>;
  readonly states: Record<string, number>;
  readonly unreached: string[];
  /** Fault site -> faults that fired there; `site#k` -> at its k-th call within a command. */
  readonly faultSites: Record<string, number>;
  /** Pool -> exhaustions that refused an allocation; `pool@cpuN` / `pool@all` by what was drained. */
  readonly pools: Record<string, number>;
  /** Fault sites and pools the runs could arm where no fault ever fired. */
  readonly unreachedSites: string[];
  readonly unreachedPools: string[];
}

export function coverageSummary(cov: Record<string, number>): CoverageSummary {
  const commands: Record<string, number> = {};
  const states: Record<string, number> = {};
  const faultSites: Record<string, number> = {};
  const pools: Record<string, number> = {};
  for (const [k, v] of Object.entries(cov).sort(([a], [b]) => a.localeCompare(b))) {
    if (k.startsWith('cmd:')) commands[k.slice(4)] = v;
    else if (k.startsWith('state:')) states[k.slice(6)] = v;
    else if (k.startsWith('site:')) faultSites[k.slice(5)] = v;
    else if (k.startsWith('pool:')) pools[k.slice(5)] = v;
  }
  const zero = (m: Record<string, number>, sep: string): string[] => Object.keys(m).filter((k) => !k.includes(sep) && m[k] === 0);
  return { commands, states, unreached: STATES.filter((s) => (states[s] ?? 0) === 0), faultSites, pools, unreachedSites: zero(faultSites, '#'), unreachedPools: zero(pools, '@') };
}

/** Counts by status. */
export function statusCounts(findings: readonly { status: FindingStatus }[]): Record<FindingStatus, number> {
  const n: Record<FindingStatus, number> = { new: 0, known: 0, expected: 0 };
  for (const f of findings) n[f.status]++;
  return n;
}

/** The text line of a finding in a summary. */
export function findingLine(f: FindingOut): string {
  const label = f.status === 'new' ? 'NEW     ' : f.status === 'known' ? 'known   ' : 'expected';
  return `${label} ${f.invariant} on ${f.platform}@${f.revision} (last: ${f.lastKind}, ${f.length} commands, ${f.hits} hit(s))${f.known !== null ? ` = ${f.known}` : ''}${f.revisionCorrect ? '' : ' [revision known bad]'}`;
}

/** Runs a write at the end of a command; a failure is collected (the summary still prints), anything else is thrown. */
export function attempt<T>(errors: string[], write: () => T): T | null {
  try {
    return write();
  } catch (e) {
    if (!(e instanceof WriteError)) throw e;
    errors.push(e.message);
    return null;
  }
}

function summarize(o: CampaignCliOptions, plan: PlanOptions, r: MultiResult, state: StateDir | undefined): number {
  const writeErrors: string[] = r.writeError !== null ? [`${r.writeError.message}: stopped dispatching; the state directory holds the units committed before`] : [];
  const findings = r.findings.map((f) => {
    if (state !== undefined) return findingOut(f, r.writeError === null ? state.findingPath(f) : null);
    const file = writeRepro(o.out, parseRepro(f.repro, 'finding'), `${findingFile(f)}.repro`);
    if (file === null) writeErrors.push(`cannot write the repro of ${f.signature} in ${o.out} (printed on stderr)`);
    return findingOut(f, file);
  });
  const counts = statusCounts(findings);
  const replays = replayKnownBugs(r.configs);
  const lost = (replays ?? []).filter((k) => !k.reproduced);
  const cov = coverageSummary(r.progress.coverage);
  const shard = plan.shard !== undefined ? `${plan.shard.k}/${plan.shard.n}` : null;
  const junit = o.junit !== undefined ? attempt(writeErrors, () => writeJunit(o.junit as string, r, findings, lost)) : null;
  // A campaign with a state directory always leaves its report there (the morning's first look).
  const htmlFile = o.html ?? (state !== undefined ? path.join(state.dir, 'report.html') : undefined);
  const html = htmlFile !== undefined ? attempt(writeErrors, () => writeHtml(htmlFile, `msi-fuzz campaign: ${plan.platform} @ ${plan.revision ?? 'current'}, seed ${plan.seed}`, r.progress, r.findings, r.configs.map((c) => `${c.platform}@${c.revision}`))) : null;
  const code = writeErrors.length > 0 ? EXIT_INCOMPLETE : counts.new > 0 || lost.length > 0 ? EXIT_VIOLATION : EXIT_CLEAN;
  if (o.json) {
    for (const e of writeErrors) process.stderr.write(`msi-fuzz: ${e}\n`);
    printJson({
      mode: 'campaign',
      platform: plan.platform,
      revision: plan.revision ?? 'current',
      seed: plan.seed,
      runsPerSeed: plan.runsPerUnit,
      swarm: plan.swarm,
      weighting: plan.weighting ?? 'even',
      shard,
      workers: o.workers,
      configurations: r.configs.length,
      units: r.progress.done.length,
      runs: r.progress.runs,
      commands: r.progress.commands,
      elapsedMs: r.elapsedMs,
      sessionCommands: r.sessionCommands,
      stopped: r.stopped,
      findings,
      newFindings: counts.new,
      knownFindings: counts.known,
      expectedFindings: counts.expected,
      knownBugReplays: replays,
      lostKnownBugs: lost.map((k) => k.id),
      knownOpenIssues: r.progress.openIssues,
      coverage: cov,
      state: state?.dir ?? null,
      junit,
      html,
      writeErrors,
      exitCode: code,
    });
    return code;
  }
  const lines: string[] = [];
  lines.push(
    `msi-fuzz campaign: ${r.configs.length} configuration(s), seed ${plan.seed}, ${plan.runsPerUnit} runs per seed, ${plan.weighting === 'found-less' ? 'weighted towards the configurations that found less' : 'one seed per configuration and round'}${plan.swarm ? ', swarm' : ''}${shard !== null ? `, shard ${shard}` : ''}, ${o.workers === 0 ? 'inline' : `${o.workers} worker(s)`}${r.stopped ? ' (stopped by SIGINT)' : ''}`,
    '',
  );
  const w = Math.max(20, ...r.configs.map((c) => c.platform.length + c.revision.length + 1));
  lines.push(`${'configuration'.padEnd(w)} ${'seeds'.padStart(6)} ${'runs'.padStart(8)} ${'commands'.padStart(9)} ${'findings'.padStart(8)}`);
  for (const c of r.configs) {
    const key = `${c.platform}@${c.revision}`;
    const s = r.progress.perConfig[key] ?? { units: 0, runs: 0, commands: 0, findings: 0 };
    lines.push(`${key.padEnd(w)} ${String(s.units).padStart(6)} ${String(s.runs).padStart(8)} ${String(s.commands).padStart(9)} ${String(s.findings).padStart(8)}`);
  }
  const rate = r.elapsedMs > 0 ? Math.round((r.sessionCommands * 1000) / r.elapsedMs) : 0;
  lines.push('', `${r.progress.done.length} units, ${r.progress.runs} runs, ${r.progress.commands} commands; this invocation ${r.sessionCommands} commands in ${(r.elapsedMs / 1000).toFixed(1)}s (${rate} cmd/s)`);
  for (const [id, n] of Object.entries(r.progress.openIssues)) lines.push(`known open issue ${id} hit ${n} time(s), not counted`);
  lines.push(`coverage: states ${Object.entries(cov.states).map(([k, v]) => `${k}=${v}`).join(' ')}${cov.unreached.length > 0 ? `; not reached: ${cov.unreached.join(', ')}` : ''}`);
  lines.push(faultCoverageLine(cov));
  lines.push(knownReplayLine(replays));
  for (const k of lost) lines.push(`LOST     known bug ${k.id}: its golden repro ${k.instead ?? 'no longer fails'} at ${k.platform}@${k.revision} (expected ${k.invariant})`);
  lines.push('');
  for (const f of findings) {
    lines.push(findingLine(f));
    lines.push(`         ${f.repro ?? '(repro not written: see stderr)'}`);
    lines.push(`         ${f.reproduce}`);
  }
  lines.push(findings.length === 0 ? 'summary: no violation' : `summary: ${counts.new} new, ${counts.known} known, ${counts.expected} expected at known-bad revisions`);
  if (state !== undefined) lines.push(`state: ${state.dir} (continue with --state ${state.dir} --resume)`);
  if (junit !== null) lines.push(`junit: ${junit}`);
  if (html !== null) lines.push(`report: ${html}`);
  for (const e of writeErrors) lines.push(`NOT WRITTEN: ${e}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  for (const e of writeErrors) process.stderr.write(`msi-fuzz: ${e}\n`);
  return code;
}

function knownReplayLine(replays: readonly KnownReplay[] | null): string {
  if (replays === null) return 'known bugs: not replayed (no golden repros installed)';
  const ok = replays.filter((k) => k.reproduced).length;
  return `known bugs: ${ok} of ${replays.length} golden repro(s) at these configurations still fail as recorded`;
}

/** One line: how many fault sites and pools fired, and the ones that never did. */
export function faultCoverageLine(cov: CoverageSummary): string {
  const sites = Object.keys(cov.faultSites).filter((k) => !k.includes('#'));
  const pools = Object.keys(cov.pools).filter((k) => !k.includes('@'));
  const unreached = [...cov.unreachedSites, ...cov.unreachedPools.map((p) => `exhaust(${p})`)];
  return `fault sites: ${sites.length - cov.unreachedSites.length} of ${sites.length} fired, pools: ${pools.length - cov.unreachedPools.length} of ${pools.length} refused an allocation${unreached.length > 0 ? `; never fired: ${unreached.join(', ')}` : ''}`;
}

export function writeHtml(file: string, title: string, progress: Progress, findings: readonly StoredFinding[], configurations: readonly string[]): string {
  const text = renderReport({ title, progress, findings, configurations, generated: new Date().toISOString() });
  const dir = path.dirname(path.resolve(file));
  return new StateDir(dir).writeText(path.basename(file), text);
}

function writeJunit(file: string, r: MultiResult, findings: readonly FindingOut[], lost: readonly KnownReplay[]): string {
  const xml = junitXml(
    r.configs.map((c) => {
      const key = `${c.platform}@${c.revision}`;
      const s = r.progress.perConfig[key];
      return { name: key, runs: s?.runs ?? 0, findings: findings.filter((f) => f.platform === c.platform && f.revision === c.revision), lost: lost.filter((k) => k.platform === c.platform && k.revision === c.revision) };
    }),
    r.elapsedMs,
  );
  const dir = path.dirname(path.resolve(file));
  return new StateDir(dir).writeText(path.basename(file), xml);
}
