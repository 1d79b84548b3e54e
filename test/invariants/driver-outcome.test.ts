// The driver-outcome oracle derives its promise from the kernel's inputs: each case builds the
// state that once made it promise nothing (a shared DeviceID, a firmware quota, an armed fault,
// a deactivated irq on exhausted vector space), checks the promise it makes now, and breaks
// the outcome to show the invariant fires.
import { ENOSPC } from '../../models/kernel/errno';
import { X86Platform } from '../../models/platforms/x86/instance';
import type { Command } from '../../src/commands/command';
import { PCI_IRQ_MSIX } from '../../src/commands/command';
import { specOf } from '../../src/commands/vocabulary';
import type { Expectation } from '../../src/commands/spec';
import type { Simulation, StepRecord } from '../../src/sim/simulation';
import { runCommands } from '../../src/engine/runner';
import { findPlatform } from '../../src/platforms';
import { resolveRevision } from '../../src/revision';
import { healthyOn, verdict } from './helpers';

/** The expectation of `cmd` in the state `sim` is in now. */
function expectationOf(sim: Simulation, cmd: Command): Expectation {
  return (specOf(cmd.kind).expect as (c: Command, s: Simulation['state'], sim: Simulation) => Expectation)(cmd, sim.state, sim);
}

/** The last step's record with another outcome (and no fault fired). */
function withOutcome(record: StepRecord, ret: number): StepRecord {
  return { ...record, outcome: { ret }, faultsFired: [] };
}

describe('driver-outcome promises from the kernel\'s inputs', () => {
  test('a function sharing its DeviceID (behind one bridge) gets what the shared its_device has left', () => {
    const setup: Command[] = [
      { kind: 'pci_bridge_add', bridge: 'br0', rid: 0x300 },
      { kind: 'pci_device_add', dev: 'dev0', rid: 0x400, msi: 0, msix: 4, bridge: 'br0' },
      { kind: 'pci_device_add', dev: 'dev1', rid: 0x408, msi: 0, msix: 8, bridge: 'br0' },
      { kind: 'pci_alloc_irq_vectors', dev: 'dev0', min: 1, max: 4, flags: PCI_IRQ_MSIX },
      { kind: 'pci_alloc_irq_vectors', dev: 'dev1', min: 1, max: 8, flags: PCI_IRQ_MSIX },
    ];
    const { sim, record } = healthyOn('gic-v3-its', 'v6.18', setup);
    // prepare sized the its_device for both functions (4 + 8, rounded up): dev1 gets all 8
    expect(record.expectation).toEqual(expect.objectContaining({ kind: 'exact', ret: 8 }));
    expect(record.outcome?.ret).toBe(8);
    expect(verdict('driver-outcome', sim, withOutcome(record, 4))).toMatch(/returned 4, expected 8/);
  });

  test('a function asking for more than its share of the PE\'s MSIs gets the quota', () => {
    const setup: Command[] = [
      { kind: 'pci_device_add', dev: 'dev0', rid: 0x100, msi: 0, msix: 2048 },
      { kind: 'pci_alloc_irq_vectors', dev: 'dev0', min: 1, max: 2048, flags: PCI_IRQ_MSIX },
    ];
    const { sim, record } = healthyOn('pseries', 'v6.18.y', setup);
    // ibm,pe-total-#msi is 64 on the PHB and dev0 is its only function
    expect(record.expectation).toEqual(expect.objectContaining({ kind: 'exact', ret: 64 }));
    expect(record.outcome?.ret).toBe(64);
    expect(verdict('driver-outcome', sim, withOutcome(record, -ENOSPC))).toMatch(/returned -ENOSPC, expected 64/);
  });

  test('a function asking for more than its share gets the quota msi_quota_for_device() splits from the device tree', () => {
    // three functions under one PE (bus 1: the second PHB, ibm,pe-total-#msi = 64), each with
    // ibm,req#msi-x = its table size
    const setup: Command[] = [
      { kind: 'pci_device_add', dev: 'dev0', rid: 0x100, msi: 0, msix: 8 },
      { kind: 'pci_device_add', dev: 'dev1', rid: 0x108, msi: 0, msix: 64 },
      { kind: 'pci_device_add', dev: 'dev2', rid: 0x110, msi: 0, msix: 64 },
      { kind: 'pci_alloc_irq_vectors', dev: 'dev1', min: 1, max: 64, flags: PCI_IRQ_MSIX },
    ];
    const { sim, record } = healthyOn('pseries', 'v6.18.y', setup);
    // even share 64 / 3 = 21; dev0 asks 8 and leaves 13, the remainder 64 % 3 adds 1; dev1 and
    // dev2 ask more than 21 and split the 14: 21 + 7 = 28 (not a power of two, so no round-up)
    expect(record.expectation).toEqual(expect.objectContaining({ kind: 'exact', ret: 28 }));
    expect(record.outcome?.ret).toBe(28);
    // a kernel that adds the spare instead of sharing it, or ignores the quota, hands out more
    expect(verdict('driver-outcome', sim, withOutcome(record, 32))).toMatch(/returned 32, expected 28/);
    expect(verdict('driver-outcome', sim, withOutcome(record, 64))).toMatch(/returned 64, expected 28/);
  });

  test('an armed fault that does not fire excuses nothing', () => {
    const setup: Command[] = [
      { kind: 'pci_device_add', dev: 'dev0', rid: 0x100, msi: 0, msix: 2 },
      { kind: 'fail_next', site: 'irq_matrix_alloc', nth: 5 },
      { kind: 'pci_alloc_irq_vectors', dev: 'dev0', min: 1, max: 2, flags: PCI_IRQ_MSIX },
    ];
    const platform = findPlatform('x86-noir');
    if (platform === undefined) throw new Error('no x86-noir');
    const r = runCommands({ platform, revision: resolveRevision(platform, 'v6.18'), faultClasses: ['resource'] }, setup);
    expect(r.violation).toBeNull();
    const { sim } = r;
    const record = r.records[r.records.length - 1] as StepRecord;
    // armed for the call, which ended without reaching its sixth irq_matrix_alloc()
    expect(sim.kernel.faults.missed().map((f) => f.site)).toEqual(['irq_matrix_alloc']);
    expect(record.faultsFired).toEqual([]);
    expect(record.expectation).toEqual(expect.objectContaining({ kind: 'exact', ret: 2 }));
    expect(verdict('driver-outcome', sim, withOutcome(record, 1))).toMatch(/returned 1, expected 2/);
    // with the fault fired in the call, the fallback count or an error is what the API may give
    expect(verdict('driver-outcome', sim, { ...record, outcome: { ret: 1 }, faultsFired: ['irq_matrix_alloc'] })).toBeNull();
    expect(verdict('driver-outcome', sim, { ...record, outcome: { ret: 3 }, faultsFired: ['irq_matrix_alloc'] })).toMatch(/returned 3/);
  });

  test('request_irq() of a deactivated irq promises 0 while an online CPU has a vector, and nothing beyond 0 or an error once none has', () => {
    const setup: Command[] = [
      { kind: 'pci_device_add', dev: 'dev0', rid: 0x100, msi: 0, msix: 1 },
      { kind: 'pci_alloc_irq_vectors', dev: 'dev0', min: 1, max: 1, flags: PCI_IRQ_MSIX },
      { kind: 'request_irq', dev: 'dev0', vec: 0 },
      { kind: 'free_irq', dev: 'dev0', vec: 0 },
    ];
    const { sim } = healthyOn('x86-noir', 'v6.18', setup);
    const req: Command = { kind: 'request_irq', dev: 'dev0', vec: 0 };
    expect(expectationOf(sim, req)).toEqual(expect.objectContaining({ kind: 'exact', ret: 0 }));
    // every online CPU's vector space used up
    for (const cm of (sim.platform as X86Platform).vec.matrix.maps) cm.available = 0;
    expect(expectationOf(sim, req)).toEqual(expect.objectContaining({ kind: 'range', min: 0, max: 0, orError: true }));
  });
});
