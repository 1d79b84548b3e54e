// Child processes for provisioning: run to completion capturing output, or stream lines to a
// callback (the build's progress). A failure becomes a ProvisionError with the command's last
// words, never a stack trace.
import { spawn, spawnSync, type SpawnOptions } from 'node:child_process';

/** A step of provisioning failed for a reason outside the program (network, archive, compiler). */
export class ProvisionError extends Error {}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `cmd args` to completion; throws ProvisionError when it cannot start. */
export function runSync(cmd: string, args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): RunResult {
  const r = spawnSync(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.error !== undefined) throw new ProvisionError(`${cmd}: ${r.error.message}`);
  return { code: r.status ?? 128, stdout: r.stdout, stderr: r.stderr };
}

/** Like runSync, but a non-zero exit is a ProvisionError naming `what`. */
export function mustRun(what: string, cmd: string, args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const r = runSync(cmd, args, opts);
  if (r.code !== 0) throw new ProvisionError(`${what} failed (${cmd} exit ${r.code}): ${lastLine(r.stderr || r.stdout)}`);
  return r.stdout;
}

/** Streams the merged output line by line; resolves with the exit code and the last lines. */
export function runStreaming(
  cmd: string,
  args: readonly string[],
  onLine: (line: string) => void,
  opts: SpawnOptions & { nice?: number } = {},
): Promise<{ code: number; tail: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, [...args], { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    const feed = (chunk: Buffer, carry: { s: string }): void => {
      carry.s += chunk.toString('utf8');
      const lines = carry.s.split('\n');
      carry.s = lines.pop() ?? '';
      for (const l of lines) {
        tail.push(l);
        if (tail.length > 40) tail.shift();
        onLine(l);
      }
    };
    const out = { s: '' };
    const err = { s: '' };
    child.stdout?.on('data', (c: Buffer) => feed(c, out));
    child.stderr?.on('data', (c: Buffer) => feed(c, err));
    child.on('error', (e) => reject(new ProvisionError(`${cmd}: ${e.message}`)));
    child.on('close', (code) => resolve({ code: code ?? 128, tail }));
  });
}

export function lastLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  return lines[lines.length - 1] ?? '(no output)';
}

/** Is `cmd` on PATH? */
export function onPath(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}
