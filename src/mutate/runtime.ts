// Preloaded (`node -r`) into every process that runs the instrumented build. The instrumenter
// runs header-less, so the three switch helpers it calls are defined here, with the semantics of
// Stryker's own header (instrumenter/src/util/syntax-helpers.ts) and two changes that keep a run
// cheap and bounded:
//  - coverage is counted only when asked (the baseline runs); otherwise stryCov is a no-op;
//  - the active mutant's switch counts its hits, and past the hit limit the process records a
//    timeout and exits at once (Stryker throws instead, which the code under test may catch).
// Environment: __STRYKER_ACTIVE_MUTANT__ (switch id), MSI_MUTATE_HIT_LIMIT (hits allowed),
// MSI_MUTATE_COVERAGE=1 (count coverage), MSI_MUTATE_RESULT (file the outcome is written to).
import * as fs from 'node:fs';
import { HIT_LIMIT_EXIT, type RuntimeResult } from './classify';

function install(): void {
  const env = process.env;
  const active = env['__STRYKER_ACTIVE_MUTANT__'];
  const limit = env['MSI_MUTATE_HIT_LIMIT'] !== undefined ? Number(env['MSI_MUTATE_HIT_LIMIT']) : Infinity;
  // Switch ids are the instrumenter's counters ('0', '1', ...): an array indexed by them is
  // several times cheaper than an object keyed by the strings, on code this hot.
  let counts: Float64Array | null = env['MSI_MUTATE_COVERAGE'] === '1' ? new Float64Array(1 << 14) : null;
  const resultFile = env['MSI_MUTATE_RESULT'];
  const ns = { activeMutant: active };
  let hits = 0;
  let hitLimitReached = false;
  const g = globalThis as unknown as Record<string, unknown>;
  g['__stryker__'] = ns;
  g['stryNS_9fa48'] = () => ns;
  g['stryCov_9fa48'] =
    counts === null
      ? () => undefined
      : (...ids: string[]) => {
          for (const id of ids) {
            const i = Number(id);
            if (i >= (counts as Float64Array).length) {
              const grown = new Float64Array(Math.max(i + 1, 2 * (counts as Float64Array).length));
              grown.set(counts as Float64Array);
              counts = grown;
            }
            (counts as Float64Array)[i]++;
          }
        };
  g['stryMutAct_9fa48'] =
    active === undefined
      ? () => false
      : (id: string) => {
          if (id !== active) return false;
          if (++hits > limit) {
            hitLimitReached = true;
            process.exit(HIT_LIMIT_EXIT);
          }
          return true;
        };
  if (resultFile !== undefined) {
    process.on('exit', () => {
      let coverage: Record<string, number> | null = null;
      if (counts !== null) {
        coverage = {};
        counts.forEach((n, i) => {
          if (n > 0) (coverage as Record<string, number>)[String(i)] = n;
        });
      }
      const r: RuntimeResult = { hits, hitLimitReached, coverage };
      fs.writeFileSync(resultFile, JSON.stringify(r));
    });
  }
}

install();
