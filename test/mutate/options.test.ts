// The mutation runner's pass-through of msi-fuzz run options: what every child run gets, and
// bad input refused before anything is built.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { root } from '../cli-helpers';
import { runArgs } from '../../src/mutate/execute';

// The runner as npm runs it (its population module loads Stryker's instrumenter, an ES module
// jest does not transform): the built entry point, CI set.
function mutate(...args: string[]): { code: number; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(root, 'dist', 'src', 'mutate', 'main.js'), ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, CI: 'true' } });
  return { code: r.status ?? -1, stderr: r.stderr };
}

describe('npm run mutate options', () => {
  test('--faults reaches every msi-fuzz run; without it the runs keep default faults', () => {
    const base = { platform: 'gic-v3-its', runs: 400, fuzzSeed: 1 };
    expect(runArgs({ ...base, faults: null })).not.toContain('--faults');
    const all = runArgs({ ...base, faults: 'all' });
    expect(all.slice(all.indexOf('--faults'), all.indexOf('--faults') + 2)).toEqual(['--faults', 'all']);
  });

  test('an unknown fault class is one line naming the flag, exit 2', () => {
    const r = mutate('--faults', 'kmalloc,bogus', '--list');
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringContaining("--faults: unknown fault class 'bogus'")]);
  });
});
