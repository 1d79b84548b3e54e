// ARM64 server owners for the object audit (gic-v3-its-dt, gic-v3-its-acpi): a shared
// its_device, as on the single-ITS machine (owners-its.ts), with the DeviceID the firmware maps
// (the DT msi-map or the IORT) on that ITS; and a VM's GICv4.1 state, kept while KVM still has
// the VM (vgic_v4_init() done, vgic_v4_teardown() not yet): its its_vm and vPEs with their
// pending and property tables, the vPE and SGI domains' fwnodes, the doorbell and vSGI irqs, and
// the doorbell LPI range.
import { PciDev } from '../../../models/kernel/device';
import { msiTargetOf, type MsiTarget } from '../../../models/platforms/arm64-firmware';
import type { ItsServerPlatform } from '../../../models/platforms/gic-v3-its-server';
import { lpiUnit } from '../../../models/platforms/gic-v3-its/lpi-range';
import { justifyIrq, type AuditMachine, type Justified } from './justified';
import { keepItsDevice } from './owners-its';

/** The 16 vSGIs its_alloc_vcpu_sgis() gives each vPE on GICv4.1. */
const NR_VSGIS = 16;

const same = (a: MsiTarget, b: MsiTarget): boolean => a.controller === b.controller && a.deviceId === b.deviceId;

/** Who can still use DeviceID `t` on its ITS, as the firmware maps requesters, or null. */
function aliasUser(m: AuditMachine, p: ItsServerPlatform, t: MsiTarget): string | null {
  // a function behind a bridge signals with the bridge's RID (wireRid()), mapped as any RID is
  for (const br of m.bridges()) if (same(msiTargetOf(p.firmware, new PciDev(`${br.name}'s secondary bus`, br.rid, 0, 0, null, br)), t)) return `bridge ${br.name}, whose RID every function behind it signals with`;
  for (const dev of m.kernel.devices) if (!dev.removed && same(msiTargetOf(p.firmware, dev), t)) return `${dev.name}, which signals with it`;
  return null;
}

/** its_msi_teardown() keeps a shared its_device: accepted while a requester can use its DeviceID. */
function justifySharedItsDevices(m: AuditMachine, p: ItsServerPlatform, j: Justified): void {
  for (const [controller, its] of p.itses) {
    for (const d of its.devices) {
      if (!d.shared || d.freed) continue;
      const user = aliasUser(m, p, { controller, deviceId: d.deviceId });
      if (user === null) continue;
      keepItsDevice(d, j, `a shared its_device kept for DeviceID ${d.deviceId.toString(16)} on ${controller}: ${user}`);
    }
  }
}

export function justifyItsServer(m: AuditMachine, p: ItsServerPlatform, j: Justified): void {
  justifySharedItsDevices(m, p, j);
  for (const [name, kvm] of p.vms) {
    const vm = kvm.vm;
    if (vm.freed) continue;
    const why = `VM ${name}'s GICv4 state (vgic_v4_init(), until vgic_v4_teardown())`;
    j.object(vm, why);
    j.object(vm.fwnode, why);
    j.object(vm.vpropPage, why);
    j.object(vm.dbMap, why);
    if (vm.dbMap !== null) j.unit('LPI', lpiUnit(vm.dbLpiBase, vm.nrDbLpis), why);
    for (const vpe of vm.vpes) {
      j.object(vpe, why);
      j.object(vpe.vptPage, why);
      j.object(vpe.fwnode, why);
      // the doorbell is the vPE domain's irq whose chip data is this vPE; the vSGIs are the irqs
      // of the vPE's own SGI domain
      const db = vpe.irq > 0 ? m.kernel.irqs.desc(vpe.irq) : undefined;
      if (db !== undefined && db.irqData.domain === vm.domain && db.irqData.chipData === vpe) justifyIrq(j, db, `${why}, doorbell of vPE ${vpe.vpeId}`);
      if (vpe.sgiDomain === null) continue;
      for (let i = 0; i < NR_VSGIS; i++) {
        const sgi = m.kernel.irqs.desc(vpe.sgiBase + i);
        if (sgi !== undefined && sgi.irqData.domain === vpe.sgiDomain) justifyIrq(j, sgi, `${why}, vSGI ${i} of vPE ${vpe.vpeId}`);
      }
    }
  }
}
