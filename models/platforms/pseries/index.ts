// The pseries platform (PowerVM/KVM LPAR): a spapr XIVE root domain, one pSeries-MSI parent
// per PHB, and the PAPR firmware (RTAS + hcalls) behind them, at the revisions in revisions.ts.
// Interrupts are presented by the hypervisor's XIVE (event queues, CPPR) as on powernv.
import { PciDev, type Device } from '../../kernel/device';
import type { FaultSite, PoolSpec } from '../../kernel/faults';
import type { IrqDomain, MsiMsg } from '../../kernel/irqdomain';
import type { Kernel } from '../../kernel/kernel';
import { msiCreateParentIrqDomain } from '../../kernel/msi-lib';
import type { Delivery, PlatformInstance, PlatformModel, ResourceUsage, VectorRequest, VectorRoom } from '../platform';
import { auditUsage } from '../../kernel/audit';
import { pseriesVectorRoom } from './room';
import { XIVE_COMMON_PATCHES } from '../powerpc-common/patches';
import { createXiveDomain } from '../powerpc-common/xive';
import { SpaprHypervisor, type HvFlavour } from './hypervisor';
import { PseriesPhb, pseriesIrqDomainOps, pseriesMsiIrqChip, pseriesMsiParentOps } from './msi';
import { PSERIES_PATCHES, PSERIES_PATCH_POOL, PSERIES_REVISIONS } from './revisions';
import { rtasMsiPool } from './rtas-msi';
import { xiveSpaprOps } from './xive-spapr';
import type { InterruptFabric } from '../../kernel/irq-fabric';
import { XiveCpus } from '../powerpc-common/xive-cpu';
import { XiveFabric } from '../powerpc-common/xive-fabric';
import { xiveArchCpuHotplug } from '../powerpc-common/xive-hotplug';
import type { ArchCpuHotplug } from '../../kernel/cpuhotplug';

export interface PseriesConfig {
  readonly flavour: HvFlavour;
  /** One entry per PHB: its BUID and ibm,pe-total-#msi. */
  readonly phbs: readonly { readonly buid: number; readonly totalMsi: number }[];
  /** ibm,req#msi / ibm,req#msi-x of a function; default: what its capabilities offer. */
  readonly slotProperties?: (dev: PciDev) => { reqMsi: number | null; reqMsix: number | null };
}

/** Two PHBs with 64 MSIs each: small enough for a fuzz run to exhaust quota and sources. */
export const DEFAULT_PSERIES_CONFIG: PseriesConfig = {
  flavour: 'phyp',
  phbs: [
    { buid: 0x800000020000000, totalMsi: 64 },
    { buid: 0x800000020000001, totalMsi: 64 },
  ],
};

function defaultSlotProperties(dev: PciDev): { reqMsi: number | null; reqMsix: number | null } {
  return { reqMsi: dev.msiCap > 0 ? dev.msiCap : null, reqMsix: dev.msixTableSize > 0 ? dev.msixTableSize : null };
}

export class PseriesPlatform implements PlatformInstance {
  readonly hv: SpaprHypervisor;
  readonly xiveDomain: IrqDomain;
  readonly phbs: PseriesPhb[] = [];
  /** Linux's per-CPU XIVE state (xive_cpu). */
  readonly xiveCpus: XiveCpus;

  constructor(
    readonly kernel: Kernel,
    readonly config: PseriesConfig = DEFAULT_PSERIES_CONFIG,
  ) {
    const k = kernel;
    if (!k.applied('daaa574aba6f') && !k.applied('daaa574aba6f-v1')) {
      // ≤ v6.17 used a global PCI/MSI domain per PHB, which the core model does not implement.
      throw new Error('pseries: a revision without the MSI parent conversion (daaa574aba6f) is not modelled');
    }
    this.hv = new SpaprHypervisor(config.flavour, k.nrCpus);
    k.audit.register(rtasMsiPool(k, this.hv));
    this.xiveCpus = new XiveCpus(this.hv.presenter, k.nrCpus);
    // xive_spapr_init() -> xive_core_init(): the default domain every PHB parent sits on; spapr
    // sources have no chip ID (XIVE_INVALID_CHIP_ID), so targets rotate over every CPU
    this.xiveDomain = createXiveDomain(k, xiveSpaprOps(this.hv), this.xiveCpus);
    for (const p of config.phbs) {
      const phb = new PseriesPhb(this.hv, this.hv.addPhb(p.buid, p.totalMsi));
      // pseries_msi_allocate_domains() -> __pseries_msi_allocate_domains()
      const chip = pseriesMsiIrqChip(this.hv);
      phb.devDomain = msiCreateParentIrqDomain(k, `pSeries-MSI-${phb.fw.index}`, this.xiveDomain, pseriesIrqDomainOps(chip), phb, pseriesMsiParentOps);
      this.phbs.push(phb);
    }
  }

  /** The PHB a function sits under: buses are spread over the PHBs. */
  phbFor(dev: PciDev): PseriesPhb {
    return this.phbs[(dev.rid >> 8) % this.phbs.length] as PseriesPhb;
  }

  // pcibios_add_device(): the function's device-tree node exists and the MSI domain is the PHB's
  msiParentFor(dev: Device): IrqDomain | null {
    if (!(dev instanceof PciDev)) return null;
    const phb = this.phbFor(dev);
    if (this.hv.slotOf(dev) === null) {
      const props = (this.config.slotProperties ?? defaultSlotProperties)(dev);
      this.hv.addSlot(dev, phb.fw, props.reqMsi, props.reqMsix);
    }
    return phb.devDomain;
  }

  resources(): ResourceUsage[] {
    // The PHBs' LISN pool: what the firmware holds against what the functions still in the
    // partition were given (a removed function's block goes back at DLPAR remove)
    let present = 0;
    for (const phb of this.hv.phbs) for (const s of phb.slots) if (!s.dev.removed) present += s.lisnCount;
    return [...auditUsage(this.kernel, ['pseries_msi_device', 'xive_irq_data', 'ioremap']), { pool: 'LISN', inUse: this.hv.lisnsHeld(), baseline: present }];
  }

  // DLPAR remove: the firmware takes the function's LISNs back once Linux has let it go
  afterDeviceRemove(dev: Device): void {
    if (dev instanceof PciDev) this.hv.dlparRemove(dev);
  }

  // The PHB's MSI window takes the write; data is the LISN; XIVE routes the source to the irq.
  deliver(dev: Device, msg: MsiMsg): Delivery {
    const r = this.msiWrite(dev, msg);
    if ('blocked' in r) return r;
    const irq = this.kernel.irqs.findMapping(this.xiveDomain, msg.data);
    if (irq === 0) return { blocked: `LISN ${msg.data} has no Linux irq` };
    return { irq };
  }

  /** The PHB's MSI window: which LISN a device's MSI write triggers. */
  msiWrite(dev: Device, msg: MsiMsg): { girq: number } | { blocked: string } {
    const addr = msg.addressHi * 2 ** 32 + msg.addressLo;
    const phb = this.hv.phbs.find((p) => p.msiWindow === addr);
    if (phb === undefined) return { blocked: `write to ${addr.toString(16)} is not a PHB MSI window` };
    const src = this.hv.sources.get(msg.data);
    if (src === undefined || !src.valid) return { blocked: `LISN ${msg.data} is not enabled in the firmware` };
    if (src.owner?.dev !== dev) return { blocked: `LISN ${msg.data} does not belong to ${dev.name} (EEH MSI validation)` };
    return { girq: msg.data };
  }

  // pnv_smp_cpu_disable() / pseries_cpu_disable() -> xive_smp_disable_cpu()
  archCpuHotplug(): ArchCpuHotplug {
    return xiveArchCpuHotplug(this.kernel, this.xiveCpus, this.xiveDomain);
  }

  interruptFabric(): InterruptFabric {
    return new XiveFabric(this.kernel, this.hv, this.xiveCpus, (dev, msg) => this.msiWrite(dev, msg));
  }

  vectorRoom(dev: Device, req: VectorRequest): VectorRoom {
    if (!(dev instanceof PciDev)) return { sure: 0, most: 0 };
    return pseriesVectorRoom(this.kernel, this.hv, dev, req);
  }
}

const FAULT_SITES: readonly FaultSite[] = [
  {
    name: 'rtas_call',
    class: 'firmware',
    kernel: 'arch/powerpc/platforms/pseries/msi.c: rtas_change_msi() / rtas_query_irq_number()',
    description: 'an RTAS call (ibm,change-msi or ibm,query-interrupt-source-number) returns -1 (hardware error)',
  },
  {
    name: 'plpar_hcall',
    class: 'firmware',
    kernel: 'arch/powerpc/sysdev/xive/spapr.c: plpar_int_get_source_info() from xive_spapr_populate_irq_data()',
    description: 'H_INT_GET_SOURCE_INFO returns H_HARDWARE (-1): the XIVE parent allocation of that LISN fails with -EINVAL',
  },
  {
    name: 'plpar_int_set_source_config',
    class: 'firmware',
    kernel: 'arch/powerpc/sysdev/xive/spapr.c: xive_spapr_configure_irq() from xive_irq_startup() / xive_irq_set_affinity()',
    description: 'H_INT_SET_SOURCE_CONFIG fails (-ENXIO): startup returns before unmasking the source, an affinity change keeps the old target',
  },
  {
    name: 'esb_ioremap',
    class: 'kmalloc',
    kernel: 'arch/powerpc/sysdev/xive/spapr.c: xive_spapr_populate_irq_data() (ioremap of the ESB page)',
    description: 'the ESB page of a LISN cannot be mapped: xive_irq_alloc_data() frees the data, -ENOMEM',
  },
  {
    name: 'xive_irq_alloc_data',
    class: 'kmalloc',
    kernel: 'arch/powerpc/sysdev/xive/common.c: xive_irq_alloc_data() from xive_irq_domain_alloc()',
    description: 'the kzalloc of the k-th xive_irq_data of one request fails with -ENOMEM',
  },
  {
    name: 'pseries_msi_device',
    class: 'kmalloc',
    kernel: 'arch/powerpc/platforms/pseries/msi.c: pseries_msi_ops_prepare() (c0215e2d72de)',
    description: 'the per-device quota record cannot be allocated: prepare fails with -ENOMEM, so does the device domain',
  },
];

const POOLS: readonly PoolSpec[] = [
  { name: 'xive-queue', perCpu: true, kernel: 'arch/powerpc/sysdev/xive/common.c: xive_try_pick_target() from xive_find_target_in_mask()', description: 'CPU N\'s XIVE event queue takes no more interrupts: targets are picked elsewhere in the mask, or -ENXIO' },
];

export const pseriesPlatform: PlatformModel = {
  name: 'pseries',
  title: 'powerpc pseries LPAR (RTAS MSIs, spapr XIVE)',
  patches: [...XIVE_COMMON_PATCHES, ...PSERIES_PATCHES],
  revisions: PSERIES_REVISIONS,
  currentRevision: 'v6.18.y',
  faultSites: FAULT_SITES,
  pools: POOLS,
  capabilities: { platformMsi: false, affinity: true },
  boot: (k: Kernel) => new PseriesPlatform(k),
};

export { PSERIES_PATCH_POOL };
export default pseriesPlatform;
