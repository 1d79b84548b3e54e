// GICv3 ITS invariants, reading the ITS model's state directly.
import type { StepDirty } from '../../models/kernel/dirty';
import type { Kernel } from '../../models/kernel/kernel';
import { LPI_BASE, LpiRangeFreed } from '../../models/platforms/gic-v3-its/lpi-range';
import { ItsDevice, ItsItt, ItsMapdSent, type ItsNode } from '../../models/platforms/gic-v3-its/its';
import { ItsPlatform } from '../../models/platforms/gic-v3-its';
import type { IrqDesc, IrqDomain } from '../../models/kernel/irqdomain';
import { PciDev } from '../../models/kernel/device';
import type { MsiDomainInfo } from '../../models/kernel/msi-types';
import { topologyRequesterId } from './identity';
import type { Invariant } from './invariant';

function itsOf(p: unknown): ItsPlatform | null {
  return p instanceof ItsPlatform ? p : null;
}

export const itsLpiAccounting: Invariant = {
  id: 'its-lpi-accounting',
  platforms: ['gic-v3-its'],
  statement: 'the LPI allocator\'s free ranges and the live its_devices\' LPI ranges tile the LPI space exactly',
  rule: 'its_lpi_alloc()/its_lpi_free(): nothing leaked, nothing handed out twice',
  check({ sim }) {
    const p = itsOf(sim.platform);
    if (p === null) return null;
    const its = p.its;
    const spans: { base: number; span: number; who: string }[] = its.lpis.free.map((r) => ({ ...r, who: 'free' }));
    for (const d of its.devices) spans.push({ base: d.lpiBase, span: d.nrLpis, who: `its_device ${d.deviceId.toString(16)}` });
    spans.sort((a, b) => a.base - b.base);
    let at = LPI_BASE;
    for (const s of spans) {
      if (s.base < at) return `LPIs ${s.base}..${s.base + s.span - 1} (${s.who}) overlap an earlier range`;
      if (s.base > at) return `LPIs ${at}..${s.base - 1} are neither free nor owned by a live its_device`;
      at = s.base + s.span;
    }
    const end = LPI_BASE + its.lpis.nrLpis;
    return at === end ? null : `LPIs ${at}..${end - 1} are neither free nor owned by a live its_device`;
  },
  // A cheap filter over what the step changed, falling back to the full scan (and its message)
  // whenever the tiling may be broken. The state before the step was checked and tiled, and an
  // its_device's range is fixed at creation, so a step can break the tiling only through the
  // free list (kept sorted and disjoint), a sum that no longer adds up (a leak or a double
  // hand-out), a device created this step or a range freed this step.
  checkTouched(ctx, touched) {
    const p = itsOf(ctx.sim.platform);
    if (p === null) return null;
    const its = p.its;
    if (!touched.objects.has(its.lpis) && !touched.objects.has(its)) return null;
    return lpiTilingMayBreak(its, touched) ? this.check(ctx) : null;
  },
};

function overlaps(a: number, an: number, b: number, bn: number): boolean {
  return a < b + bn && b < a + an;
}

function lpiTilingMayBreak(its: ItsNode, touched: StepDirty): boolean {
  const end = LPI_BASE + its.lpis.nrLpis;
  let at = LPI_BASE;
  let sum = 0;
  for (const r of its.lpis.free) {
    if (r.base < at || r.span <= 0) return true;
    at = r.base + r.span;
    sum += r.span;
  }
  if (at > end) return true;
  for (const d of its.devices) sum += d.nrLpis;
  if (sum !== its.lpis.nrLpis) return true;
  for (const o of touched.objects) {
    if (o instanceof ItsDevice && !o.freed) {
      if (its.lpis.free.some((r) => overlaps(r.base, r.span, o.lpiBase, o.nrLpis))) return true;
      if (its.devices.some((d) => d !== o && overlaps(d.lpiBase, d.nrLpis, o.lpiBase, o.nrLpis))) return true;
    } else if (o instanceof LpiRangeFreed) {
      if (its.devices.some((d) => overlaps(d.lpiBase, d.nrLpis, o.base, o.span))) return true;
    }
  }
  return false;
}

/** The its_device list: none freed or with a freed ITT, one per DeviceID; MAPD balance matches it. */
function itsDeviceList(its: ItsNode): string | null {
  const byId = new Map<number, ItsDevice>();
  for (const d of its.devices) {
    if (d.freed) return `its_device ${d.deviceId.toString(16)} is on the device list after kfree()`;
    if (d.itt.freed) return `its_device ${d.deviceId.toString(16)} has a freed ITT`;
    if (byId.has(d.deviceId)) return `two its_devices for DeviceID ${d.deviceId.toString(16)}`;
    byId.set(d.deviceId, d);
  }
  return null;
}

function mapdBalance(its: ItsNode): string | null {
  const listed = new Set<number>();
  for (const d of its.devices) listed.add(d.deviceId);
  for (const [devId, n] of its.mapdBalance) {
    const live = listed.has(devId);
    if (n !== (live ? 1 : 0)) return `DeviceID ${devId.toString(16)}: ${n} net MAPD(valid=1) with ${live ? 'a' : 'no'} live its_device`;
  }
  return null;
}

/** The ITS level of a live irq belongs to a live, listed its_device. */
function irqItsDevice(p: ItsPlatform, listed: { has(d: ItsDevice): boolean }, desc: IrqDesc): string | null {
  for (let l = desc.irqData as typeof desc.irqData | null; l !== null; l = l.parentData) {
    if (l.domain !== p.itsDomain || l.chipData === null) continue;
    const dev = l.chipData as ItsDevice;
    if (dev.freed || !listed.has(dev)) return `irq ${l.irq} (LPI ${l.hwirq}) belongs to an its_device that was freed`;
  }
  return null;
}

function lifetime(k: Kernel, p: ItsPlatform): string | null {
  const its = p.its;
  const why = itsDeviceList(its);
  if (why !== null) return why;
  const listed = new Set(its.devices);
  for (const desc of k.irqs.descs.values()) {
    const why = irqItsDevice(p, listed, desc);
    if (why !== null) return why;
  }
  return mapdBalance(its);
}

/**
 * The same rules over what the step changed. The state before the step held them, and the
 * its_device list, the objects on it and the MAPD balance change only through entries the
 * model puts in the dirty set (its_devices created or freed, ITTs freed, MAPDs sent); an irq
 * changes hands only when it is dirty. Each finding is confirmed and worded by the full check.
 */
function lifetimeMayBreak(k: Kernel, p: ItsPlatform, touched: StepDirty): boolean {
  const its = p.its;
  const listed = { has: (d: ItsDevice): boolean => its.devices.includes(d) };
  for (const o of touched.objects) {
    if (o instanceof ItsDevice) {
      const onList = its.devices.includes(o);
      // Listing or unlisting a DeviceID changes what its MAPD balance must be.
      if ((its.mapdBalance.get(o.deviceId) ?? 0) !== (its.findDevice(o.deviceId) !== null ? 1 : 0) && its.mapdBalance.has(o.deviceId)) return true;
      if (onList && (o.freed || o.itt.freed)) return true;
      if (onList && its.devices.some((d) => d !== o && d.deviceId === o.deviceId)) return true;
      // Leaving the list (or freed) strands the irqs still holding its LPIs: found through the
      // ITS domain's reverse map (hwirq-unique, checked before, keeps that map true).
      if (!onList || o.freed) {
        for (let lpi = o.lpiBase; lpi < o.lpiBase + o.nrLpis; lpi++) {
          const data = p.itsDomain.revmap.get(lpi);
          const desc = data === undefined ? undefined : k.irqs.desc(data.irq);
          if (desc !== undefined && irqItsDevice(p, listed, desc) !== null) return true;
        }
      }
    } else if (o instanceof ItsItt) {
      if (its.devices.some((d) => d.itt === o)) return true;
    } else if (o instanceof ItsMapdSent) {
      const n = its.mapdBalance.get(o.devId) ?? 0;
      if (n !== (its.findDevice(o.devId) !== null ? 1 : 0)) return true;
    }
  }
  for (const irq of touched.irqs) {
    const desc = k.irqs.desc(irq);
    if (desc !== undefined && irqItsDevice(p, listed, desc) !== null) return true;
  }
  return false;
}

export const itsDeviceLifetime: Invariant = {
  id: 'its-device-lifetime',
  platforms: ['gic-v3-its'],
  statement: 'every live LPI belongs to a live its_device with one ITT, and MAPD state matches the its_device list',
  rule: 'its_device lives from its_msi_prepare() to its_msi_teardown() (or the last LPI free before 6.16)',
  check({ sim }) {
    const p = itsOf(sim.platform);
    return p === null ? null : lifetime(sim.kernel, p);
  },
  checkTouched(ctx, touched) {
    const p = itsOf(ctx.sim.platform);
    return p !== null && lifetimeMayBreak(ctx.sim.kernel, p, touched) ? this.check(ctx) : null;
  },
};

/** roundup_pow_of_two(), computed here rather than borrowed from the model. */
function roundupPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/**
 * The event count its_create_device() sizes an its_device's ITT for (nr_ites), from what
 * its_pci_msi_prepare() / its_pmsi_prepare() read: the request `nvec`, the vectors every function
 * behind an aliasing bridge may use, the DeviceID. A power of two, at least 32 for PCI DeviceID 0
 * and for every platform device, and never below 2 entries.
 */
function itsSizingRule(nvec: number, aliasCount: number, minnvec: number): number {
  return Math.max(2, Math.max(minnvec, roundupPow2(Math.max(nvec, aliasCount))));
}

/** The its_device a device domain's prepared template (info->alloc_data) points at, if any. */
function preparedItsDevice(domain: IrqDomain | null): ItsDevice | null {
  const info = domain === null ? null : (domain.hostData as MsiDomainInfo | null);
  const obj = info?.alloc_data?.scratchpad[0].peekPtr() ?? null;
  return obj instanceof ItsDevice ? obj : null;
}

/**
 * What the sizing rule gives each live its_device it can be stated for, from the topology and
 * the request: an its_device that a device domain's template (info->alloc_data) points at, that
 * carries that device's DeviceID and that no one shares, was created by that domain's prepare
 * with nvec = the domain's size (msi_create_device_irq_domain() calls prepare with hwsize), and
 * no alias count (no aliasing bridge above the device). A shared its_device (behind a bridge,
 * or found again through another alias) was sized for the bus as it was at its creation, which
 * hot-add and hot-remove have changed since; and before the template existed (prepare per
 * allocation) the request is not in the state: of those nothing is said.
 */
function itsSizing(k: Kernel, its: ItsNode): string | null {
  const listed = new Set(its.devices);
  for (const dev of k.devices) {
    const devId = topologyRequesterId(dev);
    if (devId === null || dev.msiData === null) continue;
    if (dev instanceof PciDev && dev.bridge !== null) continue;
    for (const slot of dev.msiData.domains) {
      const d = preparedItsDevice(slot.domain);
      if (d === null || d.shared || !listed.has(d) || d.deviceId !== devId) continue;
      const hwsize = (slot.domain?.hostData as MsiDomainInfo).hwsize;
      const minnvec = dev instanceof PciDev && devId !== 0 ? 1 : 32;
      const want = itsSizingRule(hwsize, 0, minnvec);
      if (d.nrItes !== want) return `its_device ${devId.toString(16)} of ${dev.name} has ${d.nrItes} ITT entries; a request of ${hwsize} from DeviceID ${devId.toString(16)} gives ${want}`;
    }
  }
  return null;
}

export const itsDeviceSizing: Invariant = {
  id: 'its-device-sizing',
  platforms: ['gic-v3-its'],
  statement: 'an its_device\'s ITT has as many entries as the sizing rule gives for the request, the aliases and the DeviceID',
  rule: 'its_pci_msi_prepare()/its_pmsi_prepare() + its_create_device(): nr_ites = max(2, max(minnvec, roundup_pow_of_two(max(nvec, alias count)))), minnvec 32 for PCI DeviceID 0 and platform devices, else 1',
  check({ sim }) {
    const p = itsOf(sim.platform);
    return p === null ? null : itsSizing(sim.kernel, p.its);
  },
  // An its_device's size is fixed when it is created, in the step that puts it in the dirty
  // set; a domain's template gets its pointer in the same prepare.
  checkTouched(ctx, touched) {
    for (const o of touched.objects) if (o instanceof ItsDevice) return this.check(ctx);
    return null;
  },
};
