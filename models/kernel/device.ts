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
  /** __domains[MSI_MAX_DEVICE_IRQDOMAINS]: one slot, MSI_DEFAULT_DOMAIN. */
  readonly domains: [MsiDomainSlot] = [{ domain: null, store: new Map() }];
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

export function formatRid(rid: number): string {
  const bus = (rid >> 8) & 0xff;
  const dev = (rid >> 3) & 0x1f;
  const fn = rid & 0x7;
  return `${bus.toString(16).padStart(2, '0')}:${dev.toString(16).padStart(2, '0')}.${fn}`;
}
