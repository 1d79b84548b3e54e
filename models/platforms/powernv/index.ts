// The powernv platform (bare-metal POWER9/10 on OPAL): native XIVE over skiboot, one PNV-MSI
// parent per PHB over its msi_bmp, and the non-MSI users of the OPAL IRQ allocator (per-CPU
// IPIs at boot, KVM XIVE devices as commands), at the revisions in revisions.ts.
import { getCountOrder } from '../../kernel/bitmap';
import { PciDev, type Device } from '../../kernel/device';
import type { FaultSite, PoolSpec } from '../../kernel/faults';
import { drainBitmap } from '../../kernel/bitmap';
import type { IrqDomain, MsiMsg } from '../../kernel/irqdomain';
import type { Kernel } from '../../kernel/kernel';
import { msiCreateParentIrqDomain } from '../../kernel/msi-lib';
import type { Delivery, PlatformInstance, PlatformModel, ResourceUsage, VectorRequest, VectorRoom } from '../platform';
import { auditUsage } from '../../kernel/audit';
import { XIVE_COMMON_PATCHES } from '../powerpc-common/patches';
import { createXiveDomain } from '../powerpc-common/xive';
import { kvmppcXiveNativeCreate, kvmppcXiveNativeRelease, kvmppcXiveNativeSetSource, type KvmXiveNativeDevice } from './kvm-xive-native';
import { msiBitmapAlloc, msiBitmapPool, type MsiBitmap } from './msi-bitmap';
import { PnvPhb, pnvIodaPeNumber, pnvIrqDomainOps, pnvMsiIrqChip, pnvMsiParentOps } from './pci-ioda';
import { POWERNV_PATCHES, POWERNV_PATCH_POOL, POWERNV_REVISIONS } from './revisions';
import { Skiboot } from './skiboot';
import { XiveFabric } from '../powerpc-common/xive-fabric';
import { xiveArchCpuHotplug } from '../powerpc-common/xive-hotplug';
import type { ArchCpuHotplug } from '../../kernel/cpuhotplug';
import { XiveCpus } from '../powerpc-common/xive-cpu';
import type { InterruptFabric } from '../../kernel/irq-fabric';
import { opalIrqPool, XiveNative, xiveNativeAllocIrq, xiveNativeFreeIrq, xiveNativeGetIpi, xiveNativeOps } from './xive-native';

export interface PowernvConfig {
  readonly nrChips: number;
  /** IPIs each chip's XIVE can hand out (int_hw_bot - int_ipi_top). */
  readonly ipisPerChip: number;
  /** ibm,opal-msi-ranges count of each PHB (PHB i sits on chip i % nrChips). */
  readonly phbMsiCounts: readonly number[];
}

/** Small pools so a fuzz run reaches exhaustion: 8 IPIs per chip, 64 MSIs per PHB. */
export const DEFAULT_POWERNV_CONFIG: PowernvConfig = { nrChips: 2, ipisPerChip: 8, phbMsiCounts: [64, 64] };

export class PowernvPlatform implements PlatformInstance {
  readonly fw: Skiboot;
  readonly xive: XiveNative;
  readonly xiveDomain: IrqDomain;
  readonly phbs: PnvPhb[] = [];
  /** Live KVM XIVE-native devices (created by kvmppcXiveNativeCreate). */
  readonly kvmDevices: KvmXiveNativeDevice[] = [];
  /** OPAL IPIs taken at boot (one per CPU). */
  readonly bootIpis: number;
  /** Linux's per-CPU XIVE state (xive_cpu). */
  readonly xiveCpus: XiveCpus;

  constructor(
    readonly kernel: Kernel,
    readonly config: PowernvConfig = DEFAULT_POWERNV_CONFIG,
  ) {
    const k = kernel;
    if (!k.applied('f0ac60e6e311')) {
      // ≤ v6.17 used a global PCI/MSI domain per PHB, which the core model does not implement.
      throw new Error('powernv: a revision without the MSI parent conversion (f0ac60e6e311) is not modelled');
    }
    this.fw = new Skiboot(k, config.nrChips, config.ipisPerChip, config.phbMsiCounts);
    this.xive = new XiveNative(this.fw, k);
    k.audit.register(opalIrqPool(this.xive));
    this.xiveCpus = new XiveCpus(this.fw.presenter, k.nrCpus);
    // xive_native_init() -> xive_core_init()
    this.xiveDomain = createXiveDomain(k, xiveNativeOps(this.xive), this.xiveCpus, (cpu) => cpu % config.nrChips);
    // xive_prepare_cpu() for every CPU: its IPI on its chip
    for (let cpu = 0; cpu < k.nrCpus; cpu++) xiveNativeGetIpi(k, this.xive, cpu, cpu % config.nrChips);
    this.bootIpis = this.fw.allocatedIpis();
    for (const opal of this.fw.phbs) {
      // pnv_pci_init_ioda_msis(): msi_bitmap_alloc() over ibm,opal-msi-ranges, then the domain
      const bmp = msiBitmapAlloc(opal.msiCount) as MsiBitmap;
      k.audit.register(msiBitmapPool(k, bmp, `msi_bmp:PHB${opal.opalId}`));
      const phb = new PnvPhb(this.fw, opal, bmp);
      phb.devDomain = msiCreateParentIrqDomain(k, `PNV-MSI-${opal.opalId}`, this.xiveDomain, pnvIrqDomainOps(pnvMsiIrqChip()), phb, pnvMsiParentOps);
      this.phbs.push(phb);
    }
    k.faults.registerPool('msi_bmp', () => {
      const releases = this.phbs.map((p) => drainBitmap(p.msiBmp.bitmap));
      return () => releases.forEach((r) => r());
    });
  }

  phbFor(dev: PciDev): PnvPhb {
    return this.phbs[(dev.rid >> 8) % this.phbs.length] as PnvPhb;
  }

  msiParentFor(dev: Device): IrqDomain | null {
    return dev instanceof PciDev ? this.phbFor(dev).devDomain : null;
  }

  resources(): ResourceUsage[] {
    return auditUsage(this.kernel, ['xive_irq_data', 'ioremap', 'kvmppc_xive']);
  }

  // PHB MSI window; data = xive_num, validated against the PE OPAL routed it to; XIVE source
  // msi_base + xive_num; its Linux irq through the XIVE domain's reverse map.
  deliver(dev: Device, msg: MsiMsg): Delivery {
    const r = this.msiWrite(dev, msg);
    if ('blocked' in r) return r;
    const irq = this.kernel.irqs.findMapping(this.xiveDomain, r.girq);
    if (irq === 0) return { blocked: `XIVE source ${r.girq} has no Linux irq` };
    return { irq };
  }

  /** The PHB's MSI window: which XIVE source a device's MSI write triggers. */
  msiWrite(dev: Device, msg: MsiMsg): { girq: number } | { blocked: string } {
    if (!(dev instanceof PciDev)) return { blocked: `${dev.name} is not a PCI device` };
    const addr = msg.addressHi * 2 ** 32 + msg.addressLo;
    const phb = this.phbs.find((p) => p.opal.msiAddr === addr);
    if (phb === undefined) return { blocked: `write to ${addr.toString(16)} is not a PHB MSI window` };
    if (msg.data >= phb.opal.msiCount) return { blocked: `MSI ${msg.data} beyond PHB${phb.opalId}'s range` };
    const pe = phb.opal.xivePe.get(msg.data);
    if (pe !== pnvIodaPeNumber(dev)) return { blocked: `MSI ${msg.data} not routed to PE ${pnvIodaPeNumber(dev)} (EEH freeze)` };
    return { girq: phb.msiBase + msg.data };
  }

  // pnv_smp_cpu_disable() / pseries_cpu_disable() -> xive_smp_disable_cpu()
  archCpuHotplug(): ArchCpuHotplug {
    return xiveArchCpuHotplug(this.kernel, this.xiveCpus, this.xiveDomain);
  }

  interruptFabric(): InterruptFabric {
    return new XiveFabric(this.kernel, this.fw, this.xiveCpus, (dev, msg) => this.msiWrite(dev, msg));
  }

  /**
   * What the PHB's msi_bmp gives (msi_bitmap_alloc_hwirqs() from pnv_irq_domain_alloc()): one
   * number per MSI-X vector, a shortfall retried with what was allocated; one aligned block for
   * multi-MSI, retried with one vector. Nothing else the path takes can run out.
   */
  vectorRoom(dev: Device, req: VectorRequest): VectorRoom {
    if (!(dev instanceof PciDev) || req.path === 'platform') return { sure: 0, most: 0 };
    const bmp = this.phbFor(dev).msiBmp;
    const free = bmp.irqCount - bmp.bitmap.weight();
    let n: number;
    if (req.path === 'msix') n = Math.min(req.nvec, free);
    else n = bmp.bitmap.findZeroArea(req.nvec, (1 << getCountOrder(req.nvec)) - 1) >= 0 ? req.nvec : free >= 1 ? 1 : 0;
    return { sure: n, most: n };
  }
}

// --- commands for the harness: the kernel-side users of OPAL_XIVE_ALLOCATE_IRQ ---

/** KVM_CREATE_DEVICE(KVM_DEV_TYPE_XIVE): kvmppc_xive_native_create(). */
export function kvmXiveCreate(p: PowernvPlatform): KvmXiveNativeDevice {
  return kvmppcXiveNativeCreate(p.kernel, p.kvmDevices);
}

/** KVM_SET_DEVICE_ATTR(KVM_DEV_XIVE_GRP_SOURCE, irq): may oops (KernelOops) on a bogus hw irq. */
export function kvmXiveSetSource(p: PowernvPlatform, xive: KvmXiveNativeDevice, irq: number): number {
  return kvmppcXiveNativeSetSource(p.kernel, p.xive, xive, irq);
}

/** close() of the KVM device fd: kvmppc_xive_native_release(). */
export function kvmXiveRelease(p: PowernvPlatform, xive: KvmXiveNativeDevice): void {
  kvmppcXiveNativeRelease(p.kernel, p.xive, p.kvmDevices, xive);
}

/** xive_native_alloc_irq() for another in-kernel user (OCXL, VAS): 0 on failure. */
export function xiveNativeAllocIrqCmd(p: PowernvPlatform, user: string): number {
  return xiveNativeAllocIrq(p.kernel, p.xive, user);
}

/** xive_native_free_irq() */
export function xiveNativeFreeIrqCmd(p: PowernvPlatform, hwIrq: number): void {
  xiveNativeFreeIrq(p.kernel, p.xive, hwIrq);
}

const FAULT_SITES: readonly FaultSite[] = [
  {
    name: 'opal_xive_get_irq_info',
    class: 'firmware',
    kernel: 'arch/powerpc/sysdev/xive/native.c: xive_native_populate_irq_data() from xive_irq_alloc_data()',
    description: 'OPAL_XIVE_GET_IRQ_INFO of a PHB MSI parent allocation returns OPAL_HARDWARE (-6): xive_irq_alloc_data() fails with -EINVAL',
  },
  {
    name: 'opal_xive_allocate_irq',
    class: 'firmware',
    kernel: 'arch/powerpc/sysdev/xive/native.c: xive_native_alloc_irq_on_chip()',
    description: 'OPAL_XIVE_ALLOCATE_IRQ returns OPAL_HARDWARE (-6)',
  },
  {
    name: 'opal_xive_set_irq_config',
    class: 'firmware',
    kernel: 'arch/powerpc/sysdev/xive/native.c: xive_native_configure_irq() from xive_irq_startup() / xive_irq_set_affinity()',
    description: 'OPAL_XIVE_SET_IRQ_CONFIG fails (-ENXIO): startup returns before unmasking the source, an affinity change keeps the old target',
  },
  {
    name: 'esb_ioremap',
    class: 'kmalloc',
    kernel: 'arch/powerpc/sysdev/xive/native.c: xive_native_populate_irq_data() (ioremap of the ESB page)',
    description: 'the ESB page of a PHB MSI source cannot be mapped: xive_irq_alloc_data() frees the data, -ENOMEM',
  },
  {
    name: 'xive_irq_alloc_data',
    class: 'kmalloc',
    kernel: 'arch/powerpc/sysdev/xive/common.c: xive_irq_alloc_data() from xive_irq_domain_alloc()',
    description: 'the kzalloc of the k-th xive_irq_data of one request fails with -ENOMEM',
  },
  {
    name: 'msi_bitmap_alloc_hwirqs',
    class: 'resource',
    kernel: 'arch/powerpc/sysdev/msi_bitmap.c: msi_bitmap_alloc_hwirqs() from pnv_irq_domain_alloc()',
    description: 'the PHB msi_bmp has no free aligned block',
  },
  {
    name: 'opal_pci_set_xive_pe',
    class: 'firmware',
    kernel: 'arch/powerpc/platforms/powernv/pci-ioda.c: __pnv_pci_ioda_msi_setup() from pnv_msi_compose_msg()',
    description: 'OPAL_PCI_SET_XIVE_PE fails while the message is composed: the failure is only logged and the message stays zero',
  },
  {
    name: 'opal_get_msi_64',
    class: 'firmware',
    kernel: 'arch/powerpc/platforms/powernv/pci-ioda.c: __pnv_pci_ioda_msi_setup() from pnv_msi_compose_msg()',
    description: 'OPAL_GET_MSI_64 fails while the message is composed: the failure is only logged and the message stays zero',
  },
];

const POOLS: readonly PoolSpec[] = [
  { name: 'msi_bmp', perCpu: false, kernel: 'arch/powerpc/sysdev/msi_bitmap.c: msi_bitmap_alloc_hwirqs()', description: 'every PHB\'s MSI bitmap is full' },
  { name: 'xive-queue', perCpu: true, kernel: 'arch/powerpc/sysdev/xive/common.c: xive_try_pick_target() from xive_find_target_in_mask()', description: 'CPU N\'s XIVE event queue takes no more interrupts: targets are picked elsewhere in the mask, or -ENXIO' },
];

export const powernvPlatform: PlatformModel = {
  name: 'powernv',
  title: 'powerpc powernv (OPAL PHB MSIs, native XIVE)',
  patches: [...XIVE_COMMON_PATCHES, ...POWERNV_PATCHES],
  revisions: POWERNV_REVISIONS,
  currentRevision: 'v6.18.y',
  faultSites: FAULT_SITES,
  pools: POOLS,
  capabilities: { platformMsi: false, affinity: true },
  boot: (k: Kernel) => new PowernvPlatform(k),
};

export { POWERNV_PATCH_POOL };
export default powernvPlatform;
