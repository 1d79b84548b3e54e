// The bench's blind fast-check harness: it executes only what a driver could issue at that
// point, and it does find bugs (a comparison against a harness that finds nothing would say
// nothing).
import type { Command, CommandKind } from '../../src/commands/command';
import { specOf } from '../../src/commands/vocabulary';
import { blindFc } from '../../src/bench/fc-blind';
import { configFor } from '../../src/cli/setup';
import { KNOWN_BUGS } from '../../src/known-bugs';
import { findPlatform } from '../../src/platforms';
import { Simulation } from '../../src/sim/simulation';

const cpu = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

function bugConfig(id: string): ReturnType<typeof configFor> {
  const bug = KNOWN_BUGS.find((b) => b.id === id);
  if (bug === undefined) throw new Error(id);
  return configFor(findPlatform(bug.platform)!, bug.revision, bug.faults);
}

const KINDS = new Set<CommandKind>(['pci_device_add', 'pci_alloc_irq_vectors', 'pci_free_irq_vectors', 'device_del', 'request_irq', 'free_irq', 'msi_raise', 'cpu_handle_irq']);

test('every command the blind harness executes is one a driver could issue then', () => {
  const config = bugConfig('its-teardown-scratchpad-ul');
  const original = Simulation.prototype.execute;
  const refused: string[] = [];
  const ctx = { faultSites: [] as string[], platform: config.platform.name };
  const spy = jest.spyOn(Simulation.prototype, 'execute').mockImplementation(function (this: Simulation, c: Command) {
    if (!specOf(c.kind).valid(c as never, this.state, ctx)) refused.push(JSON.stringify(c));
    return original.call(this, c);
  });
  try {
    const r = blindFc(config, KINDS, { timeMs: 300, seed: 7, cpu });
    expect(r.commands).toBeGreaterThan(0);
  } finally {
    spy.mockRestore();
  }
  expect(refused).toEqual([]);
});

test('the blind harness finds a short known bug and names its invariant', () => {
  const bug = KNOWN_BUGS.find((b) => b.id === 'its-teardown-scratchpad-ul')!;
  const r = blindFc(bugConfig(bug.id), KINDS, { timeMs: 60_000, seed: 1000, cpu, target: bug.invariant });
  expect(r.detectedMs).not.toBeNull();
});
