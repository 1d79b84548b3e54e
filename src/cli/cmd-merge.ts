// msi-fuzz merge DIR...: joins the state directories of shards (or of separate campaigns with
// the same plan): findings deduplicated by signature (shortest repro kept, hits summed),
// statistics and coverage added, the units done united. --into writes the merged directory.
// Every directory is checked (zod) before anything is written; exit 1 only for a new finding
// (at a revision declared correct), as for a campaign.
import * as path from 'node:path';
import type { PlanOptions } from '../engine/plan';
import { emptyProgress, FindingStore, mergeProgress, StateDir } from '../engine/state-dir';
import { EXIT_CLEAN, EXIT_INCOMPLETE, EXIT_VIOLATION, UsageError } from './errors';
import { attempt, coverageSummary, faultCoverageLine, findingLine, findingOut, statusCounts, writeHtml } from './cmd-campaign';
import { printJson } from './output';
import { checkOutputDir, checkOutputFile, checkStateDir } from './paths';

export interface MergeOptions {
  dirs: string[];
  into?: string;
  html?: string;
  json: boolean;
}

const planKey = (p: PlanOptions): string => JSON.stringify({ ...p, shard: undefined });

export function cmdMerge(o: MergeOptions): number {
  if (o.dirs.length === 0) throw new UsageError('merge: name at least one state directory');
  for (const dir of o.dirs) checkStateDir('merge', dir);
  if (o.into !== undefined) {
    checkOutputDir('--into', o.into);
    if (StateDir.exists(o.into)) throw new UsageError(`--into: ${o.into} already holds a campaign`);
  }
  if (o.html !== undefined) checkOutputFile('--html', o.html);
  // Everything is read and checked before anything is written.
  const progress = emptyProgress();
  const store = new FindingStore();
  let plan: PlanOptions | null = null;
  const plans = new Set<string>();
  for (const dir of o.dirs) {
    const s = new StateDir(dir);
    const p = s.readPlan();
    plans.add(planKey(p));
    plan ??= p;
    const read = s.load();
    mergeProgress(progress, read.progress);
    // One directory: its timeline is the campaign's (shards ran side by side: no single timeline).
    if (o.dirs.length === 1) progress.timeline = read.progress.timeline ?? [];
    for (const f of read.findings) store.add(f, f.unitIndex, f.hits);
  }
  const findings = store.list();
  const writeErrors: string[] = [];
  const out = o.into !== undefined ? new StateDir(o.into) : null;
  if (out !== null) {
    const { shard: _shard, ...unsharded } = plan as PlanOptions;
    attempt(writeErrors, () => {
      out.writePlan(unsharded);
      out.commit(progress, findings);
      out.syncViews(findings);
    });
  }
  const configurations = Object.keys(progress.perConfig).sort();
  const htmlFile = o.html ?? (o.into !== undefined ? path.join(o.into, 'report.html') : undefined);
  const html = htmlFile !== undefined ? attempt(writeErrors, () => writeHtml(htmlFile, `msi-fuzz: ${o.dirs.length} merged state directories`, progress, findings, configurations)) : null;
  const outs = findings.map((f) => findingOut(f, out !== null && writeErrors.length === 0 ? out.findingPath(f) : null));
  const counts = statusCounts(outs);
  const cov = coverageSummary(progress.coverage);
  const code = writeErrors.length > 0 ? EXIT_INCOMPLETE : counts.new > 0 ? EXIT_VIOLATION : EXIT_CLEAN;
  if (o.json) {
    for (const e of writeErrors) process.stderr.write(`msi-fuzz: ${e}\n`);
    printJson({
      mode: 'merge',
      dirs: o.dirs,
      into: o.into ?? null,
      html,
      samePlan: plans.size === 1,
      units: progress.done.length,
      runs: progress.runs,
      commands: progress.commands,
      findings: outs,
      newFindings: counts.new,
      knownFindings: counts.known,
      expectedFindings: counts.expected,
      knownOpenIssues: progress.openIssues,
      coverage: cov,
      writeErrors,
      exitCode: code,
    });
    return code;
  }
  const lines = [`merged ${o.dirs.length} state director${o.dirs.length === 1 ? 'y' : 'ies'}${plans.size > 1 ? ' (different plans: statistics are summed, units done may overlap)' : ''}: ${progress.done.length} units, ${progress.runs} runs, ${progress.commands} commands`];
  for (const f of outs) lines.push(`${findingLine(f)}\n         ${f.reproduce}`);
  lines.push(`coverage not reached: ${cov.unreached.join(', ') || 'none'}`);
  lines.push(faultCoverageLine(cov));
  lines.push(findings.length === 0 ? 'summary: no violation' : `summary: ${counts.new} new, ${counts.known} known, ${counts.expected} expected at known-bad revisions`);
  if (o.into !== undefined && writeErrors.length === 0) lines.push(`merged state: ${o.into}`);
  if (html !== null) lines.push(`report: ${html}`);
  for (const e of writeErrors) lines.push(`NOT WRITTEN: ${e}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  for (const e of writeErrors) process.stderr.write(`msi-fuzz: ${e}\n`);
  return code;
}
