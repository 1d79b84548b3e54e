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
  for (const slot of md.domains) {
    for (const desc of slot.store.values()) {
      if (desc.irq === 0) continue;
      if (dev instanceof PciDev && desc.isMsix) {
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
  for (const v of liveVectors(dev)) {
    const top = k.irqs.desc(v.irq)?.irqData;
    if (top === undefined || !top.activated) continue;
    const got = sim.platform.deliver(dev, v.msg);
    if ('blocked' in got) return `${dev.name} ${v.what} (irq ${v.irq}): ${got.blocked}`;
    if (got.irq !== v.irq) return `${dev.name} ${v.what} belongs to irq ${v.irq} but is delivered to irq ${got.irq}`;
  }
  return null;
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
