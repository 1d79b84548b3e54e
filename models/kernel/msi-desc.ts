// struct msi_desc and the per-domain descriptor store (kernel/irq/msi.c: msi_alloc_desc,
// msi_insert_desc, msi_free_desc_range). PCI MSI has one descriptor covering nvec_used
// consecutive irqs; MSI-X and platform MSI have one per vector.
import { KObject } from './heap';
import type { IrqAffinityDesc } from './irqdomain';

export interface MsiMsgSnapshot {
  addressHi: number;
  addressLo: number;
  data: number;
}

/** struct msi_desc: kzalloc()ed by msi_alloc_desc(), kfree()d by msi_free_desc(). */
export class MsiDesc extends KObject {
  readonly kind = 'msi_desc';
  /** 0 = not associated with a Linux irq. */
  irq = 0;
  msiIndex = 0;
  /** The message last written to the device for this vector (base message for multi-MSI). */
  msg: MsiMsgSnapshot | null = null;
  /** pci.msi_attrib.multiple: log2 of the power-of-two block the device is told to use. */
  multiple = 0;
  /** msi_desc::affinity: one mask per irq of the descriptor (managed spreading), or null. */
  affinity: IrqAffinityDesc[] | null = null;
  /** msi_desc::data.icookie.value: a wired interrupt's `type << 32 | hwirq` (msi_device_domain_alloc_wired). */
  icookie = 0;
  /**
   * pci.msix_ctrl's mask bit: the Vector Control value the kernel last wrote to the entry, kept
   * by pci_msix_mask() / pci_msix_unmask(). msix_prepare_msi_desc() reads it from the entry;
   * the model starts it clear, which only ever claims less.
   */
  msixCtrlMasked = false;

  constructor(
    readonly dev: KObject,
    public nvecUsed: number,
    readonly isMsix: boolean,
  ) {
    super();
  }
}

export const MSI_MAX_INDEX = 0xffff;
export const MSI_ANY_INDEX = 0xffffffff;
export const MSI_DEFAULT_DOMAIN = 0;
/** enum msi_domain_ids in 6.12 and 7.2 (include/linux/msi_api.h) has the default domain only. */
export const MSI_MAX_DEVICE_IRQDOMAINS = 1;
/**
 * The second device domain id, for PCI/IMS: in enum msi_domain_ids from v6.2 (e23d4192bf9b,
 * "genirq/msi: Provide constants for PCI/IMS support") until its revert in v6.10 (8a1940bca94b);
 * MSI_MAX_DEVICE_IRQDOMAINS was 2 then (msiMaxDeviceIrqdomains()).
 */
export const MSI_SECONDARY_DOMAIN = 1;
