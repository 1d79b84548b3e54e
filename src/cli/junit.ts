// JUnit XML for CI: one test case per configuration (platform@revision). A new finding fails
// its case (the repro path and the command that reproduces it in the message); known findings
// are listed in system-out and do not fail. Hand-written: a few elements, escaped.
export interface JunitCase {
  readonly name: string;
  readonly runs: number;
  readonly findings: readonly { status: 'new' | 'known'; invariant: string; known: string | null; repro: string | null; reproduce: string; length: number }[];
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function junitXml(cases: readonly JunitCase[], elapsedMs: number): string {
  const failures = cases.filter((c) => c.findings.some((f) => f.status === 'new')).length;
  const out = ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites name="msi-fuzz" tests="${cases.length}" failures="${failures}" time="${(elapsedMs / 1000).toFixed(3)}">`];
  out.push(`  <testsuite name="msi-fuzz campaign" tests="${cases.length}" failures="${failures}" errors="0" skipped="0">`);
  for (const c of cases) {
    out.push(`    <testcase classname="msi-fuzz" name="${esc(c.name)}">`);
    for (const f of c.findings.filter((x) => x.status === 'new')) {
      out.push(`      <failure message="${esc(`${f.invariant} (${f.length} commands)`)}" type="${esc(f.invariant)}">${esc(`${f.repro ?? ''}\n${f.reproduce}`)}</failure>`);
    }
    const known = c.findings.filter((x) => x.status === 'known');
    const lines = [`${c.runs} runs`, ...known.map((f) => `known: ${f.known ?? ''} (${f.invariant}, ${f.length} commands) ${f.repro ?? ''}`)];
    out.push(`      <system-out>${esc(lines.join('\n'))}</system-out>`);
    out.push('    </testcase>');
  }
  out.push('  </testsuite>', '</testsuites>');
  return `${out.join('\n')}\n`;
}
