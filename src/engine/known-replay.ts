// Do the known bugs still reproduce? A campaign replays the golden repro of every known bug that
// lives at one of its configurations (shrink-reports/golden/ID.repro, a few commands each): a
// golden repro that no longer fails with its invariant at its revision means the models changed
// under it, which a job array must hear about as much as a new finding.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GOLDEN_DIR, KNOWN_BUGS } from '../known-bugs';
import { findPlatform } from '../platforms';
import { parseRepro } from '../repro/parse';
import { resolveRevision } from '../revision';
import { LIMITS, readBounded } from './files';
import type { PlanConfig } from './plan';
import { runCommands } from './runner';

export interface KnownReplay {
  readonly id: string;
  readonly platform: string;
  readonly revision: string;
  readonly invariant: string;
  /** The golden repro still fails with the bug's invariant at its revision. */
  readonly reproduced: boolean;
  /** What happened instead, when it did not. */
  readonly instead: string | null;
}

/** The golden repro directory of this checkout (src/ under ts-jest, dist/src/ when built), or null. */
function goldenDir(): string | null {
  for (let dir = __dirname, i = 0; i < 5; i++, dir = path.dirname(dir)) {
    const candidate = path.join(dir, GOLDEN_DIR);
    if (fs.existsSync(candidate)) return candidate;
  }
  return null;
}

/** Replays the golden repro (in `dir`) of each known bug living at one of `configs`; null when no golden repros are installed. */
export function replayKnownBugs(configs: readonly PlanConfig[], dir: string | null = goldenDir()): KnownReplay[] | null {
  if (dir === null) return null;
  const here = new Set(configs.map((c) => `${c.platform}@${c.revision}`));
  return KNOWN_BUGS.filter((b) => here.has(`${b.platform}@${b.revision}`)).map((b) => {
    const base = { id: b.id, platform: b.platform, revision: b.revision, invariant: b.invariant };
    const platform = findPlatform(b.platform);
    if (platform === undefined) return { ...base, reproduced: false, instead: `unknown platform ${b.platform}` };
    let repro;
    try {
      repro = parseRepro(readBounded(path.join(dir, `${b.id}.repro`), LIMITS.repro), `${b.id}.repro`);
    } catch (e) {
      return { ...base, reproduced: false, instead: (e as Error).message };
    }
    const r = runCommands({ platform, revision: resolveRevision(platform, b.revision), faultClasses: repro.faults }, repro.commands);
    if (r.invalidAt !== null) return { ...base, reproduced: false, instead: `command ${r.invalidAt + 1} is no longer valid there` };
    const got = r.violation?.invariant ?? null;
    return { ...base, reproduced: got === b.invariant, instead: got === b.invariant ? null : got === null ? 'runs clean' : `violates ${got} instead` };
  });
}
