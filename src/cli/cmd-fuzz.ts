// msi-fuzz fuzz: the main job. Every platform at its current upstream revision for a short
// budget each, then a summary table.
import { runCampaign } from '../engine/campaign';
import { allPlatforms } from '../platforms';
import type { FaultClass } from '../sim/simulation';
import { EXIT_CLEAN, EXIT_INCOMPLETE, EXIT_VIOLATION } from './errors';
import { DEFAULT_FAULTS } from './options';
import { interactive, printJson, startProgress } from './output';
import { checkOutputDir } from './paths';
import { configFor } from './setup';
import { writeRepro } from './write-repro';

export interface FuzzOptions {
  seed: number;
  timeMs: number;
  out: string;
  json: boolean;
  faults?: FaultClass[];
  maxSteps: number;
}

export function cmdFuzz(o: FuzzOptions): number {
  checkOutputDir('--out', o.out);
  const rows: { platform: string; revision: string; runs: number; commands: number; elapsedMs: number; result: string; repro: string | null }[] = [];
  for (const platform of allPlatforms()) {
    const config = configFor(platform, undefined, o.faults ?? DEFAULT_FAULTS);
    const progress = startProgress(interactive() && !o.json);
    const r = runCampaign({
      config,
      seed: o.seed,
      timeMs: o.timeMs,
      maxSteps: o.maxSteps,
      skipOpenIssues: true,
      onProgress: (s) => progress.update({ ...s, label: platform.name }),
    });
    progress.stop();
    const f = r.findings[0];
    const open = [...r.openIssues.keys()];
    rows.push({
      platform: platform.name,
      revision: config.revision.spec,
      runs: r.stats.runs,
      commands: r.stats.commands,
      elapsedMs: r.stats.elapsedMs,
      result: f !== undefined ? `VIOLATION ${f.finding.violation.invariant}` : open.length > 0 ? `clean (known open: ${open.join(', ')})` : 'clean',
      repro: f !== undefined ? writeRepro(o.out, f.repro) : null,
    });
  }
  const bad = rows.filter((r) => r.repro !== null || r.result.startsWith('VIOLATION'));
  const unwritten = rows.some((r) => r.repro === null && r.result.startsWith('VIOLATION'));
  if (o.json) {
    printJson({ seed: o.seed, platforms: rows, violations: bad.length });
  } else {
    const lines = [`msi-fuzz: every platform at its current upstream revision, ${(o.timeMs / 1000).toFixed(0)}s each, seed ${o.seed}`, ''];
    // columns as wide as the longest platform and revision names
    const pw = Math.max('platform'.length, ...rows.map((r) => r.platform.length));
    const rw = Math.max('revision'.length, ...rows.map((r) => r.revision.length));
    lines.push(`${'platform'.padEnd(pw)} ${'revision'.padEnd(rw)} ${'runs'.padStart(7)} ${'commands'.padStart(9)} ${'cmd/s'.padStart(7)}  result`);
    for (const r of rows) {
      const rate = r.elapsedMs > 0 ? Math.round((r.commands * 1000) / r.elapsedMs) : 0;
      lines.push(`${r.platform.padEnd(pw)} ${r.revision.padEnd(rw)} ${String(r.runs).padStart(7)} ${String(r.commands).padStart(9)} ${String(rate).padStart(7)}  ${r.result}${r.repro !== null ? ` -> ${r.repro}` : ''}`);
    }
    lines.push('', bad.length === 0 ? 'summary: no new violation on any platform' : `summary: ${bad.length} platform(s) with a violation; replay with: msi-fuzz replay FILE`);
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  if (unwritten) return EXIT_INCOMPLETE;
  return bad.length > 0 ? EXIT_VIOLATION : EXIT_CLEAN;
}
