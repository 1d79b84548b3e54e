// What a finding means for whoever reads a campaign's result, and so for its exit code:
// - new: at a revision declared correct and not a known bug: a model error, an oracle error or
//   a real kernel bug, to be decided by reading the kernel (the campaign exits 1);
// - known: triage recognised a known bug (src/engine/triage.ts matchKnownBug);
// - expected: at a revision declared incorrect (a known-bad intermediate state, `msi-fuzz list`)
//   and not recognised as a known bug: the revision is broken on purpose, so a failure there is
//   what it was declared to do, reported but not counted against the run.
export type FindingStatus = 'new' | 'known' | 'expected';

export function findingStatus(f: { readonly known: string | null; readonly revisionCorrect: boolean }): FindingStatus {
  if (f.known !== null) return 'known';
  return f.revisionCorrect ? 'new' : 'expected';
}

/** How each status is printed in the summary, the report and JUnit. */
export const STATUS_LABEL: Readonly<Record<FindingStatus, string>> = { new: 'NEW', known: 'known', expected: 'expected' };
