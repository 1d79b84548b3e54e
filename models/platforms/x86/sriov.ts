// drivers/pci/iov.c: a PF enables VFs, each a PCI function of its own with RID = PF RID +
// First VF Offset + i * VF Stride, added (and later removed) like any hot-plugged function.
import { formatRid, PciDev } from '../../kernel/device';
import { EBUSY, EEXIST, EINVAL, ENODEV, ENOMEM } from '../../kernel/errno';
import type { IrqDomain } from '../../kernel/irqdomain';
import type { Kernel } from '../../kernel/kernel';
import { deviceReleaseDriver } from '../../kernel/pci-msi';

/** The SR-IOV extended capability as the model needs it. */
export interface SriovCap {
  readonly totalVfs: number;
  readonly offset: number;
  readonly stride: number;
  /** MSI-X table size of each VF (VFs have no MSI capability here). */
  readonly vfMsixSize: number;
}

export const DEFAULT_SRIOV: SriovCap = { totalVfs: 8, offset: 2, stride: 1, vfMsixSize: 8 };

export interface SriovState {
  readonly cap: SriovCap;
  readonly vfs: PciDev[];
}

// pci_iov_virtfn_bus() / pci_iov_virtfn_devfn() folded into one 16-bit RID
export function pciIovVirtfnRid(pf: PciDev, cap: SriovCap, id: number): number {
  return (pf.rid + cap.offset + cap.stride * id) & 0xffff;
}

export class Sriov {
  readonly state = new Map<PciDev, SriovState>();

  constructor(
    private readonly k: Kernel,
    /** pci_device_add(): pcibios_device_add() and the bus ADD_DEVICE notifiers pick the MSI domain. */
    private readonly deviceAdd: (dev: PciDev) => IrqDomain | null,
  ) {}

  // sriov_enable() -> sriov_add_vfs() -> pci_iov_add_virtfn() for each VF
  enable(pf: PciDev, numVfs: number, cap: SriovCap = DEFAULT_SRIOV): { ret: number; vfs: PciDev[] } {
    if (pf.physfn !== null || pf.removed) return { ret: -ENODEV, vfs: [] };
    if (this.state.has(pf)) return { ret: -EBUSY, vfs: [] };
    if (numVfs < 1 || numVfs > cap.totalVfs) return { ret: -EINVAL, vfs: [] };
    // RIDs are unique in hardware; the model refuses a configuration that would alias one
    const live = new Set(this.k.devices.filter((d): d is PciDev => d instanceof PciDev && !d.removed).map((d) => d.rid));
    for (let i = 0; i < numVfs; i++) if (live.has(pciIovVirtfnRid(pf, cap, i))) return { ret: -EEXIST, vfs: [] };
    const vfs: PciDev[] = [];
    for (let i = 0; i < numVfs; i++) {
      // pci_iov_add_virtfn(): pci_alloc_dev() fails; sriov_add_vfs() removes the VFs added so far
      if (this.k.faults.shouldFail('pci_iov_add_virtfn')) {
        for (const vf of vfs.reverse()) this.removeVf(vf);
        return { ret: -ENOMEM, vfs: [] };
      }
      const rid = pciIovVirtfnRid(pf, cap, i);
      const vf = new PciDev(`${pf.name}vf${i}`, rid, 0, cap.vfMsixSize, null, null);
      vf.physfn = pf; // is_virtfn, physfn = pci_dev_get(pf)
      vf.segment = pf.segment; // pci_iov_add_virtfn(): on a bus of the PF's domain
      vf.msiParent = this.deviceAdd(vf);
      this.k.heap.kmalloc(vf, 'pci_iov_add_virtfn');
      this.k.addDevice(vf);
      this.k.printk(`pci ${formatRid(rid)}: [${formatRid(pf.rid)} VF ${i}] added`);
      vfs.push(vf);
    }
    this.state.set(pf, { cap, vfs });
    return { ret: 0, vfs };
  }

  // sriov_disable() -> sriov_del_vfs() -> pci_iov_remove_virtfn(), last VF first
  disable(pf: PciDev): number {
    const st = this.state.get(pf);
    if (st === undefined) return -EINVAL;
    for (const vf of [...st.vfs].reverse()) {
      // pci_iov_remove_virtfn(): a VF already hot-removed on its own is not found again
      if (vf.removed) continue;
      this.removeVf(vf);
    }
    this.state.delete(pf);
    return 0;
  }

  // pci_iov_remove_virtfn() -> pci_stop_and_remove_bus_device(): unbind (devres frees vectors
  // and domains), then release
  private removeVf(vf: PciDev): void {
    deviceReleaseDriver(this.k, vf);
    vf.removed = true;
    this.k.removeDevice(vf);
    this.k.heap.kfree('pci_iov_remove_virtfn', vf);
  }

  vfsOf(pf: PciDev): readonly PciDev[] {
    return this.state.get(pf)?.vfs ?? [];
  }
}
