// The mutation report: counts per stratum, the score, each survivor and uncovered mutant with
// its FILE:LINE:COL and mutation, and the JSON object `--json` prints as the last line.
import { oneLine, type ModelMutant } from './population';
import type { Verdict } from './classify';

/** One platform run of a mutant. */
export interface PlatformTry {
  readonly platform: string;
  /** Times the original code ran in the baseline run of this platform. */
  readonly baselineHits: number;
  readonly verdict: Verdict;
  readonly elapsedMs: number;
}

export type MutantStatus = 'killed' | 'survived' | 'no-coverage';

export interface MutantResult {
  readonly mutant: ModelMutant;
  readonly status: MutantStatus;
  /** Platforms tried in order, up to the first that killed it. */
  readonly tries: readonly PlatformTry[];
}

export interface MutateSummary {
  readonly seed: number;
  readonly fuzzSeed: number;
  /** --faults as given; null: default faults. */
  readonly faults: string | null;
  readonly runs: number;
  readonly population: number;
  readonly ignored: number;
  readonly baseline: readonly { platform: string; revision: string; commands: number; elapsedMs: number }[];
  readonly results: readonly MutantResult[];
  readonly elapsedMs: number;
}

interface Counts {
  sampled: number;
  killed: number;
  survived: number;
  noCoverage: number;
}

function count(results: readonly MutantResult[]): Counts {
  return {
    sampled: results.length,
    killed: results.filter((r) => r.status === 'killed').length,
    survived: results.filter((r) => r.status === 'survived').length,
    noCoverage: results.filter((r) => r.status === 'no-coverage').length,
  };
}

/** Stryker's mutation score: detected over all valid mutants (no coverage counts as undetected). */
export function score(c: Counts): number {
  return c.sampled === 0 ? 0 : (100 * c.killed) / c.sampled;
}

/** Detected over the mutants whose code ran at all. */
export function coveredScore(c: Counts): number {
  return c.killed + c.survived === 0 ? 0 : (100 * c.killed) / (c.killed + c.survived);
}

function pct(x: number): string {
  return `${x.toFixed(1)}%`;
}

export function location(m: ModelMutant): string {
  return `${m.file}:${m.line}:${m.col}`;
}

export function mutation(m: ModelMutant, width = 90): string {
  const cut = (s: string): string => (s.length > width ? `${s.slice(0, width - 3)}...` : s);
  return `${m.mutator}: ${cut(oneLine(m.original))} -> ${cut(oneLine(m.replacement))}`;
}

function killedBy(results: readonly MutantResult[], by: string): number {
  return results.filter((r) => {
    const v = r.tries[r.tries.length - 1]?.verdict;
    return r.status === 'killed' && v !== undefined && v.status === 'killed' && v.by === by;
  }).length;
}

export function formatText(s: MutateSummary): string {
  const lines: string[] = [];
  const all = count(s.results);
  lines.push(
    `msi-fuzz mutate: ${all.sampled} of ${s.population} mutants of models/ (seed ${s.seed}; ${s.ignored} text-only mutants left out), ` +
      `each fuzzed for ${s.runs} runs per platform (fuzz seed ${s.fuzzSeed}, ${s.faults === null ? 'default faults' : `--faults ${s.faults}`}, current revision)`,
  );
  lines.push('baseline (instrumented build, no mutant, coverage on):');
  for (const b of s.baseline) lines.push(`  ${b.platform.padEnd(14)} ${b.revision.padEnd(9)} ${String(b.commands).padStart(7)} commands, clean`);
  lines.push('');
  lines.push(`${'group'.padEnd(16)} ${'sampled'.padStart(7)} ${'killed'.padStart(7)} ${'survived'.padStart(8)} ${'no-cov'.padStart(7)} ${'score'.padStart(7)}`);
  const groups = [...new Set(s.results.map((r) => r.mutant.group))].sort();
  for (const g of [...groups, 'total']) {
    const c = count(g === 'total' ? s.results : s.results.filter((r) => r.mutant.group === g));
    lines.push(`${g.padEnd(16)} ${String(c.sampled).padStart(7)} ${String(c.killed).padStart(7)} ${String(c.survived).padStart(8)} ${String(c.noCoverage).padStart(7)} ${pct(score(c)).padStart(7)}`);
  }
  lines.push('');
  lines.push(
    `killed ${all.killed} (violation ${killedBy(s.results, 'violation')}, crash ${killedBy(s.results, 'crash')}, timeout ${killedBy(s.results, 'timeout')}) / ` +
      `survived ${all.survived} / no coverage ${all.noCoverage} / score ${pct(score(all))} (covered: ${pct(coveredScore(all))})`,
  );
  const survivors = s.results.filter((r) => r.status === 'survived');
  if (survivors.length > 0) {
    lines.push('', 'survived:');
    for (const r of survivors) {
      const ran = r.tries.map((t) => `${t.platform} ${t.verdict.status === 'survived' && t.verdict.hits !== null ? t.verdict.hits : t.baselineHits}x`).join(', ');
      lines.push(`  ${location(r.mutant)}  [${r.mutant.key}] ${mutation(r.mutant)}  (ran on ${ran})`);
    }
  }
  const uncovered = s.results.filter((r) => r.status === 'no-coverage');
  if (uncovered.length > 0) {
    lines.push('', 'no coverage (the code never ran on any platform in the budget):');
    for (const r of uncovered) lines.push(`  ${location(r.mutant)}  [${r.mutant.key}] ${mutation(r.mutant)}`);
  }
  lines.push('', `${(s.elapsedMs / 1000).toFixed(0)}s`);
  return `${lines.join('\n')}\n`;
}

export function toJson(s: MutateSummary): object {
  const all = count(s.results);
  return {
    seed: s.seed,
    fuzzSeed: s.fuzzSeed,
    faults: s.faults,
    runs: s.runs,
    population: s.population,
    ignored: s.ignored,
    ...all,
    score: Number(score(all).toFixed(2)),
    coveredScore: Number(coveredScore(all).toFixed(2)),
    elapsedMs: s.elapsedMs,
    baseline: s.baseline,
    mutants: s.results.map((r) => ({
      key: r.mutant.key,
      location: location(r.mutant),
      group: r.mutant.group,
      mutator: r.mutant.mutator,
      original: oneLine(r.mutant.original),
      replacement: oneLine(r.mutant.replacement),
      status: r.status,
      tries: r.tries.map((t) => ({ platform: t.platform, baselineHits: t.baselineHits, elapsedMs: t.elapsedMs, ...t.verdict })),
    })),
  };
}
