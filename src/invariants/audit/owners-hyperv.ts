// Hyper-V vPCI owners for the object audit: a vPCI bus the guest probed (hv_pci_probe(), until
// hv_pci_remove()) with the host's interrupt-table state it holds, and each hv_pci_dev on it
// while its function is still on the bus (new_pcichild_device(), until hv_eject_device_work()
// drops it).
import type { X86Platform } from '../../../models/platforms/x86/instance';
import type { AuditMachine, Justified } from './justified';

export function justifyHyperV(_m: AuditMachine, p: X86Platform, j: Justified): void {
  if (p.hyperv === null) return;
  for (const hbus of p.hyperv.buses) {
    if (hbus.freed || hbus.state !== 'installed') continue;
    const why = `vPCI bus ${hbus.domainNr.toString(16).padStart(4, '0')} (hv_pci_probe())`;
    j.object(hbus, why);
    for (const hpdev of hbus.children) if (!hpdev.pdev.removed) j.object(hpdev, `${why}: ${hpdev.pdev.name} is on it`);
  }
}
