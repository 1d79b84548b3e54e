// arch/powerpc/platforms/powernv/pci-ioda.c, the MSI part: the per-PHB "PNV-MSI" MSI parent
// (f0ac60e6e311), pnv_irq_domain_alloc/free over the PHB's msi_bmp, and the message compose
// that programs the PHB through OPAL. There is no prepare/teardown and no per-device state.
import { chipSetAffinityParent } from '../../kernel/chip-call';
import type { Device, PciDev } from '../../kernel/device';
import { EIO, ENOSPC, ENXIO } from '../../kernel/errno';
import type { IrqChip, IrqDomain, IrqDomainOps, MsiMsg } from '../../kernel/irqdomain';
import type { Kernel } from '../../kernel/kernel';
import type { MsiAllocInfo } from '../../kernel/msi-alloc-info';
import { MATCH_PCI_MSI, msiLibInitDevMsiInfo } from '../../kernel/msi-lib';
import {
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
import { OPAL_HARDWARE } from '../powerpc-common/firmware-codes';
import { IRQ_TYPE_EDGE_RISING, type XiveFwspec } from '../powerpc-common/xive';
import { msiBitmapAllocHwirqs, msiBitmapFreeHwirqs, type MsiBitmap } from './msi-bitmap';
import type { OpalPhb, Skiboot } from './skiboot';

/** struct pnv_phb + its pci_controller, as far as MSIs go. */
export class PnvPhb {
  /** hose->dev_domain */
  devDomain: IrqDomain | null = null;
  /** msi-fuzz-pnv-msi-setup-at-alloc: the message each MSI (by xive_num) got when it was allocated. */
  readonly setupMsgs = new Map<number, MsiMsg>();

  constructor(
    readonly fw: Skiboot,
    readonly opal: OpalPhb,
    /** phb->msi_bmp over ibm,opal-msi-ranges */
    readonly msiBmp: MsiBitmap,
  ) {}

  get opalId(): number {
    return this.opal.opalId;
  }

  /** phb->msi_base: the first global interrupt number of the PHB's MSIs. */
  get msiBase(): number {
    return this.opal.msiBase;
  }
}

/** pnv_ioda_get_pe(): one PE per bus; its MVE has the PE's number. */
export function pnvIodaPeNumber(pdev: PciDev): number {
  return (pdev.rid >> 8) & 0xff;
}

// pnv_init_dev_msi_info(): the msi-lib defaults (irq_shutdown = pnv_msi_shutdown not modelled)
function pnvInitDevMsiInfo(k: Kernel, dev: Device, domain: IrqDomain, realParent: IrqDomain, info: MsiDomainInfo): boolean {
  return msiLibInitDevMsiInfo(k, dev, domain, realParent, info);
}

export const pnvMsiParentOps: MsiParentOps = {
  supported_flags: MSI_GENERIC_FLAGS_MASK | MSI_FLAG_PCI_MSIX | MSI_FLAG_MULTI_PCI_MSI,
  required_flags: MSI_FLAG_USE_DEF_DOM_OPS | MSI_FLAG_USE_DEF_CHIP_OPS | MSI_FLAG_PCI_MSI_MASK_PARENT,
  bus_select_token: 'NEXUS',
  bus_select_mask: MATCH_PCI_MSI,
  prefix: 'PNV-',
  init_dev_msi_info: pnvInitDevMsiInfo,
};

// __pnv_pci_ioda_msi_setup(): route xive_num to the device's PE and read back the message
function pnvPciIodaMsiSetup(k: Kernel, phb: PnvPhb, pdev: PciDev, xiveNum: number, msg: MsiMsg): number {
  const pe = pnvIodaPeNumber(pdev);
  if (pe < 0) return -ENXIO;
  let rc = k.faults.shouldFail('opal_pci_set_xive_pe') ? OPAL_HARDWARE : phb.fw.pciSetXivePe(phb.opalId, pe, xiveNum);
  if (rc !== 0) {
    k.printk(`pnv: ${pdev.name}: OPAL error ${rc} setting XIVE ${xiveNum} PE`);
    return -EIO;
  }
  const r = k.faults.shouldFail('opal_get_msi_64') ? { rc: OPAL_HARDWARE, addr: 0, data: 0 } : phb.fw.getMsi64(phb.opalId, pe, xiveNum, 1);
  rc = r.rc;
  if (rc !== 0) {
    k.printk(`pnv: ${pdev.name}: OPAL error ${rc} getting 64-bit MSI data`);
    return -EIO;
  }
  msg.addressHi = Math.floor(r.addr / 2 ** 32);
  msg.addressLo = r.addr % 2 ** 32;
  msg.data = r.data;
  return 0;
}

// pnv_msi_irq_chip ("PNV-MSI"): pnv_msi_compose_msg(); a failure is only logged
export function pnvMsiIrqChip(): IrqChip {
  return {
    name: 'PNV-MSI',
    // .irq_set_affinity = irq_chip_set_affinity_parent
    irqSetAffinity: chipSetAffinityParent,
    composeMsiMsg(k, d) {
      const msg: MsiMsg = { addressHi: 0, addressLo: 0, data: 0 };
      const desc = k.irqs.desc(d.irq)?.msiDesc ?? null;
      if (desc === null) return msg;
      const phb = k.heap.deref('pnv_msi_compose_msg', d.domain, 'd->domain').hostData as PnvPhb;
      // msi-fuzz's proposal: the PHB was set up at allocation, compose only reads it back
      if (k.applied('msi-fuzz-pnv-msi-setup-at-alloc')) return { ...(phb.setupMsgs.get(d.hwirq) ?? msg) };
      const rc = pnvPciIodaMsiSetup(k, phb, desc.dev as PciDev, d.hwirq, msg);
      if (rc !== 0) k.printk(`pnv: ${(desc.dev as PciDev).name}: Failed to setup MSI 0x${d.hwirq.toString(16)} (${rc})`);
      return msg;
    },
  };
}

// pnv_irq_parent_domain_alloc(): one global interrupt number, edge, to XIVE
function pnvIrqParentDomainAlloc(k: Kernel, domain: IrqDomain, virq: number, hwirq: number): number {
  const fwspec: XiveFwspec = { fwnode: 'xive', hwirq, type: IRQ_TYPE_EDGE_RISING };
  return k.irqs.allocIrqsParent(domain, virq, 1, fwspec);
}

export function pnvIrqDomainOps(chip: IrqChip): IrqDomainOps {
  return {
    // pnv_irq_domain_alloc()
    alloc(k, domain, virq, nrIrqs, arg) {
      const phb = domain.hostData as PnvPhb;
      const hwirq = msiBitmapAllocHwirqs(k, phb.msiBmp, nrIrqs);
      if (hwirq < 0) {
        k.printk(`pnv: failed to find a free MSI (PHB ${phb.opalId})`);
        return -ENOSPC;
      }
      let i = 0;
      let ret = 0;
      for (; i < nrIrqs; i++) {
        ret = pnvIrqParentDomainAlloc(k, domain, virq + i, phb.msiBase + hwirq + i);
        if (ret !== 0) break;
        // The hwirq of this level is the bitmap offset (xive_num), not the global number.
        k.irqs.setHwirqAndChip(domain, virq + i, hwirq + i, chip, phb);
      }
      if (ret === 0 && k.applied('msi-fuzz-pnv-msi-setup-at-alloc')) {
        // msi-fuzz's proposal: program the PE and read the message now, where a failure can be returned
        const pdev = (arg as MsiAllocInfo | null)?.desc?.dev as PciDev | undefined;
        for (let j = 0; j < nrIrqs && ret === 0 && pdev !== undefined; j++) {
          const msg: MsiMsg = { addressHi: 0, addressLo: 0, data: 0 };
          ret = pnvPciIodaMsiSetup(k, phb, pdev, hwirq + j, msg);
          if (ret === 0) phb.setupMsgs.set(hwirq + j, msg);
        }
        if (ret !== 0) for (let j = 0; j < nrIrqs; j++) phb.setupMsgs.delete(hwirq + j);
      }
      if (ret === 0) return 0;
      // `i - 1` parents until the underflow fix (an unsigned count: UINT_MAX for i = 0)
      k.irqs.freeIrqsParent(domain, virq, k.applied('powernv-i-1-fix') ? i : i - 1);
      msiBitmapFreeHwirqs(k, phb.msiBmp, hwirq, nrIrqs);
      return ret;
    },
    // pnv_irq_domain_free(): nr_irqs is 1 from the core
    free(k, domain, virq, nrIrqs) {
      const d = k.irqs.getIrqData(domain, virq);
      if (d === null) throw new KernelOops('pnv_irq_domain_free', 'NULL pointer dereference (irq_domain_get_irq_data)');
      const phb = domain.hostData as PnvPhb;
      for (let j = 0; j < nrIrqs; j++) phb.setupMsgs.delete(d.hwirq + j);
      msiBitmapFreeHwirqs(k, phb.msiBmp, d.hwirq, nrIrqs);
      // Before cc0cc23babc9 the XIVE data went through msi_free and the parent was not freed.
      if (k.applied('cc0cc23babc9')) k.irqs.freeIrqsParent(domain, virq, nrIrqs);
    },
  };
}
