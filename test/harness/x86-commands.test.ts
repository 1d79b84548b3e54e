// The x86 command vocabulary: C-call syntax round trip, parse errors with a column, platform
// restriction, SR-IOV devices in the abstract state, and the x86 invariants on random runs.
import type { Command } from '../../src/commands/command';
import { formatCommand } from '../../src/commands/spec';
import { specOf } from '../../src/commands/vocabulary';
import { X86_COMMANDS } from '../../src/commands/vocabulary/x86';
import { AFFINITY_COMMANDS } from '../../src/commands/vocabulary/affinity';
import { runCampaign } from '../../src/engine/campaign';
import { runCommands } from '../../src/engine/runner';
import { findInvariant, invariantsFor } from '../../src/invariants/registry';
import { findPlatform } from '../../src/platforms';
import { parseRepro, ReproSyntaxError } from '../../src/repro/parse';
import { resolveRevision } from '../../src/revision';
import type { SimulationConfig, StepRecord } from '../../src/sim/simulation';

function config(name: string, revision = 'v6.18', faults: SimulationConfig['faultClasses'] = []): SimulationConfig {
  const platform = findPlatform(name);
  if (platform === undefined) throw new Error(name);
  return { platform, revision: resolveRevision(platform, revision), faultClasses: faults };
}

function parse(lines: string[]): Command[] {
  return [...parseRepro(['# platform: x86-intel-ir', '# revision: v6.18', ...lines, 'expect clean'].join('\n'), 't.repro').commands];
}

const SAMPLES: Command[] = [
  { kind: 'pci_enable_sriov', dev: 'dev0', numVfs: 2 },
  { kind: 'pci_disable_sriov', dev: 'dev0' },
  { kind: 'dmar_set_interrupt', unit: 1 },
  { kind: 'dmar_free_interrupt', unit: 0 },
  { kind: 'hpet_assign_irq', channel: 2 },
  { kind: 'hpet_free_irq', channel: 0 },
  { kind: 'acpi_register_gsi', gsi: 16 },
  { kind: 'acpi_unregister_gsi', gsi: 4 },
  { kind: 'cpu_down', cpu: 2 },
  { kind: 'cpu_up', cpu: 2 },
  { kind: 'irq_set_affinity', target: 'dev0', vec: 0, cpus: 0x4 },
  { kind: 'irq_set_affinity', target: 'hpet', vec: 1, cpus: 0x6 },
  { kind: 'generic_handle_irq', target: 'dev0vf1', vec: 3 },
  { kind: 'vector_cleanup_callback', cpu: 1 },
];

test('every x86 command kind has a sample', () => {
  expect(new Set(SAMPLES.map((c) => c.kind))).toEqual(new Set([...X86_COMMANDS, ...AFFINITY_COMMANDS].map((s) => s.kind)));
});

test.each(SAMPLES.map((c) => [formatCommand(specOf(c.kind) as never, c), c] as const))('%s round-trips', (text, c) => {
  expect(parse([text])).toEqual([c]);
});

test('kernel-API spelling', () => {
  expect(SAMPLES.map((c) => formatCommand(specOf(c.kind) as never, c))).toEqual([
    'pci_enable_sriov(dev0, 2)',
    'pci_disable_sriov(dev0)',
    'dmar_set_interrupt(unit=1)',
    'dmar_free_interrupt(unit=0)',
    'hpet_assign_irq(channel=2)',
    'hpet_free_irq(channel=0)',
    'acpi_register_gsi(gsi=16)',
    'acpi_unregister_gsi(gsi=4)',
    'cpu_down(cpu=2)',
    'cpu_up(cpu=2)',
    'irq_set_affinity(dev0, vec=0, cpus=0x4)',
    'irq_set_affinity(hpet, vec=1, cpus=0x6)',
    'generic_handle_irq(dev0vf1, vec=3)',
    'vector_cleanup_callback(cpu=1)',
  ]);
});

test.each([
  ['cpu_down(cpu=x)', /t\.repro:3:10: cpu_down: cpu must be a number/],
  ['cpu_down(2)', /t\.repro:3:10: cpu_down: unexpected argument '2'/],
  ['hpet_assign_irq(chan=1)', /t\.repro:3:17: hpet_assign_irq: unknown argument 'chan'/],
  ['irq_set_affinity(dev0, cpus=0x4)', /t\.repro:3:\d+: irq_set_affinity: missing vec=N/],
  ['pci_enable_sriov(dev0)', /t\.repro:3:\d+: pci_enable_sriov: missing argument 2/],
])('%s is rejected with a column', (text, re) => {
  expect(() => parse([text])).toThrow(ReproSyntaxError);
  expect(() => parse([text])).toThrow(re);
});

test('x86 commands are not valid on other platforms; hotplug is, where the parent moves interrupts', () => {
  expect(runCommands(config('gic-v3-its', 'v6.18'), [{ kind: 'vector_cleanup_callback', cpu: 1 }]).invalidAt).toBe(0);
  expect(runCommands(config('gic-v3-its', 'v6.18'), [{ kind: 'cpu_down', cpu: 1 }]).invalidAt).toBeNull();
  // XIVE moves interrupts too (xive_irq_set_affinity), on pseries and powernv
  expect(runCommands(config('pseries', 'v6.18.y'), [{ kind: 'cpu_down', cpu: 1 }]).invalidAt).toBeNull();
  expect(runCommands(config('pseries', 'v6.18.y'), [{ kind: 'vector_cleanup_callback', cpu: 1 }]).invalidAt).toBe(0);
});

test('x86 invariants are registered for the x86 platforms only', () => {
  const ids = ['x86-matrix-accounting', 'x86-vector-ownership', 'x86-platform-msi-routing'];
  for (const p of ['x86-intel-ir', 'x86-amd-ir', 'x86-noir']) expect(invariantsFor(p).map((i) => i.id)).toEqual(expect.arrayContaining(ids));
  expect(invariantsFor('gic-v3-its').map((i) => i.id)).not.toEqual(expect.arrayContaining([ids[0]]));
});

describe('SR-IOV in the abstract state', () => {
  const base: Command[] = [
    { kind: 'pci_device_add', dev: 'dev0', rid: 0x100, msi: 0, msix: 4 },
    { kind: 'pci_enable_sriov', dev: 'dev0', numVfs: 2 },
    { kind: 'pci_alloc_irq_vectors', dev: 'dev0vf1', min: 1, max: 8, flags: 4 },
    { kind: 'irq_set_affinity', target: 'dev0vf1', vec: 3, cpus: 0x4 },
    { kind: 'generic_handle_irq', target: 'dev0vf1', vec: 3 },
  ];

  test.each(['x86-intel-ir', 'x86-amd-ir', 'x86-noir'])('%s: VFs are PCI devices the generic commands drive', (p) => {
    const r = runCommands(config(p), base);
    expect(r.invalidAt).toBeNull();
    expect(r.violation).toBeNull();
    expect(r.records[2]?.outcome?.ret).toBe(8);
    expect(r.sim.state.devices.get('dev0vf1')?.rid).toBe(0x103);
    expect(r.sim.devices.get('dev0vf1')?.msiParent?.name).toBe(p === 'x86-noir' ? 'VECTOR' : p === 'x86-amd-ir' ? 'AMD-IR-0' : 'INTEL-IR-0');
  });

  test('pci_disable_sriov removes the VFs; the VF names are gone', () => {
    const r = runCommands(config('x86-intel-ir'), [...base, { kind: 'pci_disable_sriov', dev: 'dev0' }, { kind: 'pci_free_irq_vectors', dev: 'dev0vf1' }]);
    expect(r.invalidAt).toBe(base.length + 1);
    expect([...r.sim.state.devices.keys()]).toEqual(['dev0']);
    expect(r.sim.kernel.devices.map((d) => d.name)).toEqual(['dev0']);
  });

  test('device_del of the PF takes its VFs first, then every pool is back to baseline', () => {
    const r = runCommands(config('x86-intel-ir'), [...base, { kind: 'device_del', dev: 'dev0' }]);
    expect(r.violation).toBeNull();
    expect(r.sim.state.devices.size).toBe(0);
    expect(r.sim.devices.size).toBe(0);
    expect(r.sim.kernel.devices).toEqual([]);
    for (const res of r.sim.platform.resources()) expect([res.pool, res.inUse]).toEqual([res.pool, res.baseline]);
    expect(findInvariant('object-audit')?.check({ sim: r.sim, record: r.records[r.records.length - 1] as StepRecord, reports: [], touched: null })).toBeNull();
  });

  test('a VF removed on its own is skipped by pci_disable_sriov', () => {
    const r = runCommands(config('x86-amd-ir'), [...base, { kind: 'device_del', dev: 'dev0vf1' }, { kind: 'pci_disable_sriov', dev: 'dev0' }]);
    expect(r.invalidAt).toBeNull();
    expect(r.violation).toBeNull();
    expect(r.sim.kernel.reports).toEqual([]);
  });
});

test('cpu_down moves vectors; the invariants hold across hotplug and the cleanup timer', () => {
  const r = runCommands(config('x86-intel-ir', 'v6.18', ['resource']), [
    { kind: 'pci_device_add', dev: 'dev0', rid: 0x100, msi: 0, msix: 4 },
    { kind: 'pci_alloc_irq_vectors', dev: 'dev0', min: 1, max: 4, flags: 4 },
    { kind: 'hpet_assign_irq', channel: 0 },
    { kind: 'dmar_set_interrupt', unit: 1 },
    { kind: 'irq_set_affinity', target: 'dev0', vec: 0, cpus: 0x4 },
    { kind: 'irq_set_affinity', target: 'hpet', vec: 0, cpus: 0x4 },
    { kind: 'fail_next', site: 'irq_matrix_alloc', nth: 0 },
    { kind: 'cpu_down', cpu: 2 },
    { kind: 'vector_cleanup_callback', cpu: 2 },
    { kind: 'cpu_up', cpu: 2 },
    { kind: 'vector_cleanup_callback', cpu: 0 },
    { kind: 'dmar_free_interrupt', unit: 1 },
    { kind: 'hpet_free_irq', channel: 0 },
  ]);
  expect(r.records[7]?.outcome?.ret).toBe(0);
  expect(r.violation).toBeNull();
  expect(r.invalidAt).toBe(8); // the cleanup timer does not run on an offline CPU
});

test.each(['x86-intel-ir', 'x86-amd-ir', 'x86-noir'])('%s at v6.18: 150 random runs with resource faults stay clean (known open issues aside)', (p) => {
  const r = runCampaign({ config: config(p, 'v6.18', ['resource', 'firmware']), seed: 7, runs: 150, skipOpenIssues: true });
  expect(r.findings.map((f) => `${f.finding.violation.invariant}: ${f.finding.violation.message}`)).toEqual([]);
});
