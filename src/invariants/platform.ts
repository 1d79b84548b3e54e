// Platform-generic invariants, read through the PlatformInstance views: message routing and
// the driver-visible outcome.
import { Device, PciDev } from '../../models/kernel/device';
import { errname } from '../../models/kernel/errno';
import type { MsiMsg } from '../../models/kernel/irqdomain';
import type { MsiDesc } from '../../models/kernel/msi-desc';
import type { Simulation } from '../sim/simulation';
import type { Invariant } from './invariant';

/** Every (message, irq) pair a device could signal right now. */
function liveVectors(dev: Device): { msg: MsiMsg; irq: number; what: string }[] {
  const md = dev.msiData;
  if (md === null) return [];
  const out: { msg: MsiMsg; irq: number; what: string }[] = [];
  for (const [domid, slot] of md.domains.entries()) {
    for (const desc of slot.store.values()) {
      if (desc.irq === 0) continue;
      if (dev instanceof PciDev && domid !== 0) {
        // the secondary slot (PCI/IMS): what its chip stored in the device
        if (desc.msg !== null) out.push({ msg: desc.msg, irq: desc.irq, what: `IMS slot ${desc.msiIndex}` });
      } else if (dev instanceof PciDev && desc.isMsix) {
        const e = dev.msixTable[desc.msiIndex];
        if (e !== null && e !== undefined) out.push({ msg: e, irq: desc.irq, what: `MSI-X entry ${desc.msiIndex}` });
      } else if (dev instanceof PciDev) {
        // what the function sends: its MSI capability registers
        if (dev.msiCapMsg !== null) for (const v of multiMsiVectors(desc, dev.msiCapMsg)) out.push(v);
      } else if (desc.msg !== null) {
        for (const v of multiMsiVectors(desc, desc.msg)) out.push(v);
      }
    }
  }
  return out;
}

/** A multi-MSI function signals its base data with the low log2(count) bits replaced by the vector number. */
function multiMsiVectors(desc: MsiDesc, base: MsiMsg): { msg: MsiMsg; irq: number; what: string }[] {
  const mask = (1 << desc.multiple) - 1;
  const out: { msg: MsiMsg; irq: number; what: string }[] = [];
  for (let i = 0; i < desc.nvecUsed; i++) {
    out.push({ msg: { ...base, data: (base.data & ~mask) | i }, irq: desc.irq + i, what: `MSI vector ${i}` });
  }
  return out;
}

export const messageRouting: Invariant = {
  id: 'message-routing',
  statement: 'every live vector\'s message, sent with its device\'s requester ID, reaches the irq that owns it',
  rule: 'the composed message and the parent\'s translation tables agree (ITS DeviceID/EventID -> LPI, IRTE, vector)',
  check({ sim }) {
    for (const dev of sim.kernel.devices) {
      const why = routeDevice(sim, dev);
      if (why !== null) return why;
    }
    return null;
  },
  // A device's messages change only when its MSI state or an irq of it changes (it is dirty
  // then); a translation shared between devices (sharedRouting) sends it back to the full scan.
  checkTouched(ctx, touched) {
    if (touched.sharedRouting) return this.check(ctx);
    for (const dev of touched.devices) {
      if (!(dev instanceof Device) || dev.removed) continue;
      const why = routeDevice(ctx.sim, dev);
      if (why !== null) return why;
    }
    return null;
  },
};

/** Every live vector of `dev`, sent with its requester ID, reaches its own irq. */
function routeDevice(sim: Simulation, dev: Device): string | null {
  const k = sim.kernel;
  const atStartup = sim.platform.routedAtStartup?.() === true;
  for (const v of liveVectors(dev)) {
    const d = k.irqs.desc(v.irq);
    const top = d?.irqData;
    // A GICv4 vLPI (IRQD_FORWARDED_TO_VCPU) goes to a vPE, not to the host irq
    if (top === undefined || !top.activated || d?.forwardedToVcpu === true) continue;
    // A platform that completes the route when the irq starts (checked condition, see PlatformInstance.routedAtStartup)
    if (atStartup && d?.started !== true) continue;
    const got = sim.platform.deliver(dev, v.msg);
    // a route the kernel could not update (the failure only logged), checked against the fault record
    if (('blocked' in got || (got.demux === undefined ? got.irq !== v.irq : !got.demux.includes(v.irq))) && failedUpdateInjected(sim, v.irq)) continue;
    if ('blocked' in got) return `${dev.name} ${v.what} (irq ${v.irq}): ${got.blocked}`;
    if (got.demux !== undefined) {
      if (!got.demux.includes(v.irq)) return `${dev.name} ${v.what} belongs to irq ${v.irq} but reaches irq ${got.irq}, which demultiplexes to irqs ${got.demux.join(',') || 'none'}`;
      continue;
    }
    if (got.irq !== v.irq) return `${dev.name} ${v.what} belongs to irq ${v.irq} but is delivered to irq ${got.irq}`;
  }
  return null;
}

/**
 * The platform names an injected failure that left the irq's route stale at step `at` (default:
 * now), and the fault record has it: the same site failed at that step.
 */
export function failedUpdateInjected(sim: Simulation, irq: number, at = Infinity): boolean {
  const stale = sim.platform.staleRoute?.(irq, at) ?? null;
  if (stale === null) return false;
  return sim.kernel.faults.fired().some((f) => f.kind === 'fail' && f.site === stale.site && f.step === stale.step);
}

export const driverOutcome: Invariant = {
  id: 'driver-outcome',
  statement: 'the driver gets what the API promises: as many vectors as it asked for when the parent has room, never a count outside [min, max]; a call fails only where an injected failure fired in it or the inputs leave no room',
  rule: 'pci_alloc_irq_vectors() and friends, against an abstract model of the device and the parent\'s capacity (I12)',
  check({ record }) {
    const e = record.expectation;
    const ret = record.outcome?.ret;
    if (ret === undefined || ret === null) return null;
    switch (e.kind) {
      case 'none':
        return null;
      case 'exact':
        if (ret === e.ret || (record.faultsFired.length > 0 && withinFault(ret, e.underFault))) return null;
        return `returned ${errname(ret)}, expected ${e.ret} (${e.why}${record.faultsFired.length > 0 ? `; injected failure at ${record.faultsFired.join(', ')}` : ''})`;
      case 'error':
        return ret < 0 ? null : `returned ${ret}, expected an error (${e.why})`;
      case 'range':
        if (record.faultsFired.length > 0 && withinFault(ret, e.underFault)) return null;
        if (ret < 0) return e.orError ? null : `returned ${errname(ret)}, expected ${e.min}..${e.max} (${e.why})`;
        return ret >= e.min && ret <= e.max ? null : `returned ${ret}, outside ${e.min}..${e.max} (${e.why})`;
    }
  },
};

/** What a call may return once an injected failure fired in it: an error, or a count its fallbacks give. */
function withinFault(ret: number, range: { readonly min: number; readonly max: number } | undefined): boolean {
  return ret < 0 || (range !== undefined && ret >= range.min && ret <= range.max);
}

export const resourcesBaseline: Invariant = {
  id: 'resources-baseline',
  statement: 'once no device holds MSI state, every pool a parent keeps outside the kernel\'s audited objects (hypervisor and firmware state: pirqs, host interrupt entries) is back to its baseline',
  rule: 'no leaks: everything prepare and alloc took from a hypervisor or firmware, free and teardown give back; the kernel\'s own objects and registered pools are the object audit\'s',
  check({ sim }) {
    const k = sim.kernel;
    if (k.devices.some((d) => d.msiData !== null)) return null;
    const audited = new Set(k.audit.pools().map((p) => p.name));
    for (const r of sim.platform.resources()) {
      if (r.inUse === r.baseline || audited.has(r.pool)) continue;
      // a pool named after a kind of kernel object is the heap's, which the audit reads whole
      if (k.heap.liveCount(r.pool) > 0) continue;
      return `${r.pool}: ${r.inUse} in use with no device holding MSI state (baseline ${r.baseline})`;
    }
    return null;
  },
};
