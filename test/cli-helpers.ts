// Running the built CLI the way CI does (CI set, no TTY) and reading its --json line.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

export const root = path.join(__dirname, '..');
export const cli = path.join(root, 'dist', 'src', 'cli', 'main.js');

export function run(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, CI: 'true' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The last stdout line, which --json promises is one JSON object. */
export function lastJson(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1] as string) as Record<string, unknown>;
}
