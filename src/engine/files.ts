// Reading and writing the files msi-fuzz is given or leaves behind, with the limits and the test
// knobs in one place.
// - readBounded(): an input (a repro, a state file) must be a regular file no larger than its
//   limit. It is opened non-blocking and checked with fstat before a byte is read, so a FIFO or a
//   device is refused instead of blocking or streaming forever, and at most limit + 1 bytes are
//   ever read (files under /proc claim size 0).
// - writeAtomic(): temp file, fsync, rename (write-file-atomic), so a reader or a kill never sees
//   half a file.
// - Two knobs for tests of what a crash or a full disk does, read from the environment:
//   MSI_FUZZ_CRASH_AT=N sends the process SIGKILL at the N-th write boundary (just before or
//   just after a file write), MSI_FUZZ_FAIL_WRITE=NAME[,NAME...] makes every write of a file of
//   that base name (or of any file, with '*') fail as a full disk does (ENOSPC).
import * as fs from 'node:fs';
import * as path from 'node:path';
import writeFileAtomic from 'write-file-atomic';

/** Bad input: one line naming the file (and line, column or field) or the flag; exit 2. */
export class InputError extends Error {}

/** A file that could not be written: the work is done and reported, the exit code says 3. */
export class WriteError extends Error {
  constructor(
    readonly file: string,
    readonly why: string,
  ) {
    super(`cannot write ${file} (${why})`);
  }
}

export const KiB = 1024;
export const MiB = 1024 * KiB;

/** The size limits of what msi-fuzz reads (docs/reference/cli.md). */
export const LIMITS = {
  /** A repro script: a few dozen lines; golden ones are under 2 KiB. */
  repro: 256 * KiB,
  /** plan.json: a dozen fields. */
  plan: 64 * KiB,
  /** A state directory's state.json: statistics, the timeline and every finding's repro. */
  state: 64 * MiB,
  /** One finding file of an older state directory (findings/NAME.json). */
  finding: 1 * MiB,
} as const;

const human = (n: number): string => (n >= MiB ? `${n / MiB} MiB` : `${n / KiB} KiB`);

function kindOf(st: fs.Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** Reads a regular file of at most `limit` bytes as UTF-8, or throws an InputError naming it (`what` says which input it is). */
export function readBounded(file: string, limit: number, what = 'cannot read'): string {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (e) {
    throw new InputError(`${file}: ${what}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new InputError(`${file}: ${what}: ${kindOf(st)}, not a regular file`);
    if (st.size > limit) throw new InputError(`${file}: ${what}: ${st.size} bytes, more than the limit of ${human(limit)}`);
    const chunks: Buffer[] = [];
    let n = 0;
    for (;;) {
      const chunk = Buffer.alloc(64 * KiB);
      const got = fs.readSync(fd, chunk, 0, chunk.length, null);
      if (got === 0) break;
      chunks.push(chunk.subarray(0, got));
      n += got;
      if (n > limit) throw new InputError(`${file}: ${what}: more than the limit of ${human(limit)}`);
    }
    return Buffer.concat(chunks).toString('utf8');
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`${file}: ${what}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  } finally {
    fs.closeSync(fd);
  }
}

let boundaries = 0;

/**
 * A write boundary: the state on disk is what it will be if the process dies here.
 * MSI_FUZZ_CRASH_AT=N kills the process (SIGKILL, as kill -9 does) at the N-th one.
 */
export function writeBoundary(): void {
  boundaries++;
  const at = Number(process.env['MSI_FUZZ_CRASH_AT'] ?? '0');
  if (at > 0 && boundaries === at) process.kill(process.pid, 'SIGKILL');
}

function injectedFailure(file: string): boolean {
  const names = (process.env['MSI_FUZZ_FAIL_WRITE'] ?? '').split(',').filter((n) => n !== '');
  return names.includes('*') || names.includes(path.basename(file));
}

/** Writes `text` to `file` atomically, creating its directory; a failure is a WriteError. */
export function writeAtomic(file: string, text: string): void {
  try {
    if (injectedFailure(file)) throw Object.assign(new Error('no space left on device (MSI_FUZZ_FAIL_WRITE)'), { code: 'ENOSPC' });
    fs.mkdirSync(path.dirname(file), { recursive: true });
    writeFileAtomic.sync(file, text);
  } catch (e) {
    throw new WriteError(file, (e as NodeJS.ErrnoException).code ?? (e as Error).message);
  }
}
