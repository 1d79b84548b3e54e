// The irqaction is a heap object that free_irq() kfree()s when it returns; __synchronize_hardirq()
// must wait for a handler still running on another CPU (IRQD_IRQ_INPROGRESS). Break that wait on
// purpose (free the action while CPU 1 is inside the handler, as a synchronize that only asked
// the chip would) and the handler's return is a use-after-free that no-use-after-free reports.
import { irqShutdown } from '../../models/kernel/manage';
import type { Command } from '../../src/commands/command';
import { healthyOn, verdict } from './helpers';

const IN_HANDLER: Command[] = [
  { kind: 'pci_device_add', dev: 'dev0', rid: 0x100, msi: 0, msix: 1 },
  { kind: 'pci_alloc_irq_vectors', dev: 'dev0', min: 1, max: 1, flags: 4 },
  { kind: 'request_irq', dev: 'dev0', vec: 0 },
  { kind: 'msi_raise', dev: 'dev0', vec: 0 },
  { kind: 'cpu_irq_enter', cpu: 1 },
];

describe('no-use-after-free guards the irqaction of a handler in progress', () => {
  test('free_irq() that does not wait for IRQD_IRQ_INPROGRESS: the returning handler reads a freed irqaction', () => {
    const { sim } = healthyOn('powernv', 'v6.18.y', IN_HANDLER);
    const k = sim.kernel;
    const frame = k.hardirq[1];
    if (frame === null || frame === undefined) throw new Error('CPU 1 is not inside the handler');
    const desc = frame.desc;
    expect(desc.inProgress).toBe(true);
    // the broken __free_irq(): remove, shut down, skip the in-progress wait, kfree
    desc.action = null;
    irqShutdown(k, desc);
    k.heap.kfree('free_irq', frame.action);
    const record = sim.execute({ kind: 'cpu_irq_exit', cpu: 1 });
    expect(verdict('no-use-after-free', sim, record)).toMatch(/__handle_irq_event_percpu: irqaction@0x[0-9a-f]+ used after kfree\(\)/);
  });

  test('the real free_irq() waits, and the same return is clean', () => {
    const { sim } = healthyOn('powernv', 'v6.18.y', IN_HANDLER);
    const waiting = sim.execute({ kind: 'free_irq', dev: 'dev0', vec: 0 });
    expect(waiting.notes.join('\n')).toMatch(/waits in __synchronize_hardirq\(1\): IRQD_IRQ_INPROGRESS, CPU 1 runs the handler/);
    const record = sim.execute({ kind: 'cpu_irq_exit', cpu: 1 });
    expect(verdict('no-use-after-free', sim, record)).toBeNull();
    expect(record.notes).toContain('cpu0: __synchronize_irq(1) done, free_irq() returns');
  });
});
