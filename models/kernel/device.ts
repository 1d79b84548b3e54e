// struct device as far as MSI cares (dev->msi.domain, dev->msi.data, devres), and the
// PCI and platform flavours the driver-level commands create.
import type { IrqOrigin } from './irq-action';
import { KObject } from './heap';
import type { IrqDomain } from './irqdomain';
import type { MsiDesc } from './msi-desc';

/** One `dev->msi.data->__domains[domid]` slot: the domain and its descriptor store (an xarray). */
export interface MsiDomainSlot {
  domain: IrqDomain | null;
  readonly store: Map<number, MsiDesc>;
}

/** struct msi_device_data, a devres object released on unbind. */
export class MsiDeviceData extends KObject {
  readonly kind = 'msi_device_data';
  /**
   * __domains[MSI_MAX_DEVICE_IRQDOMAINS]: MSI_DEFAULT_DOMAIN, and MSI_SECONDARY_DOMAIN in the
   * kernels that had it (v6.2..v6.9, for PCI/IMS).
   */
  readonly domains: [MsiDomainSlot] | [MsiDomainSlot, MsiDomainSlot];

  constructor(nrDomains: 1 | 2 = 1) {
    super();
    const slot = (): MsiDomainSlot => ({ domain: null, store: new Map() });
    this.domains = nrDomains === 2 ? [slot(), slot()] : [slot()];
  }
}

export interface DevresAction {
  readonly name: string;
  release(): void;
}

export abstract class Device extends KObject {
  /** dev->msi.domain: the MSI parent this device allocates under (set when the device is added). */
  msiParent: IrqDomain | null = null;
  /** dev->msi.data */
  msiData: MsiDeviceData | null = null;
  /** Device resources, released last-in first-out on unbind. */
  devres: DevresAction[] = [];
  removed = false;

  constructor(readonly name: string) {
    super();
  }

  abstract readonly bus: 'pci' | 'platform';
}

export interface MsixEntry {
  addressHi: number;
  addressLo: number;
  data: number;
  masked: boolean;
}

export class PciDev extends Device {
  readonly kind = 'pci_dev';
  readonly bus = 'pci' as const;
  msiEnabled = false;
  msixEnabled = false;
  /** The MSI-X table as the device sees it (programmed through pci_msi_domain_write_msg). */
  readonly msixTable: (MsixEntry | null)[];
  /**
   * The MSI capability's Message Address/Data registers: what the function sends for MSI. Linux
   * writes them in __pci_write_msi_msg() (and caches the message in msi_desc::msg); on pseries
   * the hypervisor writes them during ibm,change-msi and Linux only caches.
   */
  msiCapMsg: { addressHi: number; addressLo: number; data: number } | null = null;
  /** PCI_MSI_FLAGS_ENABLE/QSIZE as programmed: how many consecutive data values the device uses. */
  msiMultipleEnabled = 0;
  /** devm/pcim managed device: pcim_msi_release() frees vectors on unbind. */
  readonly isManaged = true;
  /** pci_dev::is_msi_managed: the pcim_msi_release devres action is registered. */
  isMsiManaged = false;
  /** Physical function of an SR-IOV virtual function. */
  physfn: PciDev | null = null;
  /**
   * pci_domain_nr(dev->bus): the PCI segment (ACPI _SEG, or an emulated domain such as a VMD or
   * Hyper-V vPCI bus). Requester IDs are 16 bits within a segment; what keys on a RID keys on
   * the (segment, RID) pair where the kernel does.
   */
  segment = 0;
  /** The class code's base class and subclass (PCI_CLASS_STORAGE_EXPRESS = 0x0108), 0 when unset. */
  classCode = 0;
  /**
   * to_pci_sysdata(dev->bus)->vmd_dev: the Intel VMD whose root bus this function sits on, whose
   * requester ID its upstream writes carry (pci_real_dma_dev()); null elsewhere.
   */
  vmdDev: PciDev | null = null;
  /** The MSI-X Pending Bit Array: entries that fired while masked (with who raised them). */
  readonly msixPending = new Map<number, IrqOrigin>();

  constructor(
    name: string,
    /** Requester ID: bus << 8 | devfn. */
    readonly rid: number,
    /** Messages the MSI capability can do (1, 2, 4, .. 32), 0 without an MSI capability. */
    readonly msiCap: number,
    /** MSI-X table size, 0 without an MSI-X capability. */
    readonly msixTableSize: number,
    /** A quirk DMA alias (pci_add_dma_alias): requests also appear with this RID. */
    readonly dmaAliasRid: number | null,
    /** The PCIe-to-PCI bridge this device sits behind, which takes ownership of its requests. */
    readonly bridge: PciBridge | null,
  ) {
    super(name);
    this.msixTable = new Array<MsixEntry | null>(msixTableSize).fill(null);
  }

  /** pci_msi_vec_count() */
  msiVecCount(): number {
    return this.msiCap > 0 ? this.msiCap : -22;
  }

  /** pci_msix_vec_count() */
  msixVecCount(): number {
    return this.msixTableSize > 0 ? this.msixTableSize : -22;
  }
}

/** A PCIe-to-PCI(-X) bridge: every device on its secondary bus aliases to the bridge's RID. */
export class PciBridge extends KObject {
  readonly kind = 'pci_bridge';
  readonly subordinate: PciDev[] = [];

  constructor(
    readonly name: string,
    readonly rid: number,
  ) {
    super();
  }
}

export class PlatformDevice extends Device {
  readonly kind = 'platform_device';
  readonly bus = 'platform' as const;

  constructor(
    name: string,
    /** The ID cell of its `msi-parent` (or msi-map) property: the DeviceID on an ITS. */
    readonly msiParentId: number,
  ) {
    super(name);
  }
}

/** PCI_CLASS_STORAGE_EXPRESS: an NVMe controller (VMD spreads these over its vectors). */
export const PCI_CLASS_STORAGE_EXPRESS = 0x0108;

/** `ssss:bb:dd.f` as pci_name() prints it. */
export function formatBdf(dev: PciDev): string {
  return `${dev.segment.toString(16).padStart(4, '0')}:${formatRid(dev.rid)}`;
}

export function formatRid(rid: number): string {
  const bus = (rid >> 8) & 0xff;
  const dev = (rid >> 3) & 0x1f;
  const fn = rid & 0x7;
  const bdf = `${bus.toString(16).padStart(2, '0')}:${dev.toString(16).padStart(2, '0')}.${fn}`;
  const seg = pciDomainNr(rid);
  return seg === 0 ? bdf : `${seg.toString(16).padStart(4, '0')}:${bdf}`;
}

/**
 * The model's `rid` of a PCI function carries its PCI segment (domain) above the 16-bit
 * requester ID: pci_domain_nr() is the high part, pci_dev_id() the low 16 bits.
 */
export function pciDomainNr(rid: number): number {
  return Math.floor(rid / 0x10000);
}

/** pci_dev_id(): bus << 8 | devfn, without the segment. */
export function pciDevId(rid: number): number {
  return rid & 0xffff;
}
