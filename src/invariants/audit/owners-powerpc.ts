// powerpc owners for the object audit: on powernv, the KVM XIVE devices whose fd is still open
// (with the ESB mappings of their sources) and the interrupts OPAL allocated for a Linux user
// that still holds them (a CPU's IPI, a KVM source, another in-kernel user); the PHB MSIs a live
// irq holds. pseries keeps nothing once no function has an MSI domain.
import type { IrqDesc } from '../../../models/kernel/irqdomain';
import { PowernvPlatform } from '../../../models/platforms/powernv';
import { msiBmpUnit } from '../../../models/platforms/powernv/msi-bitmap';
import { opalIrqUnit } from '../../../models/platforms/powernv/xive-native';
import type { AuditMachine, Justified } from './justified';

/** The PHB MSI number a live irq holds at its PNV-MSI level. */
export function powernvIrqUnits(p: PowernvPlatform, desc: IrqDesc, j: Justified, why: string): void {
  for (let d: typeof desc.irqData | null = desc.irqData; d !== null; d = d.parentData) {
    const phb = p.phbs.find((x) => x.devDomain === d?.domain);
    if (phb !== undefined) j.unit(`msi_bmp:PHB${phb.opalId}`, msiBmpUnit(`msi_bmp:PHB${phb.opalId}`, d.hwirq), why);
  }
}

export function justifyPowernv(_m: AuditMachine, p: PowernvPlatform, j: Justified): void {
  const kvmHeld = new Map<number, string>();
  for (const xive of p.kvmDevices) {
    if (xive.freed) continue;
    const why = `an open KVM XIVE device (kvmppc_xive@${xive.addr.toString(16)})`;
    j.object(xive, why);
    for (const [src, state] of xive.sources) {
      if (state.ipiNumber === 0) continue;
      j.object(state.ipiData.eoiMmio, `${why}, source ${src}`);
      kvmHeld.set(state.ipiNumber, `${why}, source ${src}`);
    }
  }
  for (const e of p.xive.issued) {
    // a KVM source's interrupt is held only while its device is open and the source has it
    const why = e.user.startsWith('kvm-xive:') ? kvmHeld.get(e.hwIrq) : `held by ${e.user}`;
    if (why !== undefined) j.unit('OPAL irq', opalIrqUnit(e.hwIrq), why);
  }
}
