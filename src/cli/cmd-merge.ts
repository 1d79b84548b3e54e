// msi-fuzz merge DIR...: joins the state directories of shards (or of separate campaigns with
// the same plan): findings deduplicated by signature (shortest repro kept, hits summed),
// statistics and coverage added, the units done united. --into writes the merged directory.
import * as path from 'node:path';
import { emptyProgress, FindingStore, mergeProgress, StateDir } from '../engine/state-dir';
import type { PlanOptions } from '../engine/plan';
import { EXIT_CLEAN, EXIT_VIOLATION, UsageError } from './errors';
import { coverageSummary, faultCoverageLine, writeHtml } from './cmd-campaign';
import { printJson } from './output';

export interface MergeOptions {
  dirs: string[];
  into?: string;
  html?: string;
  json: boolean;
}

const planKey = (p: PlanOptions): string => JSON.stringify({ ...p, shard: undefined });

export function cmdMerge(o: MergeOptions): number {
  if (o.dirs.length === 0) throw new UsageError('merge: name at least one state directory');
  const progress = emptyProgress();
  const store = new FindingStore();
  let plan: PlanOptions | null = null;
  const plans = new Set<string>();
  for (const dir of o.dirs) {
    if (!StateDir.exists(dir)) throw new UsageError(`merge: ${dir} is not a state directory (no plan.json)`);
    const s = new StateDir(dir);
    const p = s.readPlan();
    plans.add(planKey(p));
    plan ??= p;
    const read = s.readProgress();
    mergeProgress(progress, read);
    // One directory: its timeline is the campaign's (shards ran side by side: no single timeline).
    if (o.dirs.length === 1) progress.timeline = read.timeline ?? [];
    for (const f of s.readFindings()) store.add(f, f.unitIndex, f.hits);
  }
  const findings = store.list();
  if (o.into !== undefined) {
    if (StateDir.exists(o.into)) throw new UsageError(`--into: ${o.into} already holds a campaign`);
    const out = new StateDir(o.into);
    const { shard: _shard, ...unsharded } = plan as PlanOptions;
    out.writePlan(unsharded);
    for (const f of findings) out.writeFinding(f);
    out.writeProgress(progress);
  }
  const configurations = Object.keys(progress.perConfig).sort();
  const htmlFile = o.html ?? (o.into !== undefined ? path.join(o.into, 'report.html') : undefined);
  const html = htmlFile !== undefined ? writeHtml(htmlFile, `msi-fuzz: ${o.dirs.length} merged state directories`, progress, findings, configurations) : null;
  const fresh = findings.filter((f) => f.known === null);
  const cov = coverageSummary(progress.coverage);
  if (o.json) {
    printJson({
      mode: 'merge',
      dirs: o.dirs,
      into: o.into ?? null,
      html,
      samePlan: plans.size === 1,
      units: progress.done.length,
      runs: progress.runs,
      commands: progress.commands,
      findings: findings.map((f) => ({ signature: f.signature, status: f.known === null ? 'new' : 'known', known: f.known, invariant: f.invariant, platform: f.platform, revision: f.revision, lastKind: f.lastKind, length: f.length, hits: f.hits, reproduce: f.reproduce })),
      newFindings: fresh.length,
      knownFindings: findings.length - fresh.length,
      knownOpenIssues: progress.openIssues,
      coverage: cov,
    });
  } else {
    const lines = [`merged ${o.dirs.length} state director${o.dirs.length === 1 ? 'y' : 'ies'}${plans.size > 1 ? ' (different plans: statistics are summed, units done may overlap)' : ''}: ${progress.done.length} units, ${progress.runs} runs, ${progress.commands} commands`];
    for (const f of findings) lines.push(`${f.known === null ? 'NEW  ' : 'known'} ${f.invariant} on ${f.platform}@${f.revision} (last: ${f.lastKind}, ${f.length} commands, ${f.hits} hit(s))${f.known !== null ? ` = ${f.known}` : ''}\n      ${f.reproduce}`);
    lines.push(`coverage not reached: ${cov.unreached.join(', ') || 'none'}`);
    lines.push(faultCoverageLine(cov));
    lines.push(findings.length === 0 ? 'summary: no violation' : `summary: ${fresh.length} new, ${findings.length - fresh.length} known finding(s)`);
    if (o.into !== undefined) lines.push(`merged state: ${o.into}`);
    if (html !== null) lines.push(`report: ${html}`);
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  return fresh.length > 0 ? EXIT_VIOLATION : EXIT_CLEAN;
}
