// An x86 machine with an Intel VMD (vmd.ts) bound at boot: everything of the underlying x86
// configuration, plus the VMD's PCI domain (functions of that segment get the VMD's MSI
// domain), the VMD's own vectors as platform-held interrupts, and the remap-and-demultiplex
// path (vmd-fabric.ts) in front of the local APICs.
import { PciDev, type Device } from '../../kernel/device';
import type { IrqDomain, MsiMsg } from '../../kernel/irqdomain';
import type { Kernel } from '../../kernel/kernel';
import type { InterruptFabric } from '../../kernel/irq-fabric';
import { pciIrqVector } from '../../kernel/pci-msi';
import type { Delivery, ResourceUsage, VectorRequest, VectorRoom } from '../platform';
import { roomIfFits } from '../platform';
import { X86Platform, type PlatformMessage, type X86Config } from './instance';
import { VmdDriver, VMD_MSI_PARENT, type VmdBypassInputs, type VmdConfig } from './vmd';
import { VmdFabric } from './vmd-fabric';

export class X86VmdPlatform extends X86Platform {
  readonly vmd: VmdDriver;
  private fabric: VmdFabric | null = null;

  constructor(kernel: Kernel, config: X86Config, vmdConfig: VmdConfig) {
    super(kernel, config);
    // The VMD endpoint is a function of segment 0 under the x86 parent (IR when remapping is on)
    this.vmd = new VmdDriver(kernel, vmdConfig, (dev) => super.msiParentFor(dev));
    // vmd_probe() at boot; a failure leaves the machine without the VMD domain
    kernel.faults.atBoot('vmd_probe', () => this.vmd.vmdProbe());
  }

  /**
   * pci_device_add(): a function of the VMD's domain gets the MSI domain of the VMD's root bus
   * (dev_set_msi_domain() there) and the bus's sysdata, which names the VMD (pci_real_dma_dev()).
   */
  override msiParentFor(dev: Device): IrqDomain | null {
    if (dev instanceof PciDev && dev.segment !== 0) {
      const domain = this.vmd.childDomain(dev.segment);
      if (domain !== null) dev.vmdDev = this.vmd.endpoint;
      return domain;
    }
    return super.msiParentFor(dev);
  }

  /** The local APICs, with the VMD's remapping and vmd_irq() in front (one instance: it holds raises). */
  override interruptFabric(): InterruptFabric {
    this.fabric ??= new VmdFabric(this.kernel, super.interruptFabric(), this.vmd);
    return this.fabric;
  }

  /**
   * A child's write selects a VMD vector (its list); the VMD's own message for that vector
   * must reach the VMD's irq, whose handler calls the children assigned to the list. In bypass
   * the write goes upstream as the VMD's (the x86 parent's message, the VMD's requester ID).
   */
  override deliver(dev: Device, msg: MsiMsg): Delivery {
    const vmd = this.vmd.vmd;
    if (vmd === null || !(dev instanceof PciDev) || dev.segment !== vmd.domainNr || this.vmd.bypassed()) return super.deliver(dev, msg);
    const list = this.vmd.remap(msg);
    if ('blocked' in list) return list;
    const entry = vmd.dev.msixTable[list.index];
    if (entry === null || entry === undefined) return { blocked: `VMD MSI-X entry ${list.index} is not programmed` };
    const own = super.deliver(vmd.dev, entry);
    if ('blocked' in own) return { blocked: `VMD vector ${list.index}: ${own.blocked}` };
    if (own.irq !== list.virq) return { blocked: `VMD vector ${list.index} reaches irq ${own.irq}, not the VMD's irq ${list.virq}` };
    return { irq: list.virq, cpu: own.cpu ?? 0, demux: [...list.assigned] };
  }

  /** The VMD's vectors are the platform's own (pinned, as DMAR and HPET interrupts are). */
  protected override platformIrqs(): number[] {
    const own = this.vmd.vmd?.irqs.map((l) => l.virq).filter((irq) => irq > 0) ?? [];
    return [...super.platformIrqs(), ...own];
  }

  override platformMessages(): PlatformMessage[] {
    const out = super.platformMessages();
    const vmd = this.vmd.vmd;
    if (vmd === null) return out;
    for (const list of vmd.irqs) {
      const e = vmd.dev.msixTable[list.index];
      if (e !== null && e !== undefined && this.kernel.irqs.desc(list.virq)?.irqData.activated === true) out.push({ dev: vmd.dev, irq: list.virq, msg: e });
    }
    return out;
  }

  override resources(): ResourceUsage[] {
    const out = super.resources();
    let vmdirqs = 0;
    for (const o of this.kernel.heap.liveObjects()) if (o.kind === 'vmd_irq') vmdirqs += 1;
    out.push({ pool: 'vmd_irq', inUse: vmdirqs, baseline: 0 });
    // vmd_next_irq() counts only the NVMe vectors after first_vec; every vmd_msi_free()
    // decrements, so the slow vector's u32 count wraps and is never read (not a pool)
    const vmd = this.vmd.vmd;
    if (vmd !== null) {
      const fast = vmd.irqs.slice(vmd.firstVec + 1).reduce((n, l) => n + l.count, 0);
      out.push({ pool: 'vmd_irq_list.count', inUse: vmd.msixCount === 1 + vmd.firstVec ? 0 : fast, baseline: 0 });
    }
    return out;
  }

  /**
   * The VMD domain's capacity: vmd_msi_prepare() lets 6.12 have no more irqs per allocation
   * than the VMD has vectors; since d7d8ab87e3e7 a child allocation takes only vmd_irq
   * memory. The VMD must be bound, and the child alone on its RID.
   */
  override vectorRoom(dev: Device, req: VectorRequest): VectorRoom {
    const vmd = this.vmd.vmd;
    if (!(dev instanceof PciDev) || dev.segment === 0) return super.vectorRoom(dev, req);
    const nvec = req.nvec;
    if (vmd === null || dev.segment !== vmd.domainNr || dev.removed || nvec < 1) return roomIfFits(false, nvec);
    for (const other of this.kernel.devices) if (other !== dev && !other.removed && other instanceof PciDev && other.segment === dev.segment && other.rid === dev.rid) return roomIfFits(false, nvec);
    // bypass: the x86 parent's vectors and the VMD's VT-d unit's IRTEs, as for any function
    if (this.vmd.bypassed()) return super.vectorRoom(dev, req);
    return roomIfFits(this.kernel.applied(VMD_MSI_PARENT) || nvec <= vmd.msixCount, nvec);
  }

  /** vmd_remove(): the children must be gone; the domain, then the VMD's own vectors. */
  vmdRemove(): number {
    const ret = this.vmd.vmdRemove();
    if (ret === 0) this.fabric?.reset();
    return ret;
  }

  /** vmd_probe() again (driver rebind), with the device's bypass inputs when given. */
  vmdProbe(inputs?: VmdBypassInputs): number {
    return this.vmd.vmdProbe(inputs);
  }

  /** The Linux irq of the VMD's vector `i` (for tests). */
  vmdVectorIrq(i: number): number {
    return pciIrqVector(this.vmd.endpoint, i);
  }
}
