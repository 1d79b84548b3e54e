// One UML boot per sequence: the kernel runs our replay case (kunit.filter_glob) on the ops
// and halts. A fresh boot each time matters: WARN_ON_ONCE() fires once per boot, and irqs a
// sequence leaks stay leaked until the next one. The sequence travels on the command line, or
// through a host file when it would not fit in its 4096 bytes.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { KernelOp } from '../../models/platforms/kunit-fake/ops';
import { encodeOps } from './syntax';

/** Room left on the UML command line (COMMAND_LINE_SIZE 4096) for the sequence. */
const CMDLINE_ROOM = 3500;

export interface BootResult {
  readonly console: string;
  readonly ms: number;
  readonly timedOut: boolean;
}

/** Boots `binary` with the replay case only and returns its console. */
export function bootSequence(binary: string, ops: readonly KernelOp[], timeoutMs = 30_000): Promise<BootResult> {
  const seq = encodeOps(ops);
  let file: string | null = null;
  const args = ['kunit.enable=1', 'mem=256M', 'console=tty', 'kunit_shutdown=halt', 'kunit.filter_glob=msi_fuzz.mf_replay'];
  if (seq.length <= CMDLINE_ROOM) {
    args.push(`msi_fuzz.ops=${seq}`);
  } else {
    file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'msi-fuzz-seq-')), 'ops');
    fs.writeFileSync(file, seq);
    args.push(`msi_fuzz.file=${file}`);
  }
  // The console goes to a file, not a pipe: UML's console drops what a full pipe refuses
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'msi-fuzz-uml-'));
  const out = path.join(dir, 'console');
  const fd = fs.openSync(out, 'w');
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['ignore', fd, fd], env: { ...process.env, TMPDIR: os.tmpdir() } });
    fs.closeSync(fd);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      if (file !== null) fs.rmSync(path.dirname(file), { recursive: true, force: true });
    };
    child.on('error', (e) => {
      cleanup();
      fs.rmSync(dir, { recursive: true, force: true });
      reject(e);
    });
    child.on('exit', () => {
      cleanup();
      const text = fs.readFileSync(out, 'utf8');
      fs.rmSync(dir, { recursive: true, force: true });
      resolve({ console: text, ms: Date.now() - t0, timedOut });
    });
  });
}

/** Boots `binary` running the KUnit suites matching `glob` (exported cases); returns the console. */
export function bootKunitSuites(binary: string, glob: string, timeoutMs = 60_000): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'msi-fuzz-uml-'));
  const out = path.join(dir, 'console');
  const fd = fs.openSync(out, 'w');
  const args = ['kunit.enable=1', 'mem=256M', 'console=tty', 'kunit_shutdown=halt', `kunit.filter_glob=${glob}`];
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['ignore', fd, fd] });
    fs.closeSync(fd);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('exit', () => {
      clearTimeout(timer);
      const text = fs.readFileSync(out, 'utf8');
      fs.rmSync(dir, { recursive: true, force: true });
      resolve(text);
    });
  });
}
