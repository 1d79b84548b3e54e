// The random engine finds each RISC-V AIA known bug (all open: msi-fuzz model findings at the
// newest kernel) and shrinks it to its known minimal length; the proposed fix cures the repro.
import { runCampaign } from '../../src/engine/campaign';
import { runCommands } from '../../src/engine/runner';
import { KNOWN_BUGS } from '../../src/known-bugs';
import { findPlatform } from '../../src/platforms';
import { resolveRevision } from '../../src/revision';

const aia = findPlatform('riscv-aia');
/** Seeds whose 3000 runs reach each bug at its minimal length. */
const SEEDS: Record<string, readonly number[]> = {
  'wired-msi-desc-leak': [1, 3],
  'imsic-offline-no-room': [1, 2],
  'imsic-stale-pending-reuse': [1, 3],
  'imsic-freed-irq-sync-oops': [3, 6],
  'imsic-temporary-vector-steal': [3, 5],
};
const bugs = KNOWN_BUGS.filter((b) => b.platform === 'riscv-aia');

describe('RISC-V AIA known bugs', () => {
  test('every riscv-aia known bug has seeds here', () => {
    expect(bugs.map((b) => b.id).sort()).toEqual(Object.keys(SEEDS).sort());
  });

  test.each(bugs.flatMap((b) => (SEEDS[b.id] ?? []).map((seed) => [b.id, seed] as const)))('%s is found, shrunk, and cured by its fix (seed %d)', (id, seed) => {
    const bug = bugs.find((b) => b.id === id);
    if (bug === undefined || aia === undefined) throw new Error('registry');
    const config = { platform: aia, revision: resolveRevision(aia, bug.revision), faultClasses: bug.faults, ...(bug.commands !== undefined ? { hunt: bug.commands } : {}) };
    const r = runCampaign({ config, seed, runs: 3000, target: bug.invariant, skipOpenIssues: false });
    expect(r.findings).toHaveLength(1);
    const f = r.findings[0];
    if (f === undefined) return;
    expect(f.repro.commands.length).toBeLessThanOrEqual(bug.minimalLength);
    const fixed = runCommands({ ...config, revision: resolveRevision(aia, `${bug.revision}+${bug.fixPatch ?? ''}`) }, f.repro.commands);
    expect(fixed.violation).toBeNull();
  });
});
