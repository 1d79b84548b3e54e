// One `msi-fuzz run` of the instrumented build in a child process, with or without an active
// mutant: the fixed command budget is `--runs` runs at the default `--max-steps` (each run's
// length is drawn from its seed before any model code runs, so the budget does not depend on
// the mutant), seeded, at the platform's current revision, with default faults unless the
// measurement names fault classes (`--faults`, passed through as msi-fuzz run takes it).
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ChildOutcome, RuntimeResult } from './classify';

export interface RunSpec {
  /** The instrumented build's CLI (dist/src/cli/main.js of the sandbox). */
  readonly cli: string;
  readonly platform: string;
  readonly runs: number;
  readonly fuzzSeed: number;
  /** msi-fuzz run --faults (null: default faults). */
  readonly faults: string | null;
  /** Switch id of the active mutant; none for a baseline run. */
  readonly switchId?: string;
  readonly hitLimit?: number;
  /** Count coverage (baseline runs). */
  readonly coverage?: boolean;
  readonly wallLimitMs: number;
  /** Scratch directory of this run: the runtime result and repro scripts go there. */
  readonly scratch: string;
}

const RUNTIME = path.join(__dirname, 'runtime.js');

function firstNonEmpty(lines: readonly string[]): string | null {
  return lines.find((l) => l.trim() !== '') ?? null;
}

export function runArgs(s: Pick<RunSpec, 'platform' | 'runs' | 'fuzzSeed' | 'faults'>): string[] {
  const faults = s.faults !== null ? ['--faults', s.faults] : [];
  return ['run', '--platform', s.platform, '--runs', String(s.runs), '--seed', String(s.fuzzSeed), ...faults, '--json'];
}

export function runInstrumented(s: RunSpec): Promise<ChildOutcome & { readonly elapsedMs: number }> {
  fs.rmSync(s.scratch, { recursive: true, force: true });
  fs.mkdirSync(s.scratch, { recursive: true });
  const resultFile = path.join(s.scratch, 'runtime.json');
  const env: NodeJS.ProcessEnv = { ...process.env, MSI_MUTATE_RESULT: resultFile };
  delete env['__STRYKER_ACTIVE_MUTANT__'];
  if (s.switchId !== undefined) env['__STRYKER_ACTIVE_MUTANT__'] = s.switchId;
  if (s.hitLimit !== undefined) env['MSI_MUTATE_HIT_LIMIT'] = String(s.hitLimit);
  if (s.coverage === true) env['MSI_MUTATE_COVERAGE'] = '1';
  const args = ['-r', RUNTIME, s.cli, ...runArgs(s), '--out', path.join(s.scratch, 'repros')];
  const start = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    let wallTimeout = false;
    const timer = setTimeout(() => {
      wallTimeout = true;
      child.kill('SIGKILL');
    }, s.wallLimitMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      let runtime: RuntimeResult | null = null;
      try {
        runtime = JSON.parse(fs.readFileSync(resultFile, 'utf8')) as RuntimeResult;
      } catch {
        runtime = null;
      }
      const stdout = Buffer.concat(out).toString('utf8').split('\n').filter((l) => l.trim() !== '');
      resolve({
        exitCode: code,
        signal,
        wallTimeout,
        lastLine: stdout[stdout.length - 1] ?? null,
        firstErrorLine: firstNonEmpty(Buffer.concat(err).toString('utf8').split('\n')),
        runtime,
        elapsedMs: Date.now() - start,
      });
    });
  });
}
