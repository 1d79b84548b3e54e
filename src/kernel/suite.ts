// Our KUnit suite (kunit/ in the project) goes into a kernel tree as
// drivers/irqchip/msi-fuzz/, hooked in by one `source` line in drivers/irqchip/Kconfig and one
// `obj-y` line in drivers/irqchip/Makefile. Both hooks carry a marker so installing twice
// changes nothing, and `git status` in a developer's tree shows exactly these three things.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { projectRoot } from './paths';
import { ProvisionError } from './exec';

export const SUITE_DIR_IN_TREE = path.join('drivers', 'irqchip', 'msi-fuzz');
const MARKER = '# msi-fuzz KUnit suite (msi-fuzz kernel)';

/** The project's kunit/ folder. */
export function suiteSource(): string {
  return path.join(projectRoot(), 'kunit');
}

/**
 * The files copied into a tree: the Kbuild files, the C sources, and the kunitconfig, which
 * goes in as `.kunitconfig` so that `kunit.py run --kunitconfig=drivers/irqchip/msi-fuzz` works.
 */
export function suiteFiles(): string[] {
  return fs
    .readdirSync(suiteSource())
    .filter((f) => f === 'Kconfig' || f === 'Makefile' || f === 'kunitconfig' || /\.[ch]$/.test(f))
    .sort();
}

function nameInTree(f: string): string {
  return f === 'kunitconfig' ? '.kunitconfig' : f;
}

/** A hash of what installSuite() copies: a build is current when it was made from this hash. */
export function suiteHash(extra: readonly string[] = []): string {
  const h = createHash('sha256');
  for (const f of suiteFiles()) h.update(f).update('\0').update(fs.readFileSync(path.join(suiteSource(), f))).update('\0');
  for (const e of extra) h.update(e).update('\0');
  return h.digest('hex').slice(0, 16);
}

/**
 * Copies the suite into `tree` and adds the two hooks if they are not there yet. Returns the
 * hash of what it copied: the record must carry that one, not a hash taken after a build that
 * may have run while the suite was being edited.
 */
export function installSuite(tree: string): string {
  const kconfig = path.join(tree, 'drivers', 'irqchip', 'Kconfig');
  const makefile = path.join(tree, 'drivers', 'irqchip', 'Makefile');
  if (!fs.existsSync(kconfig) || !fs.existsSync(makefile)) throw new ProvisionError(`${tree}: not a kernel tree (no drivers/irqchip/Kconfig)`);
  const dest = path.join(tree, SUITE_DIR_IN_TREE);
  fs.mkdirSync(dest, { recursive: true });
  const h = createHash('sha256');
  for (const f of suiteFiles()) {
    const from = fs.readFileSync(path.join(suiteSource(), f));
    h.update(f).update('\0').update(from).update('\0');
    const to = path.join(dest, nameInTree(f));
    // Unchanged files keep their mtime, so make rebuilds only what changed.
    if (!fs.existsSync(to) || !fs.readFileSync(to).equals(from)) fs.writeFileSync(to, from);
  }
  const k = fs.readFileSync(kconfig, 'utf8');
  if (!k.includes(MARKER)) {
    const at = k.lastIndexOf('endmenu');
    const hook = `${MARKER}\nsource "${SUITE_DIR_IN_TREE.replace(/\\/g, '/')}/Kconfig"\n\n`;
    fs.writeFileSync(kconfig, at < 0 ? `${k}\n${hook}` : k.slice(0, at) + hook + k.slice(at));
  }
  const m = fs.readFileSync(makefile, 'utf8');
  if (!m.includes(MARKER)) fs.writeFileSync(makefile, `${m.replace(/\n*$/, '\n')}${MARKER}\nobj-y\t+= msi-fuzz/\n`);
  return h.digest('hex').slice(0, 16);
}

/** Writes an extra C file (an exported case) next to the suite in `tree`; returns its path. */
export function addSuiteFile(tree: string, name: string, text: string): string {
  const to = path.join(tree, SUITE_DIR_IN_TREE, name);
  if (!fs.existsSync(to) || fs.readFileSync(to, 'utf8') !== text) fs.writeFileSync(to, text);
  return to;
}
