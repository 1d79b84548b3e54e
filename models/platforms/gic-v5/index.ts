// The GICv5 platform: an IRS owning the LPI space, two ITSes as MSI parents of PCI and platform
// devices (the DT msi-map of arm64-firmware.ts decides which, and with which DeviceID), and IWBs
// in front of its1 for wired interrupts. Four CPUs.
import { PlatformDevice, type Device } from '../../kernel/device';
import type { FaultSite, PoolSpec } from '../../kernel/faults';
import type { IrqOrigin } from '../../kernel/irq-action';
import { IRQ_DOMAIN_FREE_BULK, type IrqDomain, type MsiMsg } from '../../kernel/irqdomain';
import type { Kernel } from '../../kernel/kernel';
import { msiCreateParentIrqDomain } from '../../kernel/msi-lib';
import type { MsiDomainInfo } from '../../kernel/msi-types';
import { pciMsiGetDeviceController } from '../../kernel/pci-msi-rid';
import { PciDev } from '../../kernel/device';
import { dtMachine, msiTargetOf, sharesDeviceId, type Arm64Firmware, type MsiTarget } from '../arm64-firmware';
import type { Delivery, PlatformInstance, PlatformModel, ResourceUsage, VectorRequest, VectorRoom } from '../platform';
import { roomIfFits } from '../platform';
import type { WiredBridgeHost, WiredBridgeKind } from '../wired';
import { GicV5Its, gicv5ItsMsiPrepare, gicv5ItsMsiTeardown, makeGicV5ItsChip, makeGicV5ItsDomainOps } from './gic-v5-its';
import { GicV5Irs, makeLpiChip, makeLpiDomainOps } from './gic-v5-lpi';
import { gicV5ItsMsiParentOps } from './its-msi-parent';
import { gicv5IwbInitBases, iwbWireRaise, type GicV5IwbChipData } from './iwb';
import { GIC_V5_PATCHES, GIC_V5_REVISIONS } from './revisions';

/** IRS_IDR2.ID_BITS: few enough LPIs that runs exhaust them. */
export const GICV5_NUM_LPIS = 512;
/** The IWBs' DeviceIDs on its1: 0x30000 + index. */
const IWB_DEVID_BASE = 0x30000;
const IWB_WIRES = 32;
const ITS_FRAMES: Record<string, number> = { its0: 0x4004_0000, its1: 0x4006_0000 };

const IWB_KIND: WiredBridgeKind = { kind: 'iwb', wires: IWB_WIRES, firstWire: 0, lastWire: IWB_WIRES - 1, max: 2, removable: false };

export class GicV5Platform implements PlatformInstance, WiredBridgeHost {
  readonly irs: GicV5Irs;
  readonly lpiDomain: IrqDomain;
  readonly itses = new Map<string, GicV5Its>();
  readonly firmware: Arm64Firmware = dtMachine('its1', IWB_DEVID_BASE);
  readonly iwbs = new Map<PlatformDevice, GicV5IwbChipData>();
  readonly wiredBridgeKinds: readonly WiredBridgeKind[] = [IWB_KIND];

  constructor(readonly kernel: Kernel) {
    const k = kernel;
    // gicv5_init_lpis() / gicv5_init_lpi_domain()
    this.irs = new GicV5Irs(GICV5_NUM_LPIS, 5);
    // exhaust(LPI): alloc_lpi() reads the mark
    k.faults.registerPool('LPI', () => () => undefined);
    this.lpiDomain = k.irqs.createDomain('GICv5-LPI', null, makeLpiDomainOps(this.irs, makeLpiChip(this.irs)), null, 0, 'ANY');
    // gicv5_its_of_probe() -> gicv5_its_init_bases() -> gicv5_its_init_domain(), per ITS node
    const fwv = {
      fw: this.firmware.fw,
      translateFrame: (c: string) => ITS_FRAMES[c] ?? null,
      platformMsiInfo: (dev: PlatformDevice) => this.firmware.platformTarget(dev),
    };
    const pops = gicV5ItsMsiParentOps(fwv);
    const chip = makeGicV5ItsChip();
    for (const [name, frame] of Object.entries(ITS_FRAMES)) {
      const its = new GicV5Its(name, frame, 20, 11);
      const info: MsiDomainInfo = {
        flags: 0,
        bus_token: 'NEXUS',
        hwsize: 0,
        ops: { msi_prepare: (kk, domain, _dev, nvec, arg) => gicv5ItsMsiPrepare(kk, domain, nvec, arg), msi_teardown: gicv5ItsMsiTeardown },
        chip,
        chip_data: null,
        data: its,
        alloc_data: null,
      };
      its.domain = msiCreateParentIrqDomain(k, `ITS-v5-${name}`, this.lpiDomain, makeGicV5ItsDomainOps(this.irs, chip), info, pops);
      // The bulk-free proposal has the ITS ask for whole-range frees, as the GICv3 ITS does
      if (k.applied('87350178tl')) its.domain.flags |= IRQ_DOMAIN_FREE_BULK;
      this.itses.set(name, its);
    }
  }

  private itsDomain(controller: string): IrqDomain | null {
    return this.itses.get(controller)?.domain ?? null;
  }

  /**
   * pci_set_msi_domain(): the msi-map's controller (pci_msi_get_device_domain()), else the host
   * bridge's; platform devices and bridges: their msi-parent
   */
  msiParentFor(dev: Device): IrqDomain | null {
    if (dev instanceof PciDev) return this.itsDomain(pciMsiGetDeviceController(this.firmware.fw, dev) ?? this.firmware.defaultController);
    return this.itsDomain(this.firmware.platformTarget(dev as PlatformDevice).controller);
  }

  /** The ITS translation: the frame's ITS, the writer's DeviceID -> DTE -> ITT -> LPI -> IRS target */
  deliver(dev: Device, msg: MsiMsg): Delivery {
    const addr = msg.addressHi * 2 ** 32 + msg.addressLo;
    const its = [...this.itses.values()].find((i) => i.translateFrame === addr);
    if (its === undefined) return { blocked: `write to ${addr.toString(16)} is no ITS translate frame` };
    const t = msiTargetOf(this.firmware, dev);
    if (t.controller !== its.name) return { blocked: `${dev.name}'s writes reach ${its.name} with no DeviceID the firmware gives (its DeviceID is on ${t.controller})` };
    const itt = its.deviceTable.get(t.deviceId);
    if (itt === undefined) return { blocked: `DeviceID 0x${t.deviceId.toString(16)} has no valid DTE on ${its.name}` };
    const lpi = itt.entries.get(msg.data);
    if (lpi === undefined) return { blocked: `EventID ${msg.data} of DeviceID 0x${t.deviceId.toString(16)} has no valid ITTE` };
    const irq = this.kernel.irqs.findMapping(this.lpiDomain, lpi);
    if (irq === 0) return { blocked: `LPI ${lpi} has no Linux irq` };
    const cpu = this.irs.target.get(lpi);
    return cpu === undefined ? { irq } : { irq, cpu };
  }

  /** The controller and DeviceID of the device's MSI writes, as the firmware maps them (read-only view). */
  msiTarget(dev: Device): MsiTarget {
    return msiTargetOf(this.firmware, dev);
  }

  /** The capacity oracle (PlatformInstance.vectorRoom): all the vectors when headroom() says they fit. */
  vectorRoom(dev: Device, req: VectorRequest): VectorRoom {
    return roomIfFits(this.headroom(dev, req.nvec), req.nvec);
  }

  /** Room: an unshared DeviceID nobody registered, events within the ITS, LPIs free. */
  headroom(dev: Device, nvec: number): boolean {
    const t = msiTargetOf(this.firmware, dev);
    if (sharesDeviceId(this.firmware, dev, this.kernel.devices)) return false;
    const its = this.itses.get(t.controller);
    if (its === undefined || its.devices.has(t.deviceId)) return false;
    return this.irs.numLpis - this.irs.lpiIda.size >= nvec;
  }

  resources(): ResourceUsage[] {
    let devs = 0;
    let dtes = 0;
    for (const its of this.itses.values()) {
      devs += its.devices.size;
      dtes += its.deviceTable.size;
    }
    return [
      { pool: 'LPI', inUse: this.irs.lpiIda.size, baseline: 0 },
      { pool: 'gicv5_its_dev', inUse: devs, baseline: 0 },
      { pool: 'DTE', inUse: dtes, baseline: 0 },
    ];
  }

  // --- IWBs ---

  createWiredBridge(name: string): PlatformDevice {
    return new PlatformDevice(name, IWB_DEVID_BASE + Number(/\d+$/.exec(name)?.[0] ?? 0));
  }

  /** gicv5_iwb_device_probe() -> gicv5_iwb_init_bases(); msi-parent names its1 */
  probeWiredBridge(dev: PlatformDevice): number {
    dev.msiParent = this.msiParentFor(dev);
    const r = gicv5IwbInitBases(this.kernel, dev, IWB_WIRES);
    if (r.iwb !== null) this.iwbs.set(dev, r.iwb);
    return r.ret;
  }

  wiredFwspec(_dev: PlatformDevice, hwirq: number, type: number): number[] {
    return [hwirq, type];
  }

  raiseWire(dev: PlatformDevice, hwirq: number, origin: IrqOrigin): string {
    const iwb = this.iwbs.get(dev);
    const frame = ITS_FRAMES[this.firmware.platformTarget(dev).controller];
    return iwb === undefined || frame === undefined ? `${dev.name} has no IWB driver` : iwbWireRaise(this.kernel, iwb, hwirq, frame, origin);
  }
}

const FAULT_SITES: readonly FaultSite[] = [
  {
    name: 'alloc_lpi',
    class: 'resource',
    kernel: 'drivers/irqchip/irq-gic-v5.c: alloc_lpi() (ida_alloc_max(&lpi_ida)) from gicv5_irq_lpi_domain_alloc()',
    description: 'the LPI IDA has no free ID: -ENOSPC',
  },
  {
    name: 'gicv5_irs_iste_alloc',
    class: 'kmalloc',
    kernel: 'drivers/irqchip/irq-gic-v5-irs.c: gicv5_irs_iste_alloc() (kzalloc of a level-2 IST page)',
    description: 'the level-2 IST page a new LPI needs cannot be allocated: the LPI goes back to the IDA, -ENOMEM',
  },
  {
    name: 'gicv5_its_alloc_device',
    class: 'kmalloc',
    kernel: 'drivers/irqchip/irq-gic-v5-its.c: gicv5_its_alloc_device() (kzalloc of the gicv5_its_dev)',
    description: 'the ITS device of a new DeviceID cannot be allocated: msi_prepare fails, -ENOMEM',
  },
  {
    name: 'gicv5_its_create_itt',
    class: 'kmalloc',
    kernel: 'drivers/irqchip/irq-gic-v5-its.c: gicv5_its_create_itt_linear() / _two_level() from gicv5_its_alloc_device()',
    description: 'the device\'s ITT cannot be allocated: the ITS device is freed, -ENOMEM',
  },
  {
    name: 'bitmap_zalloc',
    class: 'kmalloc',
    kernel: 'drivers/irqchip/irq-gic-v5-its.c: gicv5_its_alloc_device() (bitmap_zalloc of event_map)',
    description: 'the event map of a new ITS device cannot be allocated: the ITT and the device are freed, -ENOMEM',
  },
  {
    name: 'gicv5_iwb_init_bases',
    class: 'kmalloc',
    kernel: 'drivers/irqchip/irq-gic-v5-iwb.c: gicv5_iwb_init_bases() from gicv5_iwb_device_probe()',
    description: 'the IWB\'s chip data cannot be allocated: the probe fails before its wired domain exists',
  },
];

const POOLS: readonly PoolSpec[] = [
  { name: 'LPI', perCpu: false, kernel: 'drivers/irqchip/irq-gic-v5.c: alloc_lpi()', description: 'the IRS LPI IDA has no free ID (IDs freed in the same command are not handed out again in it)' },
];

export const gicV5Platform: PlatformModel & { readonly wiredBridgeKinds: readonly WiredBridgeKind[] } = {
  name: 'gic-v5',
  title: 'ARM64 GICv5: IRS LPIs, two ITSes as MSI parents (DT msi-map), IWB wire bridges',
  patches: GIC_V5_PATCHES,
  revisions: GIC_V5_REVISIONS,
  currentRevision: 'v7.2',
  faultSites: FAULT_SITES,
  pools: POOLS,
  capabilities: { platformMsi: true, affinity: true, pciSegmentCount: 2 },
  wiredBridgeKinds: [IWB_KIND],
  boot: (k: Kernel) => new GicV5Platform(k),
};

export default gicV5Platform;
