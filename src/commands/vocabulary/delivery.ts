// Interrupt delivery commands: the driver's request_irq / free_irq on a vector it holds, the
// device raising a vector (msi_raise), and a CPU taking the next interrupt presented to it,
// either in one go (cpu_handle_irq) or entering the handler in one step and returning from it
// in a later one (cpu_irq_enter / cpu_irq_exit). The last four are not the driver thread: they
// run even while the driver waits in free_irq(), and they are how the engines interleave CPUs.
import { PciDev } from '../../../models/kernel/device';
import { EINVAL } from '../../../models/kernel/errno';
import { cpuHandleIrq, cpuIrqEnter, cpuIrqExit } from '../../../models/kernel/irq-flow';
import { freeIrq, requestIrq } from '../../../models/kernel/manage';
import { pciIrqVector } from '../../../models/kernel/pci-msi';
import { pciSignalVector } from '../../../models/kernel/pci-msi-signal';
import { count, IDLE_BOOST, remember, type AbstractDevice, type AbstractState } from '../../abstract/state';
import type { Simulation } from '../../sim/simulation';
import { checkArgs, deviceName, positional, requiredInt } from '../args';
import type { CommandOf } from '../command';
import { chance, pick, type Rng } from '../rng';
import type { Arg, CommandSpec } from '../spec';
import { isWire, raiseWire, wiredIrqOf } from './wired';
import { isForwarded } from './kvm';
import { noDevice } from './common';

/** Kernel() default: four CPUs. */
export const DELIVERY_CPUS = 4;

function devVecArgs(args: readonly Arg[]): { dev: string; vec: number } {
  checkArgs(args, 1, ['vec']);
  return { dev: deviceName(positional(args, 0, 'device', 1)), vec: requiredInt(args, 'vec') };
}

/**
 * Calls `f` on the vectors the driver holds on a PCI device (pci_irq_vector() answers for them:
 * the first nvec, then dynamically allocated MSI-X indexes beyond them), until it answers true.
 */
function someHeld(d: AbstractDevice, f: (vec: number) => boolean): boolean {
  // A wire-to-MSI bridge holds its mapped wires (vocabulary/wired.ts)
  if (d.mode === 'wired') {
    for (const w of d.dynamic) if (f(w)) return true;
    return false;
  }
  if (d.bus !== 'pci' || (d.mode !== 'msi' && d.mode !== 'msix')) return false;
  for (let i = 0; i < d.nvec; i++) if (f(i)) return true;
  for (const i of d.dynamic) if (!(Number.isInteger(i) && i >= 0 && i < d.nvec) && f(i)) return true;
  return false;
}

/** Does the driver hold any vector on `d` (someHeld() finds one)? */
export function holdsVector(d: AbstractDevice): boolean {
  return someHeld(d, () => true);
}

/** The vectors of someHeld(), as a list. */
export function heldVectors(d: AbstractDevice): number[] {
  const out: number[] = [];
  someHeld(d, (vec) => (out.push(vec), false));
  return out;
}

/**
 * pick(rng, pairs) over the (device, held vector) pairs that `keep` lets through, devices in
 * state order and vectors in heldVectors() order: the same draw and the same answer, without a
 * pair object per vector (a device may hold thousands, and generation runs every step).
 */
export function pickHeldVector(s: AbstractState, rng: Rng, keep: (d: AbstractDevice, vec: number) => boolean): { dev: string; vec: number } | null {
  let n = 0;
  for (const d of s.devices.values()) someHeld(d, (vec) => (keep(d, vec) && n++, false));
  if (n === 0) return null;
  let k = rng.below(n);
  let out: { dev: string; vec: number } | null = null;
  for (const d of s.devices.values()) {
    const found = someHeld(d, (vec) => {
      if (!keep(d, vec)) return false;
      if (k > 0) return (k--, false);
      out = { dev: d.name, vec };
      return true;
    });
    if (found) break;
  }
  return out;
}

/** Does the driver hold a vector on `d` without a handler (heldVectors() less handlers, without building either)? */
function holdsUnrequested(s: AbstractState, d: AbstractDevice): boolean {
  const h = s.handlers.get(d.name);
  return someHeld(d, (vec) => !(h?.has(vec) ?? false));
}

function handlersOf(s: AbstractState, dev: string): Set<number> {
  let h = s.handlers.get(dev);
  if (h === undefined) {
    h = new Set();
    s.handlers.set(dev, h);
  }
  return h;
}

function irqOf(sim: Simulation, dev: string, vec: number): number {
  const d = sim.device(dev);
  return d instanceof PciDev ? pciIrqVector(d, vec) : wiredIrqOf(sim, dev, vec);
}

export const requestIrqCmd: CommandSpec<'request_irq'> = {
  kind: 'request_irq',
  summary: 'request_irq(dev, vec=N): install the driver\'s handler on the vector\'s irq; the first one starts it (irq_startup: route, unmask)',
  weight: 6,
  choices: (s) => count(s, (d) => holdsUnrequested(s, d)),
  valid(c, s) {
    const d = s.devices.get(c.dev);
    return d !== undefined && heldVectors(d).includes(c.vec) && !(s.handlers.get(c.dev)?.has(c.vec) ?? false);
  },
  invalid(c, s) {
    const d = s.devices.get(c.dev);
    if (d === undefined) return noDevice(c.dev);
    if (!heldVectors(d).includes(c.vec)) return `the driver holds no vector ${c.vec} on ${c.dev}`;
    if (s.handlers.get(c.dev)?.has(c.vec) ?? false) return `vector ${c.vec} of ${c.dev} already has a handler`;
    return null;
  },
  generate(s, rng) {
    const picked = pickHeldVector(s, rng, (d, v) => !(s.handlers.get(d.name)?.has(v) ?? false));
    return picked === null ? null : { kind: 'request_irq', ...picked };
  },
  // __setup_irq() activates an irq that free_irq() deactivated (a managed one starts from its
  // reservation instead): where that needs what the parent has none of left (x86: a vector on
  // an online CPU), the call may fail. An injected failure firing in it excuses an error too.
  expect(c, _s, sim) {
    const irq = irqOf(sim, c.dev, c.vec);
    const desc = irq > 0 ? sim.kernel.irqs.desc(irq) : undefined;
    if (desc !== undefined && !desc.irqData.activated && !desc.affinityManaged && sim.platform.canActivate?.(irq) === false) {
      return { kind: 'range', min: 0, max: 0, orError: true, why: 'its activation needs a vector and no online CPU has one left' };
    }
    return { kind: 'exact', ret: 0, why: 'a vector the driver holds, no handler yet' };
  },
  run(c, sim) {
    const irq = irqOf(sim, c.dev, c.vec);
    if (irq < 0) return { ret: irq };
    return { ret: requestIrq(sim.kernel, irq, `${c.dev}:${c.vec}`, { dev: c.dev, vec: c.vec }) };
  },
  update(c, o, s) {
    if (o.ret === 0) handlersOf(s, c.dev).add(c.vec);
  },
  format: (c) => [c.dev, `vec=${c.vec}`],
  parse: (args) => ({ kind: 'request_irq', ...devVecArgs(args) }),
  simplify: (c) => (c.vec > 0 ? [{ ...c, vec: 0 }] : []),
};

export const freeIrqCmd: CommandSpec<'free_irq'> = {
  kind: 'free_irq',
  summary: 'free_irq(dev, vec=N): remove the handler, shut the irq down, then __synchronize_irq() (which may wait for an interrupt in flight)',
  weight: 4,
  choices: (s) => [...s.handlers.values()].filter((v) => v.size > 0).length,
  // VFIO unsets a forwarded vector (kvm_vgic_v4_unset_forwarding) before it frees the irq
  valid: (c, s) => (s.handlers.get(c.dev)?.has(c.vec) ?? false) && !isForwarded(s, c.dev, c.vec),
  invalid: (c, s) =>
    !(s.handlers.get(c.dev)?.has(c.vec) ?? false)
      ? `no handler on vector ${c.vec} of ${c.dev} (request_irq() first)`
      : isForwarded(s, c.dev, c.vec)
        ? `vector ${c.vec} of ${c.dev} is forwarded to a vCPU: kvm_vgic_v4_unset_forwarding() first`
        : null,
  generate(s, rng) {
    const options = [...s.handlers].flatMap(([dev, vecs]) => [...vecs].map((vec) => ({ dev, vec }))).filter((o) => !isForwarded(s, o.dev, o.vec));
    if (options.length === 0) return null;
    return { kind: 'free_irq', ...pick(rng, options) };
  },
  expect: () => ({ kind: 'none' }),
  run(c, sim) {
    const irq = irqOf(sim, c.dev, c.vec);
    if (irq < 0) return { ret: irq };
    const r = freeIrq(sim.kernel, irq, { dev: c.dev, vec: c.vec }, 0);
    if (r.wait !== null) sim.block(r.wait);
    else sim.note(`cpu0: free_irq(${irq}) returns`);
    return { ret: null };
  },
  update(c, _o, s, sim) {
    s.handlers.get(c.dev)?.delete(c.vec);
    sim.ledger.released(c.dev, c.vec);
  },
  format: (c) => [c.dev, `vec=${c.vec}`],
  parse: (args) => ({ kind: 'free_irq', ...devVecArgs(args) }),
  simplify: (c) => (c.vec > 0 ? [{ ...c, vec: 0 }] : []),
};

export const msiRaiseCmd: CommandSpec<'msi_raise'> = {
  kind: 'msi_raise',
  summary: 'msi_raise(dev, vec=N): the device signals the vector (MSI-X entry message, or MSI data + N; a masked entry sets its Pending Bit)',
  weight: 6,
  concurrent: true,
  // A device fires once its driver asked for the interrupt: while no vector has a handler, a
  // raise only exercises the spurious path (XIVE: a source still off drops it)
  boost: (s) => (anyHandler(s) ? 1 : IDLE_BOOST),
  valid(c, s) {
    const d = s.devices.get(c.dev);
    // a bridge's wire asserting is its device raising it
    if (d?.mode === 'wired') return isWire(s, c.dev, c.vec);
    return d !== undefined && d.bus === 'pci' && c.vec >= 0 && c.vec < Math.max(d.msixSize, d.msiCap);
  },
  invalid(c, s) {
    const d = s.devices.get(c.dev);
    if (d === undefined) return noDevice(c.dev);
    if (d.mode === 'wired') return isWire(s, c.dev, c.vec) ? null : `${c.dev} has no wire ${c.vec}`;
    if (d.bus !== 'pci') return `${c.dev} is not a PCI function`;
    const entries = Math.max(d.msixSize, d.msiCap);
    if (c.vec < 0 || c.vec >= entries) return `vec=${c.vec} is outside the ${entries} vector(s) ${c.dev} can signal (table size)`;
    return null;
  },
  generate(s, rng) {
    // Mostly a vector with a handler; otherwise any held vector (or, holding none, a handled one)
    const requested = [...s.handlers].flatMap(([dev, vecs]) => [...vecs].map((vec) => ({ dev, vec })));
    // Sometimes a vector whose interrupt no CPU has taken yet (else one raised lately), still
    // held, again: the second interrupt coalesces with the first (Pending Bit, IRR, Q bit)
    const stillHeld = (r: { dev: string; vec: number }): boolean => {
      const d = s.devices.get(r.dev);
      return d !== undefined && heldVectors(d).includes(r.vec);
    };
    const inFlight = (s.machine?.inFlight() ?? []).filter(stillHeld);
    const again = inFlight.length > 0 ? inFlight : s.raised.filter(stillHeld);
    if (again.length > 0 && chance(rng, 30)) {
      const r = pick(rng, again);
      return { kind: 'msi_raise', dev: r.dev, vec: r.vec };
    }
    if (requested.length > 0 && chance(rng, 75)) return { kind: 'msi_raise', ...pick(rng, requested) };
    const held = pickHeldVector(s, rng, () => true);
    if (held !== null) return { kind: 'msi_raise', ...held };
    return requested.length === 0 ? null : { kind: 'msi_raise', ...pick(rng, requested) };
  },
  expect: () => ({ kind: 'none' }),
  run(c, sim) {
    const d = sim.device(c.dev);
    if (sim.state.devices.get(c.dev)?.mode === 'wired') {
      if (sim.state.handlers.get(c.dev)?.has(c.vec) ?? false) sim.ledger.raised(c.dev, c.vec, sim.step - 1);
      sim.note(`${c.dev}: wire ${c.vec}: ${raiseWire(sim, c.dev, c.vec, { dev: c.dev, vec: c.vec, step: sim.step - 1 })}`);
      return { ret: null };
    }
    if (!(d instanceof PciDev)) return { ret: -EINVAL };
    // Owed to the driver: a vector it handles, unless the irq is shut down with its managed CPUs
    const irq = pciIrqVector(d, c.vec);
    const managedDown = irq > 0 && sim.kernel.irqs.desc(irq)?.managedShutdown === true;
    // a forwarded vector's interrupt is a vLPI: the guest's, not the host handler's
    const owed = (sim.state.handlers.get(c.dev)?.has(c.vec) ?? false) && !managedDown && !isForwarded(sim.state, c.dev, c.vec);
    if (owed) sim.ledger.raised(c.dev, c.vec, sim.step - 1);
    sim.note(`${c.dev}: ${pciSignalVector(sim.kernel, d, c.vec, { dev: c.dev, vec: c.vec, step: sim.step - 1 })}`);
    return { ret: null };
  },
  update(c, _o, s) {
    remember(s.raised, { dev: c.dev, vec: c.vec });
  },
  format: (c) => [c.dev, `vec=${c.vec}`],
  parse: (args) => ({ kind: 'msi_raise', ...devVecArgs(args) }),
  simplify: (c) => (c.vec > 0 ? [{ ...c, vec: 0 }] : []),
};

/** A CPU taking an interrupt while none is in flight anywhere takes nothing (weighs IDLE_BOOST). */
function takeBoost(s: AbstractState): number {
  return s.machine === undefined || s.machine.inFlight().length > 0 ? 1 : IDLE_BOOST;
}

function anyHandler(s: AbstractState): boolean {
  for (const v of s.handlers.values()) if (v.size > 0) return true;
  return false;
}

export const cpuHandleIrqCmd: CommandSpec<'cpu_handle_irq'> = {
  kind: 'cpu_handle_irq',
  summary: 'cpu_handle_irq(cpu=N): the CPU takes the next interrupt presented to it, runs the flow handler of the irq it names, EOIs',
  weight: 6,
  concurrent: true,
  boost: takeBoost,
  valid: (c) => c.cpu >= 0 && c.cpu < DELIVERY_CPUS,
  invalid: (c) => (c.cpu >= 0 && c.cpu < DELIVERY_CPUS ? null : `cpu=${c.cpu}: the model has CPUs 0 to ${DELIVERY_CPUS - 1}`),
  generate: (_s, rng) => ({ kind: 'cpu_handle_irq', cpu: pick(rng, [1, 2, 3, 0]) }),
  expect: () => ({ kind: 'none' }),
  run(c, sim) {
    const fabric = sim.kernel.fabric;
    if (fabric === null) return { ret: -EINVAL };
    const inside = sim.kernel.hardirq[c.cpu];
    if (inside !== null && inside !== undefined) {
      sim.note(`cpu${c.cpu}: inside the handler of irq ${inside.desc.irq} (interrupts off): takes nothing`);
      return { ret: null };
    }
    const ev = cpuHandleIrq(sim.kernel, fabric, c.cpu);
    if (ev === null) sim.note(`cpu${c.cpu}: ${fabric.idleReason(c.cpu)}`);
    else sim.noteIrq(ev);
    return { ret: null };
  },
  update: () => undefined,
  format: (c) => [`cpu=${c.cpu}`],
  parse: (args: readonly Arg[]): CommandOf<'cpu_handle_irq'> => cpuArg('cpu_handle_irq', args),
  simplify: (c) => (c.cpu > 1 ? [{ ...c, cpu: 1 }] : []),
};

function cpuArg<K extends 'cpu_handle_irq' | 'cpu_irq_enter' | 'cpu_irq_exit'>(kind: K, args: readonly Arg[]): { kind: K; cpu: number } {
  checkArgs(args, 0, ['cpu']);
  return { kind, cpu: requiredInt(args, 'cpu') };
}

/** CPUs that may stop inside a handler: not CPU 0, which runs the driver thread. */
const HANDLER_CPUS = [1, 2, 3];

export const cpuIrqEnterCmd: CommandSpec<'cpu_irq_enter'> = {
  kind: 'cpu_irq_enter',
  summary: 'cpu_irq_enter(cpu=N): CPU N (1-3) takes the next interrupt presented to it and enters the handler, which keeps running (IRQD_IRQ_INPROGRESS) until cpu_irq_exit',
  weight: 3,
  concurrent: true,
  boost: takeBoost,
  valid: (c, s) => HANDLER_CPUS.includes(c.cpu) && !s.inHandler.has(c.cpu) && s.online.has(c.cpu),
  invalid(c, s) {
    if (!HANDLER_CPUS.includes(c.cpu)) return `cpu=${c.cpu}: handlers run on CPUs ${HANDLER_CPUS.join(', ')}`;
    if (s.inHandler.has(c.cpu)) return `CPU ${c.cpu} is already inside a handler`;
    if (!s.online.has(c.cpu)) return `CPU ${c.cpu} is offline`;
    return null;
  },
  generate(s, rng) {
    const free = HANDLER_CPUS.filter((c) => !s.inHandler.has(c) && s.online.has(c));
    return free.length === 0 ? null : { kind: 'cpu_irq_enter', cpu: pick(rng, free) };
  },
  expect: () => ({ kind: 'none' }),
  run(c, sim) {
    const fabric = sim.kernel.fabric;
    if (fabric === null) return { ret: -EINVAL };
    const ev = cpuIrqEnter(sim.kernel, fabric, c.cpu);
    if (ev === null) sim.note(`cpu${c.cpu}: ${fabric.idleReason(c.cpu)}`);
    else sim.noteIrq(ev);
    return { ret: null };
  },
  update(c, _o, s, sim) {
    if (sim.kernel.hardirq[c.cpu] !== null) s.inHandler.add(c.cpu);
  },
  format: (c) => [`cpu=${c.cpu}`],
  parse: (args) => cpuArg('cpu_irq_enter', args),
  simplify: (c) => (c.cpu > 1 ? [{ ...c, cpu: 1 }] : []),
};

export const cpuIrqExitCmd: CommandSpec<'cpu_irq_exit'> = {
  kind: 'cpu_irq_exit',
  summary: 'cpu_irq_exit(cpu=N): the handler CPU N is in returns: the action is read again, IRQD_IRQ_INPROGRESS cleared, EOI (and the handler runs again for what arrived meanwhile)',
  weight: 6,
  concurrent: true,
  valid: (c, s) => s.inHandler.has(c.cpu),
  invalid: (c, s) => (s.inHandler.has(c.cpu) ? null : `CPU ${c.cpu} is not inside a handler`),
  generate(s, rng) {
    const busy = HANDLER_CPUS.filter((c) => s.inHandler.has(c));
    return busy.length === 0 ? null : { kind: 'cpu_irq_exit', cpu: pick(rng, busy) };
  },
  expect: () => ({ kind: 'none' }),
  run(c, sim) {
    const fabric = sim.kernel.fabric;
    if (fabric === null) return { ret: -EINVAL };
    const ex = cpuIrqExit(sim.kernel, fabric, c.cpu);
    if (ex === null) sim.note(`cpu${c.cpu}: in no handler`);
    else sim.noteIrqExit(c.cpu, ex);
    return { ret: null };
  },
  update(c, _o, s) {
    s.inHandler.delete(c.cpu);
  },
  format: (c) => [`cpu=${c.cpu}`],
  parse: (args) => cpuArg('cpu_irq_exit', args),
  simplify: () => [],
};

export const DELIVERY_COMMANDS = [requestIrqCmd, freeIrqCmd, msiRaiseCmd, cpuHandleIrqCmd, cpuIrqEnterCmd, cpuIrqExitCmd] as const;
