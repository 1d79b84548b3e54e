// The random engine finds each GICv3 ITS known bug and shrinks it to its known minimal length.
import { runCampaign } from '../../src/engine/campaign';
import { KNOWN_BUGS } from '../../src/known-bugs';
import { findPlatform } from '../../src/platforms';
import { resolveRevision } from '../../src/revision';

const its = findPlatform('gic-v3-its');
const bugs = KNOWN_BUGS.filter((b) => b.platform === 'gic-v3-its');

describe('GICv3 ITS known bugs', () => {
  test.each(bugs.flatMap((b) => [1, 2].map((seed) => [b.id, seed] as const)))('%s is found and shrunk (seed %d)', (id, seed) => {
    const bug = bugs.find((b) => b.id === id);
    if (bug === undefined || its === undefined) throw new Error('registry');
    const r = runCampaign({
      config: { platform: its, revision: resolveRevision(its, bug.revision), faultClasses: bug.faults },
      seed,
      runs: 3000,
      target: bug.invariant,
      skipOpenIssues: bug.status !== 'open',
    });
    expect(r.findings).toHaveLength(1);
    const f = r.findings[0];
    expect(f?.finding.violation.invariant).toBe(bug.invariant);
    expect(f?.repro.commands.length).toBeLessThanOrEqual(bug.minimalLength);
  });
});
