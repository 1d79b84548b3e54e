// The engine's in-house ARC4 (src/engine/arc4.ts) must draw exactly what seedrandom drew:
// every seed and repro of the project replays from that stream.
import seedrandom from 'seedrandom';
import { Arc4 } from '../../src/engine/arc4';
import { runSeed } from '../../src/engine/random-engine';

function firstDifference(seed: string, draws: number): number | null {
  const lib = seedrandom(seed);
  const ours = new Arc4(seed);
  for (let k = 0; k < draws; k++) if (lib() !== ours.double()) return k;
  return null;
}

describe('Arc4', () => {
  it('draws the doubles seedrandom draws, for run seeds and swarm seeds', () => {
    for (let seed = 0; seed < 40; seed++) {
      for (let run = 0; run < 25; run++) {
        expect(firstDifference(runSeed(seed, run), 200)).toBeNull();
        expect(firstDifference(`${runSeed(seed, run)}:swarm`, 40)).toBeNull();
      }
    }
  });

  it('folds keys as seedrandom does: empty, long (over 256 characters) and non-ASCII seeds', () => {
    for (const seed of ['', 'a', 'x'.repeat(300), `${'ab'.repeat(200)}z`, 'é€😀']) expect(firstDifference(seed, 500)).toBeNull();
  });

  it('is its own stream per seed (a changed seed changes the draws)', () => {
    const a = new Arc4(runSeed(1, 0));
    const b = new Arc4(runSeed(1, 1));
    const da = Array.from({ length: 8 }, () => a.double());
    const db = Array.from({ length: 8 }, () => b.double());
    expect(da).not.toEqual(db);
    for (const x of [...da, ...db]) expect(x >= 0 && x < 1).toBe(true);
  });
});
