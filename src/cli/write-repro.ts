// Writes a repro atomically (temp file + rename) so a crash never leaves half a file; if it
// cannot be written (the directory was checked up front, but a disk fills up), the repro goes to
// stderr so nothing found is lost, and the caller exits 3.
import * as path from 'node:path';
import { WriteError, writeAtomic } from '../engine/files';
import { printRepro } from '../repro/print';
import type { Repro } from '../repro/repro';

export function reproFileName(r: Repro): string {
  const inv = r.expect === 'clean' ? 'clean' : r.expect.violation;
  const safe = (s: string): string => s.replace(/[^A-Za-z0-9._+-]/g, '_');
  return `${safe(r.platform)}--${safe(r.revision)}--${inv}${r.seed !== undefined ? `--seed${r.seed}` : ''}.repro`;
}

/** The file written, or null when it could not be (the repro is then on stderr). */
export function writeRepro(dir: string, r: Repro, name = reproFileName(r)): string | null {
  const text = printRepro(r);
  const file = path.join(dir, name);
  try {
    writeAtomic(file, text);
    return file;
  } catch (e) {
    if (!(e instanceof WriteError)) throw e;
    process.stderr.write(`msi-fuzz: ${e.message}; the repro follows:\n${text}`);
    return null;
  }
}
