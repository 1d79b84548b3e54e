// What a child `msi-fuzz run` of a mutant means: killed (violation, crash, timeout) or survived.
import { classify, HIT_LIMIT_EXIT, type ChildOutcome } from '../../src/mutate/classify';

const clean = JSON.stringify({ platform: 'x86-noir', commands: 25975, violations: [], knownOpenIssues: {} });
const found = JSON.stringify({ platform: 'x86-noir', runs: 5, commands: 120, violations: [{ invariant: 'resources-baseline', repro: 'x', length: 4 }] });

function outcome(o: Partial<ChildOutcome>): ChildOutcome {
  return { exitCode: 0, signal: null, wallTimeout: false, lastLine: clean, firstErrorLine: null, runtime: { hits: 12, hitLimitReached: false, coverage: null }, ...o };
}

describe('mutant run classification', () => {
  test('exit 0 with a clean JSON line survives, with the budget run and the switch hits', () => {
    expect(classify(outcome({}))).toEqual({ status: 'survived', commands: 25975, hits: 12 });
  });

  test('exit 1 with a violation kills, naming the invariant', () => {
    const v = classify(outcome({ exitCode: 1, lastLine: found }));
    expect(v).toMatchObject({ status: 'killed', by: 'violation', runs: 5, commands: 120 });
    expect(v.status === 'killed' && v.detail).toBe('resources-baseline (repro of 4 commands)');
  });

  test('an exception (exit 3), a signal or a missing JSON line is a crash, never a survivor', () => {
    expect(classify(outcome({ exitCode: 3, lastLine: null, firstErrorLine: 'msi-fuzz: TypeError: x is undefined' }))).toMatchObject({ status: 'killed', by: 'crash', detail: 'exit 3: msi-fuzz: TypeError: x is undefined' });
    expect(classify(outcome({ exitCode: null, signal: 'SIGSEGV', lastLine: null }))).toMatchObject({ status: 'killed', by: 'crash' });
    expect(classify(outcome({ exitCode: 0, lastLine: 'no violation found' }))).toMatchObject({ status: 'killed', by: 'crash' });
    // exit 1 without a violation in the JSON line is not a finding either
    expect(classify(outcome({ exitCode: 1 }))).toMatchObject({ status: 'killed', by: 'crash' });
  });

  test('the hit limit and the wall-clock backstop are timeouts, whatever was printed', () => {
    expect(classify(outcome({ exitCode: HIT_LIMIT_EXIT, runtime: { hits: 5001, hitLimitReached: true, coverage: null } }))).toMatchObject({ status: 'killed', by: 'timeout', detail: 'hit limit (5001 hits)' });
    expect(classify(outcome({ exitCode: null, signal: 'SIGKILL', wallTimeout: true }))).toMatchObject({ status: 'killed', by: 'timeout', detail: 'wall-clock backstop' });
  });
});
