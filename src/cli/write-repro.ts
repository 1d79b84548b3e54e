// Writes a repro atomically (temp file + rename) so a crash never leaves half a file; if the
// directory cannot be written, the repro goes to stderr so nothing found is lost.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { printRepro } from '../repro/print';
import type { Repro } from '../repro/repro';

export function reproFileName(r: Repro): string {
  const inv = r.expect === 'clean' ? 'clean' : r.expect.violation;
  const safe = (s: string): string => s.replace(/[^A-Za-z0-9._+-]/g, '_');
  return `${safe(r.platform)}--${safe(r.revision)}--${inv}${r.seed !== undefined ? `--seed${r.seed}` : ''}.repro`;
}

export function writeRepro(dir: string, r: Repro, name = reproFileName(r)): string | null {
  const text = printRepro(r);
  const file = path.join(dir, name);
  try {
    fs.mkdirSync(dir, { recursive: true });
    const tmp = `${file}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
    return file;
  } catch (e) {
    process.stderr.write(`msi-fuzz: cannot write ${file} (${(e as Error).message}); the repro follows:\n${text}`);
    return null;
  }
}
