// JUnit XML for CI: one test case per configuration (platform@revision). A new finding fails
// its case (the repro path and the command that reproduces it in the message), and so does a
// known bug whose golden repro no longer fails there; known and expected findings (at a
// known-bad revision) are listed in system-out and do not fail. Hand-written: a few elements,
// escaped.
import type { FindingStatus } from '../engine/finding-status';

export interface JunitCase {
  readonly name: string;
  readonly runs: number;
  readonly findings: readonly { status: FindingStatus; invariant: string; known: string | null; repro: string | null; reproduce: string; length: number }[];
  readonly lost?: readonly { id: string; invariant: string; instead: string | null }[];
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function junitXml(cases: readonly JunitCase[], elapsedMs: number): string {
  const fails = (c: JunitCase): boolean => c.findings.some((f) => f.status === 'new') || (c.lost ?? []).length > 0;
  const failures = cases.filter(fails).length;
  const out = ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites name="msi-fuzz" tests="${cases.length}" failures="${failures}" time="${(elapsedMs / 1000).toFixed(3)}">`];
  out.push(`  <testsuite name="msi-fuzz campaign" tests="${cases.length}" failures="${failures}" errors="0" skipped="0">`);
  for (const c of cases) {
    out.push(`    <testcase classname="msi-fuzz" name="${esc(c.name)}">`);
    for (const f of c.findings.filter((x) => x.status === 'new')) {
      out.push(`      <failure message="${esc(`${f.invariant} (${f.length} commands)`)}" type="${esc(f.invariant)}">${esc(`${f.repro ?? ''}\n${f.reproduce}`)}</failure>`);
    }
    for (const k of c.lost ?? []) {
      out.push(`      <failure message="${esc(`known bug ${k.id} no longer reproduces`)}" type="lost-known-bug">${esc(`golden repro ${k.id}.repro ${k.instead ?? ''} (expected ${k.invariant})`)}</failure>`);
    }
    const others = c.findings.filter((x) => x.status !== 'new');
    const lines = [`${c.runs} runs`, ...others.map((f) => `${f.status}: ${f.known ?? ''} (${f.invariant}, ${f.length} commands) ${f.repro ?? ''}`)];
    out.push(`      <system-out>${esc(lines.join('\n'))}</system-out>`);
    out.push('    </testcase>');
  }
  out.push('  </testsuite>', '</testsuites>');
  return `${out.join('\n')}\n`;
}
