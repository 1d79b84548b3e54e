// Invariants of the genirq/MSI core: prepare/teardown pairing per device domain, descriptor
// association, and hwirq uniqueness per domain.
import { Device } from '../../models/kernel/device';
import type { IrqData, IrqDesc } from '../../models/kernel/irqdomain';
import type { Kernel } from '../../models/kernel/kernel';
import { MsiDomainBundle } from '../../models/kernel/msi';
import type { MsiDomainInfo } from '../../models/kernel/msi-types';
import type { Invariant } from './invariant';

/** An installed device domain's counts. */
function installedPairing(b: MsiDomainBundle): string | null {
  if (b.templatePrepares > 1) return `${b.name}: template prepared ${b.templatePrepares} times`;
  if (b.teardowns > 0) return `${b.name}: torn down while still installed`;
  return null;
}

/** A removed device domain's counts: one teardown per successful prepare. */
function retiredPairing(b: MsiDomainBundle): string | null {
  const prepared = b.templatePrepares - (b.templatePrepareFailed ? 1 : 0);
  if (b.teardowns !== prepared) return `${b.name} removed: ${prepared} prepare(s) of its template, ${b.teardowns} teardown(s)`;
  return null;
}

export const prepareTeardownPairing: Invariant = {
  id: 'prepare-teardown-pairing',
  statement: 'a device MSI domain whose template was prepared is torn down exactly once, at removal',
  rule: 'msi_prepare() once at creation, msi_teardown() once at msi_remove_device_irq_domain() (I1)',
  check({ sim }) {
    const k = sim.kernel;
    for (const b of k.msiDomains) {
      const why = installedPairing(b);
      if (why !== null) return why;
    }
    for (const b of k.retiredMsiDomains) {
      const why = retiredPairing(b);
      if (why !== null) return why;
    }
    return null;
  },
  // The model marks a domain's bundle dirty whenever its prepare or teardown count changes,
  // and when it is removed (kfree); the retired list grows over a run, so only those are read.
  checkTouched({ sim }, touched) {
    const k = sim.kernel;
    for (const obj of touched.objects) {
      if (!(obj instanceof MsiDomainBundle)) continue;
      const why = k.msiDomains.has(obj) ? installedPairing(obj) : obj.removed ? retiredPairing(obj) : null;
      if (why !== null) return why;
    }
    return null;
  },
};

/** A device's descriptors against the irqs they claim (I10, I11). */
function deviceDescriptors(k: Kernel, dev: Device): string | null {
  const md = dev.msiData;
  if (md === null) return null;
  for (const [domid, slot] of md.domains.entries()) {
    const hwsize = slot.domain === null ? Infinity : (slot.domain.hostData as MsiDomainInfo).hwsize;
    for (const [idx, desc] of slot.store) {
      if (idx >= hwsize) return `${dev.name} domain ${domid}: descriptor index ${idx} >= hwsize ${hwsize}`;
      if (desc.irq === 0) continue;
      for (let i = 0; i < desc.nvecUsed; i++) {
        const d = k.irqs.desc(desc.irq + i);
        if (d === undefined) return `${dev.name}: descriptor ${idx} claims irq ${desc.irq + i}, which is not allocated`;
        if (d.msiDesc !== desc) return `${dev.name}: irq ${desc.irq + i} does not point back at descriptor ${idx}`;
      }
    }
  }
  return null;
}

/** An irq's MSI descriptor owns it. */
function irqOwnedByDesc(d: IrqDesc): string | null {
  const desc = d.msiDesc;
  if (desc !== null && (desc.irq === 0 || d.irq < desc.irq || d.irq >= desc.irq + desc.nvecUsed)) {
    return `irq ${d.irq} points at an MSI descriptor (index ${desc.msiIndex}) that does not own it`;
  }
  return null;
}

export const msiDescAssociation: Invariant = {
  id: 'msi-desc-association',
  statement: 'desc->irq is set exactly when its irqs are allocated and point back at the descriptor, and msi_index < hwsize',
  rule: 'msi_desc association (I10) and index bounds (I11)',
  check({ sim }) {
    const k = sim.kernel;
    for (const dev of k.devices) {
      const why = deviceDescriptors(k, dev);
      if (why !== null) return why;
    }
    for (const d of k.irqs.descs.values()) {
      const why = irqOwnedByDesc(d);
      if (why !== null) return why;
    }
    return null;
  },
  // Descriptors change only on devices the model marks dirty, irq descriptors only on dirty irqs.
  checkTouched({ sim }, touched) {
    const k = sim.kernel;
    for (const dev of touched.devices) {
      if (!(dev instanceof Device) || dev.removed) continue;
      const why = deviceDescriptors(k, dev);
      if (why !== null) return why;
    }
    for (const irq of touched.irqs) {
      const d = k.irqs.desc(irq);
      const why = d === undefined ? null : irqOwnedByDesc(d);
      if (why !== null) return why;
    }
    return null;
  },
};

/**
 * One level of a live irq against its domain's reverse map; `seen` finds two irqs with one
 * hwirq. A domain whose driver repeats hwirqs by design (sharedHwirqs: AMD-IR's
 * `(devid << 16) + i`) must name the hardware resource that is unique instead (hardwareId:
 * the IRTE), and that is checked in place of the hwirq.
 */
function hwirqLevel(data: IrqData, seen: Map<object, Map<number | string, number>> | null): string | null {
  if (!data.mapped) return null;
  if (data.domain.sharedHwirqs) return seen === null ? null : hardwareLevel(data, seen);
  if (seen !== null) {
    const other = seenBefore(seen, data, data.hwirq);
    if (other !== undefined) return `${data.domain.name}: hwirq ${data.hwirq} used by irq ${other} and irq ${data.irq}`;
  }
  const owner = data.domain.revmap.get(data.hwirq);
  if (owner === data) return null;
  // Another live, mapped irq holds the reverse-map entry: two irqs share the hwirq.
  if (seen === null && owner !== undefined && owner.mapped) return `${data.domain.name}: hwirq ${data.hwirq} used by irq ${Math.min(owner.irq, data.irq)} and irq ${Math.max(owner.irq, data.irq)}`;
  return `${data.domain.name}: reverse map of hwirq ${data.hwirq} does not point at irq ${data.irq}`;
}

/** Records `id` for the level's domain in `seen`; returns the irq that had it already, if any. */
function seenBefore(seen: Map<object, Map<number | string, number>>, data: IrqData, id: number | string): number | undefined {
  let m = seen.get(data.domain);
  if (m === undefined) seen.set(data.domain, (m = new Map()));
  const other = m.get(id);
  if (other === undefined) m.set(id, data.irq);
  return other;
}

/** A level of a domain with repeating hwirqs: the hardware resource it names is its own. */
function hardwareLevel(data: IrqData, seen: Map<object, Map<number | string, number>>): string | null {
  const hw = data.domain.hardwareId;
  if (hw === null) return `${data.domain.name}: hwirqs repeat (irq ${data.irq} has ${data.hwirq}) and the domain names no unique hardware resource`;
  const id = hw(data);
  const other = seenBefore(seen, data, id);
  return other === undefined ? null : `${data.domain.name}: ${id} used by irq ${other} and irq ${data.irq}`;
}

/** Every level of every live irq (full check). */
function allLevels(sim: { kernel: Kernel }): string | null {
  const seen = new Map<object, Map<number | string, number>>();
  for (const desc of sim.kernel.irqs.descs.values()) {
    for (let data = desc.irqData as IrqData | null; data !== null; data = data.parentData) {
      const why = hwirqLevel(data, seen);
      if (why !== null) return why;
    }
  }
  return null;
}

export const hwirqUnique: Invariant = {
  id: 'hwirq-unique',
  statement: 'at every level of every hierarchy, a live irq has a hardware ID of its own in its domain and the reverse map agrees',
  rule: 'hardware IDs are unique per domain: device hwirq = msi_index, ITS events, LPIs, vectors, IRTEs, XIVE sources (I9); where a driver repeats hwirqs by design, the hardware entry it programs is unique',
  check({ sim }) {
    return allLevels(sim);
  },
  // A level's hwirq and mapping change only on dirty irqs; a second irq taking a live irq's
  // hwirq (mapped now, so dirty) finds the reverse map pointing at the other. A touched level
  // of a domain with repeating hwirqs has no reverse map to lean on: the full scan decides.
  checkTouched(ctx, touched) {
    const { sim } = ctx;
    for (const irq of touched.irqs) {
      for (let data = sim.kernel.irqs.desc(irq)?.irqData ?? null; data !== null; data = data.parentData) {
        if (data.mapped && data.domain.sharedHwirqs) return allLevels(sim);
        const why = hwirqLevel(data, null);
        if (why !== null) return why;
      }
    }
    return null;
  },
};

export const kernelListsLive: Invariant = {
  id: 'kernel-lists-live',
  statement: 'the kernel\'s global lists hold only live objects: every irq domain on irq_domain_list and and every device on the device list is still allocated',
  rule: 'irq_domain_remove() unlinks the domain from irq_domain_list before it is freed; device_del() takes the device off its bus before the last put',
  check({ sim }) {
    const k = sim.kernel;
    for (const d of k.irqs.domains) if (d.freed || d.removed) return `irq domain ${d.name} is still on irq_domain_list after irq_domain_remove()`;
    for (const dev of k.devices) if (dev.removed) return `${dev.name} is still on the device list after device_del()`;
    return null;
  },
};
