// Building a UML kernel with our KUnit suite: kunit.py writes the .config (its UML defaults,
// which give the kernel PCI/MSI and enough irqs, plus kunit/kunitconfig), then make builds the
// linux binary. Builds are out of tree (O=), so the source stays a clean copy plus our suite.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lastLine, mustRun, ProvisionError, runStreaming } from './exec';
import { projectRoot } from './paths';
import { phase } from './progress';

/** Kbuild's quiet-mode lines: one per compiled, linked or generated file. */
const STEP = /^\s+(CC|LD|AR|AS|HOSTCC|HOSTLD|GEN|CPP|UPD|SYNC|WRAP|COPY|MKELF|OBJCOPY|LDS|CHK|SHIPPED|LEX|YACC|VDSO\w*)\s/;

/** Roughly the steps of a cold UML KUnit build, for the bar until a build has counted them. */
const COLD_BUILD_STEPS = 1150;

export function kunitconfigPath(): string {
  return path.join(projectRoot(), 'kunit', 'kunitconfig');
}

export interface BuildResult {
  readonly seconds: number;
  readonly steps: number;
}

/**
 * Configures (first time) and builds `tree` into `buildDir`. `expectedSteps` sizes the bar
 * (the previous build's count, or the cold estimate). Runs make under `nice -n 10`: a kernel
 * build is background work on a shared machine.
 */
export async function buildKernel(tree: string, buildDir: string, opts: { jobs: number; expectedSteps?: number; label: string }): Promise<BuildResult> {
  fs.mkdirSync(buildDir, { recursive: true });
  const t0 = Date.now();
  mustRun('kunit.py config', 'python3', ['tools/testing/kunit/kunit.py', 'config', '--arch=um', `--kunitconfig=${kunitconfigPath()}`, `--build_dir=${buildDir}`], { cwd: tree });
  const bar = phase(opts.label, opts.expectedSteps ?? COLD_BUILD_STEPS, 'steps');
  let steps = 0;
  const r = await runStreaming(
    'nice',
    ['-n', '10', 'make', 'ARCH=um', `O=${buildDir}`, `-j${opts.jobs}`],
    (line) => {
      if (STEP.test(line)) bar.update(++steps);
    },
    { cwd: tree, env: { ...process.env, LC_ALL: 'C' } },
  );
  const seconds = Math.round((Date.now() - t0) / 100) / 10;
  if (r.code !== 0) {
    bar.done('failed');
    // The compiler's or linker's own words, not make's "Error 2" that follows them
    const err = r.tail.filter((l) => /error:|undefined reference|No rule to make/.test(l))[0] ?? r.tail.filter((l) => /Error/.test(l)).slice(-1)[0] ?? lastLine(r.tail.join('\n'));
    throw new ProvisionError(`make ARCH=um in ${tree} failed: ${err.trim()}`);
  }
  if (!fs.existsSync(path.join(buildDir, 'linux'))) throw new ProvisionError(`make ARCH=um in ${tree} produced no ${path.join(buildDir, 'linux')}`);
  bar.done(`${steps} steps in ${seconds} s`);
  return { seconds, steps };
}

export function defaultJobs(): number {
  return Math.max(1, os.availableParallelism());
}
