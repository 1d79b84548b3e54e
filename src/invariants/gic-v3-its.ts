// GICv3 ITS invariants, reading the ITS model's state directly.
import { LPI_BASE } from '../../models/platforms/gic-v3-its/lpi-range';
import type { ItsDevice } from '../../models/platforms/gic-v3-its/its';
import { ItsPlatform } from '../../models/platforms/gic-v3-its';
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
};

export const itsDeviceLifetime: Invariant = {
  id: 'its-device-lifetime',
  platforms: ['gic-v3-its'],
  statement: 'every live LPI belongs to a live its_device with one ITT, and MAPD state matches the its_device list',
  rule: 'its_device lives from its_msi_prepare() to its_msi_teardown() (or the last LPI free before 6.16)',
  check({ sim }) {
    const p = itsOf(sim.platform);
    if (p === null) return null;
    const its = p.its;
    for (const d of its.devices) {
      if (d.freed) return `its_device ${d.deviceId.toString(16)} is on the device list after kfree()`;
      if (d.itt.freed) return `its_device ${d.deviceId.toString(16)} has a freed ITT`;
      if (its.devices.filter((o) => o.deviceId === d.deviceId).length > 1) return `two its_devices for DeviceID ${d.deviceId.toString(16)}`;
    }
    for (const data of sim.kernel.irqs.descs.values()) {
      for (let l = data.irqData as typeof data.irqData | null; l !== null; l = l.parentData) {
        if (l.domain !== p.itsDomain || l.chipData === null) continue;
        const dev = l.chipData as ItsDevice;
        if (dev.freed || !its.devices.includes(dev)) return `irq ${l.irq} (LPI ${l.hwirq}) belongs to an its_device that was freed`;
      }
    }
    for (const [devId, n] of its.mapdBalance) {
      const listed = its.findDevice(devId) !== null;
      if (n !== (listed ? 1 : 0)) return `DeviceID ${devId.toString(16)}: ${n} net MAPD(valid=1) with ${listed ? 'a' : 'no'} live its_device`;
    }
    return null;
  },
};
