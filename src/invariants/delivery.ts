// Interrupt delivery invariants, read from the fabric (where interrupts wait), the interrupts
// CPUs took this step, the devices' Pending Bits, the ledger of what drivers are owed, and what
// moves and CPU offline left behind.
import { Device, PciDev } from '../../models/kernel/device';
import type { IrqDesc } from '../../models/kernel/irqdomain';
import type { Kernel } from '../../models/kernel/kernel';
import { originName } from '../../models/kernel/irq-action';
import { effectiveCpuOf } from '../../models/kernel/affinity';
import { pciIrqVector } from '../../models/kernel/pci-msi';
import type { Invariant } from './invariant';
import type { Simulation } from '../sim/simulation';
import { failedUpdateInjected } from './platform';

/**
 * The interrupt was raised while its irq's route was stale because of an injected failure the
 * kernel only logs (failedUpdateInjected): it went wherever the stale entry pointed.
 */
function raisedOnStaleRoute(sim: Simulation, o: { readonly dev: string; readonly vec: number; readonly step: number }): boolean {
  const dev = sim.devices.get(o.dev);
  return dev instanceof PciDev && failedUpdateInjected(sim, pciIrqVector(dev, o.vec), o.step);
}

export const irqHandledForOwner: Invariant = {
  id: 'irq-handled-for-owner',
  statement: 'nothing is handled for an irq that is freed, or by a handler the interrupt was never meant for',
  rule: 'free_irq() returns only when no interrupt of the irq is in flight (__synchronize_irq with irq_get_irqchip_state); an irq number is reused only once nothing names it',
  check({ sim, record }) {
    for (const ev of sim.kernel.irqEvents) {
      if (ev.step !== record.step) continue;
      if (!ev.hadDesc) return `CPU ${ev.cpu} took irq ${ev.irq} (raised by ${originName(ev.origin)}) after the irq was freed: no irq_desc, no handler, no EOI`;
      const o = ev.origin;
      if (ev.ranFor !== null && o !== null && (o.dev !== ev.ranFor.dev || o.vec !== ev.ranFor.vec)) {
        // raised on a route the kernel could not update (only logged), checked against the fault record
        if (raisedOnStaleRoute(sim, o)) continue;
        return `CPU ${ev.cpu} ran the handler of ${ev.ranFor.dev} vec ${ev.ranFor.vec} (irq ${ev.irq}) for an interrupt raised by ${originName(o)}`;
      }
    }
    return null;
  },
};

export const cpuPriorityRestored: Invariant = {
  id: 'cpu-priority-restored',
  statement: 'a CPU accepts interrupts again after each one it took (EOI done, priority restored)',
  rule: 'every interrupt a CPU acknowledges is EOIed (apic_eoi, gic_eoi_irq, xive_irq_eoi -> CPPR 0xff) when its handler returns; a CPU still inside a handler is not judged yet',
  check({ sim }) {
    const fabric = sim.kernel.fabric;
    if (fabric === null) return null;
    for (let cpu = 0; cpu < fabric.nrCpus; cpu++) {
      // a CPU still inside a handler has its EOI to come
      if ((sim.kernel.hardirq[cpu] ?? null) !== null) continue;
      const why = fabric.priorityRaised(cpu);
      if (why !== null) return why;
    }
    return null;
  },
};

export const nothingLeftBehind: Invariant = {
  id: 'nothing-left-behind',
  statement: 'no vector, LPI or queue entry is left behind by a move or by CPU offline',
  rule: 'migrate_one_irq() moves every activated irq off the dying CPU (or shuts a managed one down) and the arch forwards what is pending there (x86 fixup_irqs); a move carries the pending state (ITS MOVI) or keeps the old vector until its cleanup (x86), and the cleanup frees it; irq_affinity_online_cpu() restarts a managed irq when one of its CPUs comes back',
  check({ sim }) {
    const k = sim.kernel;
    const left = k.fabric?.leftBehind?.() ?? [];
    if (left.length > 0) return left[0] as string;
    for (const desc of k.irqs.descs.values()) {
      const why = irqLeftBehind(k, desc);
      if (why !== null) return why;
    }
    return null;
  },
  // What waits in the fabric is read whole (pending interrupts are few). An irq's route and
  // shutdown state change only in steps that name its device (the device is dirty then, and
  // an irq allocated, activated or freed is dirty itself) or in unscoped ones (CPU hotplug,
  // platform sources), which are checked in full.
  checkTouched({ sim }, touched) {
    const k = sim.kernel;
    const left = k.fabric?.leftBehind?.() ?? [];
    if (left.length > 0) return left[0] as string;
    // The dirty irqs and the dirty devices' irqs, each once (an irq of a dirty device is often dirty too)
    const irqs = new Set(touched.irqs);
    for (const dev of touched.devices) if (dev instanceof Device) for (const irq of deviceIrqs(dev)) irqs.add(irq);
    for (const irq of irqs) {
      const desc = k.irqs.desc(irq);
      const why = desc === undefined ? null : irqLeftBehind(k, desc);
      if (why !== null) return why;
    }
    return null;
  },
};

/** An irq still routed to an offline CPU, or a managed one left shut down while a CPU of its mask is online. */
function irqLeftBehind(k: Kernel, desc: IrqDesc): string | null {
  const top = desc.irqData;
  // A forwarded irq's physical route is unused while its event is a vLPI (its_set_affinity()
  // refuses to move it); once unforwarded it counts again
  if (top.activated && !desc.forwardedToVcpu) {
    const cpu = effectiveCpuOf(top);
    if (cpu >= 0 && !k.cpuIsOnline(cpu)) return `irq ${desc.irq} is still routed to offline CPU ${cpu}`;
  }
  if (desc.managedShutdown && desc.action !== null && desc.affinity.some((c) => k.cpuIsOnline(c))) {
    return `managed irq ${desc.irq} stays shut down although CPU ${desc.affinity.filter((c) => k.cpuIsOnline(c)).join(',')} of its mask is online`;
  }
  return null;
}

/** The irqs `dev`'s MSI descriptors hold. */
function deviceIrqs(dev: Device): number[] {
  const out: number[] = [];
  for (const slot of dev.msiData?.domains ?? []) {
    for (const desc of slot.store.values()) for (let i = 0; desc.irq !== 0 && i < desc.nvecUsed; i++) out.push(desc.irq + i);
  }
  return out;
}

export const irqNotLost: Invariant = {
  id: 'irq-not-lost',
  statement: 'every interrupt raised on a vector its driver handles is handled, or still pending where it can be taken',
  rule: 'an MSI is latched somewhere (Pending Bit, LPI pending table, IRR, event queue, Q bit, IRQS_PENDING while the handler runs elsewhere) until a CPU takes it; nothing drops it while the driver wants it',
  check({ sim }) {
    const fabric = sim.kernel.fabric;
    if (fabric === null) return null;
    const inFlight = fabric.inFlight();
    // IRQS_PENDING latched while another CPU runs the handler: it runs again on return
    const latched = sim.kernel.hardirq.flatMap((f) => f?.latched ?? []);
    for (const o of sim.ledger.outstanding()) {
      if (inFlight.some((f) => f.origin !== null && f.origin.dev === o.dev && f.origin.vec === o.vec)) continue;
      if (latched.some((l) => l.dev === o.dev && l.vec === o.vec)) continue;
      const dev = sim.devices.get(o.dev);
      if (dev instanceof PciDev && dev.msixPending.has(o.vec)) continue;
      // raised on a route the kernel could not update (only logged), checked against the fault record
      if (raisedOnStaleRoute(sim, o)) continue;
      return `${o.dev} vec ${o.vec} raised at step ${o.step + 1} while its driver had a handler: neither handled nor pending anywhere a CPU can take it`;
    }
    return null;
  },
};

export const DELIVERY_INVARIANTS: readonly Invariant[] = [irqHandledForOwner, cpuPriorityRestored, nothingLeftBehind, irqNotLost];
