// Report input as a crafted state file could make it if nothing checked it: markup, quotes and
// strings wherever a number belongs. test/campaign/untrusted.test.ts reads the document,
// html-chromium.test.ts opens it in a browser.
import type { Progress, StoredFinding } from '../../src/engine/state-dir';
import { renderReport } from '../../src/report/html';

export const HOSTILE = `"><script>window.pwned=1</script><img src=x onerror="window.pwned=2">'`;

const hostileFinding = {
  signature: HOSTILE,
  invariant: HOSTILE,
  platform: HOSTILE,
  revision: HOSTILE,
  lastKind: HOSTILE,
  length: HOSTILE,
  seed: HOSTILE,
  run: 0,
  runs: 1,
  swarm: false,
  faults: [HOSTILE],
  known: HOSTILE,
  revisionCorrect: HOSTILE,
  repro: `</pre>${HOSTILE}`,
  shrinkMs: 0,
  reproduce: HOSTILE,
  unitIndex: 0,
  hits: HOSTILE,
} as unknown as StoredFinding;
const hostileProgress = {
  done: [HOSTILE],
  runs: HOSTILE,
  commands: HOSTILE,
  unitMs: 0,
  coverage: { [`cmd:${HOSTILE}`]: HOSTILE, 'state:error-return': HOSTILE },
  openIssues: { [HOSTILE]: HOSTILE },
  perConfig: { [HOSTILE]: { units: HOSTILE, runs: HOSTILE, commands: HOSTILE, findings: HOSTILE } },
  timeline: [
    { t: HOSTILE, commands: HOSTILE, states: HOSTILE, findings: HOSTILE },
    { t: 1000, commands: 50, states: 3, findings: 1 },
  ],
} as unknown as Progress;

/** The report of hostile input. */
export function hostileReport(): string {
  return renderReport({ title: HOSTILE, progress: hostileProgress, findings: [hostileFinding, { ...hostileFinding, known: null }], configurations: [HOSTILE], generated: HOSTILE });
}
