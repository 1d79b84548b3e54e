// arch/powerpc/platforms/pseries/msi.c, the irq-domain half: the per-PHB "pSeries-MSI" MSI
// parent (daaa574aba6f, or its first posting), pseries_msi_ops_prepare/post_free/teardown,
// pseries_irq_domain_alloc/free and the per-device quota of c0215e2d72de. The RTAS helpers
// are in rtas-msi.ts.
import { PciDev, type Device } from '../../kernel/device';
import { ENOMEM, ENOSPC } from '../../kernel/errno';
import { KObject } from '../../kernel/heap';
import { chipSetAffinityParent } from '../../kernel/chip-call';
import type { IrqChip, IrqDomain, IrqDomainOps } from '../../kernel/irqdomain';
import type { Kernel } from '../../kernel/kernel';
import type { MsiAllocInfo } from '../../kernel/msi-alloc-info';
import { MATCH_PCI_MSI, msiLibInitDevMsiInfo } from '../../kernel/msi-lib';
import {
  MSI_FLAG_MSIX_CONTIGUOUS,
  MSI_FLAG_MULTI_PCI_MSI,
  MSI_FLAG_PCI_MSI_MASK_PARENT,
  MSI_FLAG_PCI_MSIX,
  MSI_FLAG_USE_DEF_CHIP_OPS,
  MSI_FLAG_USE_DEF_DOM_OPS,
  MSI_GENERIC_FLAGS_MASK,
  type MsiDomainInfo,
  type MsiParentOps,
} from '../../kernel/msi-types';
import { KernelOops } from '../../kernel/report';
import { IRQ_TYPE_EDGE_RISING, type XiveFwspec } from '../powerpc-common/xive';
import type { SpaprHypervisor, SpaprPhb } from './hypervisor';
import { PCI_CAP_ID_MSI, PCI_CAP_ID_MSIX, rtasDisableMsi, rtasPrepareMsiIrqs, rtasQueryIrqNumber } from './rtas-msi';

/** struct pci_controller, as far as MSIs go: the PHB node and its MSI parent. */
export class PseriesPhb {
  /** phb->dev_domain */
  devDomain: IrqDomain | null = null;
  constructor(
    readonly hv: SpaprHypervisor,
    /** The firmware's view of the same PHB (BUID, ibm,pe-total-#msi). */
    readonly fw: SpaprPhb,
  ) {}
}

/** struct pseries_msi_device (c0215e2d72de): the quota prepare got and what is in use. */
export class PseriesMsiDevice extends KObject {
  readonly kind = 'pseries_msi_device';
  msi_quota = 0;
  msi_used = 0;
}

function phbOf(domain: IrqDomain): PseriesPhb {
  return domain.hostData as PseriesPhb;
}

/** The pSeries-MSI level of a per-device domain is its parent. */
function parentPhb(domain: IrqDomain): PseriesPhb {
  return phbOf(domain.parent as IrqDomain);
}

// pseries_msi_ops_prepare(): runs once per device domain (nvec = hwsize) since 1396e89e09f0
function pseriesMsiOpsPrepare(k: Kernel, domain: IrqDomain, dev: Device, nvec: number, arg: MsiAllocInfo): number {
  const info = domain.hostData as MsiDomainInfo;
  const pdev = dev as PciDev;
  const hv = parentPhb(domain).hv;
  // The domain knows whether it is MSI-X; pdev->msix_enabled is not set yet at creation.
  const type = (info.flags & MSI_FLAG_PCI_MSIX) !== 0 ? PCI_CAP_ID_MSIX : PCI_CAP_ID_MSI;
  if (!k.applied('c0215e2d72de')) return rtasPrepareMsiIrqs(k, hv, pdev, nvec, type);

  // A positive answer means "only this many": take them instead of failing domain creation.
  if (k.faults.shouldFail('pseries_msi_device')) return -ENOMEM;
  const pseriesDev = k.heap.kmalloc(new PseriesMsiDevice(), 'pseries_msi_ops_prepare');
  for (;;) {
    const ret = rtasPrepareMsiIrqs(k, hv, pdev, nvec, type);
    if (ret === 0) break;
    if (ret > 0) {
      nvec = ret;
      continue;
    }
    k.heap.kfree('pseries_msi_ops_prepare', pseriesDev); // __free(kfree)
    return ret;
  }
  pseriesDev.msi_quota = nvec;
  pseriesDev.msi_used = 0;
  arg.scratchpad[0].writePtr(pseriesDev);
  return 0;
}

// pseries_msi_post_free() (first posting of the conversion): all MSIs go after every free,
// because RTAS cannot disable one MSI at a time
function pseriesMsiPostFree(k: Kernel, domain: IrqDomain, dev: Device): void {
  if (!(dev instanceof PciDev)) {
    k.warn('pseries_msi_post_free', `${dev.name} is not a PCI device`);
    return;
  }
  rtasDisableMsi(k, parentPhb(domain).hv, dev);
}

// pseries_msi_ops_teardown()
function pseriesMsiOpsTeardown(k: Kernel, domain: IrqDomain, arg: MsiAllocInfo | null): void {
  let pdev: PciDev;
  if (k.applied('ef3e73a917ec')) {
    pdev = k.heap.deref('pseries_msi_ops_teardown', domain.dev, 'domain->dev') as PciDev;
  } else {
    // msi_desc_to_pci_dev(arg->desc): the template's desc, which nothing ever sets
    if (arg === null) throw new KernelOops('pseries_msi_ops_teardown', 'NULL pointer dereference (arg)');
    if (arg.desc === null) throw new KernelOops('pseries_msi_ops_teardown', 'NULL pointer dereference (msi_desc_to_pci_dev(arg->desc))');
    pdev = arg.desc.dev as PciDev;
  }
  rtasDisableMsi(k, parentPhb(domain).hv, pdev);
  if (k.applied('c0215e2d72de')) {
    if (arg === null) throw new KernelOops('pseries_msi_ops_teardown', 'NULL pointer dereference (arg)');
    const pseriesDev = k.heap.deref('pseries_msi_ops_teardown', arg.scratchpad[0].readPtr<PseriesMsiDevice>(k, 'pseries_msi_ops_teardown'), 'pseries_dev');
    if (pseriesDev.msi_used !== 0) k.warn('pseries_msi_ops_teardown', `${pdev.name}: msi_used = ${pseriesDev.msi_used} at teardown`);
    k.heap.kfree('pseries_msi_ops_teardown', pseriesDev);
  }
}

// pseries_msi_write_msg(): the hypervisor programmed the device during ibm,change-msi; only
// cache the message (writing an MSI-X entry back would break later activations, e.g. IPR)
function pseriesMsiWriteMsg(k: Kernel, data: { irq: number }, msg: { addressHi: number; addressLo: number; data: number }): void {
  const desc = k.irqs.desc(data.irq)?.msiDesc ?? null;
  if (desc !== null) desc.msg = { ...msg };
  k.touchIrq(data.irq);
}

// pseries_init_dev_msi_info()
function pseriesInitDevMsiInfo(k: Kernel, dev: Device, domain: IrqDomain, realParent: IrqDomain, info: MsiDomainInfo): boolean {
  if (!msiLibInitDevMsiInfo(k, dev, domain, realParent, info)) return false;
  // The kernel edits the domain's own kmemdup()ed chip; the model's templates share theirs.
  info.chip = { ...info.chip, writeMsiMsg: pseriesMsiWriteMsg };
  info.ops.msi_prepare = pseriesMsiOpsPrepare;
  if (k.applied('daaa574aba6f')) info.ops.msi_teardown = pseriesMsiOpsTeardown;
  else info.ops.msi_post_free = pseriesMsiPostFree;
  return true;
}

export const pseriesMsiParentOps: MsiParentOps = {
  supported_flags: MSI_GENERIC_FLAGS_MASK | MSI_FLAG_PCI_MSIX | MSI_FLAG_MSIX_CONTIGUOUS | MSI_FLAG_MULTI_PCI_MSI,
  required_flags: MSI_FLAG_USE_DEF_DOM_OPS | MSI_FLAG_USE_DEF_CHIP_OPS | MSI_FLAG_PCI_MSI_MASK_PARENT,
  bus_select_token: 'NEXUS',
  bus_select_mask: MATCH_PCI_MSI,
  prefix: 'pSeries-',
  init_dev_msi_info: pseriesInitDevMsiInfo,
};

// pseries_msi_compose_msg(): read back what the hypervisor wrote into config space
function pseriesMsiComposeMsg(hv: SpaprHypervisor): NonNullable<IrqChip['composeMsiMsg']> {
  return (k, data) => {
    const desc = k.irqs.desc(data.irq)?.msiDesc ?? null;
    const zero = { addressHi: 0, addressLo: 0, data: 0 };
    if (desc === null) return zero;
    const pdev = desc.dev as PciDev;
    if (desc.isMsix) {
      const e = pdev.msixTable[desc.msiIndex] ?? null;
      return e === null ? zero : { addressHi: e.addressHi, addressLo: e.addressLo, data: e.data };
    }
    return hv.slotOf(pdev)?.msiMsg ?? zero;
  };
}

// pseries_msi_irq_chip ("pSeries-MSI"): mask/unmask/eoi go to the parent (not modelled)
export function pseriesMsiIrqChip(hv: SpaprHypervisor): IrqChip {
  // pseries_msi_irq_chip: .irq_set_affinity = irq_chip_set_affinity_parent
  return { name: 'pSeries-MSI', composeMsiMsg: pseriesMsiComposeMsg(hv), irqSetAffinity: chipSetAffinityParent };
}

// pseries_irq_parent_domain_alloc(): one LISN, edge, to the XIVE (default) domain
function pseriesIrqParentDomainAlloc(k: Kernel, domain: IrqDomain, virq: number, hwirq: number): number {
  const fwspec: XiveFwspec = { fwnode: 'xive', hwirq, type: IRQ_TYPE_EDGE_RISING };
  return k.irqs.allocIrqsParent(domain, virq, 1, fwspec);
}

export function pseriesIrqDomainOps(chip: IrqChip): IrqDomainOps {
  return {
    // pseries_irq_domain_alloc()
    alloc(k, domain, virq, nrIrqs, argUnknown) {
      const phb = phbOf(domain);
      const info = argUnknown as MsiAllocInfo;
      const desc = info.desc;
      if (desc === null) throw new KernelOops('pseries_irq_domain_alloc', 'NULL pointer dereference (arg->desc)');
      const pdev = desc.dev as PciDev;
      let pseriesDev: PseriesMsiDevice | null = null;
      if (k.applied('c0215e2d72de')) {
        pseriesDev = k.heap.deref('pseries_irq_domain_alloc', info.scratchpad[0].readPtr<PseriesMsiDevice>(k, 'pseries_irq_domain_alloc'), 'pseries_dev');
        // unsigned arithmetic, as in C
        if ((pseriesDev.msi_used + nrIrqs) >>> 0 > pseriesDev.msi_quota) return -ENOSPC;
      }
      const hwirq = rtasQueryIrqNumber(k, phb.hv, pdev, desc.msiIndex);
      if (hwirq < 0) {
        k.printk(`pseries_irq_domain_alloc: Failed to query HW IRQ: ${hwirq}`);
        return hwirq;
      }
      let i = 0;
      let ret = 0;
      for (; i < nrIrqs; i++) {
        // Multi-MSI assumes the firmware gave consecutive LISNs.
        ret = pseriesIrqParentDomainAlloc(k, domain, virq + i, hwirq + i);
        if (ret !== 0) break;
        k.irqs.setHwirqAndChip(domain, virq + i, hwirq + i, chip, pseriesDev ?? phb);
      }
      if (ret === 0) {
        if (pseriesDev !== null) pseriesDev.msi_used = (pseriesDev.msi_used + (k.applied('35e4f2a17eb4') ? nrIrqs : 1)) >>> 0;
        return 0;
      }
      // Free the parents allocated so far: `i - 1` until the underflow fix (an unsigned
      // count, so 0 - 1 is UINT_MAX).
      k.irqs.freeIrqsParent(domain, virq, k.applied('pseries-i-1-fix') ? i : i - 1);
      return ret;
    },
    // pseries_irq_domain_free(): nr_irqs is 1 from the core
    free(k, domain, virq, nrIrqs) {
      if (k.applied('c0215e2d72de')) {
        const d = k.irqs.getIrqData(domain, virq);
        const pseriesDev = k.heap.deref('pseries_irq_domain_free', (d?.chipData ?? null) as PseriesMsiDevice | null, 'chip_data');
        pseriesDev.msi_used = (pseriesDev.msi_used - nrIrqs) >>> 0;
      }
      // Before cc0cc23babc9 the XIVE data went through msi_free and the parent was not freed.
      if (k.applied('cc0cc23babc9')) k.irqs.freeIrqsParent(domain, virq, nrIrqs);
    },
  };
}
