// The random engine finds each known bug of the ARM64 server machines (all open: msi-fuzz model
// findings at the newest kernel, in the GICv3 ITS driver, GICv4 and KVM's vgic-v4) and shrinks
// it to its known minimal length; the proposed fix cures the repro.
import { runCampaign } from '../../src/engine/campaign';
import { runCommands } from '../../src/engine/runner';
import { KNOWN_BUGS } from '../../src/known-bugs';
import { findPlatform } from '../../src/platforms';
import { resolveRevision } from '../../src/revision';

const dt = findPlatform('gic-v3-its-dt');
/** Seeds whose 3000 runs reach each bug at its minimal length. */
const SEEDS: Record<string, readonly number[]> = {
  'vlpi-unmap-offline-collection': [2, 3],
  'vpe-doorbell-request-teardown-leak': [3, 8],
  'vpe-sgi-alloc-unwind-leak': [1, 5],
  'its-create-device-lpi-leak': [2, 3],
  'its-gic-alloc-event-leak': [2, 3],
  'mbigen-stale-pin-event': [2, 6],
};
const bugs = KNOWN_BUGS.filter((b) => b.platform === 'gic-v3-its-dt');

describe('ARM64 server known bugs', () => {
  test('every gic-v3-its-dt known bug has seeds here', () => {
    expect(bugs.map((b) => b.id).sort()).toEqual(Object.keys(SEEDS).sort());
  });

  test.each(bugs.flatMap((b) => (SEEDS[b.id] ?? []).map((seed) => [b.id, seed] as const)))('%s is found, shrunk, and cured by its fix (seed %d)', (id, seed) => {
    const bug = bugs.find((b) => b.id === id);
    if (bug === undefined || dt === undefined) throw new Error('registry');
    const config = { platform: dt, revision: resolveRevision(dt, bug.revision), faultClasses: bug.faults, ...(bug.commands !== undefined ? { hunt: bug.commands } : {}) };
    const r = runCampaign({ config, seed, runs: 3000, target: bug.invariant, skipOpenIssues: false });
    expect(r.findings).toHaveLength(1);
    const f = r.findings[0];
    if (f === undefined) return;
    expect(f.repro.commands.length).toBeLessThanOrEqual(bug.minimalLength);
    const fixed = runCommands({ ...config, revision: resolveRevision(dt, `${bug.revision}+${bug.fixPatch ?? ''}`) }, f.repro.commands);
    expect(fixed.violation).toBeNull();
  });
});
