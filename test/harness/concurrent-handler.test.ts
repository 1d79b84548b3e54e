// A handler running on one CPU across steps (cpu_irq_enter / cpu_irq_exit) while free_irq()
// starts on CPU 0: __synchronize_hardirq() waits for IRQD_IRQ_INPROGRESS, the irqaction is
// kfree()d only when free_irq() returns; the interleaving prints, parses, replays and shrinks.
import type { Command } from '../../src/commands/command';
import { runCommands } from '../../src/engine/runner';
import { findKnownBug, type KnownBug } from '../../src/known-bugs';
import { findPlatform } from '../../src/platforms';
import { annotate } from '../../src/repro/annotate';
import { parseRepro } from '../../src/repro/parse';
import { printRepro } from '../../src/repro/print';
import { resolveRevision } from '../../src/revision';
import { shrink } from '../../src/shrink/shrinker';
import type { SimulationConfig } from '../../src/sim/simulation';

function config(platform: string, revision?: string): SimulationConfig {
  const p = findPlatform(platform);
  if (p === undefined) throw new Error(`no platform ${platform}`);
  return { platform: p, revision: resolveRevision(p, revision), faultClasses: [] };
}

const liveActions = (cfg: SimulationConfig, cmds: Command[]): number => {
  const r = runCommands(cfg, cmds);
  return [...r.sim.kernel.heap.liveObjects()].filter((o) => o.kind === 'irqaction').length;
};

// powernv: XIVE routes the first started source to CPU 1
const XIVE_IN_HANDLER: Command[] = [
  { kind: 'pci_device_add', dev: 'dev0', rid: 0x100, msi: 0, msix: 1 },
  { kind: 'pci_alloc_irq_vectors', dev: 'dev0', min: 1, max: 1, flags: 4 },
  { kind: 'request_irq', dev: 'dev0', vec: 0 },
  { kind: 'msi_raise', dev: 'dev0', vec: 0 },
  { kind: 'cpu_irq_enter', cpu: 1 },
  { kind: 'free_irq', dev: 'dev0', vec: 0 },
  { kind: 'pci_free_irq_vectors', dev: 'dev0' },
  { kind: 'cpu_irq_exit', cpu: 1 },
];

describe('a handler in progress on another CPU', () => {
  test.each(['v6.18.y', 'xive-pre-da15c03b047d'])('powernv@%s: free_irq waits for IRQD_IRQ_INPROGRESS, then frees the action', (rev) => {
    const cfg = config('powernv', rev);
    const r = runCommands(cfg, XIVE_IN_HANDLER);
    expect(r.invalidAt).toBeNull();
    expect(r.violation).toBeNull();
    expect(r.records[4]?.notes).toEqual(['cpu1: takes irq 1 (raised by dev0 vec 0 (step 4)): irq 1: handler dev0:0 starts (IRQD_IRQ_INPROGRESS)']);
    expect(r.records[5]?.notes).toEqual(['cpu0: waits in __synchronize_hardirq(1): IRQD_IRQ_INPROGRESS, CPU 1 runs the handler']);
    expect(r.records[6]?.notes.join('\n')).toMatch(/still waiting in __synchronize_hardirq\(1\).*pci_free_irq_vectors runs when it returns/);
    expect(r.records[7]?.notes).toEqual([
      'cpu1: handler dev0:0 of irq 1 returns, IRQD_IRQ_INPROGRESS cleared, EOI',
      'cpu0: __synchronize_irq(1) done, free_irq() returns',
      'cpu0: pci_free_irq_vectors (issued earlier) runs now',
    ]);
    // the action lives while the handler runs and is kfree()d when free_irq() returns
    expect(liveActions(cfg, XIVE_IN_HANDLER.slice(0, 6))).toBe(1);
    expect(liveActions(cfg, XIVE_IN_HANDLER)).toBe(0);
    // CPU 1 accepts interrupts again only after the exit
    expect(runCommands(cfg, XIVE_IN_HANDLER.slice(0, 5)).sim.kernel.hardirq[1]).not.toBeNull();
  });

  test('cpu_handle_irq and the driver thread take nothing on a CPU inside a handler', () => {
    const cmds: Command[] = [...XIVE_IN_HANDLER.slice(0, 5), { kind: 'msi_raise', dev: 'dev0', vec: 0 }, { kind: 'cpu_handle_irq', cpu: 1 }];
    const r = runCommands(config('powernv'), cmds);
    expect(r.violation).toBeNull();
    expect(r.records[6]?.notes).toEqual(['cpu1: inside the handler of irq 1 (interrupts off): takes nothing']);
  });

  // x86: the second vector's irq sits on CPU 1 after a move; a raise that lands on CPU 2 after
  // a further move while CPU 1 runs the handler is IRQS_PENDING and handled again on return
  test('x86-noir: an interrupt arriving on another CPU while the handler runs is handled again when it returns', () => {
    const cmds: Command[] = [
      { kind: 'pci_device_add', dev: 'dev0', rid: 0x100, msi: 0, msix: 1 },
      { kind: 'pci_alloc_irq_vectors', dev: 'dev0', min: 1, max: 1, flags: 4 },
      { kind: 'request_irq', dev: 'dev0', vec: 0 },
      { kind: 'irq_set_affinity', target: 'dev0', vec: 0, cpus: 0x2 },
      // the move to CPU 1 completes on the next interrupt, and the old vector is cleaned up
      { kind: 'generic_handle_irq', target: 'dev0', vec: 0 },
      { kind: 'vector_cleanup_callback', cpu: 0 },
      { kind: 'msi_raise', dev: 'dev0', vec: 0 },
      { kind: 'cpu_irq_enter', cpu: 1 },
      { kind: 'irq_set_affinity', target: 'dev0', vec: 0, cpus: 0x4 },
      { kind: 'msi_raise', dev: 'dev0', vec: 0 },
      { kind: 'cpu_handle_irq', cpu: 2 },
      { kind: 'cpu_irq_exit', cpu: 1 },
    ];
    const r = runCommands(config('x86-noir'), cmds);
    expect(r.invalidAt).toBeNull();
    expect(r.violation).toBeNull();
    const notes = r.records.map((x) => x.notes.join(' | '));
    expect(notes[7]).toMatch(/cpu1: takes irq \d+ .* starts \(IRQD_IRQ_INPROGRESS\)/);
    expect(notes[9]).toMatch(/pending .*CPU 2/);
    expect(notes[10]).toMatch(/cpu2: takes irq \d+ .* in progress on CPU 1, IRQS_PENDING/);
    expect(notes[11]).toMatch(/cpu1: handler dev0:0 .* returns.*\| cpu1: irq \d+: IRQS_PENDING, handler dev0:0 runs again \(raised by dev0 vec 0 \(step 10\)\)/);
    expect(r.sim.ledger.outstanding()).toEqual([]);
  });
});

describe('interleaved repros', () => {
  test('cpu_irq_enter / cpu_irq_exit print, parse and replay with the same interleaving', () => {
    const cfg = config('powernv');
    const a = annotate(cfg, XIVE_IN_HANDLER);
    const text = printRepro({ platform: 'powernv', revision: 'v6.18.y', faults: [], commands: XIVE_IN_HANDLER, notes: a.notes, expect: 'clean' });
    expect(text).toMatch(/^cpu_irq_enter\(cpu=1\) +# cpu1: takes irq 1 .*starts \(IRQD_IRQ_INPROGRESS\)$/m);
    expect(text).toMatch(/^cpu_irq_exit\(cpu=1\) +# cpu1: handler dev0:0 of irq 1 returns/m);
    const back = parseRepro(text, 'inline.repro');
    expect(back.commands).toEqual(XIVE_IN_HANDLER);
    const first = runCommands(cfg, XIVE_IN_HANDLER).records.map((r) => r.notes);
    const replayed = runCommands(cfg, back.commands).records.map((r) => r.notes);
    expect(replayed).toEqual(first);
  });

  test('the shrinker drops handler noise and keeps enter/exit pairs consistent', () => {
    const bug = findKnownBug('xive-shutdown-race') as KnownBug;
    const cfg = config('powernv', bug.revision);
    // a second device whose interrupt a CPU handles across steps, around the race of devA
    const prefix: Command[] = [
      { kind: 'pci_device_add', dev: 'devB', rid: 0x300, msi: 0, msix: 1 },
      { kind: 'pci_alloc_irq_vectors', dev: 'devB', min: 1, max: 1, flags: 4 },
      { kind: 'request_irq', dev: 'devB', vec: 0 },
      { kind: 'msi_raise', dev: 'devB', vec: 0 },
    ];
    const where = /in the queue of CPU (\d)/.exec(runCommands(cfg, prefix).records[3]?.notes.join(' ') ?? '');
    const cpuB = Number(where?.[1] ?? -1);
    expect([1, 2, 3]).toContain(cpuB);
    const noisy: Command[] = [
      ...prefix,
      { kind: 'cpu_irq_enter', cpu: cpuB },
      { kind: 'pci_device_add', dev: 'devA', rid: 0x100, msi: 0, msix: 1 },
      { kind: 'pci_alloc_irq_vectors', dev: 'devA', min: 1, max: 1, flags: 4 },
      { kind: 'request_irq', dev: 'devA', vec: 0 },
      { kind: 'cpu_irq_exit', cpu: cpuB },
      { kind: 'msi_raise', dev: 'devA', vec: 0 },
      { kind: 'msi_raise', dev: 'devB', vec: 0 },
      { kind: 'free_irq', dev: 'devA', vec: 0 },
      { kind: 'pci_free_irq_vectors', dev: 'devA' },
      { kind: 'cpu_irq_enter', cpu: 1 },
      { kind: 'cpu_irq_enter', cpu: 2 },
      { kind: 'cpu_irq_enter', cpu: 3 },
    ];
    const r = runCommands(cfg, noisy);
    expect(r.violation?.invariant).toBe(bug.invariant);
    const s = shrink(cfg, noisy, bug.invariant);
    expect(s.commands.length).toBe(bug.minimalLength);
    expect(runCommands(cfg, s.commands).violation?.invariant).toBe(bug.invariant);
    // whatever CPU steps remain are valid pairs: every exit follows an enter on its CPU
    const inside = new Set<number>();
    for (const c of s.commands) {
      if (c.kind === 'cpu_irq_enter') inside.add(c.cpu);
      if (c.kind === 'cpu_irq_exit') expect(inside.delete(c.cpu)).toBe(true);
    }
  });
});
