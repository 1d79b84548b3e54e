// Every revision marked correct runs clean with the random engine (known open upstream issues
// are recognised by replay with their proposed fix and do not count), and every revision
// marked known-bad yields a violation: a suite that finds nothing on a known-bad state fails.
import { runCampaign } from '../../src/engine/campaign';
import { allPlatforms } from '../../src/platforms';
import { resolveRevision } from '../../src/revision';

const cases = allPlatforms().flatMap((p) => p.revisions.map((r) => [p.name, r.name, r.correct] as const));

describe('named revisions', () => {
  test.each(cases)('%s @ %s (correct: %s)', (platformName, revision, correct) => {
    const platform = allPlatforms().find((p) => p.name === platformName);
    if (platform === undefined) throw new Error('platform');
    const r = runCampaign({
      config: { platform, revision: resolveRevision(platform, revision), faultClasses: ['resource', 'firmware'] },
      seed: 11,
      runs: correct ? 150 : 3000,
      skipOpenIssues: true,
    });
    if (correct) expect(r.findings.map((f) => `${f.finding.violation.invariant}: ${f.finding.violation.message}`)).toEqual([]);
    else expect(r.findings.length + r.openIssues.size).toBeGreaterThan(0);
  });
});
