// The GICv3 ITS platform: a GIC LPI root domain, one ITS node as MSI parent of every PCI
// and platform device, at the revisions in revisions.ts.
import type { Device } from '../../kernel/device';
import type { FaultSite, PoolSpec } from '../../kernel/faults';
import { IRQ_DOMAIN_FREE_BULK, type IrqDomain, type MsiMsg } from '../../kernel/irqdomain';
import type { Kernel } from '../../kernel/kernel';
import { createGicLpiDomain, GicLpiSpec } from './gic-lpi';
import { msiCreateParentIrqDomain } from '../../kernel/msi-lib';
import type { MsiDomainInfo } from '../../kernel/msi-types';
import type { Delivery, PlatformInstance, PlatformModel, RequesterKey, ResourceUsage, VectorRequest, VectorRoom } from '../platform';
import { auditUsage } from '../../kernel/audit';
import { ItsDevice, ItsNode, itsMsiPrepare, itsMsiTeardown, itsMsiTeardownV1, makeItsDomainOps, makeItsIrqChip } from './its';
import { gicV3ItsMsiParentOps, itsDeviceIdOf } from './its-msi-parent';
import { itsVectorRoom } from './room';
import { ITS_PATCHES, ITS_REVISIONS } from './revisions';

/** GICD_TYPER.IDbits = 14: 8192 LPIs, few enough that a fuzz run can exhaust them. */
export const ITS_LPI_ID_BITS = 14;
/** GITS_TYPER.Devbits + 1 */
export const ITS_DEVICE_BITS = 16;
const ITS_PHYS_BASE = 0x0808_0000;

export class ItsPlatform implements PlatformInstance {
  readonly its: ItsNode;
  readonly gicDomain: IrqDomain;
  readonly itsDomain: IrqDomain;

  constructor(readonly kernel: Kernel) {
    const k = kernel;
    this.gicDomain = createGicLpiDomain(k);
    this.its = new ItsNode(k, ITS_PHYS_BASE, ITS_DEVICE_BITS, ITS_LPI_ID_BITS);
    const info: MsiDomainInfo = {
      flags: 0,
      bus_token: 'NEXUS',
      hwsize: 0,
      ops: {
        msi_prepare: (kk, domain, _dev, nvec, arg) => itsMsiPrepare(kk, domain, nvec, arg),
      },
      chip: makeItsIrqChip(),
      chip_data: null,
      data: this.its,
      alloc_data: null,
    };
    // its_msi_domain_ops gains .msi_teardown with the teardown patch (or its first posting)
    if (k.applied('713335b6ee29')) info.ops.msi_teardown = itsMsiTeardown;
    else if (k.applied('713335b6ee29-v1')) info.ops.msi_teardown = itsMsiTeardownV1;
    this.itsDomain = msiCreateParentIrqDomain(
      k,
      'ITS',
      this.gicDomain,
      makeItsDomainOps((lpi) => new GicLpiSpec(lpi), info.chip),
      info,
      gicV3ItsMsiParentOps,
    );
    this.its.domain = this.itsDomain;
    k.faults.registerPool('LPI', () => this.its.lpis.drain());
    // The bulk-free proposal has the ITS ask for whole-range frees (its event blocks are power-of-two regions)
    if (k.applied('87350178tl')) this.itsDomain.flags |= IRQ_DOMAIN_FREE_BULK;
  }

  msiParentFor(): IrqDomain {
    return this.itsDomain;
  }

  resources(): ResourceUsage[] {
    return auditUsage(this.kernel, ['its_device', 'itt', 'lpi_map', 'col_map']);
  }

  vectorRoom(dev: Device, req: VectorRequest): VectorRoom {
    return itsVectorRoom(this.its, dev, req);
  }

  /** The ITS level's its_device: its DeviceID is what the ITS finds a write's ITT by. */
  requesterKey(_dev: Device, irq: number): RequesterKey | null {
    for (let d = this.kernel.irqs.desc(irq)?.irqData ?? null; d !== null; d = d.parentData) {
      if (d.domain !== this.itsDomain || !(d.chipData instanceof ItsDevice)) continue;
      const itsDev = d.chipData;
      return { key: itsDev, what: `its_device ${itsDev.deviceId.toString(16)}`, accepts: (r) => r === itsDev.deviceId };
    }
    return null;
  }

  // The ITS translation: DeviceID (from the bus) + EventID (the data) -> ITT -> LPI -> irq
  deliver(dev: Device, msg: MsiMsg): Delivery {
    const addr = msg.addressHi * 2 ** 32 + msg.addressLo;
    if (addr !== this.its.translater) return { blocked: `write to ${addr.toString(16)} is not the ITS doorbell` };
    const devId = itsDeviceIdOf(dev);
    const dt = this.its.hwDeviceTable.get(devId);
    if (dt === undefined) return { blocked: `DeviceID ${devId.toString(16)} has no valid MAPD` };
    const ite = dt.events.get(msg.data);
    if (ite === undefined) return { blocked: `EventID ${msg.data} of DeviceID ${devId.toString(16)} is not mapped` };
    const irq = this.kernel.irqs.findMapping(this.gicDomain, ite.lpi);
    if (irq === 0) return { blocked: `LPI ${ite.lpi} has no Linux irq` };
    // The ITE's collection: the redistributor (CPU) the LPI becomes pending at
    return { irq, cpu: ite.col };
  }
}

/** The ITS driver's fault sites (the server machines run the same code, their own sites on top). */
export const ITS_FAULT_SITES: readonly FaultSite[] = [
  {
    name: 'alloc_lpi_range',
    class: 'resource',
    kernel: 'drivers/irqchip/irq-gic-v3-its.c: alloc_lpi_range() from its_lpi_alloc()',
    description: 'the LPI allocator has no free range of the requested size (its_lpi_alloc halves and retries)',
  },
  {
    name: 'its_alloc_device_table',
    class: 'kmalloc',
    kernel: 'drivers/irqchip/irq-gic-v3-its.c: its_alloc_table_entry() from its_create_device()',
    description: 'the second-level device table page for a DeviceID not seen before cannot be allocated: its_create_device() returns NULL, -ENOMEM',
  },
  {
    name: 'itt_alloc_pool',
    class: 'kmalloc',
    kernel: 'drivers/irqchip/irq-gic-v3-its.c: itt_alloc_pool() from its_create_device()',
    description: 'the ITT allocation in its_create_device() fails (the LPI range it got stays allocated)',
  },
  {
    name: 'its_device',
    class: 'kmalloc',
    kernel: 'drivers/irqchip/irq-gic-v3-its.c: its_create_device() (kzalloc of the its_device)',
    description: 'the its_device allocation fails; the ITT, LPI map and collection map are freed, the LPI range stays allocated',
  },
  {
    name: 'bitmap_zalloc',
    class: 'kmalloc',
    kernel: 'drivers/irqchip/irq-gic-v3-its.c: its_lpi_alloc()',
    description: 'the event bitmap allocation in its_lpi_alloc() fails (the LPI range stays allocated)',
  },
  {
    name: 'col_map',
    class: 'kmalloc',
    kernel: 'drivers/irqchip/irq-gic-v3-its.c: its_create_device() (kzalloc of col_map)',
    description: 'the collection map allocation fails; the rest is freed, the LPI range stays allocated',
  },
  {
    name: 'iommu_dma_prepare_msi',
    class: 'kmalloc',
    kernel: 'drivers/iommu/iommu.c: iommu_dma_prepare_msi() from its_irq_domain_alloc()',
    description: 'a device behind an IOMMU with a DMA domain: the doorbell page mapping (allocated on the device\'s first MSI) cannot be made; its_irq_domain_alloc() returns without releasing the event region it took',
  },
  {
    name: 'mk_lpi_range',
    class: 'kmalloc',
    kernel: 'drivers/irqchip/irq-gic-v3-its.c: free_lpi_range() from its_lpi_free()',
    description: 'freeing LPIs allocates a list entry; when that fails its_lpi_free() WARNs and the range is never given back',
  },
];

export const ITS_POOLS: readonly PoolSpec[] = [
  { name: 'LPI', perCpu: false, kernel: 'drivers/irqchip/irq-gic-v3-its.c: alloc_lpi_range()', description: 'the global LPI space has no free range (its_lpi_alloc() fails after halving down to one)' },
];

export const gicV3ItsPlatform: PlatformModel = {
  name: 'gic-v3-its',
  title: 'ARM64 GICv3 ITS (PCI and platform MSI)',
  patches: ITS_PATCHES,
  revisions: ITS_REVISIONS,
  currentRevision: 'v6.18',
  faultSites: ITS_FAULT_SITES,
  pools: ITS_POOLS,
  capabilities: { platformMsi: true, affinity: true },
  boot: (k: Kernel) => new ItsPlatform(k),
};

export default gicV3ItsPlatform;
