// drivers/pci/xen-pcifront.c (the PV guest's side) and, behind the XEN_PCI_OP_* ring,
// drivers/xen/xen-pciback/pciback_ops.c in dom0: a PV domU cannot program MSIs; it asks its
// backend, which enables MSI / MSI-X on the real device from dom0 (PHYSDEVOP_map_pirq for the
// guest's domain id) and answers with the guest pirqs. Only the frontend is Linux-under-test;
// the backend and dom0 are the hypervisor side of the model.
import { formatBdf, type PciDev } from '../../kernel/device';
import type { Kernel } from '../../kernel/kernel';
import { MSI_DEFAULT_DOMAIN } from '../../kernel/msi-desc';
import { msiStore } from '../../kernel/msi';
import { DOMU_ID, type XenHypervisor } from './hypervisor';
import { EALREADY, EINVAL, ENXIO } from './xen-errno';

/** SH_INFO_MAX_VEC: the vectors one XEN_PCI_OP_enable_msix can carry. */
export const SH_INFO_MAX_VEC = 128;

/** struct xen_pci_op, the commands the MSI paths send. */
export type XenPciOp =
  | { readonly cmd: 'XEN_PCI_OP_enable_msi'; readonly dev: PciDev }
  | { readonly cmd: 'XEN_PCI_OP_disable_msi'; readonly dev: PciDev }
  | { readonly cmd: 'XEN_PCI_OP_enable_msix'; readonly dev: PciDev; readonly entries: readonly number[] }
  | { readonly cmd: 'XEN_PCI_OP_disable_msix'; readonly dev: PciDev };

/** What the backend answers: op->err, and the guest pirqs (op->value / msix_entries[].vector). */
export interface XenPciOpResult {
  readonly err: number;
  readonly vectors: readonly number[];
}

/** xen_pcibk_*_msi*() in dom0, reduced to what the guest sees: pirqs mapped for it, or an error. */
export class PciBackend {
  /** Devices the backend has MSI or MSI-X enabled on, with the guest pirqs it mapped. */
  private readonly enabled = new Map<PciDev, { msix: boolean; pirqs: number[] }>();

  constructor(
    private readonly k: Kernel,
    private readonly xen: XenHypervisor,
  ) {}

  /** do_pci_op(): one request on the shared page, answered by pciback. */
  doPciOp(op: XenPciOp): XenPciOpResult {
    // pciback refusing to enable (its pci_enable_msi()/pci_enable_msix_exact() failing) is a
    // fault site; disabling does not fail
    const injected = op.cmd === 'XEN_PCI_OP_enable_msi' ? this.k.faults.shouldFail('XEN_PCI_OP_enable_msi') : op.cmd === 'XEN_PCI_OP_enable_msix' ? this.k.faults.shouldFail('XEN_PCI_OP_enable_msix') : false;
    if (injected) return { err: -EINVAL, vectors: [] };
    switch (op.cmd) {
      case 'XEN_PCI_OP_enable_msi':
        return this.enable(op.dev, false, [0]);
      case 'XEN_PCI_OP_enable_msix':
        return this.enable(op.dev, true, op.entries);
      case 'XEN_PCI_OP_disable_msi':
      case 'XEN_PCI_OP_disable_msix':
        this.disable(op.dev, op.cmd === 'XEN_PCI_OP_disable_msix');
        return { err: 0, vectors: [] };
    }
  }

  // xen_pcibk_enable_msi() / xen_pcibk_enable_msix(): pci_enable_msi / pci_enable_msix_exact in
  // dom0, whose xen_initdom_setup_msi_irqs() maps a pirq per vector for the guest's domain
  private enable(dev: PciDev, msix: boolean, entries: readonly number[]): XenPciOpResult {
    // MSI-X: "if (dev->msix_enabled) return -EALREADY;" then -ENXIO with MSI enabled; MSI: any
    // enabled mode is XEN_PCI_ERR_op_failed, which the frontend turns into -EINVAL
    const st = this.enabled.get(dev);
    if (st !== undefined) return { err: !msix ? -EINVAL : st.msix ? -EALREADY : -ENXIO, vectors: [] };
    const pirqs: number[] = [];
    for (const entry of entries) {
      const r = this.xen.hypercall({
        op: 'PHYSDEVOP_map_pirq',
        domid: DOMU_ID,
        type: 'MSI_SEG',
        index: -1,
        pirq: -1,
        bus: ((dev.rid >> 8) & 0xff) | (dev.segment << 16),
        devfn: dev.rid & 0xff,
        entryNr: msix ? entry : 0,
        tableBase: msix ? 1 : 0,
      });
      if (r.rc !== 0 || r.pirq === undefined) {
        // dom0's own error path frees what it mapped (its pci_enable_msix_exact fails whole)
        for (const p of pirqs) this.xen.hypercall({ op: 'PHYSDEVOP_unmap_pirq', domid: DOMU_ID, pirq: p });
        this.k.printk(`pciback ${formatBdf(dev)}: error enabling ${msix ? 'MSI-X' : 'MSI'} for guest ${DOMU_ID}: err ${r.rc}`);
        return { err: r.rc, vectors: [] };
      }
      pirqs.push(r.pirq);
    }
    this.enabled.set(dev, { msix, pirqs });
    return { err: 0, vectors: pirqs };
  }

  // xen_pcibk_disable_msi*(): pci_disable_msi* in dom0 unmaps the guest's pirqs
  private disable(dev: PciDev, msix: boolean): void {
    const st = this.enabled.get(dev);
    if (st === undefined || st.msix !== msix) return;
    for (const p of st.pirqs) this.xen.hypercall({ op: 'PHYSDEVOP_unmap_pirq', domid: DOMU_ID, pirq: p });
    this.enabled.delete(dev);
  }

  /** The device went away (dom0 removes it from the guest): whatever was enabled goes. */
  deviceRemoved(dev: PciDev): void {
    const st = this.enabled.get(dev);
    if (st !== undefined) this.disable(dev, st.msix);
  }
}

/**
 * pci_frontend_enable_msix(): the not-yet-associated descriptors' indexes go to the backend; the
 * pirqs come back in `vector`. A non-positive pirq makes the whole call fail with -EINVAL (the
 * backend keeps MSI-X enabled: the teardown path disables it). Returns 0 or a negative errno.
 */
export function pciFrontendEnableMsix(be: PciBackend, dev: PciDev, vector: number[], nvec: number): number {
  if (nvec > SH_INFO_MAX_VEC) return -EINVAL;
  const entries: number[] = [];
  for (const desc of (msiStore(dev, MSI_DEFAULT_DOMAIN) ?? new Map()).values()) if (desc.irq === 0) entries.push(desc.msiIndex);
  const r = be.doPciOp({ cmd: 'XEN_PCI_OP_enable_msix', dev, entries });
  if (r.err !== 0) return r.err;
  let err = 0;
  for (let i = 0; i < nvec; i++) {
    const v = r.vectors[i] ?? -1;
    if (v <= 0) {
      err = -EINVAL;
      vector[i] = -1;
      continue;
    }
    vector[i] = v;
  }
  return err;
}

/** pci_frontend_enable_msi(): one pirq for the MSI. Returns 0 or -EINVAL. */
export function pciFrontendEnableMsi(be: PciBackend, dev: PciDev, vector: number[]): number {
  const r = be.doPciOp({ cmd: 'XEN_PCI_OP_enable_msi', dev });
  if (r.err !== 0) return -EINVAL;
  const v = r.vectors[0] ?? 0;
  vector[0] = v > 0 ? v : -1;
  return v > 0 ? 0 : -EINVAL;
}

/** pci_frontend_disable_msix() / pci_frontend_disable_msi(): errors are only logged. */
export function pciFrontendDisable(k: Kernel, be: PciBackend, dev: PciDev, msix: boolean): void {
  const r = be.doPciOp({ cmd: msix ? 'XEN_PCI_OP_disable_msix' : 'XEN_PCI_OP_disable_msi', dev });
  if (r.err !== 0) k.printk(`pci_disable_msi${msix ? 'x' : ''} get err ${r.err}`);
}
