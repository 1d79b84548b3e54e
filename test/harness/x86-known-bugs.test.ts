// The x86 known bugs of seed 001, found by the campaign engine from random runs (target
// invariant, a runs budget), shrunk to the known minimal length, and gone at v6.18.
import { runCampaign } from '../../src/engine/campaign';
import { runCommands } from '../../src/engine/runner';
import { findKnownBug, type KnownBug } from '../../src/known-bugs';
import { findPlatform } from '../../src/platforms';
import { resolveRevision } from '../../src/revision';
import type { SimulationConfig } from '../../src/sim/simulation';

function configFor(bug: KnownBug, revision = bug.revision): SimulationConfig {
  const platform = findPlatform(bug.platform);
  if (platform === undefined) throw new Error(`no platform ${bug.platform}`);
  return { platform, revision: resolveRevision(platform, revision), faultClasses: bug.faults };
}

describe.each(['x86-dmar-null-callback', 'x86-vf-compat-format'])('%s', (id) => {
  const bug = findKnownBug(id) as KnownBug;

  test('is registered', () => {
    expect(bug).toBeDefined();
    expect(bug.platform).toBe('x86-intel-ir');
    expect(bug.status).toBe('fixed');
  });

  test.each([1, 2, 3])('seed %i: found and shrunk to the minimal length', (seed) => {
    const t0 = Date.now();
    const r = runCampaign({ config: configFor(bug), seed, runs: 300, target: bug.invariant, skipOpenIssues: true });
    expect(r.findings).toHaveLength(1);
    const f = r.findings[0];
    if (f === undefined) return;
    expect(f.finding.violation.invariant).toBe(bug.invariant);
    expect(f.repro.commands.length).toBeLessThanOrEqual(bug.minimalLength);
    // The repro reproduces where it was found and is clean at the current revision
    expect(runCommands(configFor(bug), f.repro.commands).violation?.invariant).toBe(bug.invariant);
    const fixed = runCommands(configFor(bug, 'v6.18'), f.repro.commands);
    expect(fixed.invalidAt).toBeNull();
    expect(fixed.violation).toBeNull();
    expect(Date.now() - t0).toBeLessThan(10_000);
  });
});

test('x86-dmar-null-callback: the oops names the missing callback', () => {
  const bug = findKnownBug('x86-dmar-null-callback') as KnownBug;
  const r = runCommands(configFor(bug), [{ kind: 'dmar_set_interrupt', unit: 0 }]);
  expect(r.violation?.invariant).toBe('no-kernel-oops');
  expect(r.violation?.message).toContain('msi_domain_ops::get_hwirq');
  // Fixed by d27e623ace6a on top of the same state
  expect(runCommands(configFor(bug, 'next-2020-09-25+d27e623ace6a'), [{ kind: 'dmar_set_interrupt', unit: 0 }]).violation).toBeNull();
});

test('x86-vf-compat-format: fixed by ff828729be44 on top of v5.10-rc1', () => {
  const bug = findKnownBug('x86-vf-compat-format') as KnownBug;
  const cmds = [
    { kind: 'pci_device_add', dev: 'dev0', rid: 0x100, msi: 0, msix: 1 },
    { kind: 'pci_enable_sriov', dev: 'dev0', numVfs: 1 },
    { kind: 'pci_alloc_irq_vectors', dev: 'dev0vf0', min: 1, max: 1, flags: 4 },
  ] as const;
  const broken = runCommands(configFor(bug), cmds);
  expect(broken.violation?.invariant).toBe('message-routing');
  expect(broken.violation?.message).toContain('compatibility format interrupt blocked');
  expect(runCommands(configFor(bug, 'v5.10-rc1+ff828729be44'), cmds).violation).toBeNull();
  // AMD remapping and no remapping never had the problem
  for (const name of ['x86-amd-ir', 'x86-noir']) {
    const platform = findPlatform(name);
    if (platform === undefined) throw new Error(name);
    expect(runCommands({ platform, revision: resolveRevision(platform, 'v5.10-rc1'), faultClasses: [] }, cmds).violation).toBeNull();
  }
});

test('x86-offline-vector-leak: found on x86-noir at v5.10, shrunk, gone with a6c11c0a5235', () => {
  const bug = findKnownBug('x86-offline-vector-leak') as KnownBug;
  expect([bug.platform, bug.revision, bug.invariant]).toEqual(['x86-noir', 'v5.10', 'nothing-left-behind']);
  // seed 2 reaches it at run 1601 (seed 3 no longer within 400 runs since generation changed) and
  // needs the shrinker's vector renumbering to reach 5 commands
  const r = runCampaign({ config: configFor(bug), seed: 2, runs: 2000, target: bug.invariant });
  expect(r.findings).toHaveLength(1);
  const f = r.findings[0];
  if (f === undefined) return;
  expect(f.repro.commands.length).toBe(bug.minimalLength);
  expect(f.finding.violation.message).toMatch(/CPU \d is offline with vector \d+ still allocated and no irq holding it/);
  // The fix alone on top of the same state, and the current revision
  for (const rev of ['v5.10+a6c11c0a5235', 'v6.18']) expect(runCommands(configFor(bug, rev), f.repro.commands).violation).toBeNull();
  // AMD remaps every MSI it has: its v5.10 does not leak (the state is marked correct there)
  const amd = findPlatform('x86-amd-ir');
  expect(amd?.revisions.find((x) => x.name === 'v5.10')?.correct).toBe(true);
  expect(findPlatform('x86-noir')?.revisions.find((x) => x.name === 'v5.10')?.correct).toBe(false);
});
