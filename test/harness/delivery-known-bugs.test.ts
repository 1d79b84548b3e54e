// Interrupt delivery: the two known bugs of issue 5 are found from random runs, shrunk to
// their minimal interleaving, and clean where fixed; the interleaving a repro prints says which
// CPU did what; masking keeps what the device raised (the Pending Bit is replayed on unmask).
import type { Command } from '../../src/commands/command';
import { runCampaign } from '../../src/engine/campaign';
import { checkRecord, runCommands } from '../../src/engine/runner';
import { findInvariant } from '../../src/invariants/registry';
import { PciDev } from '../../models/kernel/device';
import { findKnownBug, type KnownBug } from '../../src/known-bugs';
import { findPlatform } from '../../src/platforms';
import { resolveRevision } from '../../src/revision';
import type { SimulationConfig } from '../../src/sim/simulation';

function configFor(bug: KnownBug, revision = bug.revision): SimulationConfig {
  const platform = findPlatform(bug.platform);
  if (platform === undefined) throw new Error(`no platform ${bug.platform}`);
  return { platform, revision: resolveRevision(platform, revision), faultClasses: bug.faults, ...(bug.commands !== undefined ? { hunt: bug.commands } : {}) };
}

describe.each(['xive-shutdown-race', 'vfio-msix-reenable-lost-irq'])('%s', (id) => {
  const bug = findKnownBug(id) as KnownBug;

  test.each([1, 2])('seed %i: found, shrunk to the minimal length, clean at the current revision', (seed) => {
    const r = runCampaign({ config: configFor(bug), seed, runs: 2000, target: bug.invariant });
    expect(r.findings).toHaveLength(1);
    const f = r.findings[0];
    if (f === undefined) return;
    expect(f.repro.commands.length).toBe(bug.minimalLength);
    const current = findPlatform(bug.platform)?.currentRevision ?? '';
    const fixed = runCommands(configFor(bug, current), f.repro.commands);
    expect(fixed.invalidAt).toBeNull();
    expect(fixed.violation).toBeNull();
  });
});

const XIVE_RACE: Command[] = [
  { kind: 'pci_device_add', dev: 'dev0', rid: 0x100, msi: 0, msix: 1 },
  { kind: 'pci_alloc_irq_vectors', dev: 'dev0', min: 1, max: 1, flags: 4 },
  { kind: 'request_irq', dev: 'dev0', vec: 0 },
  { kind: 'msi_raise', dev: 'dev0', vec: 0 },
  { kind: 'free_irq', dev: 'dev0', vec: 0 },
  { kind: 'pci_free_irq_vectors', dev: 'dev0' },
  { kind: 'cpu_handle_irq', cpu: 1 },
];

test('xive-shutdown-race: before da15c03b047d free_irq returns with the entry queued; after, it waits for CPU 1', () => {
  const bug = findKnownBug('xive-shutdown-race') as KnownBug;
  const old = runCommands(configFor(bug), XIVE_RACE);
  expect(old.violation?.invariant).toBe('irq-handled-for-owner');
  expect(old.records[4]?.notes).toContain('cpu0: free_irq(1) returns');
  const fixed = runCommands(configFor(bug, 'v6.18.y'), XIVE_RACE);
  expect(fixed.violation).toBeNull();
  expect(fixed.records[4]?.notes.join('\n')).toMatch(/cpu0: waits in __synchronize_irq\(1\)/);
  expect(fixed.records[5]?.notes.join('\n')).toMatch(/still waiting .* pci_free_irq_vectors runs when it returns/);
  expect(fixed.records[6]?.notes).toEqual([
    'cpu1: takes irq 1 (raised by dev0 vec 0 (step 4)): irq 1: no handler, IRQS_PENDING, masked',
    'cpu0: __synchronize_irq(1) done, free_irq() returns',
    'cpu0: pci_free_irq_vectors (issued earlier) runs now',
  ]);
});

test('the CPU priority stays raised when the entry has no descriptor (before da15c03b047d)', () => {
  const bug = findKnownBug('xive-shutdown-race') as KnownBug;
  const r = runCommands({ ...configFor(bug) }, XIVE_RACE.slice(0, 6));
  expect(r.violation).toBeNull();
  const fabric = r.sim.kernel.fabric;
  expect(fabric?.takeNext(1)?.irq).toBe(1);
  expect(fabric?.priorityRaised(1)).toMatch(/CPU 1: CPPR stays at 7/);
});

test('a vector raised before request_irq waits in the Pending Bit and is delivered at startup', () => {
  const platform = findPlatform('x86-noir');
  if (platform === undefined) throw new Error('no x86-noir');
  const config = { platform, revision: resolveRevision(platform, 'v6.18'), faultClasses: [] };
  const r = runCommands(config, [
    { kind: 'pci_device_add', dev: 'dev0', rid: 0x100, msi: 0, msix: 2 },
    { kind: 'pci_alloc_irq_vectors', dev: 'dev0', min: 2, max: 2, flags: 4 },
    { kind: 'msi_raise', dev: 'dev0', vec: 1 },
    { kind: 'request_irq', dev: 'dev0', vec: 1 },
  ]);
  expect(r.violation).toBeNull();
  expect(r.records[2]?.notes).toEqual(['dev0: MSI-X entry 1 masked: Pending Bit set']);
  // unmasked by irq_startup(): the message goes out to the CPU the vector targets
  const pending = r.sim.kernel.fabric?.inFlight() ?? [];
  const handled = r.records[3]?.notes.some((n) => /raised by dev0 vec 1 \(step 3\)\): irq \d+: handler dev0:1/.test(n)) ?? false;
  expect(handled || pending.some((p) => p.origin?.dev === 'dev0' && p.origin.vec === 1)).toBe(true);
});

test('masking loses nothing: pci_msix_mask latches the raise, pci_msix_unmask sends it', () => {
  const platform = findPlatform('gic-v3-its');
  if (platform === undefined) throw new Error('no gic-v3-its');
  const config = { platform, revision: resolveRevision(platform, 'v6.18'), faultClasses: [] };
  const r = runCommands(config, [
    { kind: 'pci_device_add', dev: 'dev0', rid: 0x100, msi: 0, msix: 1 },
    { kind: 'pci_alloc_irq_vectors', dev: 'dev0', min: 1, max: 1, flags: 4 },
    { kind: 'request_irq', dev: 'dev0', vec: 0 },
    { kind: 'pci_msix_mask', dev: 'dev0', vec: 0 },
    { kind: 'msi_raise', dev: 'dev0', vec: 0 },
    { kind: 'pci_msix_unmask', dev: 'dev0', vec: 0 },
  ]);
  expect(r.violation).toBeNull();
  expect(r.records[4]?.notes).toEqual(['dev0: MSI-X entry 0 masked: Pending Bit set']);
  expect(r.records[5]?.notes[0]).toBe('dev0: Pending Bit of entry 0 set: the message goes out now');
  // the driver's own CPU took it on the way out of pci_msix_unmask
  expect(r.records[5]?.notes.join('\n')).toMatch(/cpu0: takes irq \d+ \(raised by dev0 vec 0 \(step 5\)\): irq \d+: handler dev0:0/);
  // losing the Pending Bit is what irq-not-lost catches
  const masked = runCommands(config, r.records.slice(0, 5).map((x) => x.command));
  expect(masked.violation).toBeNull();
  const last = masked.records[4];
  if (last === undefined) throw new Error('no record');
  const inv = findInvariant('irq-not-lost');
  if (inv === undefined) throw new Error('no irq-not-lost');
  expect(checkRecord(masked.sim, last, [inv], true)).toBeNull();
  (masked.sim.device('dev0') as PciDev).msixPending.clear();
  expect(checkRecord(masked.sim, last, [inv], true)?.message).toMatch(/dev0 vec 0 raised at step 5 .* neither handled nor pending/);
});
