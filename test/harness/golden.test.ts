// Every golden repro under shrink-reports/golden/ must fail on its revision with its
// invariant, and (for fixed bugs) pass on the platform's current upstream revision.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCommands } from '../../src/engine/runner';
import { GOLDEN_DIR, KNOWN_BUGS } from '../../src/known-bugs';
import { findPlatform } from '../../src/platforms';
import { parseRepro } from '../../src/repro/parse';
import { resolveRevision } from '../../src/revision';

const root = path.join(__dirname, '..', '..');
const goldenFiles = fs.readdirSync(path.join(root, GOLDEN_DIR)).filter((f) => f.endsWith('.repro'));

describe('golden repros', () => {
  test.each(KNOWN_BUGS.map((b) => [b.id]))('known bug %s has a golden repro', (id) => {
    expect(goldenFiles).toContain(`${id}.repro`);
  });

  test.each(goldenFiles.map((f) => [f]))('%s fails on its revision and passes where fixed', (file) => {
    const text = fs.readFileSync(path.join(root, GOLDEN_DIR, file), 'utf8');
    const repro = parseRepro(text, file);
    const bug = KNOWN_BUGS.find((b) => `${b.id}.repro` === file);
    expect(bug).toBeDefined();
    if (bug === undefined) return;
    const platform = findPlatform(repro.platform);
    expect(platform).toBeDefined();
    if (platform === undefined) return;
    expect(repro.expect).toEqual({ violation: bug.invariant });
    expect(repro.commands.length).toBeLessThanOrEqual(bug.minimalLength);

    const onItsRevision = runCommands({ platform, revision: resolveRevision(platform, repro.revision), faultClasses: repro.faults }, repro.commands);
    expect(onItsRevision.invalidAt).toBeNull();
    expect(onItsRevision.violation?.invariant).toBe(bug.invariant);

    const fixedSpec = bug.status === 'fixed' ? platform.currentRevision : `${repro.revision}+${bug.fixPatch ?? ''}`;
    const fixed = runCommands({ platform, revision: resolveRevision(platform, fixedSpec), faultClasses: repro.faults }, repro.commands);
    expect(fixed.violation).toBeNull();
  });
});
