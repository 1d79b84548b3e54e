// The RISC-V AIA platform: one IMSIC (an interrupt file per hart) as the MSI parent of PCI and
// platform devices, and APLICs in MSI mode whose wired sources consumers map through the
// APLIC's wire-to-MSI device domain. Four harts, 63 identities per interrupt file.
import { PciDev, PlatformDevice, type Device } from '../../kernel/device';
import { msiGetDeviceDomain, msiStore } from '../../kernel/msi';
import { MSI_DEFAULT_DOMAIN } from '../../kernel/msi-desc';
import { pciIrqVector } from '../../kernel/pci-msi';
import type { FaultSite, PoolSpec } from '../../kernel/faults';
import type { IrqOrigin } from '../../kernel/irq-action';
import type { InterruptFabric } from '../../kernel/irq-fabric';
import type { IrqData, IrqDomain, MsiMsg } from '../../kernel/irqdomain';
import type { Kernel } from '../../kernel/kernel';
import { msiCreateParentIrqDomain } from '../../kernel/msi-lib';
import { KernelOops } from '../../kernel/report';
import { irqCanMovePcntxt } from '../../kernel/chip-call';
import type { ArchCpuHotplug } from '../../kernel/cpuhotplug';
import type { Delivery, PlatformInstance, PlatformModel, ResourceUsage, VectorRequest, VectorRoom } from '../platform';
import { roomIfFits } from '../platform';
import type { WiredBridgeHost, WiredBridgeKind } from '../wired';
import { aplicMsiSetup, aplicSourceRaise, type AplicPriv } from './aplic-msi';
import { ImsicFabric, imsicCpuHotplug, imsicStartingCpu, onCpu } from './imsic-early';
import { imsicMsiParentOps, makeImsicChip, makeImsicDomainOps, type ImsicDriver } from './imsic-platform';
import { ImsicPriv, imsicLocalTimerCallback, type ImsicVector } from './imsic-state';
import { RISCV_AIA_PATCHES, RISCV_AIA_REVISIONS } from './revisions';

/** riscv,num-ids: the smallest interrupt file the binding allows (IMSIC_MIN_ID), so runs exhaust it. */
export const IMSIC_NR_IDS = 63;
/** The interrupt files' base: one 4 KiB page per hart (no guest files). */
const IMSIC_BASE = 0x2800_0000;
/** riscv,num-sources of the APLICs. */
export const APLIC_NR_IRQS = 31;

const APLIC_KIND: WiredBridgeKind = { kind: 'aplic', wires: APLIC_NR_IRQS + 1, firstWire: 1, lastWire: APLIC_NR_IRQS, max: 2, removable: true };

export class RiscvAiaPlatform implements PlatformInstance, WiredBridgeHost {
  readonly imsic: ImsicPriv;
  readonly drv: ImsicDriver;
  readonly baseDomain: IrqDomain;
  readonly fabric: ImsicFabric;
  private readonly hotplug: ArchCpuHotplug;
  /** The APLICs probed, by device. */
  readonly aplics = new Map<PlatformDevice, AplicPriv>();
  readonly wiredBridgeKinds: readonly WiredBridgeKind[] = [APLIC_KIND];

  constructor(readonly kernel: Kernel) {
    const k = kernel;
    // imsic_early_probe() -> imsic_setup_state()
    this.imsic = new ImsicPriv(k, IMSIC_NR_IDS, IMSIC_BASE);
    k.faults.registerPool('imsic-identity', (cpu) => this.imsic.matrix.drain(cpu ?? 0));
    const drv: ImsicDriver = {
      k,
      imsic: this.imsic,
      irqData: (irq) => k.irqs.desc(irq)?.irqData ?? null,
      canMoveInProcessContext: (d) => canMoveInProcessContext(k, d),
      writeMsi: (cpu, id, origins) => void this.fabric.latch(cpu, id, origins),
      raisedFor: (o, irq) => originIrq(k, o) === irq,
    };
    this.drv = drv;
    this.fabric = new ImsicFabric(drv, () => this.baseDomain);
    // imsic_platform_probe() -> imsic_irqdomain_init()
    const chip = makeImsicChip(drv);
    this.baseDomain = msiCreateParentIrqDomain(k, 'IMSIC', null, makeImsicDomainOps(drv, chip), this.imsic, imsicMsiParentOps);
    this.hotplug = imsicCpuHotplug(drv, () => this.baseDomain);
    // cpuhp_setup_state(CPUHP_AP_IRQ_RISCV_IMSIC_STARTING): imsic_starting_cpu() on every online CPU
    for (const cpu of k.onlineCpus()) imsicStartingCpu(drv, cpu);
  }

  msiParentFor(): IrqDomain {
    return this.baseDomain;
  }

  interruptFabric(): InterruptFabric {
    return this.fabric;
  }

  archCpuHotplug(): ArchCpuHotplug {
    return this.hotplug;
  }

  /** The vector an identity message (address, data) names, with its CPU. */
  private vectorAt(msg: MsiMsg): { vec: ImsicVector; cpu: number } | { blocked: string } {
    const addr = msg.addressHi * 2 ** 32 + msg.addressLo;
    const cpu = this.imsic.cpuOfAddress(addr);
    if (cpu < 0) return { blocked: `write to ${addr.toString(16)} is no interrupt file` };
    const vec = this.imsic.lpriv[cpu]?.vectors[msg.data];
    if (vec === undefined || msg.data === 0) return { blocked: `identity ${msg.data} is not implemented` };
    return { vec, cpu };
  }

  /** The IMSIC translation: the interrupt file's hart and the identity it holds */
  deliver(_dev: Device, msg: MsiMsg): Delivery {
    const at = this.vectorAt(msg);
    if ('blocked' in at) return at;
    if (at.vec.irq === 0) return { blocked: `CPU ${at.cpu} identity ${msg.data} is free` };
    return { irq: at.vec.irq, cpu: at.cpu };
  }

  /** The capacity oracle (PlatformInstance.vectorRoom): all the vectors when headroom() says they fit. */
  vectorRoom(dev: Device, req: VectorRequest): VectorRoom {
    return roomIfFits(this.headroom(dev, req.nvec), req.nvec);
  }

  /** The identities free on online CPUs: each vector is one identity on the best CPU (irq_matrix_alloc). */
  headroom(_dev: Device, nvec: number): boolean {
    let free = 0;
    for (const cpu of this.kernel.onlineCpus()) free += this.imsic.matrix.maps[cpu]?.available ?? 0;
    return free >= nvec;
  }

  /**
   * Identities held, less the old vectors of moves whose cleanup is queued (their CPU is dirty
   * for them: its next sync frees them), which the lazy sync gives back on its own.
   */
  resources(): ResourceUsage[] {
    let held = 0;
    this.imsic.matrix.maps.forEach((cm) => (held += cm.allocated));
    let queued = 0;
    for (const lp of this.imsic.lpriv) for (const v of lp.vectors) if ((v.moveNext !== null || v.freeQueued) && lp.dirty.has(v.localId)) queued++;
    return [{ pool: 'IMSIC identity', inUse: held - queued, baseline: 0 }];
  }

  // --- APLIC bridges ---

  createWiredBridge(name: string): PlatformDevice {
    return new PlatformDevice(name, 0);
  }

  /** aplic_probe() -> aplic_msi_setup(): the MSI parent is the IMSIC (of_msi_configure) */
  probeWiredBridge(dev: PlatformDevice): number {
    dev.msiParent = this.baseDomain;
    const r = aplicMsiSetup(this.kernel, dev, APLIC_NR_IRQS, this.imsic);
    if (r.priv !== null) this.aplics.set(dev, r.priv);
    dev.devres.push({ name: 'aplic remove', release: () => this.aplics.delete(dev) });
    return r.ret;
  }

  /** DT interrupts = <source IRQ_TYPE_*> with the APLIC as interrupt-parent */
  wiredFwspec(_dev: PlatformDevice, hwirq: number, type: number): number[] {
    return [hwirq, type];
  }

  /** imsic_local_timer_callback() on `cpu`, if its timer is armed; what it did. */
  localTimerCallback(cpu: number): string {
    const lpriv = this.imsic.lpriv[cpu];
    if (lpriv === undefined || !lpriv.timerPending) return 'no IMSIC timer armed';
    const dirty = [...lpriv.dirty].sort((a, b) => a - b);
    onCpu(this.kernel, cpu, () => imsicLocalTimerCallback(this.drv, cpu));
    return `IMSIC timer: synced identities ${dirty.join(',') || 'none'}${lpriv.timerPending ? ' (a move elsewhere is not done yet: armed again)' : ''}`;
  }

  raiseWire(dev: PlatformDevice, hwirq: number, origin: IrqOrigin): string {
    const priv = this.aplics.get(dev);
    return priv === undefined ? `${dev.name} has no APLIC driver` : aplicSourceRaise(this.kernel, priv, hwirq, origin);
  }
}

/** The Linux irq of the device vector an interrupt was raised on (its MSI-X/MSI vector, platform MSI index or wire), or 0. */
function originIrq(k: Kernel, o: IrqOrigin): number {
  const dev = k.devices.find((d) => d.name === o.dev && !d.removed);
  if (dev === undefined) return 0;
  if (dev instanceof PciDev) return Math.max(0, pciIrqVector(dev, o.vec));
  const domain = msiGetDeviceDomain(dev, MSI_DEFAULT_DOMAIN);
  if (domain !== null && domain.busToken === 'WIRED_TO_MSI') return k.irqs.findMapping(domain, o.vec);
  return msiStore(dev, MSI_DEFAULT_DOMAIN)?.get(o.vec)?.irq ?? 0;
}

/**
 * irq_can_move_in_process_context(): !IRQCHIP_MOVE_DEFERRED on the top chip of the irq's
 * descriptor; irq_data_to_desc(NULL) oopses as in C.
 */
function canMoveInProcessContext(k: Kernel, d: IrqData | null): boolean {
  if (d === null) throw new KernelOops('irq_can_move_in_process_context', 'NULL pointer dereference (irq_data_to_desc(NULL)->irq)');
  const top = k.irqs.desc(d.irq)?.irqData;
  if (top === undefined) throw new KernelOops('irq_can_move_in_process_context', `irq ${d.irq} has no descriptor`);
  return irqCanMovePcntxt(top);
}

const FAULT_SITES: readonly FaultSite[] = [
  {
    name: 'irq_matrix_alloc',
    class: 'resource',
    kernel: 'kernel/irq/matrix.c: irq_matrix_alloc() from imsic_vector_alloc() (drivers/irqchip/irq-riscv-imsic-state.c)',
    description: 'no free identity on the CPUs of the mask: an allocation fails with -ENOSPC, an affinity move keeps the old vector; not injected during the CPU hot-unplug migration (drain a CPU with exhaust(imsic-identity, cpu=N) there)',
  },
  {
    name: 'aplic_msi_setup',
    class: 'kmalloc',
    kernel: 'drivers/irqchip/irq-riscv-aplic-msi.c: aplic_msi_setup() (devm_kzalloc of the aplic_priv) from aplic_probe()',
    description: 'the APLIC\'s private data cannot be allocated: the probe fails before its wired domain exists',
  },
];

const POOLS: readonly PoolSpec[] = [
  {
    name: 'imsic-identity',
    perCpu: true,
    kernel: 'kernel/irq/matrix.c: matrix_find_best_cpu(), irq_matrix_alloc() from imsic_vector_alloc()',
    description: 'CPU N\'s interrupt file has no free identity (held by interrupts outside the model): allocations and moves go to other CPUs of the mask or fail with -ENOSPC',
  },
];

export const riscvAiaPlatform: PlatformModel & { readonly wiredBridgeKinds: readonly WiredBridgeKind[] } = {
  name: 'riscv-aia',
  title: 'RISC-V AIA: IMSIC interrupt files as MSI parent, APLIC in MSI mode',
  patches: RISCV_AIA_PATCHES,
  revisions: RISCV_AIA_REVISIONS,
  currentRevision: 'v7.2',
  faultSites: FAULT_SITES,
  pools: POOLS,
  capabilities: { platformMsi: true, affinity: true },
  wiredBridgeKinds: [APLIC_KIND],
  boot: (k: Kernel) => new RiscvAiaPlatform(k),
};

export default riscvAiaPlatform;
