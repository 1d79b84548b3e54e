// npm run mutate: mutation testing of models/, measured by what default fuzzing catches.
// 1. Every model file goes through the Stryker instrumenter; a seeded, stratified sample of its
//    mutants is drawn (src/mutate/sample.ts).
// 2. The instrumented tree is built once (src/mutate/sandbox.ts); a process activates one mutant.
// 3. Baseline: `msi-fuzz run` of the instrumented build, no mutant, on every platform at its
//    current revision, must be clean and run exactly the commands the real build runs; it
//    records which mutants' code ran on which platform, and how often.
// 4. Each sampled mutant is fuzzed with the same budget on every platform whose baseline ran its
//    code, the one that ran it most first, until one kills it. A mutant whose code ran on no platform is
//    "no coverage": its runs would be the baseline's, command for command.
// Exit codes: 0 the measurement ran, 1 a baseline is not clean (nothing measured), 2 bad input.
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command, CommanderError } from 'commander';
import { EXIT_USAGE, UsageError } from '../cli/errors';
import { parseCount, parseFaults } from '../cli/options';
import { allPlatforms } from '../platforms';
import { classify } from './classify';
import { runArgs, runInstrumented } from './execute';
import { buildPopulation, type ModelMutant } from './population';
import { formatText, location, mutation, toJson, type MutantResult, type MutateSummary, type PlatformTry } from './report';
import { sampleMutants } from './sample';
import { buildSandbox } from './sandbox';

/** Stryker's hit limit: a mutant may take its switch this many times as often as the baseline ran the code. */
export const HIT_LIMIT_FACTOR = 100;
/** Added to the hit limit, so code the baseline ran a few times may still loop a little more. */
export const HIT_LIMIT_FLOOR = 1000;

interface MutateOptions {
  readonly seed: number;
  readonly mutants: number;
  readonly runs: number;
  readonly fuzzSeed: number;
  /** msi-fuzz run --faults of every run, as given (null: default faults). */
  readonly faults: string | null;
  readonly jobs: number;
  readonly work: string;
  readonly only: readonly string[] | null;
  /** The platforms fuzzed (null: every one), so a later run can be measured on an earlier run's set. */
  readonly platforms: readonly string[] | null;
  readonly list: boolean;
  readonly json: boolean;
}

interface Baseline {
  readonly platform: string;
  readonly revision: string;
  readonly commands: number;
  readonly elapsedMs: number;
  readonly coverage: Readonly<Record<string, number>>;
}

const ROOT = path.resolve(__dirname, '..', '..', '..');

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Runs `work` over `items` with at most `jobs` at a time; results in input order. */
async function pool<T, R>(items: readonly T[], jobs: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, items.length)) }, worker));
  return out;
}

/** The real (uninstrumented) build's command count for the same budget: the instrumentation must not change a run. */
function referenceCommands(platform: string, o: MutateOptions): number | null {
  const cli = path.join(ROOT, 'dist', 'src', 'cli', 'main.js');
  const r = spawnSync(process.execPath, [cli, ...runArgs({ platform, runs: o.runs, fuzzSeed: o.fuzzSeed, faults: o.faults }), '--out', path.join(o.work, 'reference-repros')], { encoding: 'utf8' });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  try {
    const v = JSON.parse(last) as { commands?: unknown };
    return typeof v.commands === 'number' ? v.commands : null;
  } catch {
    return null;
  }
}

async function baselines(cli: string, o: MutateOptions): Promise<Baseline[] | string> {
  const platforms = allPlatforms().filter((p) => o.platforms === null || o.platforms.includes(p.name));
  const got = await pool(platforms, o.jobs, async (p) => {
    const out = await runInstrumented({ cli, platform: p.name, runs: o.runs, fuzzSeed: o.fuzzSeed, faults: o.faults, coverage: true, wallLimitMs: 60 * 60_000, scratch: path.join(o.work, 'runs', 'baseline', p.name) });
    const v = classify(out);
    if (v.status !== 'survived') return `baseline on ${p.name} is not clean: ${v.status} by ${v.by}: ${v.detail} (the unmutated model must pass its own budget; try another --fuzz-seed or --runs)`;
    const ref = referenceCommands(p.name, o);
    if (ref !== v.commands) return `the instrumented build ran ${v.commands} commands on ${p.name}, the real build ${String(ref)}: instrumentation changed behaviour`;
    log(`baseline ${p.name}@${p.currentRevision}: ${v.commands} commands, clean, ${(out.elapsedMs / 1000).toFixed(1)}s`);
    return { platform: p.name, revision: p.currentRevision, commands: v.commands, elapsedMs: out.elapsedMs, coverage: out.runtime?.coverage ?? {} };
  });
  const bad = got.find((g): g is string => typeof g === 'string');
  return bad ?? (got as Baseline[]);
}

async function runMutant(cli: string, m: ModelMutant, base: readonly Baseline[], o: MutateOptions): Promise<MutantResult> {
  // The platform that ran the code most often first: a kill there spares the other runs. The
  // order changes which platform a kill is credited to, never whether the mutant is killed.
  const covering = base
    .filter((b) => (b.coverage[m.switchId] ?? 0) > 0)
    .sort((a, b) => (b.coverage[m.switchId] ?? 0) - (a.coverage[m.switchId] ?? 0) || a.platform.localeCompare(b.platform));
  if (covering.length === 0) return { mutant: m, status: 'no-coverage', tries: [] };
  const tries: PlatformTry[] = [];
  for (const b of covering) {
    const hits = b.coverage[m.switchId] ?? 0;
    const out = await runInstrumented({
      cli,
      platform: b.platform,
      runs: o.runs,
      fuzzSeed: o.fuzzSeed,
      faults: o.faults,
      switchId: m.switchId,
      hitLimit: hits * HIT_LIMIT_FACTOR + HIT_LIMIT_FLOOR,
      // A backstop only (the hit limit is the bound that does not depend on the machine's load).
      wallLimitMs: Math.max(120_000, 10 * b.elapsedMs),
      scratch: path.join(o.work, 'runs', m.key, b.platform),
    });
    const verdict = classify(out);
    tries.push({ platform: b.platform, baselineHits: hits, verdict, elapsedMs: out.elapsedMs });
    if (verdict.status === 'killed') return { mutant: m, status: 'killed', tries };
  }
  return { mutant: m, status: 'survived', tries };
}

function parseOptions(argv: readonly string[]): MutateOptions {
  const program = new Command('npm run mutate --')
    .description('mutation testing of models/: a seeded sample of mutants, each fuzzed by msi-fuzz run for a fixed budget')
    .option('--seed <n>', 'sampling seed (same seed and tree, same mutants)', '1')
    .option('--mutants <n>', 'mutants in the sample (stratified: the kernel core and each platform family)', '200')
    .option('--runs <n>', 'fuzzing budget per mutant and platform: msi-fuzz run --runs (runs of at most 40 commands)', '400')
    .option('--fuzz-seed <n>', 'msi-fuzz run --seed of every run', '1')
    .option('--faults <classes>', 'msi-fuzz run --faults of every run: resource,kmalloc,firmware | all | none (default: default faults)')
    .option('--jobs <n>', 'mutants fuzzed at once', String(Math.min(2, os.cpus().length)))
    .option('--work <dir>', 'instrumented tree and run scratch (emptied)', '.mutate')
    .option('--only <keys>', 'fuzz these mutants (comma-separated keys from a report) instead of a sample')
    .option('--platforms <names>', 'fuzz on these platforms only (comma-separated; default: every platform)')
    .option('--list', 'print the sampled mutants and stop (no build, no fuzzing)')
    .option('--json', 'print one JSON object as the last stdout line')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s.split('\n').filter((l) => l.trim() !== '')[0] + '\n') })
    .showSuggestionAfterError(false);
  program.parse([...argv], { from: 'user' });
  const opts = program.opts<Record<string, string | boolean | undefined>>();
  const str = (k: string): string => String(opts[k]);
  const only = typeof opts['only'] === 'string' ? opts['only'].split(',').map((k) => k.trim()).filter((k) => k !== '') : null;
  if (only !== null && only.length === 0) throw new UsageError('--only: expected mutant keys, comma-separated');
  const platforms = typeof opts['platforms'] === 'string' ? opts['platforms'].split(',').map((k) => k.trim()).filter((k) => k !== '') : null;
  const known = allPlatforms().map((p) => p.name);
  const unknownPlatform = platforms?.find((p) => !known.includes(p));
  if (platforms !== null && (platforms.length === 0 || unknownPlatform !== undefined)) throw new UsageError(`--platforms: unknown platform '${unknownPlatform ?? ''}' (see msi-fuzz list)`);
  // --faults is checked here and handed to every msi-fuzz run as given
  const faults = typeof opts['faults'] === 'string' ? opts['faults'] : null;
  if (faults !== null) parseFaults('--faults', faults);
  return {
    seed: parseCount('--seed', str('seed')),
    mutants: parseCount('--mutants', str('mutants'), 1),
    runs: parseCount('--runs', str('runs'), 1),
    fuzzSeed: parseCount('--fuzz-seed', str('fuzzSeed')),
    faults,
    jobs: parseCount('--jobs', str('jobs'), 1),
    work: path.resolve(str('work')),
    only,
    platforms,
    list: opts['list'] === true,
    json: opts['json'] === true,
  };
}

export async function main(argv: readonly string[]): Promise<number> {
  let o: MutateOptions;
  try {
    o = parseOptions(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`mutate: ${e.message}\n`);
      return EXIT_USAGE;
    }
    if (e instanceof CommanderError) return e.code === 'commander.helpDisplayed' || e.code === 'commander.help' ? 0 : EXIT_USAGE;
    throw e;
  }
  const t0 = Date.now();
  const population = await buildPopulation(ROOT);
  let chosen: ModelMutant[];
  if (o.only !== null) {
    const keys = new Set(o.only);
    chosen = population.mutants.filter((m) => keys.has(m.key));
    const unknown = o.only.filter((k) => !chosen.some((m) => m.key === k));
    if (unknown.length > 0) {
      process.stderr.write(`mutate: --only: no mutant with key ${unknown.join(', ')} in this tree\n`);
      return EXIT_USAGE;
    }
  } else {
    chosen = sampleMutants(population.mutants, o.mutants, o.seed);
  }
  const ignored = [...population.ignored.values()].reduce((a, b) => a + b, 0);
  if (o.list) {
    for (const m of chosen) process.stdout.write(`${m.key} ${m.group.padEnd(15)} ${location(m)}  ${mutation(m)}\n`);
    if (o.json) process.stdout.write(`${JSON.stringify({ seed: o.seed, population: population.mutants.length, ignored, sampled: chosen.map((m) => m.key) })}\n`);
    return 0;
  }
  log(`${population.mutants.length} mutants (${ignored} text-only left out), ${chosen.length} chosen; building the instrumented tree in ${o.work}`);
  const cli = await buildSandbox(ROOT, path.join(o.work, 'tree'), population.files);
  const base = await baselines(cli, o);
  if (typeof base === 'string') {
    process.stderr.write(`mutate: ${base}\n`);
    return 1;
  }
  let done = 0;
  const results = await pool(chosen, o.jobs, async (m) => {
    const r = await runMutant(cli, m, base, o);
    const last = r.tries[r.tries.length - 1];
    const how = last === undefined ? '' : last.verdict.status === 'killed' ? ` by ${last.verdict.by} on ${last.platform}: ${last.verdict.detail}` : ` on ${r.tries.map((t) => t.platform).join(', ')}`;
    log(`[${++done}/${chosen.length}] ${r.mutant.key} ${location(r.mutant)} ${r.mutant.mutator}: ${r.status}${how}`);
    return r;
  });
  const summary: MutateSummary = {
    seed: o.seed,
    fuzzSeed: o.fuzzSeed,
    faults: o.faults,
    runs: o.runs,
    population: population.mutants.length,
    ignored,
    baseline: base.map((b) => ({ platform: b.platform, revision: b.revision, commands: b.commands, elapsedMs: b.elapsedMs })),
    results,
    elapsedMs: Date.now() - t0,
  };
  process.stdout.write(formatText(summary));
  if (o.json) process.stdout.write(`${JSON.stringify(toJson(summary))}\n`);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`mutate: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 3;
    },
  );
}
