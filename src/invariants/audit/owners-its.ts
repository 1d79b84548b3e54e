// GICv3 ITS owners for the object audit: an its_device its_msi_teardown() keeps on purpose
// ("If the device is shared, keep everything around") is accepted only while a requester that
// can use its DeviceID is still there: a PCIe-to-PCI bridge whose RID it is (every function
// behind it signals with it), or a device on the bus that signals with it. Its events are
// accepted only as live irqs hold them.
import type { IrqDesc } from '../../../models/kernel/irqdomain';
import { ItsPlatform } from '../../../models/platforms/gic-v3-its';
import { ItsDevice, itsDeviceIdUnit, itsEventUnit, itsIteUnit } from '../../../models/platforms/gic-v3-its/its';
import { itsDeviceIdOf } from '../../../models/platforms/gic-v3-its/its-msi-parent';
import { lpiUnit } from '../../../models/platforms/gic-v3-its/lpi-range';
import type { AuditMachine, Justified } from './justified';

/** The ITS units a live irq holds: its event and, activated, its translation entry. */
export function itsIrqUnits(p: ItsPlatform, desc: IrqDesc, j: Justified, why: string): void {
  for (let d: typeof desc.irqData | null = desc.irqData; d !== null; d = d.parentData) {
    if (d.domain !== p.itsDomain || !(d.chipData instanceof ItsDevice)) continue;
    const event = d.hwirq - d.chipData.lpiBase;
    j.unit('ITS event', itsEventUnit(d.chipData, event), why);
    j.unit('ITS ITE', itsIteUnit(d.chipData.deviceId, event), why);
  }
}

/** Who can still use a shared its_device's DeviceID, or null when nobody can. */
function aliasUser(m: AuditMachine, devId: number): string | null {
  for (const br of m.bridges()) if (br.rid === devId) return `bridge ${br.name}, whose RID every function behind it signals with`;
  for (const dev of m.kernel.devices) if (!dev.removed && itsDeviceIdOf(dev) === devId) return `${dev.name}, which signals with it`;
  return null;
}

export function justifyIts(m: AuditMachine, p: ItsPlatform, j: Justified): void {
  for (const d of p.its.devices) {
    if (!d.shared || d.freed) continue;
    const user = aliasUser(m, d.deviceId);
    if (user === null) continue;
    keepItsDevice(d, j, `a shared its_device kept for DeviceID ${d.deviceId.toString(16)}: ${user}`);
  }
}

/** What a kept its_device holds: itself, its ITT, event bitmap and col_map, its LPI range and DeviceID. */
export function keepItsDevice(d: ItsDevice, j: Justified, why: string): void {
  j.object(d, why);
  j.object(d.itt, why);
  j.object(d.lpiMap, why);
  j.object(d.colMap, why);
  j.unit('LPI', lpiUnit(d.lpiBase, d.nrLpis), why);
  j.unit('ITS DeviceID', itsDeviceIdUnit(d.deviceId), why);
}
