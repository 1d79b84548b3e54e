// pseries presents interrupts through the hypervisor's XIVE (H_INT_SET_SOURCE_CONFIG routes a
// LISN to a vCPU's event queue with the Linux irq as EISN; ESB PQ bits; CPPR), with the same
// common.c code as powernv: free_irq() waits for a queued entry through
// xive_get_irqchip_state() (da15c03b047d, in every pseries state modelled).
import type { Command } from '../../src/commands/command';
import { runCommands } from '../../src/engine/runner';
import { findPlatform } from '../../src/platforms';
import { resolveRevision } from '../../src/revision';
import type { SimulationConfig } from '../../src/sim/simulation';
import type { PseriesPlatform } from '../../models/platforms/pseries';

function config(revision?: string): SimulationConfig {
  const p = findPlatform('pseries');
  if (p === undefined) throw new Error('no pseries');
  return { platform: p, revision: resolveRevision(p, revision), faultClasses: [] };
}

// spapr sources have no chip ID: targets rotate over every CPU, vec 0 -> CPU 0, vec 1 -> CPU 1
const SETUP: Command[] = [
  { kind: 'pci_device_add', dev: 'dev0', rid: 0x100, msi: 0, msix: 2 },
  { kind: 'pci_alloc_irq_vectors', dev: 'dev0', min: 2, max: 2, flags: 4 },
  { kind: 'request_irq', dev: 'dev0', vec: 0 },
  { kind: 'request_irq', dev: 'dev0', vec: 1 },
  { kind: 'msi_raise', dev: 'dev0', vec: 1 },
];
const RACE: Command[] = [
  ...SETUP,
  { kind: 'free_irq', dev: 'dev0', vec: 0 },
  { kind: 'free_irq', dev: 'dev0', vec: 1 },
  { kind: 'pci_free_irq_vectors', dev: 'dev0' },
  { kind: 'cpu_handle_irq', cpu: 1 },
];

test('pseries: a raise lands in the target vCPU\'s event queue through H_INT_SET_SOURCE_CONFIG', () => {
  const r = runCommands(config(), SETUP);
  expect(r.violation).toBeNull();
  expect(r.sim.kernel.fabric?.name).toBe('xive');
  expect(r.records[4]?.notes.join('')).toMatch(/dev0: LISN \d+ PQ=00 -> 10, entry 2 in the queue of CPU 1/);
  const hv = (r.sim.platform as PseriesPlatform).hv;
  expect(hv.presenter.queues[1]?.map((e) => e.data)).toEqual([2]);
});

test('pseries@v6.18.y: free_irq() waits for the queued entry (xive_get_irqchip_state), CPU 1 takes it, CPPR reopens', () => {
  const r = runCommands(config(), RACE);
  expect(r.invalidAt).toBeNull();
  expect(r.violation).toBeNull();
  expect(r.records[6]?.notes.join('\n')).toMatch(/cpu0: waits in __synchronize_irq\(2\): irq_get_irqchip_state\(IRQCHIP_STATE_ACTIVE\) says in flight/);
  expect(r.records[8]?.notes).toEqual([
    'cpu1: takes irq 2 (raised by dev0 vec 1 (step 5)): irq 2: no handler, IRQS_PENDING, masked',
    'cpu0: __synchronize_irq(2) done, free_irq() returns',
    'cpu0: pci_free_irq_vectors (issued earlier) runs now',
  ]);
  const cpus = (r.sim.platform as PseriesPlatform).xiveCpus;
  expect(cpus.cpu(1).cppr).toBe(0xff);
});

test('pseries: a second raise while P is set coalesces in Q and fires again on the store EOI', () => {
  const cmds: Command[] = [...SETUP, { kind: 'msi_raise', dev: 'dev0', vec: 1 }, { kind: 'cpu_handle_irq', cpu: 1 }, { kind: 'cpu_handle_irq', cpu: 1 }];
  const r = runCommands(config(), cmds);
  expect(r.violation).toBeNull();
  expect(r.records[5]?.notes.join('')).toMatch(/PQ=10 -> 11 \(coalesced in Q\)/);
  expect(r.records[6]?.notes.join('')).toMatch(/cpu1: takes irq 2 .*handler dev0:1/);
  expect(r.records[7]?.notes.join('')).toMatch(/cpu1: takes irq 2 .*handler dev0:1/);
  expect(r.sim.ledger.outstanding()).toEqual([]);
});
