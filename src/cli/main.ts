#!/usr/bin/env node
// msi-fuzz command line (commander). Exit codes: 0 clean, 1 violation found or reproduced,
// 2 bad input (one line naming the flag or FILE:LINE:COL).
import { Command, CommanderError, Option } from 'commander';
import { cmdFuzz } from './cmd-fuzz';
import { cmdList } from './cmd-list';
import { cmdReplay } from './cmd-replay';
import { cmdRun } from './cmd-run';
import { EXIT_USAGE, UsageError } from './errors';
import { parseCount, parseDuration, parseFaults } from './options';

function build(): Command {
  const program = new Command('msi-fuzz')
    .description('property-based fuzzing of Linux MSI interrupt domain invariants')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s.split('\n').filter((l) => l.trim() !== '')[0] + '\n') })
    .showSuggestionAfterError(false);

  program
    .command('list')
    .description('platforms, patches, named revisions, invariants, known bugs, commands')
    .option('--json', 'one JSON object')
    .action((opts: { json?: boolean }) => {
      process.exitCode = cmdList(opts.json === true);
    });

  program
    .command('run')
    .description('fuzz one platform at one revision until a violation or the budget runs out')
    .option('--platform <name>', 'platform (see list)')
    .option('--revision <rev>', 'named revision, optionally +patch/-patch (default: current upstream)')
    .option('--known-bug <id>', 'hunt a known bug: its platform, revision, faults and invariant')
    .option('--seed <n>', 'campaign seed', '1')
    .addOption(new Option('--runs <n>', 'number of random runs').conflicts('time'))
    .option('--time <duration>', 'wall-time budget, e.g. 30s')
    .option('--faults <classes>', 'fault classes the runs may inject: resource,kmalloc,firmware | all | none')
    .option('--max-steps <n>', 'commands per run at most', '40')
    .option('--out <dir>', 'where repro scripts are written', 'shrink-reports')
    .option('--json', 'print one JSON object as the last stdout line')
    .action((opts: Record<string, string | boolean | undefined>) => {
      process.exitCode = cmdRun({
        ...(typeof opts['platform'] === 'string' ? { platform: opts['platform'] } : {}),
        ...(typeof opts['revision'] === 'string' ? { revision: opts['revision'] } : {}),
        ...(typeof opts['knownBug'] === 'string' ? { knownBug: opts['knownBug'] } : {}),
        seed: parseCount('--seed', String(opts['seed'])),
        ...(typeof opts['runs'] === 'string' ? { runs: parseCount('--runs', opts['runs'], 1) } : {}),
        ...(typeof opts['time'] === 'string' ? { timeMs: parseDuration('--time', opts['time']) } : {}),
        ...(typeof opts['faults'] === 'string' ? { faults: parseFaults('--faults', opts['faults']) } : {}),
        maxSteps: parseCount('--max-steps', String(opts['maxSteps']), 8),
        out: String(opts['out']),
        json: opts['json'] === true,
      });
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
        seed: parseCount('--seed', String(opts['seed'])),
        timeMs: parseDuration('--time', String(opts['time'])),
        ...(typeof opts['faults'] === 'string' ? { faults: parseFaults('--faults', opts['faults']) } : {}),
        maxSteps: parseCount('--max-steps', String(opts['maxSteps']), 8),
        out: String(opts['out']),
        json: opts['json'] === true,
      });
    });
  return program;
}

export function main(argv: readonly string[]): number {
  try {
    build().parse([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`msi-fuzz: ${e.message}\n`);
      return EXIT_USAGE;
    }
    if (e instanceof CommanderError) {
      // help and version are not errors
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.help' || e.code === 'commander.version') return 0;
      return EXIT_USAGE;
    }
    throw e;
  }
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}
