// Shared setup for the x86 model tests: boot a platform at a named revision, hot-add PCI
// functions the way the harness does, and list the messages a device can send.
import { PciBridge, PciDev, type Device } from '../../models/kernel/device';
import type { MsiMsg } from '../../models/kernel/irqdomain';
import { Kernel } from '../../models/kernel/kernel';
import { PatchSet } from '../../models/kernel/patches';
import type { PlatformModel } from '../../models/platforms/platform';
import { X86Platform } from '../../models/platforms/x86/instance';
import { auditLeak } from '../../src/invariants/object-audit';

export function bootX86(model: PlatformModel, revision: string): { k: Kernel; p: X86Platform } {
  const rev = model.revisions.find((r) => r.name === revision);
  if (rev === undefined) throw new Error(`no revision ${revision}`);
  const k = new Kernel(new PatchSet(rev.patches));
  const p = model.boot(k);
  if (!(p instanceof X86Platform)) throw new Error('not an x86 platform');
  BOOT_USAGE.set(p, new Map(p.resources().map((r) => [r.pool, r.inUse])));
  return { k, p };
}

export function addPci(k: Kernel, p: X86Platform, name: string, rid: number, msi: number, msix: number, alias: number | null = null, bridge: PciBridge | null = null): PciDev {
  const dev = new PciDev(name, rid, msi, msix, alias, bridge);
  bridge?.subordinate.push(dev);
  dev.msiParent = p.msiParentFor(dev);
  k.heap.kmalloc(dev);
  k.addDevice(dev);
  return dev;
}

/** (message, irq) of every live vector, as the message-routing invariant enumerates them. */
export function liveVectors(dev: Device): { msg: MsiMsg; irq: number }[] {
  const out: { msg: MsiMsg; irq: number }[] = [];
  for (const slot of dev.msiData?.domains ?? []) {
    for (const desc of slot.store.values()) {
      if (desc.irq === 0) continue;
      if (dev instanceof PciDev && desc.isMsix) {
        const e = dev.msixTable[desc.msiIndex];
        if (e !== null && e !== undefined) out.push({ msg: e, irq: desc.irq });
      } else if (desc.msg !== null) {
        const mask = (1 << desc.multiple) - 1;
        for (let i = 0; i < desc.nvecUsed; i++) out.push({ msg: { ...desc.msg, data: (desc.msg.data & ~mask) | i }, irq: desc.irq + i });
      }
    }
  }
  return out;
}

/** Every live vector of `dev` delivered to its own irq (the routing invariant, as a list of failures). */
export function routingFailures(p: X86Platform, dev: Device): string[] {
  const out: string[] = [];
  for (const v of liveVectors(dev)) {
    const got = p.deliver(dev, v.msg);
    if ('blocked' in got) out.push(`irq ${v.irq}: ${got.blocked}`);
    else if (got.irq !== v.irq) out.push(`irq ${v.irq} delivered to ${got.irq}`);
  }
  return out;
}

/** The object audit's verdict (bridges: the topology's PCIe-to-PCI bridges). */
export function leak(k: Kernel, p: X86Platform, bridges: readonly PciBridge[] = []): string | null {
  return auditLeak({ kernel: k, platform: p, bridges: () => bridges });
}

/** What every pool held right after boot (the legacy irqs' vectors, reservations, IRTEs and objects). */
const BOOT_USAGE = new WeakMap<X86Platform, Map<string, number>>();

/** Units of `pool` held at boot (bootX86()). */
export function atBoot(p: X86Platform, pool: string): number {
  return BOOT_USAGE.get(p)?.get(pool) ?? 0;
}

/** Units of `pool` in use beyond what boot left (bootX86()). */
export function inUse(p: X86Platform, pool: string): number {
  const r = p.resources().find((x) => x.pool === pool);
  if (r === undefined) throw new Error(`no pool ${pool}`);
  return r.inUse - atBoot(p, pool);
}
