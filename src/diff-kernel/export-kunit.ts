// `export --kunit`: a kernel repro as a KUnit case in C that runs the same ops through the
// suite's helpers (kunit/mf_ops.c), expects each op's return value as the model predicts it,
// and finally the whole trace (less the WARN splats, which only the console shows). Dropped
// into drivers/irqchip/msi-fuzz/ as mf_export_<name>.c it builds with the suite.
import { FakeMachine } from '../../models/platforms/kunit-fake/machine';
import { PARENTS, pciFlagsText, type KernelOp } from '../../models/platforms/kunit-fake/ops';
import { UsageError } from '../cli/errors';
import type { ResolvedRevision } from '../revision';
import type { KernelRepro } from './repro';
import { formatOp } from './syntax';

const CONTRACTS = ['MF_ITS', 'MF_ITS_EARLY', 'MF_PSERIES', 'MF_PSERIES_EARLY'] as const;

/** A C identifier from a file name: lower case, [a-z0-9_], at most 40 characters. */
export function caseName(text: string): string {
  const n = text.toLowerCase().replace(/\.repro$/, '').replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 40);
  return /^[a-z]/.test(n) ? n : `r_${n}`;
}

function cString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** The C call of an op, as mf_ops.c names it. */
function cCall(o: KernelOp): string {
  switch (o.op) {
    case 'dev_add':
      return `mf_dev_add(ctx, ${o.dev}, ${o.bus === 'platform'}, ${CONTRACTS[PARENTS.indexOf(o.parent)]})`;
    case 'dev_del':
      return `mf_dev_del(ctx, ${o.dev})`;
    case 'msi_create_device_irq_domain':
      return `mf_domain_create(ctx, ${o.dev}, ${o.domid}, ${o.hwsize})`;
    case 'msi_remove_device_irq_domain':
      return `mf_domain_remove(ctx, ${o.dev}, ${o.domid})`;
    case 'msi_domain_alloc_irqs_range':
      return `mf_alloc_range(ctx, ${o.dev}, ${o.domid}, ${o.first}, ${o.last})`;
    case 'msi_domain_free_irqs_range':
      return `mf_free_range(ctx, ${o.dev}, ${o.domid}, ${o.first}, ${o.last})`;
    case 'msi_domain_alloc_irq_at':
      return `mf_alloc_at(ctx, ${o.dev}, ${o.domid}, ${o.index === 'any' ? 'MSI_ANY_INDEX' : o.index})`;
    case 'msi_domain_free_irqs_all':
      return `mf_free_all(ctx, ${o.dev}, ${o.domid})`;
    case 'platform_device_msi_init_and_alloc_irqs':
      return `mf_pmsi_alloc(ctx, ${o.dev}, ${o.nvec})`;
    case 'platform_device_msi_free_irqs_all':
      return `mf_pmsi_free(ctx, ${o.dev})`;
    case 'pci_dev_add':
      return `mf_pci_dev_add(ctx, ${o.dev}, ${o.msi}, ${o.msix}, ${CONTRACTS[PARENTS.indexOf(o.parent)]})`;
    case 'pci_alloc_irq_vectors':
      return `mf_pci_alloc_vectors(ctx, ${o.dev}, ${o.min}, ${o.max}, ${pciFlagsText(o.flags).split('|').map((f) => `PCI_IRQ_${f}`).join(' | ')})`;
    case 'pci_free_irq_vectors':
      return `mf_pci_free_vectors(ctx, ${o.dev})`;
    case 'pci_msix_alloc_irq_at':
      return `mf_pci_msix_alloc_at(ctx, ${o.dev}, ${o.index === 'any' ? 'MSI_ANY_INDEX' : o.index})`;
    case 'pci_msix_free_irq':
      return `mf_pci_msix_free(ctx, ${o.dev}, ${o.index})`;
  }
}

/** What the mf_* function returns, from the op's "= ..." trace line. */
function cReturn(o: KernelOp, result: string): string {
  if (result === 'void') return '0';
  if (result === 'true') return '1';
  if (result === 'false') return '0';
  const first = result.split(' ')[0] as string;
  if (/^-E[A-Z]+$/.test(first) || /^-?\d+$/.test(first)) return first;
  throw new UsageError(`export --kunit: cannot express the model's result '${result}' of ${formatOp(o)} in C`);
}

export interface ExportOptions {
  readonly repro: KernelRepro;
  readonly revision: ResolvedRevision;
  readonly name: string;
  /** Where the repro came from, for the file's header. */
  readonly source: string;
}

export function exportKunit(o: ExportOptions): string {
  const m = new FakeMachine(o.revision.patches);
  const results: string[] = [];
  for (const [i, op] of o.repro.ops.entries()) {
    const before = m.trace.lines.length;
    m.run(op);
    if (m.dead) throw new UsageError(`export --kunit: the model predicts an oops at op ${i + 1} (${formatOp(op)}); a KUnit case would take the kernel down`);
    const res = m.trace.lines.slice(before).find((l) => l.startsWith('= '));
    results.push((res ?? '= void').slice(2));
  }
  m.end();
  const expected = m.trace.lines.filter((l) => !l.startsWith('WARN '));
  const n = o.name;
  const body = o.repro.ops.map((op, i) => `\t/* ${formatOp(op)} */\n\tKUNIT_EXPECT_EQ(test, ${cCall(op)}, ${cReturn(op, results[i] as string)});\n\tmf_snapshot(ctx);`);
  return [
    '// SPDX-License-Identifier: GPL-2.0',
    '/*',
    ` * Exported by msi-fuzz (export --kunit) from ${o.source}.`,
    ` * Model revision ${o.revision.spec}; the kernel the repro names: ${o.repro.kernel || 'unknown'}.`,
    ...o.repro.notes.map((l) => ` * ${l}`),
    ' *',
    ' * Each op expects the return value the model predicts, and the whole trace (the fake',
    " * parents' callbacks and the descriptor snapshots; WARN splats are left to the console)",
    ' * must match the prediction line by line. Build it next to the msi-fuzz suite in',
    ` * drivers/irqchip/msi-fuzz/ as mf_export_${n}.c and run the case msi_fuzz_export_${n}.${n}.`,
    ' */',
    '#include "mf.h"',
    '',
    `static const char *const mf_expected_${n}[] = {`,
    ...expected.map((l) => `\t${cString(l)},`),
    '};',
    '',
    `static void ${n}(struct kunit *test)`,
    '{',
    '\tstruct mf_ctx *ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);',
    '',
    '\tKUNIT_ASSERT_NOT_NULL(test, ctx);',
    '\tmf_ctx_init(ctx, test);',
    '\tmf_trace("begin");',
    ...body,
    '\tmf_end(ctx);',
    '\tmf_trace("done");',
    `\tmf_expect_trace(test, mf_expected_${n}, ARRAY_SIZE(mf_expected_${n}));`,
    '}',
    '',
    `static struct kunit_case mf_export_${n}_cases[] = {`,
    `\tKUNIT_CASE(${n}),`,
    '\t{}',
    '};',
    '',
    `static struct kunit_suite mf_export_${n}_suite = {`,
    `\t.name = "msi_fuzz_export_${n}",`,
    `\t.test_cases = mf_export_${n}_cases,`,
    '};',
    `kunit_test_suite(mf_export_${n}_suite);`,
    '',
  ].join('\n');
}
