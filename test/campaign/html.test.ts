// The HTML report: one self-contained file (no script, no external resource) showing the
// totals, the plots over time, findings by platform and invariant, coverage, and each finding.
// No browser is installed here, so the test reads the document rather than rendering it.
import { runMulti } from '../../src/engine/multi';
import type { PlanOptions } from '../../src/engine/plan';
import { renderReport } from '../../src/report/html';

const plan: PlanOptions = { platform: 'gic-v3-its', revision: 'all', seed: 1, runsPerUnit: 8, swarm: false, faults: ['resource', 'firmware'], maxSteps: 40 };

describe('HTML report', () => {
  test('shows totals, plots, findings and coverage, with nothing loaded from outside', async () => {
    const r = await runMulti({ plan, rounds: 1, workers: 0 });
    const configs = r.configs.map((c) => `${c.platform}@${c.revision}`);
    const html = renderReport({ title: 'test campaign', progress: r.progress, findings: r.findings, configurations: configs, generated: 'now' });
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|src=|href=/i);
    for (const label of ['commands per second', 'coverage: states reached', 'findings by platform', 'findings by invariant', 'states reached', 'commands executed']) {
      expect(html).toContain(`aria-label="${label}`);
    }
    expect(html).toContain(`${r.progress.commands} commands`);
    const fresh = r.findings.filter((f) => f.known === null).length;
    expect(html).toContain(`<span id="new-findings">${fresh} new finding(s)</span>`);
    expect(html).toContain('known: its-nvme-realloc-uaf');
    for (const f of r.findings) expect(html).toContain(f.reproduce);
    for (const c of configs) expect(html).toContain(`<td>${c}</td>`);
    expect(html).toMatch(/<title>pci_alloc_irq_vectors: [1-9]\d*<\/title>/);
    expect((r.progress.timeline ?? []).length).toBeGreaterThanOrEqual(2);
  });
});
