// Affinity and CPU hotplug, on every platform whose MSI parent moves interrupts
// (PlatformCapabilities.affinity): a write to /proc/irq/N/smp_affinity (irq_set_affinity),
// taking a CPU down and bringing it back (cpu_down / cpu_up) through the generic genirq code
// (models/kernel/affinity.ts, cpuhotplug.ts) and the platform's arch hooks.
import { PciDev } from '../../../models/kernel/device';
import { EIO } from '../../../models/kernel/errno';
import { effectiveCpuOf, writeIrqAffinity } from '../../../models/kernel/affinity';
import { cpuDown, cpuUp } from '../../../models/kernel/cpuhotplug';
import { pciIrqVector } from '../../../models/kernel/pci-msi';
import { IDLE_BOOST, latestMoveEnds, moveEnds, NR_CPUS, remember, type AbstractState } from '../../abstract/state';
import type { Simulation } from '../../sim/simulation';
import { checkArgs, deviceName, endCol, hex, positional, requiredInt } from '../args';
import type { CommandOf } from '../command';
import { chance, pick } from '../rng';
import type { CommandSpec } from '../spec';
import { heldVectors, holdsVector } from './delivery';
import { isX86PlatformTarget, x86PlatformIrq, x86PlatformIrqTargets } from './x86';
import { wiredIrqOf } from './wired';

function cpuMask(cpus: readonly number[]): number {
  return cpus.reduce((m, c) => m | (1 << c), 0);
}

function maskCpus(mask: number): number[] {
  const out: number[] = [];
  for (let c = 0; c < NR_CPUS; c++) if ((mask & (1 << c)) !== 0) out.push(c);
  return out;
}

/** Live (target, vec) pairs: PCI vectors drivers hold, and the platform's own irqs (x86 HPET, DMAR). */
function irqTargets(s: AbstractState): { target: string; vec: number }[] {
  const out: { target: string; vec: number }[] = [];
  for (const d of s.devices.values()) for (const vec of heldVectors(d)) out.push({ target: d.name, vec });
  return [...out, ...x86PlatformIrqTargets(s)];
}

/** Is there an irq_set_affinity target at all (irqTargets(s) is not empty), without listing them? */
function anyIrqTarget(s: AbstractState): boolean {
  for (const d of s.devices.values()) if (holdsVector(d)) return true;
  return x86PlatformIrqTargets(s).length > 0;
}

/** The Linux irq behind a target, or a negative errno. */
function targetIrq(sim: Simulation, target: string, vec: number): number {
  if (isX86PlatformTarget(target)) return x86PlatformIrq(sim, target, vec);
  const dev = sim.devices.get(target);
  return dev instanceof PciDev ? pciIrqVector(dev, vec) : wiredIrqOf(sim, target, vec);
}

/** The CPU /proc/irq/N/effective_affinity names, or -1. */
function effectiveCpu(sim: Simulation, irq: number): number {
  const top = sim.kernel.irqs.desc(irq)?.irqData;
  return top === undefined ? -1 : effectiveCpuOf(top);
}

/** The CPU /proc/irq/N/effective_affinity names for a target's vector (MachineView.effectiveCpu), or -1. */
export function targetEffectiveCpu(sim: Simulation, target: string, vec: number): number {
  const irq = targetIrq(sim, target, vec);
  return irq < 0 ? -1 : effectiveCpu(sim, irq);
}

/** A device vector its driver allocated with PCI_IRQ_AFFINITY (managed: the kernel places it). */
function managedVector(s: AbstractState, target: string, vec: number): boolean {
  const d = s.devices.get(target);
  return d !== undefined && d.managed === true && vec < d.nvec;
}

const MASKS = [0x1, 0x2, 0x4, 0x8, 0x6, 0xc, 0xf];

export const irqSetAffinityCmd: CommandSpec<'irq_set_affinity'> = {
  kind: 'irq_set_affinity',
  summary: 'irq_set_affinity(dev, vec=N, cpus=MASK): write /proc/irq/N/smp_affinity of a device vector (x86: or hpet/dmar/gsi): the parent moves it (x86: a new vector, the old one kept until cleanup; ITS: MOVI)',
  weight: 3,
  // An irq whose interrupt may still be pending is the one worth moving
  boost: (s) => (s.raised.length > 0 ? 2 : 1),
  valid: (c, s) => s.caps.affinity && c.cpus > 0 && c.cpus < 1 << NR_CPUS && irqTargets(s).some((t) => t.target === c.target && t.vec === c.vec),
  invalid(c, s) {
    if (!s.caps.affinity) return 'this platform model has no affinity support';
    if (c.cpus <= 0 || c.cpus >= 1 << NR_CPUS) return `cpus=${c.cpus}: a non-empty mask of CPUs 0 to ${NR_CPUS - 1}`;
    return irqTargets(s).some((t) => t.target === c.target && t.vec === c.vec) ? null : `${c.target} has no vector ${c.vec} with an irq`;
  },
  generate(s, rng) {
    if (!s.caps.affinity) return null;
    const ts = irqTargets(s);
    if (ts.length === 0) return null;
    // Mostly an irq a write can move: a managed vector (PCI_IRQ_AFFINITY) is the kernel's (-EIO)
    const movable = ts.filter((t) => !managedVector(s, t.target, t.vec));
    const pool = movable.length > 0 && chance(rng, 85) ? movable : ts;
    // Often a vector whose interrupt is in flight now (raised, not taken yet: a move must carry
    // it), or else one raised lately (each raise counts: a vector raised twice lately, coalesced,
    // weighs twice)
    const held = (dev: string, vec: number): boolean => pool.some((t) => dev === t.target && vec === t.vec);
    const inFlight = (s.machine?.inFlight() ?? []).filter((f) => held(f.dev, f.vec)).map((f) => ({ target: f.dev, vec: f.vec }));
    const raised = s.raised.filter((r) => held(r.dev, r.vec)).map((r) => ({ target: r.dev, vec: r.vec }));
    const aim = inFlight.length > 0 ? inFlight : raised;
    const t = pick(rng, aim.length > 0 && chance(rng, 50) ? aim : pool);
    // Mostly masks with an online CPU, and among those mostly masks without the CPU the irq is
    // routed to now: a mask that keeps it there moves nothing; sometimes only offline CPUs (-EINVAL)
    const online = cpuMask([...s.online]);
    const good = MASKS.filter((m) => (m & online) !== 0);
    const cur = s.machine?.effectiveCpu(t.target, t.vec) ?? -1;
    const away = cur < 0 ? good : good.filter((m) => (m & (1 << cur)) === 0);
    const r = rng.below(100);
    const cpus = r < 60 && away.length > 0 ? pick(rng, away) : r < 85 && good.length > 0 ? pick(rng, good) : pick(rng, MASKS);
    return { kind: 'irq_set_affinity', target: t.target, vec: t.vec, cpus };
  },
  // write_irq_affinity()'s own refusals, from what the driver asked and the online mask:
  // -EIO first for a managed irq (irq_can_set_affinity_usr()), then an error for a mask with no
  // online CPU; past those the parent decides (0, or -ENOSPC and the like on x86). HPET and
  // DMAR irqs may be unbalanced (IRQF_NOBALANCING: -EIO), so only "an error" for them.
  expect(c, s) {
    const noneOnline = (c.cpus & cpuMask([...s.online])) === 0;
    if (isX86PlatformTarget(c.target)) return noneOnline ? { kind: 'error', why: 'no online CPU in the mask' } : { kind: 'none' };
    if (managedVector(s, c.target, c.vec)) return { kind: 'exact', ret: -EIO, why: 'a managed irq belongs to the kernel (irq_can_set_affinity_usr)' };
    // (-EIO too where the irq cannot be moved at all: no irq_set_affinity() on its chip)
    if (noneOnline) return { kind: 'error', why: 'no online CPU in the mask' };
    return { kind: 'none' };
  },
  run(c, sim) {
    const irq = targetIrq(sim, c.target, c.vec);
    if (irq < 0) return { ret: irq };
    const from = effectiveCpu(sim, irq);
    const ret = writeIrqAffinity(sim.kernel, irq, maskCpus(c.cpus));
    return { ret, moved: [from, effectiveCpu(sim, irq)] };
  },
  update(c, o, s) {
    if (o.ret !== 0 || o.moved === undefined || o.moved[0] === o.moved[1]) return;
    remember(s.moves, { target: c.target, vec: c.vec, from: o.moved[0], to: o.moved[1] });
  },
  format: (c) => [c.target, `vec=${c.vec}`, `cpus=${hex(c.cpus)}`],
  parse(args) {
    checkArgs(args, 1, ['vec', 'cpus']);
    const t = positional(args, 0, 'device, hpet or dmar', endCol(args));
    return { kind: 'irq_set_affinity', target: deviceName(t), vec: requiredInt(args, 'vec'), cpus: requiredInt(args, 'cpus') };
  },
  simplify(c) {
    const out: CommandOf<'irq_set_affinity'>[] = [];
    if (c.vec > 0) out.push({ ...c, vec: 0 });
    // Only simpler masks (a lower one): offering 0x2 for 0x1 and 0x1 for 0x2 let the shrinker
    // swap them back and forth until its budget ran out
    for (const m of [0x1, 0x2]) if (m < c.cpus) out.push({ ...c, cpus: m });
    return out;
  },
};

export const cpuDownCmd: CommandSpec<'cpu_down'> = {
  kind: 'cpu_down',
  summary: 'cpu_down(cpu=N): take a CPU offline: every online CPU first takes what is pending for it (stop_machine spins with interrupts on), then its interrupts move or, managed, shut down (arch hooks around it: x86 lapic_can_unplug_cpu, fixup_irqs, lapic_offline)',
  weight: 1,
  // A CPU going down while a move to or from it may be in flight is where hotplug races; with
  // no irq anywhere to migrate, it only changes the online mask
  boost: (s) => (moveEnds(s).length > 0 ? 4 : anyIrqTarget(s) ? 1 : IDLE_BOOST),
  valid: (c, s) => s.caps.affinity && c.cpu > 0 && c.cpu < NR_CPUS && s.online.has(c.cpu),
  invalid(c, s) {
    if (!s.caps.affinity) return 'this platform model has no CPU hotplug';
    if (c.cpu <= 0 || c.cpu >= NR_CPUS) return `cpu=${c.cpu}: CPUs 1 to ${NR_CPUS - 1} can go offline (CPU 0 stays)`;
    if (!s.online.has(c.cpu)) return `CPU ${c.cpu} is already offline`;
    return null;
  },
  generate(s, rng) {
    if (!s.caps.affinity) return null;
    // Not a CPU inside a handler: cpu_down() would wait for the handler to return (see run()),
    // the state a cpu_irq_exit before it reaches too
    const on = [...s.online].filter((c) => c !== 0 && !s.inHandler.has(c));
    if (on.length === 0) return null;
    // Mostly a CPU the latest move took an irq to or away from: hotplug racing a move in flight
    const recent = latestMoveEnds(s);
    const ends = on.filter((c) => recent.includes(c));
    return { kind: 'cpu_down', cpu: pick(rng, ends.length > 0 && chance(rng, 75) ? ends : on) };
  },
  expect: () => ({ kind: 'none' }),
  run(c, sim) {
    const k = sim.kernel;
    // take_cpu_down() runs in stop_machine(): its stopper thread must run on every online CPU,
    // so a CPU inside a handler returns from it first (a hardirq is never preempted by a
    // thread); then every online CPU spins in multi_cpu_stop() with interrupts enabled before
    // the step that disables them, so each takes what is already pending for it
    // (irq_force_complete_move() relies on that for an old vector's interrupt)
    for (const cpu of k.onlineCpus()) sim.leaveHandler(cpu);
    for (const cpu of k.onlineCpus()) sim.takePendingIrqs(cpu);
    const ret = cpuDown(k, sim.platform.archCpuHotplug?.() ?? {}, c.cpu);
    if (ret === 0) sim.releaseManagedShutdown();
    return { ret };
  },
  update(c, o, s, sim) {
    // The handlers stop_machine() waited for have returned
    for (const cpu of [...s.inHandler]) if (sim.kernel.hardirq[cpu] === null) s.inHandler.delete(cpu);
    if (o.ret === 0) s.online.delete(c.cpu);
  },
  format: (c) => [`cpu=${c.cpu}`],
  parse(args) {
    checkArgs(args, 0, ['cpu']);
    return { kind: 'cpu_down', cpu: requiredInt(args, 'cpu') };
  },
  // Every lower CPU, not only 1: which CPU an irq sits on follows the allocations before it
  // (the matrix spreads vectors over the least loaded CPU), so a deletion that moves the irq
  // from CPU 3 to CPU 2 needs cpu_down to follow it
  simplify: (c) => Array.from({ length: Math.max(0, c.cpu - 1) }, (_, i) => ({ ...c, cpu: i + 1 })),
};

export const cpuUpCmd: CommandSpec<'cpu_up'> = {
  kind: 'cpu_up',
  summary: 'cpu_up(cpu=N): bring an offline CPU back (x86 lapic_online), then irq_affinity_online_cpu() restarts the managed interrupts shut down for want of it',
  weight: 1,
  // The more CPUs are down, the likelier one comes back: cpu_down weighs up to 4 times its base
  // (16 in a hunt), and without this a hunting run drifts to CPU 0 alone, where no irq can move
  boost: (s) => 8 * (NR_CPUS - s.online.size),
  valid: (c, s) => s.caps.affinity && c.cpu > 0 && c.cpu < NR_CPUS && !s.online.has(c.cpu),
  invalid(c, s) {
    if (!s.caps.affinity) return 'this platform model has no CPU hotplug';
    if (c.cpu <= 0 || c.cpu >= NR_CPUS) return `cpu=${c.cpu}: CPUs 1 to ${NR_CPUS - 1} go offline and online`;
    return s.online.has(c.cpu) ? `CPU ${c.cpu} is already online` : null;
  },
  generate(s, rng) {
    if (!s.caps.affinity) return null;
    const off = Array.from({ length: NR_CPUS }, (_, i) => i).filter((c) => !s.online.has(c));
    return off.length === 0 ? null : { kind: 'cpu_up', cpu: pick(rng, off) };
  },
  expect: () => ({ kind: 'exact', ret: 0, why: 'the CPU is offline' }),
  run: (c, sim) => ({ ret: cpuUp(sim.kernel, sim.platform.archCpuHotplug?.() ?? {}, c.cpu) }),
  update(c, o, s) {
    if (o.ret === 0) s.online.add(c.cpu);
  },
  format: (c) => [`cpu=${c.cpu}`],
  parse(args) {
    checkArgs(args, 0, ['cpu']);
    return { kind: 'cpu_up', cpu: requiredInt(args, 'cpu') };
  },
  simplify: () => [],
};

export const AFFINITY_COMMANDS = [irqSetAffinityCmd, cpuDownCmd, cpuUpCmd] as const;
