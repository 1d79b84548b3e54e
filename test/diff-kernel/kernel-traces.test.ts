// The model against traces the real kernels printed (fixtures recorded by record-fixtures.ts
// from Debian's 6.12 and 7.2 under UML): no kernel needed, so every `npm test` checks that the
// model still does, line by line, what the real core did for these sequences.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { modelTrace } from '../../models/platforms/kunit-fake/machine';
import { findKunitFakeRevision } from '../../models/platforms/kunit-fake/revisions';
import { parseOp } from '../../src/diff-kernel/syntax';
import { firstDivergence } from '../../src/diff-kernel/compare';
import type { TraceFixture } from './record-fixtures';

const fixtures = ['6.12', 'latest'].map((k) => {
  const file = path.join(__dirname, 'fixtures', `kernel-traces-${k}.json`);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as TraceFixture;
});

describe.each(fixtures.map((f) => [f.kernel, f] as const))('real-kernel traces of %s', (_name, f) => {
  const patches = findKunitFakeRevision(f.model)?.patches;

  test('the fixture is substantial: every op kind, parent callbacks of both contracts, kernel WARNs', () => {
    const all = f.sequences.flatMap((s) => s.trace);
    for (const want of ['> msi_domain_alloc_irq_at', '> platform_device_msi_init_and_alloc_irqs', '> msi_remove_device_irq_domain', 'WARN msi_ctrl_valid', 'its.prepare', 'ps.prepare']) {
      expect(all.some((l) => l.startsWith(want))).toBe(true);
    }
    expect(f.sequences.length).toBeGreaterThanOrEqual(20);
    // 7.2's UML has in-kernel virtual PCI functions (kunit/mf_pci.c); 6.12's does not
    const pci = ['> pci_alloc_irq_vectors', '> pci_msix_alloc_irq_at', '| dev0 msix', 'pcimsi'].every((w) => all.some((l) => l.includes(w)));
    expect(pci).toBe(f.kernel === 'latest');
  });

  test.each(f.sequences.map((s) => [s.index, s] as const))('sequence %i: the model prints the kernel trace', (_i, s) => {
    const ops = s.ops.map((line, n) => parseOp(line, { file: 'fixture', line: n + 1 }));
    const model = modelTrace(patches ?? [], ops);
    const d = firstDivergence(s.trace, model);
    expect(d === null ? null : `line ${d.at + 1}: kernel '${d.kernel}', model '${d.model}'`).toBeNull();
  });
});
