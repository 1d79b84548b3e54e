// Kernel ops in repro files and on the UML command line: generated sequences print, parse and
// encode losslessly; bad lines name FILE:LINE:COL.
import { generateSequence } from '../../src/diff-kernel/generate';
import { encodeOps, formatOp, parseOp } from '../../src/diff-kernel/syntax';
import { parseKernelRepro, printKernelRepro } from '../../src/diff-kernel/repro';
import { findKunitFakeRevision } from '../../models/platforms/kunit-fake/revisions';
import { UsageError } from '../../src/cli/errors';

const patches = findKunitFakeRevision('kernel-7.2')?.patches ?? [];

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof UsageError) return e.message;
    throw e;
  }
  throw new Error('no error');
}

describe('kernel op syntax', () => {
  test('200 generated sequences round-trip through repro lines', () => {
    for (let i = 0; i < 200; i++) {
      const ops = generateSequence({ seed: 5, index: i, maxOps: 24, patches, pci: true });
      expect(ops.map((o, n) => parseOp(formatOp(o), { file: 'x', line: n + 1 }))).toEqual(ops);
    }
  });

  test('a sequence is the same for the same (seed, index) and differs across indices', () => {
    const a = generateSequence({ seed: 9, index: 3, maxOps: 24, patches, pci: true });
    expect(generateSequence({ seed: 9, index: 3, maxOps: 24, patches, pci: true })).toEqual(a);
    expect(generateSequence({ seed: 9, index: 4, maxOps: 24, patches, pci: true })).not.toEqual(a);
  });

  test('the command-line form is the one mf_replay.c parses', () => {
    const ops = [
      parseOp('dev_add(dev0, platform, ps-early)', { file: 'x', line: 1 }),
      parseOp('msi_create_device_irq_domain(dev0, 0, hwsize=8)', { file: 'x', line: 2 }),
      parseOp('msi_domain_alloc_irq_at(dev0, 1, MSI_ANY_INDEX)', { file: 'x', line: 3 }),
      parseOp('msi_domain_free_irqs_range(dev0, 0, 2, 1)', { file: 'x', line: 4 }),
      parseOp('pci_dev_add(dev1, msi=4, msix=8, its)', { file: 'x', line: 5 }),
      parseOp('pci_alloc_irq_vectors(dev1, 1, 4, PCI_IRQ_MSIX | PCI_IRQ_MSI)', { file: 'x', line: 6 }),
      parseOp('pci_msix_alloc_irq_at(dev1, MSI_ANY_INDEX)', { file: 'x', line: 7 }),
      parseOp('pci_msix_free_irq(dev1, 2)', { file: 'x', line: 8 }),
    ];
    expect(encodeOps(ops)).toBe('A0,1,3;C0,0,8;T0,1,-1;F0,0,2,1;B1,4,8,0;V1,1,4,6;Y1,-1;Z1,2');
  });

  test('bad lines name the file, line and column', () => {
    expect(errorOf(() => parseOp('msi_domain_alloc_irqs_range(dev0, 0, x, 3)', { file: 'a.repro', line: 7 }))).toMatch(/^a\.repro:7:\d+: expected an unsigned 32-bit number, got 'x'$/);
    expect(errorOf(() => parseOp('msi_frobnicate(dev0)', { file: 'a.repro', line: 2 }))).toMatch(/^a\.repro:2:1: unknown op 'msi_frobnicate'/);
    expect(errorOf(() => parseOp('dev_add(dev0, pci, its)', { file: 'a.repro', line: 1 }))).toMatch(/^a\.repro:1:\d+: expected kunit or platform/);
    expect(errorOf(() => parseKernelRepro('# msi-fuzz repro\n', 'b.repro'))).toMatch(/^b\.repro:1:1: not a kernel repro/);
  });

  test('a kernel repro prints and parses back, trace comments ignored', () => {
    const ops = generateSequence({ seed: 1, index: 7, maxOps: 12, patches, pci: true });
    const text = printKernelRepro({ kernel: 'latest (x)', model: 'kernel-7.2', ops, notes: ['seed: 1, sequence: 7'], traces: 'kernel   model\n= 0  = 0' });
    const r = parseKernelRepro(text, 'c.repro');
    expect(r.ops).toEqual(ops);
    expect(r.model).toBe('kernel-7.2');
    expect(r.kernel).toBe('latest (x)');
  });
});
