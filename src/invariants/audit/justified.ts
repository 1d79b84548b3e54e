// What the object audit accepts as live once no device holds MSI state: every heap object and
// resource unit that is neither a boot allocation nor kept by an owner the audit checks here is
// a leak. An owner is a live thing the kernel keeps on purpose (a device on the bus, a
// registered system domain, an irq a platform user holds), never a kind: each rule below reads
// the state that justifies what it accepts.
import type { Device, PciBridge } from '../../../models/kernel/device';
import { KObject } from '../../../models/kernel/heap';
import { virqUnit, type IrqDesc } from '../../../models/kernel/irqdomain';
import type { Kernel } from '../../../models/kernel/kernel';
import type { PlatformInstance } from '../../../models/platforms/platform';

/** The machine the audit reads: a Simulation's, or a model test's kernel and platform. */
export interface AuditMachine {
  readonly kernel: Kernel;
  readonly platform: PlatformInstance;
  /** The PCIe-to-PCI bridges of the topology. */
  bridges(): Iterable<PciBridge>;
}

/** The objects and units accepted as kept, each with the owner that keeps it. */
export class Justified {
  readonly objects = new Map<KObject, string>();
  private readonly units = new Map<string, Map<string, { n: number; why: string }>>();

  object(o: unknown, why: string): void {
    if (o instanceof KObject && !o.freed && !this.objects.has(o)) this.objects.set(o, why);
  }

  /** `n` units `id` of `pool` are kept by `why` (interchangeable units share an id). */
  unit(pool: string, id: string, why: string, n = 1): void {
    let m = this.units.get(pool);
    if (m === undefined) this.units.set(pool, (m = new Map()));
    const e = m.get(id);
    if (e === undefined) m.set(id, { n, why });
    else e.n += n;
  }

  /** Consumes one kept unit `id` of `pool`; false when none is left to justify it. */
  take(pool: string, id: string): boolean {
    const e = this.units.get(pool)?.get(id);
    if (e === undefined || e.n <= 0) return false;
    e.n -= 1;
    return true;
  }
}

/** What an irq holds: its descriptor, its parent levels' irq_data, each level's chip data and what that points at, its action. */
export function justifyIrq(j: Justified, desc: IrqDesc, why: string): void {
  j.object(desc, why);
  j.unit('virq', virqUnit(desc.irq), why);
  j.object(desc.action, why);
  for (let d: typeof desc.irqData | null = desc.irqData; d !== null; d = d.parentData) {
    j.object(d, why);
    if (d.chipData instanceof KObject) justifyWithReferences(j, d.chipData, why);
  }
}

/**
 * The heap objects an object's own fields point at (kmemleak scans an object for pointers); a
 * struct embedded in it (a KObject that was never kmalloc()ed, as irq_desc's own irq_data) is
 * scanned as part of it.
 */
export function* referencedObjects(o: KObject, depth = 0): Iterable<KObject> {
  for (const v of Object.values(o)) {
    const items: unknown[] = Array.isArray(v) ? v : [v];
    for (const e of items) {
      if (!(e instanceof KObject)) continue;
      if (e.alloc !== null) yield e;
      else if (depth < 2) yield* referencedObjects(e, depth + 1);
    }
  }
}

/** An object and the heap objects its own fields point at. */
export function justifyWithReferences(j: Justified, o: KObject, why: string): void {
  j.object(o, why);
  for (const r of referencedObjects(o)) j.object(r, why);
}

/** Platform-independent owners: devices on the bus, the PCI topology, registered system domains. */
export function justifyCore(m: AuditMachine, j: Justified): void {
  const k = m.kernel;
  for (const dev of k.devices) if (!dev.removed) j.object(dev, 'on the bus');
  for (const br of m.bridges()) j.object(br, 'in the PCI topology');
  // A device's MSI domains belong to its msi_device_data; every other registered domain is the
  // kernel's for good (irq_domain_remove() is the only way out)
  for (const d of k.irqs.domains) if (!d.isMsiDevice() && !d.removed) j.object(d, 'a registered system irq domain');
}

/** Whether any device holds MSI state (the audit speaks only when none does). */
export function someDeviceHoldsMsiState(k: Kernel): boolean {
  return k.devices.some((d: Device) => d.msiData !== null);
}

/**
 * A device's MSI state kept with the device by an owner the caller checked (a driver that is
 * bound and holds it): its msi_device_data, its per-device domains, its descriptors and every irq
 * they name, with what `irqUnits` says each irq holds in the parent's pools.
 */
export function justifyMsiState(m: AuditMachine, j: Justified, dev: Device, why: string, irqUnits: (desc: IrqDesc) => void): void {
  const data = dev.msiData;
  if (data === null) return;
  j.object(data, why);
  for (const slot of data.domains) {
    if (slot.domain !== null) justifyWithReferences(j, slot.domain, why);
    for (const desc of slot.store.values()) {
      j.object(desc, why);
      for (let irq = desc.irq; desc.irq > 0 && irq < desc.irq + desc.nvecUsed; irq++) {
        const d = m.kernel.irqs.desc(irq);
        if (d === undefined) continue;
        justifyIrq(j, d, why);
        irqUnits(d);
      }
    }
  }
}
