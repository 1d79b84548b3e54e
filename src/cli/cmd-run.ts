// msi-fuzz run: one platform at one revision (or a known bug's), until a violation or the budget.
import { runCampaign } from '../engine/campaign';
import { printRepro } from '../repro/print';
import type { FaultClass } from '../sim/simulation';
import { EXIT_CLEAN, EXIT_INCOMPLETE, EXIT_VIOLATION, UsageError } from './errors';
import { DEFAULT_FAULTS } from './options';
import { interactive, printJson, startProgress } from './output';
import { checkOutputDir } from './paths';
import { configFor, knownBugOrFail, platformOrFail } from './setup';
import { writeRepro } from './write-repro';

export interface RunOptions {
  platform?: string;
  revision?: string;
  knownBug?: string;
  seed: number;
  runs?: number;
  timeMs?: number;
  out: string;
  json: boolean;
  faults?: FaultClass[];
  maxSteps: number;
  swarm?: boolean;
  firstRun?: number;
  /** Hidden command kinds to generate (a campaign finding's `--hunt`); a known bug brings its own. */
  hunt?: string[];
}

export function cmdRun(o: RunOptions): number {
  const bug = o.knownBug === undefined ? undefined : knownBugOrFail(o.knownBug);
  if (bug !== undefined && o.platform !== undefined && o.platform !== bug.platform) {
    throw new UsageError(`--platform: ${o.platform} does not match --known-bug ${bug.id} (platform ${bug.platform})`);
  }
  const platformName = bug?.platform ?? o.platform;
  if (platformName === undefined) throw new UsageError('--platform: required (or --known-bug)');
  const platform = platformOrFail('--platform', platformName);
  const base = configFor(platform, bug !== undefined && o.revision === undefined ? bug.revision : o.revision, o.faults ?? bug?.faults ?? DEFAULT_FAULTS);
  checkOutputDir('--out', o.out);
  const hunt = o.hunt ?? bug?.commands;
  const config = hunt !== undefined ? { ...base, hunt } : base;
  const budget = o.runs === undefined && o.timeMs === undefined ? { timeMs: 10_000 } : { ...(o.runs !== undefined ? { runs: o.runs } : {}), ...(o.timeMs !== undefined ? { timeMs: o.timeMs } : {}) };
  const progress = startProgress(interactive() && !o.json);
  const label = `${platform.name}@${config.revision.spec}`;
  const result = runCampaign({
    config,
    seed: o.seed,
    ...budget,
    maxSteps: o.maxSteps,
    swarm: o.swarm === true,
    firstRun: o.firstRun ?? 0,
    ...(bug !== undefined ? { target: bug.invariant, skipOpenIssues: bug.status !== 'open' } : { skipOpenIssues: true }),
    onProgress: (s) => progress.update({ ...s, label }),
  });
  progress.stop();
  const violations = result.findings.map((f) => {
    const file = writeRepro(o.out, f.repro);
    return { invariant: f.finding.violation.invariant, repro: file, length: f.repro.commands.length, text: printRepro(f.repro) };
  });
  const s = result.stats;
  if (!o.json) {
    process.stdout.write(`${label}: ${s.runs} runs, ${s.commands} commands in ${(s.elapsedMs / 1000).toFixed(1)}s (seed ${o.seed})\n`);
    for (const [id, n] of result.openIssues) process.stdout.write(`known open issue ${id} hit ${n} time(s), not counted (msi-fuzz list)\n`);
    for (const v of violations) process.stdout.write(`\nviolation: ${v.invariant} (${v.length} commands)${v.repro !== null ? ` -> ${v.repro}` : ''}\n${v.text}`);
    if (violations.length === 0) process.stdout.write('no violation found\n');
  }
  if (o.json) {
    printJson({
      platform: platform.name,
      revision: config.revision.spec,
      seed: o.seed,
      runs: s.runs,
      commands: s.commands,
      elapsedMs: s.elapsedMs,
      violations: violations.map((v) => ({ invariant: v.invariant, repro: v.repro, length: v.length })),
      knownOpenIssues: Object.fromEntries(result.openIssues),
    });
  }
  // A repro that could not be written was printed on stderr: the result is there, the file is not.
  if (violations.some((v) => v.repro === null)) return EXIT_INCOMPLETE;
  return violations.length > 0 ? EXIT_VIOLATION : EXIT_CLEAN;
}
