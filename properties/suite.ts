// One jest property suite per platform: fast-check model runs (fc.commands + fc.modelRun,
// size 'medium', i.e. up to 100 commands per run) at every named revision.
// - a revision marked correct must survive every run (open upstream issues, recognised by
//   replay with their proposed fix, are not counted);
// - a revision marked known-bad must fail, and the failure must shrink (fast-check, then our
//   own pass) to a repro that still fails with the same invariant.
import { fcCheck } from '../src/engine/fc-engine';
import { failsWith, shrink } from '../src/shrink/shrinker';
import { findPlatform } from '../src/platforms';
import { resolveRevision } from '../src/revision';
import type { SimulationConfig } from '../src/sim/simulation';

export interface SuiteBudget {
  /** fast-check runs at a correct revision. */
  readonly cleanRuns: number;
  /** fast-check runs allowed to find the bug at a known-bad revision. */
  readonly bugRuns: number;
}

export function platformPropertySuite(name: string, budget: SuiteBudget = { cleanRuns: 60, bugRuns: 600 }): void {
  const platform = findPlatform(name);
  describe(`${name} properties`, () => {
    test('the platform is registered', () => {
      expect(platform).toBeDefined();
    });
    if (platform === undefined) return;
    const config = (revision: string): SimulationConfig => ({ platform, revision: resolveRevision(platform, revision), faultClasses: ['resource', 'firmware'] });

    test.each(platform.revisions.filter((r) => r.correct).map((r) => [r.name]))('%s: every run keeps every invariant', (revision) => {
      const r = fcCheck({ config: config(revision), seed: 42, numRuns: budget.cleanRuns });
      expect(r.failed ? `${r.violation?.invariant}: ${r.violation?.message}` : 'clean').toBe('clean');
    });

    // a platform whose named revisions are all correct (a parent new enough to have no fixed bug modelled) has none
    const knownBad = platform.revisions.filter((r) => !r.correct).map((r) => [r.name]);
    if (knownBad.length === 0) return;
    test.each(knownBad)('%s: a violation is found and shrinks', (revision) => {
      const cfg = config(revision);
      const r = fcCheck({ config: cfg, seed: 42, numRuns: budget.bugRuns });
      expect(r.failed).toBe(true);
      if (r.violation === undefined || r.commands === undefined) return;
      const shrunk = shrink(cfg, r.commands, r.violation.invariant);
      expect(shrunk.commands.length).toBeLessThanOrEqual(r.commands.length);
      expect(failsWith(cfg, shrunk.commands, r.violation.invariant)).toBe(true);
    });
  });
}
