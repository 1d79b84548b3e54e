// Output paths are checked before any work starts, so a campaign never runs for hours to fail
// at its last write: a directory flag must name a directory (or a place where one can be made),
// a file flag a file, somewhere this process may write, and not on a kernel's special file
// system (/proc, /sys, /dev and the like, where a write hangs, fails or means something else).
// Each failure is one line naming the flag (a UsageError, exit 2).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UsageError } from './errors';

/** statfs(2) f_type of the pseudo file systems no output belongs on (linux/magic.h). */
const SPECIAL_FS: ReadonlyMap<number, string> = new Map([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x1cd1, 'devpts'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0x6165676c, 'pstore'],
  [0xcafe4a11, 'bpf'],
  [0x62656570, 'configfs'],
  [0x65735543, 'fusectl'],
  [0x42494e4d, 'binfmt_misc'],
  [0xde5e81e4, 'efivarfs'],
  [0x19800202, 'mqueue'],
]);

/** Directory trees that hold devices and kernel interfaces, whatever file system they are on (/dev is a tmpfs). */
const SPECIAL_TREES = ['/proc', '/sys', '/dev'];

const code = (e: unknown): string => (e as NodeJS.ErrnoException).code ?? (e as Error).message;

/** The path itself if it exists, else its nearest existing ancestor, with its stat. */
function nearestExisting(flag: string, p: string): { at: string; st: fs.Stats } {
  let at = path.resolve(p);
  for (;;) {
    try {
      return { at, st: fs.statSync(at) };
    } catch (e) {
      const c = code(e);
      if (c === 'ENOTDIR') throw new UsageError(`${flag}: ${p}: a part of this path is a file, not a directory`);
      if (c !== 'ENOENT') throw new UsageError(`${flag}: ${p}: cannot use (${c})`);
      const up = path.dirname(at);
      if (up === at) throw new UsageError(`${flag}: ${p}: no such directory`);
      at = up;
    }
  }
}

function refuseSpecial(flag: string, p: string, at: string): void {
  let real = at;
  try {
    real = fs.realpathSync(at);
  } catch {
    // the stat above succeeded: keep the resolved path
  }
  const tree = SPECIAL_TREES.find((t) => real === t || real.startsWith(`${t}/`));
  if (tree !== undefined) throw new UsageError(`${flag}: ${p} is under ${tree}, a kernel interface, not a place for msi-fuzz's files`);
  let type: number | undefined;
  try {
    type = fs.statfsSync(real).type;
  } catch {
    type = undefined;
  }
  const fsName = type === undefined ? undefined : SPECIAL_FS.get(type);
  if (fsName !== undefined) throw new UsageError(`${flag}: ${p} is on ${fsName}, a kernel interface, not a place for msi-fuzz's files`);
}

function refuseUnwritable(flag: string, p: string, dir: string): void {
  try {
    fs.accessSync(dir, fs.constants.W_OK | fs.constants.X_OK);
  } catch (e) {
    throw new UsageError(`${flag}: ${p}: cannot write in ${dir} (${code(e)})`);
  }
}

/** A directory msi-fuzz will write into (made if missing). */
export function checkOutputDir(flag: string, dir: string): void {
  const { at, st } = nearestExisting(flag, dir);
  refuseSpecial(flag, dir, at);
  if (!st.isDirectory()) throw new UsageError(`${flag}: ${dir}${at === path.resolve(dir) ? ' is a file' : `: ${at} is a file`}, expected a directory`);
  refuseUnwritable(flag, dir, at);
}

/** A file msi-fuzz will write (replaced atomically, so its directory must be writable). */
export function checkOutputFile(flag: string, file: string): void {
  const { at, st } = nearestExisting(flag, file);
  refuseSpecial(flag, file, at);
  if (at === path.resolve(file)) {
    if (st.isDirectory()) throw new UsageError(`${flag}: ${file} is a directory, expected a file name`);
    if (!st.isFile()) throw new UsageError(`${flag}: ${file} exists and is not a regular file`);
    refuseUnwritable(flag, file, path.dirname(at));
    return;
  }
  if (!st.isDirectory()) throw new UsageError(`${flag}: ${file}: ${at} is a file, not a directory`);
  refuseUnwritable(flag, file, at);
}

/** An existing state directory to read (merge, --resume). */
export function checkStateDir(flag: string, dir: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch (e) {
    throw new UsageError(`${flag}: ${dir}: no such state directory (${code(e)})`);
  }
  if (!st.isDirectory()) throw new UsageError(`${flag}: ${dir} is not a directory`);
  if (!fs.existsSync(path.join(dir, 'plan.json'))) throw new UsageError(`${flag}: ${dir} is not a state directory (no plan.json)`);
}
