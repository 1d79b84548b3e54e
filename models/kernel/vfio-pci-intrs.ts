// drivers/vfio/pci/vfio_pci_intrs.c, MSI-X part, as a user (QEMU) drives it through
// VFIO_DEVICE_SET_IRQS to make vectors 0..N-1 signal its eventfds. Where the kernel reports
// MSI-X as resizable (vdev->has_dyn_msix, from the dynamic MSI-X series `vfio-pci-dyn-msix`,
// and pci_msix_can_alloc_dyn()), new vectors are allocated one by one with
// pci_msix_alloc_irq_at() and nothing else moves. Otherwise the only way to grow is the user
// disabling MSI-X (vfio_msi_disable: free_irq, pci_free_irq_vectors) and enabling it again
// with more vectors (vfio_msi_enable + vfio_msi_set_block): in between the function has MSI-X
// disabled and whatever it signals is lost.
import { PciDev } from './device';
import { ENOSPC } from './errno';
import type { KernelWait } from './manage';
import { freeIrq, requestIrq } from './manage';
import type { Kernel } from './kernel';
import { PCI_IRQ_MSIX, pciAllocIrqVectors, pciFreeIrqVectors, pciIrqVector, pciMsixAllocIrqAt, pciMsixCanAllocDyn } from './pci-msi';

export const VFIO_PCI_DYN_MSIX = 'vfio-pci-dyn-msix';

/** has_dyn_msix: set in vfio_pci_core_enable() since the dynamic MSI-X series. */
export function vfioHasDynMsix(k: Kernel, dev: PciDev): boolean {
  return k.applied(VFIO_PCI_DYN_MSIX) && pciMsixCanAllocDyn(dev);
}

// vfio_msi_set_vector_signal(): request_irq(irq, vfio_msihandler, 0, "vfio-msix[v](dev)", trigger)
function vfioMsiSetVectorSignal(k: Kernel, dev: PciDev, v: number): number {
  const irq = pciIrqVector(dev, v);
  if (irq < 0) return irq;
  return requestIrq(k, irq, `vfio-msix[${v}](${dev.name})`, { dev: dev.name, vec: v });
}

// vfio_msi_enable() + vfio_msi_set_block(0, nvec)
export function vfioMsiEnable(k: Kernel, dev: PciDev, nvec: number): number {
  const ret = pciAllocIrqVectors(k, dev, 1, nvec, PCI_IRQ_MSIX);
  if (ret < nvec) {
    if (ret > 0) pciFreeIrqVectors(k, dev);
    return ret < 0 ? ret : -ENOSPC;
  }
  for (let v = 0; v < nvec; v++) {
    const r = vfioMsiSetVectorSignal(k, dev, v);
    if (r < 0) return r;
  }
  return 0;
}

// vfio_msi_disable(): every vector's free_irq(), then pci_free_irq_vectors()
export function vfioMsiDisable(k: Kernel, dev: PciDev, nvec: number): void {
  for (let v = 0; v < nvec; v++) {
    const irq = pciIrqVector(dev, v);
    if (irq > 0 && k.irqs.desc(irq)?.action !== null) freeIrq(k, irq, { dev: dev.name, vec: v }, k.currentCpu);
  }
  pciFreeIrqVectors(k, dev);
}

// vfio_msi_set_block(start = from, count = to - from) with has_dyn_msix: vfio_msi_alloc_irq()
// -> pci_msix_alloc_irq_at(index), then the signal
export function vfioMsixGrowDyn(k: Kernel, dev: PciDev, from: number, to: number): number {
  for (let v = from; v < to; v++) {
    const map = pciMsixAllocIrqAt(k, dev, v);
    if (map.index < 0) return map.index;
    const r = vfioMsiSetVectorSignal(k, dev, v);
    if (r < 0) return r;
  }
  return 0;
}

/**
 * The user's re-enable: disable now, enable with `nvec` at its next VFIO_DEVICE_SET_IRQS call,
 * returned as the wait between the two calls (it ends at the next step).
 */
export function vfioMsixReenable(k: Kernel, dev: PciDev, oldNvec: number, nvec: number): KernelWait {
  vfioMsiDisable(k, dev, oldNvec);
  let polled = false;
  return {
    cpu: k.currentCpu,
    what: `VFIO_DEVICE_SET_IRQS gap: ${dev.name} MSI-X disabled until the user enables ${nvec} vectors`,
    done: `VFIO_DEVICE_SET_IRQS(count=${nvec}): vfio_msi_enable`,
    resume(): boolean {
      if (!polled) {
        polled = true;
        return false;
      }
      vfioMsiEnable(k, dev, nvec);
      return true;
    },
  };
}

export { PciDev };
