// The PCI function's side of MSI (PCI Local Bus spec 6.8): the device signals vector `vec` by
// writing the message of its MSI-X table entry, or the MSI capability's message with the
// vector in the low data bits. A masked MSI-X entry latches its Pending Bit instead, and the
// message is sent when the entry is unmasked; with MSI and MSI-X disabled nothing is sent.
import { PciDev } from './device';
import type { IrqOrigin } from './irq-action';
import type { Kernel } from './kernel';
import { MSI_DEFAULT_DOMAIN } from './msi-desc';
import { msiStore } from './msi';

/** The device raises vector `vec`; returns what became of the message. */
export function pciSignalVector(k: Kernel, dev: PciDev, vec: number, origin: IrqOrigin): string {
  const fabric = k.fabric;
  if (fabric === null) return 'no interrupt controller';
  if (dev.msixEnabled) {
    const e = dev.msixTable[vec];
    if (e === null || e === undefined) return `MSI-X entry ${vec} not programmed: nothing sent`;
    if (e.masked) {
      dev.msixPending.set(vec, origin);
      return `MSI-X entry ${vec} masked: Pending Bit set`;
    }
    return fabric.signal(dev, { addressHi: e.addressHi, addressLo: e.addressLo, data: e.data }, origin);
  }
  if (dev.msiEnabled) {
    const desc = msiStore(dev, MSI_DEFAULT_DOMAIN)?.get(0);
    const cap = dev.msiCapMsg;
    if (desc === undefined || cap === null || vec >= desc.nvecUsed) return `MSI vector ${vec} not enabled: nothing sent`;
    const mask = (1 << desc.multiple) - 1;
    return fabric.signal(dev, { ...cap, data: (cap.data & ~mask) | vec }, origin);
  }
  return 'MSI and MSI-X disabled: nothing sent, the interrupt is lost';
}

// pci_msix_mask() (msi.h): set the entry's Vector Control mask bit, in the descriptor's
// msix_ctrl cache and then in the table
export function pciMsixMaskEntry(dev: PciDev, index: number): void {
  setMsixCtrlCache(dev, index, true);
  const e = dev.msixTable[index];
  if (e !== null && e !== undefined) e.masked = true;
}

// pci_msix_unmask(): clear the mask bit; the device then sends what its Pending Bit holds
export function pciMsixUnmaskEntry(k: Kernel, dev: PciDev, index: number): void {
  setMsixCtrlCache(dev, index, false);
  const e = dev.msixTable[index];
  if (e === null || e === undefined) return;
  e.masked = false;
  const origin = dev.msixPending.get(index);
  if (origin === undefined || !dev.msixEnabled) return;
  dev.msixPending.delete(index);
  k.fabric?.signal(dev, { addressHi: e.addressHi, addressLo: e.addressLo, data: e.data }, origin);
}

/** desc->pci.msix_ctrl of the entry's descriptor, where one holds the index. */
function setMsixCtrlCache(dev: PciDev, index: number, masked: boolean): void {
  const desc = msiStore(dev, MSI_DEFAULT_DOMAIN)?.get(index);
  if (desc?.isMsix === true) desc.msixCtrlMasked = masked;
}

export { PciDev };
