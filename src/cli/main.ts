#!/usr/bin/env node
// msi-fuzz command line (commander). Exit codes (src/cli/errors.ts, docs/reference/cli.md):
// 0 clean, 1 a violation that matters, 2 bad input (one line naming the flag, the file and
// field, or FILE:LINE:COL; nothing ran), 3 the work ran but an output could not be written, or
// msi-fuzz failed inside (one line; MSI_FUZZ_DEBUG=1 adds the stack).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { cmdFuzz } from './cmd-fuzz';
import { cmdList } from './cmd-list';
import { cmdReplay } from './cmd-replay';
import { cmdRun } from './cmd-run';
import { cmdCampaign, parseWorkers } from './cmd-campaign';
import { cmdMerge } from './cmd-merge';
import { cmdKernel } from './cmd-kernel';
import { cmdDiffKernel } from './cmd-diff-kernel';
import { cmdExport } from './cmd-export';
import { parseShard } from '../engine/plan';
import { InputError, WriteError } from '../engine/files';
import { clip, EXIT_INCOMPLETE, EXIT_USAGE, UsageError } from './errors';
import { MAX, parseCount, parseDuration, parseFaults, parseHunt } from './options';

/** The version in the package.json above this file (src/cli under ts-node, dist/src/cli when built). */
function packageVersion(): string {
  for (let dir = __dirname, i = 0; i < 5; i++, dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'msi-fuzz') return pkg.version ?? 'unknown';
    } catch {
      // not here: one level up
    }
  }
  return 'unknown';
}

const HELP_AFTER = `
Exit codes: 0 clean; 1 a violation that matters (a new finding at a correct revision, a known
bug that no longer reproduces, a violation found by run or reproduced by replay); 2 bad input,
nothing ran; 3 the work ran and was reported but an output could not be written.
'msi-fuzz help COMMAND' lists a command's options; docs/reference/cli.md describes them all.`;

function build(): Command {
  const program = new Command('msi-fuzz')
    .description('property-based fuzzing of Linux MSI interrupt domain invariants')
    .version(packageVersion(), '-V, --version', 'print the version')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(`${clip(s.split('\n').filter((l) => l.trim() !== '')[0] ?? '', 200)}\n`) })
    .showSuggestionAfterError(false)
    .addHelpText('after', HELP_AFTER);

  program
    .command('list')
    .description('platforms, patches, named revisions, invariants, known bugs, commands')
    .option('--json', 'one JSON object')
    .action((opts: { json?: boolean }) => {
      process.exitCode = cmdList(opts.json === true);
    });

  program
    .command('run')
    .description('fuzz one platform at one revision until a violation or the budget runs out; or a campaign over many (docs/how-to/run-a-campaign.md)')
    .option('--platform <name>', "platform (see list), or 'all'")
    .option('--revision <rev>', "named revision, optionally +patch/-patch (default: current upstream), or 'all'")
    .option('--known-bug <id>', 'hunt a known bug: its platform, revision, faults and invariant')
    .option('--seed <n>', 'campaign seed', '1')
    .addOption(new Option('--runs <n>', 'number of random runs').conflicts('time'))
    .option('--time <duration>', 'wall-time budget, e.g. 30s')
    .option('--faults <classes>', 'fault classes the runs may inject: resource,kmalloc,firmware | all | none')
    .option('--max-steps <n>', 'commands per run at most', '40')
    .option('--from-run <n>', 'index of the first run (a finding names its run: --from-run R --runs 1 replays it alone)', '0')
    .option('--swarm', 'swarm testing: each run switches off a seeded random subset of command kinds')
    .option('--hunt <kinds>', 'hunt these command kinds: generate those hidden from default fuzzing, weigh the others 4 times more (comma-separated; a known bug\'s, as a campaign finding names them)')
    .option('--even', 'campaign: one seed per configuration and round (default: more seeds for the configurations that found less)')
    .option('--workers <n|auto>', 'campaign: worker threads (auto: one per CPU)')
    .option('--seeds <n>', 'campaign: seed rounds (each configuration runs seeds S..S+n-1)')
    .option('--runs-per-seed <n>', 'campaign: runs per seed and configuration (one plan unit)', '200')
    .option('--state <dir>', 'campaign: state directory (findings, statistics, resume point)')
    .option('--resume', 'campaign: continue the campaign in --state')
    .option('--shard <K/N>', 'campaign: run slice K of N of the seed space')
    .option('--junit <file>', 'campaign: write JUnit XML')
    .option('--html <file>', 'campaign: write the self-contained HTML report')
    .option('--out <dir>', 'where repro scripts are written', 'shrink-reports')
    .option('--json', 'print one JSON object as the last stdout line')
    .action(async (opts: Record<string, string | boolean | undefined>) => {
      const str = (k: string): string | undefined => (typeof opts[k] === 'string' ? (opts[k] as string) : undefined);
      const campaign =
        str('platform') === 'all' || str('revision') === 'all' || ['workers', 'seeds', 'state', 'shard', 'junit', 'html'].some((k) => str(k) !== undefined) || opts['resume'] === true;
      const faults = str('faults') !== undefined ? { faults: parseFaults('--faults', str('faults') as string) } : {};
      const maxSteps = parseCount('--max-steps', String(opts['maxSteps']), 8, MAX.maxSteps);
      const seed = parseCount('--seed', String(opts['seed']), 0, MAX.seed);
      if (campaign) {
        if (opts['even'] === true && opts['resume'] === true) throw new UsageError('--even: a resumed campaign keeps its plan');
        if (str('knownBug') !== undefined) throw new UsageError('--known-bug: not with campaign options (--platform all, --revision all, --workers, --seeds, --state, --shard, --junit)');
        if (str('runs') !== undefined) throw new UsageError('--runs: in a campaign the budget is --seeds N or --time; runs per seed are --runs-per-seed');
        if (str('hunt') !== undefined) throw new UsageError('--hunt: a campaign hunts the commands of the known bugs at each configuration itself');
        const shardText = str('shard');
        const shard = shardText === undefined ? undefined : parseShard(shardText);
        if (shard === null) throw new UsageError(`--shard: expected K/N with 1 <= K <= N, got '${clip(shardText ?? '')}'`);
        if (str('platform') === undefined && opts['resume'] !== true) throw new UsageError("--platform: required (a platform or 'all')");
        process.exitCode = await cmdCampaign({
          platform: str('platform') ?? 'all',
          ...(str('revision') !== undefined ? { revision: str('revision') as string } : {}),
          seed,
          ...(str('seeds') !== undefined ? { seeds: parseCount('--seeds', str('seeds') as string, 1, MAX.seeds) } : {}),
          ...(str('time') !== undefined ? { timeMs: parseDuration('--time', str('time') as string) } : {}),
          runsPerSeed: parseCount('--runs-per-seed', String(opts['runsPerSeed']), 1, MAX.runsPerSeed),
          swarm: opts['swarm'] === true,
          weighting: opts['even'] === true ? 'even' : 'found-less',
          ...faults,
          maxSteps,
          workers: str('workers') !== undefined ? parseWorkers(str('workers') as string) : 0,
          ...(str('state') !== undefined ? { state: str('state') as string } : {}),
          resume: opts['resume'] === true,
          ...(shard !== undefined ? { shard } : {}),
          ...(str('junit') !== undefined ? { junit: str('junit') as string } : {}),
          ...(str('html') !== undefined ? { html: str('html') as string } : {}),
          out: String(opts['out']),
          json: opts['json'] === true,
        });
        return;
      }
      process.exitCode = cmdRun({
        ...(str('platform') !== undefined ? { platform: str('platform') as string } : {}),
        ...(str('revision') !== undefined ? { revision: str('revision') as string } : {}),
        ...(str('knownBug') !== undefined ? { knownBug: str('knownBug') as string } : {}),
        seed,
        ...(str('runs') !== undefined ? { runs: parseCount('--runs', str('runs') as string, 1, MAX.runs) } : {}),
        ...(str('time') !== undefined ? { timeMs: parseDuration('--time', str('time') as string) } : {}),
        ...faults,
        maxSteps,
        swarm: opts['swarm'] === true,
        ...(str('hunt') !== undefined ? { hunt: parseHunt(str('hunt') as string) } : {}),
        firstRun: parseCount('--from-run', String(opts['fromRun']), 0, MAX.fromRun),
        out: String(opts['out']),
        json: opts['json'] === true,
      });
    });

  program
    .command('merge')
    .description('join the state directories of shards or campaigns: findings deduplicated, statistics summed')
    .argument('<dirs...>', 'state directories')
    .option('--into <dir>', 'write the merged state directory here')
    .option('--html <file>', 'write the self-contained HTML report of the merged campaign')
    .option('--json', 'print one JSON object as the last stdout line')
    .action((dirs: string[], opts: { into?: string; html?: string; json?: boolean }) => {
      process.exitCode = cmdMerge({ dirs, ...(opts.into !== undefined ? { into: opts.into } : {}), ...(opts.html !== undefined ? { html: opts.html } : {}), json: opts.json === true });
    });

  program
    .command('replay')
    .description('re-run a repro script; exit 1 if a violation reproduces')
    .argument('<file>', 'repro script')
    .option('--revision <rev>', 'replay on another revision (e.g. the fixed one)')
    .option('--json', 'print one JSON object as the last stdout line')
    .action((file: string, opts: { revision?: string; json?: boolean }) => {
      process.exitCode = cmdReplay({ file, ...(opts.revision !== undefined ? { revision: opts.revision } : {}), json: opts.json === true });
    });

  program
    .command('fuzz')
    .description('the main job: every platform at its current upstream revision, a short budget each, a summary')
    .option('--time <duration>', 'budget per platform', '3s')
    .option('--seed <n>', 'campaign seed', '1')
    .option('--faults <classes>', 'fault classes: resource,kmalloc,firmware | all | none')
    .option('--max-steps <n>', 'commands per run at most', '40')
    .option('--out <dir>', 'where repro scripts are written', 'shrink-reports')
    .option('--json', 'print one JSON object as the last stdout line')
    .action((opts: Record<string, string | boolean | undefined>) => {
      process.exitCode = cmdFuzz({
        seed: parseCount('--seed', String(opts['seed']), 0, MAX.seed),
        timeMs: parseDuration('--time', String(opts['time'])),
        ...(typeof opts['faults'] === 'string' ? { faults: parseFaults('--faults', opts['faults']) } : {}),
        maxSteps: parseCount('--max-steps', String(opts['maxSteps']), 8, MAX.maxSteps),
        out: String(opts['out']),
        json: opts['json'] === true,
      });
    });
  program
    .command('kernel')
    .description('provision real kernels for diff-kernel: Debian source packages (pinned) or your own tree, built for UML with our KUnit suite')
    .option('--kernel <name>', '6.12, latest or all', 'all')
    .option('--tree <dir>', 'your own kernel tree instead (our suite is added to drivers/irqchip/msi-fuzz/)')
    .option('--cache <dir>', 'cache directory (default: ~/.cache/msi-fuzz, or $MSI_FUZZ_CACHE)')
    .option('--jobs <n>', 'make -j (default: the CPU count)')
    .option('--json', 'print one JSON object as the last stdout line')
    .action(async (opts: { kernel: string; tree?: string; cache?: string; jobs?: string; json?: boolean }) => {
      process.exitCode = await cmdKernel({
        kernel: opts.kernel,
        tree: opts.tree,
        cache: opts.cache,
        jobs: opts.jobs === undefined ? undefined : parseCount('--jobs', opts.jobs, 1),
        json: opts.json === true,
      });
    });
  program
    .command('diff-kernel')
    .description('run random op sequences through the real genirq/MSI core (UML, KUnit) and the model, compare the traces, shrink divergences')
    .option('--kernel <name>', 'a provisioned kernel: 6.12 or latest (see msi-fuzz kernel)', 'latest')
    .option('--tree <dir>', 'your own kernel tree instead (built with our suite; see msi-fuzz kernel --tree)')
    .option('--revision <rev>', "the model's kunit-fake revision (default: the one the kernel was checked against), optionally +patch/-patch")
    .option('--sequences <n>', 'random sequences, one UML boot each', '100')
    .option('--seed <n>', 'seed (sequence i of seed S is always the same)', '1')
    .option('--max-ops <n>', 'ops per sequence at most', '24')
    .option('--jobs <n>', 'UML boots at a time', '1')
    .option('--shrink-runs <n>', 'kernel runs the shrinker may spend per divergence', '200')
    .option('--repro <file>', 'replay one kernel repro on both sides and print the traces side by side')
    .option('--out <dir>', 'where repro files are written', 'shrink-reports')
    .option('--cache <dir>', 'kernel cache directory (default: ~/.cache/msi-fuzz)')
    .option('--json', 'print one JSON object as the last stdout line')
    .action(async (opts: Record<string, string | boolean | undefined>) => {
      const str = (k: string): string | undefined => (typeof opts[k] === 'string' ? (opts[k] as string) : undefined);
      process.exitCode = await cmdDiffKernel({
        kernel: String(opts['kernel']),
        tree: str('tree'),
        revision: str('revision'),
        sequences: parseCount('--sequences', String(opts['sequences']), 1),
        seed: parseCount('--seed', String(opts['seed'])),
        maxOps: parseCount('--max-ops', String(opts['maxOps']), 1),
        jobs: parseCount('--jobs', String(opts['jobs']), 1),
        shrinkRuns: parseCount('--shrink-runs', String(opts['shrinkRuns'])),
        out: String(opts['out']),
        repro: str('repro'),
        cache: str('cache'),
        json: opts['json'] === true,
      });
    });
  program
    .command('export')
    .description('export a kernel repro (written by diff-kernel) as a KUnit case in C')
    .option('--kunit <file>', 'the kernel repro to export')
    .option('--out <file>', 'write the C file here (default: stdout); name it mf_export_<name>.c next to the suite')
    .option('--name <name>', 'the case name (default: from the file name)')
    .option('--revision <rev>', "the model revision that predicts the results (default: the repro's)")
    .action((opts: { kunit?: string; out?: string; name?: string; revision?: string }) => {
      process.exitCode = cmdExport(opts);
    });
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  const program = build();
  if (argv.length === 0) {
    // No command: the whole help, on stderr (nothing was done, so it is a usage error).
    process.stderr.write(program.helpInformation());
    process.stderr.write(`${HELP_AFTER}\n`);
    return EXIT_USAGE;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof InputError) {
      process.stderr.write(`msi-fuzz: ${oneLine(e.message)}\n`);
      return EXIT_USAGE;
    }
    if (e instanceof CommanderError) {
      // help and version are not errors
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.help' || e.code === 'commander.version') return 0;
      return EXIT_USAGE;
    }
    if (e instanceof WriteError) {
      process.stderr.write(`msi-fuzz: ${oneLine(e.message)}\n`);
      return EXIT_INCOMPLETE;
    }
    throw e;
  }
}

/** A message as one short line. */
function oneLine(s: string): string {
  return clip(s.replace(/\s*\n\s*/g, ' '), 300);
}

/** Anything not caught above is a bug in msi-fuzz: one line (the stack with MSI_FUZZ_DEBUG=1), exit 3. */
function internalError(e: unknown): void {
  const debug = process.env['MSI_FUZZ_DEBUG'] !== undefined;
  const text = e instanceof Error ? (debug ? (e.stack ?? e.message) : oneLine(e.message)) : String(e);
  process.stderr.write(`msi-fuzz: internal error: ${text}${debug ? '' : ' (MSI_FUZZ_DEBUG=1 prints the stack)'}\n`);
  process.exit(EXIT_INCOMPLETE);
}

if (require.main === module) {
  // A reader that goes away (msi-fuzz list | head) is not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => (e.code === 'EPIPE' ? process.exit(process.exitCode ?? 0) : internalError(e)));
  process.on('uncaughtException', internalError);
  process.on('unhandledRejection', internalError);
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => internalError(e),
  );
}
