// The trace laws: quiet on the model's own traces, and each one breaks on a trace made to
// break exactly what it guards (and only that law fires).
import { checkLaws, irqOneDescriptor, LAWS, noOops, noSilentLeak, parentHwirqUnique, prepareTeardownOnce } from '../../src/diff-kernel/laws';
import { generateSequence } from '../../src/diff-kernel/generate';
import { modelTrace } from '../../models/platforms/kunit-fake/machine';
import { findKunitFakeRevision } from '../../models/platforms/kunit-fake/revisions';

const HEAD = ['begin', '> dev_add dev0 kunit its', '= 0'];

describe('trace laws', () => {
  test.each(['kernel-6.12', 'kernel-7.2'])('the model at %s keeps every law on 300 sequences', (rev) => {
    const patches = findKunitFakeRevision(rev)?.patches ?? [];
    for (let i = 0; i < 300; i++) {
      const trace = modelTrace(patches, generateSequence({ seed: 2, index: i, maxOps: 24, patches, pci: true }));
      expect([i, checkLaws(trace)]).toEqual([i, []]);
    }
  });

  const broken: [string, string[]][] = [
    [
      parentHwirqUnique.id,
      [...HEAD, '> msi_domain_alloc_irqs_range dev0 0 0 1', 'its.alloc v0 its-IMS-dev0 hwirq=3 obj=1 event=0', 'its.alloc v1 its-IMS-dev0 hwirq=3 obj=1 event=1', '= 0'],
    ],
    [irqOneDescriptor.id, [...HEAD, '> msi_domain_alloc_irq_at dev0 0 any', '= 0 v0', '| dev0/0 dom 0:v0 1:v0']],
    [
      prepareTeardownOnce.id,
      [...HEAD, '> msi_create_device_irq_domain dev0 0 hwsize=2', 'its.prepare its-IMS-dev0 nvec=2 obj=1 events=2 new', '= true', '> end', 'its.teardown its-IMS-dev0 obj=1 used=0 freed', 'its.teardown its-IMS-dev0 obj=0 used=0 none', '= void', 'done'],
    ],
    [noSilentLeak.id, [...HEAD, '> end', '= void', '| its obj=1 its-IMS-dev0 events=2 used=1', '| its hwirqs=1', 'done']],
    [noOops.id, [...HEAD, '> pci_free_irq_vectors dev0', 'OOPS']],
  ];

  test('every law has a breaking trace below', () => {
    expect(broken.map(([id]) => id).sort()).toEqual(LAWS.map((l) => l.id).sort());
  });

  test.each(broken)('%s fires on its breaking trace, alone', (id, trace) => {
    expect(checkLaws(trace).map((v) => v.law)).toEqual([id]);
  });

  test('a leak that came with a WARN is the kernel telling the developer: no finding', () => {
    expect(noSilentLeak.check([...HEAD, '> end', 'WARN irq_domain_remove', '= void', '| its hwirqs=1', 'done'])).toBeNull();
  });
});
