// The ARM64 server machines: a GICv3 with two GICv4.1 ITSes sharing the LPI space, PCI segments
// whose requester IDs the firmware maps to a DeviceID on one ITS or the other (DT msi-map on one
// machine, ACPI IORT on the other: arm64-firmware.ts), HiSilicon MBIGENs in front of its1, and
// KVM guests whose vPE doorbells come from the ITS vPE domain. It runs the GICv3 ITS model of
// models/platforms/gic-v3-its/ (irq-gic-v3-its.c) on this machine: a second configuration of the
// same driver, not a second driver, so the one-ITS platform and its known bugs stay as they are.
import { IRQ_SET_MASK_OK_DONE } from '../../kernel/chip-call';
import { PciDev, PlatformDevice, type Device } from '../../kernel/device';
import { EINVAL } from '../../kernel/errno';
import type { FaultSite } from '../../kernel/faults';
import type { IrqOrigin } from '../../kernel/irq-action';
import { IRQ_DOMAIN_FREE_BULK, type IrqData, type IrqDomain, type MsiMsg } from '../../kernel/irqdomain';
import type { Kernel } from '../../kernel/kernel';
import { createGicLpiDomain, GicLpiSpec } from '../gic-v3-its/gic-lpi';
import { msiCreateParentIrqDomain } from '../../kernel/msi-lib';
import type { MsiDomainInfo } from '../../kernel/msi-types';
import { pciIrqVector } from '../../kernel/pci-msi';
import { pciMsiGetDeviceController } from '../../kernel/pci-msi-rid';
import { acpiMachine, dtMachine, msiTargetOf, sharesDeviceId, type Arm64Firmware, type MsiTarget } from '../arm64-firmware';
import { ItsNode, itsMsiPrepare, itsMsiTeardown, itsMsiTeardownV1, makeItsDomainOps, makeItsIrqChip, type ItsDevice } from '../gic-v3-its/its';
import { ITS_FAULT_SITES, ITS_POOLS } from '../gic-v3-its';
import { LpiRangeAllocator } from '../gic-v3-its/lpi-range';
import type { Delivery, PlatformInstance, PlatformModel, ResourceUsage, VectorRequest, VectorRoom } from '../platform';
import { roomIfFits } from '../platform';
import type { WiredBridgeHost, WiredBridgeKind } from '../wired';
import { itsMapVlpi, itsUnmapVlpi, vgicV4Init, vgicV4Teardown, type GicV4Env, type KvmVgicV4 } from './gic-v4';
import { gicV3ItsServerParentOps } from './its-msi-parent';
import { GicV4, makeItsVpeDomainOps, type ItsVpe } from './its-vpe';
import { MBIGEN_FIRST_PIN, mbigenPinRaise, mbigenProbe, type MbigenRegs } from './mbigen';
import { ITS_SERVER_PATCHES, ITS_SERVER_REVISIONS } from './revisions';

const ITS_FRAMES: Record<string, number> = { its0: 0x0808_0000, its1: 0x080a_0000 };
/** GICD_TYPER.IDbits = 14: 8192 LPIs for both ITSes. */
const LPI_ID_BITS = 14;
/** GITS_TYPER.Devbits + 1: room for the firmware's DeviceIDs (up to 0x4xxxx). */
const DEVICE_BITS = 20;
/** The MBIGENs' DeviceIDs on its1. */
const MBIGEN_DEVID_BASE = 0x40000;
/** num-pins of each MBIGEN interrupt controller child. */
const MBIGEN_PINS = 8;

const MBIGEN_KIND: WiredBridgeKind = { kind: 'mbigen', wires: MBIGEN_PINS, firstWire: MBIGEN_FIRST_PIN, lastWire: MBIGEN_FIRST_PIN + MBIGEN_PINS - 1, max: 2, removable: true };

export class ItsServerPlatform implements PlatformInstance, WiredBridgeHost {
  readonly gicDomain: IrqDomain;
  readonly lpis: LpiRangeAllocator;
  readonly itses = new Map<string, ItsNode>();
  readonly v4: GicV4;
  private readonly v4env: GicV4Env;
  /** KVM VMs with GICv4 state, by name. */
  readonly vms = new Map<string, KvmVgicV4>();
  readonly mbigens = new Map<PlatformDevice, MbigenRegs>();
  readonly wiredBridgeKinds: readonly WiredBridgeKind[] = [MBIGEN_KIND];

  constructor(
    readonly kernel: Kernel,
    readonly firmware: Arm64Firmware,
  ) {
    const k = kernel;
    this.gicDomain = createGicLpiDomain(k);
    // its_lpi_init(): one LPI allocator for every ITS
    this.lpis = new LpiRangeAllocator(k, (1 << LPI_ID_BITS) - 8192);
    // exhaust(LPI): the one LPI space every ITS and the vPE doorbells share
    k.faults.registerPool('LPI', () => this.lpis.drain());
    const view = {
      fw: this.firmware.fw,
      controllerOf: (domain: IrqDomain) => [...this.itses.entries()].find(([, its]) => its.domain === domain)?.[0] ?? '',
      platformMsiInfo: (dev: PlatformDevice) => this.firmware.platformTarget(dev),
    };
    const pops = gicV3ItsServerParentOps(view);
    for (const [name, base] of Object.entries(ITS_FRAMES)) {
      const its = new ItsNode(k, base, DEVICE_BITS, LPI_ID_BITS, this.lpis);
      const chip = makeItsIrqChip();
      const info: MsiDomainInfo = {
        flags: 0,
        bus_token: 'NEXUS',
        hwsize: 0,
        ops: { msi_prepare: (kk, domain, _dev, nvec, arg) => itsMsiPrepare(kk, domain, nvec, arg) },
        chip,
        chip_data: null,
        data: its,
        alloc_data: null,
      };
      if (k.applied('713335b6ee29')) info.ops.msi_teardown = itsMsiTeardown;
      else if (k.applied('713335b6ee29-v1')) info.ops.msi_teardown = itsMsiTeardownV1;
      its.domain = msiCreateParentIrqDomain(k, `ITS-${name}`, this.gicDomain, makeItsDomainOps((lpi) => new GicLpiSpec(lpi), chip), info, pops);
      if (k.applied('87350178tl')) its.domain.flags |= IRQ_DOMAIN_FREE_BULK;
      this.itses.set(name, its);
    }
    // its_init_v4(): the vPE domain ops KVM's vPE domains use
    this.v4 = new GicV4(k, [...this.itses.values()]);
    // its_irq_gic_domain_alloc(): the GIC only translates the fwspec and sets the chip for an LPI
    const gicAlloc = (kk: Kernel, domain: IrqDomain, virq: number, lpi: number): number => kk.irqs.allocIrqsParent(domain, virq, 1, new GicLpiSpec(lpi));
    // its_vpe_4_1_irq_chip: the doorbell moves with the vPE (its_vpe_set_affinity())
    const vpeOps = makeItsVpeDomainOps(this.v4, gicAlloc, { name: 'GICv4.1-vpe', irqSetAffinity: (kk, d, mask) => vpeSetAffinity(kk, d, mask) });
    this.v4env = { v4: this.v4, gicDomain: this.gicDomain, vpeDomainOps: vpeOps, hasV41Sgi: true };
  }

  private itsDomain(controller: string): IrqDomain | null {
    return this.itses.get(controller)?.domain ?? null;
  }

  /**
   * pci_set_msi_domain(): the firmware's controller for the function (else the host bridge's);
   * platform devices and bridges: their msi-parent
   */
  msiParentFor(dev: Device): IrqDomain | null {
    if (dev instanceof PciDev) return this.itsDomain(pciMsiGetDeviceController(this.firmware.fw, dev) ?? this.firmware.defaultController);
    return this.itsDomain(this.firmware.platformTarget(dev as PlatformDevice).controller);
  }

  /** The ITS translation on the ITS whose doorbell was written: the writer's DeviceID -> ITT -> LPI */
  deliver(dev: Device, msg: MsiMsg): Delivery {
    const addr = msg.addressHi * 2 ** 32 + msg.addressLo;
    const entry = [...this.itses.entries()].find(([, its]) => its.translater === addr);
    if (entry === undefined) return { blocked: `write to ${addr.toString(16)} is no ITS doorbell` };
    const [name, its] = entry;
    const t = msiTargetOf(this.firmware, dev);
    if (t.controller !== name) return { blocked: `${dev.name}'s writes reach ${name} with no DeviceID the firmware gives (its DeviceID is on ${t.controller})` };
    const itsDev = its.findDevice(t.deviceId);
    if (itsDev !== null && this.v4.vlpiMaps.get(itsDev)?.maps.has(msg.data) === true) return { blocked: `EventID ${msg.data} of DeviceID 0x${t.deviceId.toString(16)} is a vLPI (VMAPTI to a vPE)` };
    const dt = its.hwDeviceTable.get(t.deviceId);
    if (dt === undefined) return { blocked: `DeviceID 0x${t.deviceId.toString(16)} has no valid MAPD on ${name}` };
    const ite = dt.events.get(msg.data);
    if (ite === undefined) return { blocked: `EventID ${msg.data} of DeviceID 0x${t.deviceId.toString(16)} is not mapped on ${name}` };
    const irq = this.kernel.irqs.findMapping(this.gicDomain, ite.lpi);
    if (irq === 0) return { blocked: `LPI ${ite.lpi} has no Linux irq` };
    return { irq, cpu: ite.col };
  }

  /** The controller and DeviceID of the device's MSI writes, as the firmware maps them (read-only view). */
  msiTarget(dev: Device): MsiTarget {
    return msiTargetOf(this.firmware, dev);
  }

  /** The capacity oracle (PlatformInstance.vectorRoom): all the vectors when headroom() says they fit. */
  vectorRoom(dev: Device, req: VectorRequest): VectorRoom {
    return roomIfFits(this.headroom(dev, req.nvec), req.nvec);
  }

  /** Room: an unshared DeviceID without an its_device, and an LPI range for the device's events. */
  headroom(dev: Device, nvec: number): boolean {
    if (sharesDeviceId(this.firmware, dev, this.kernel.devices)) return false;
    const t = msiTargetOf(this.firmware, dev);
    const its = this.itses.get(t.controller);
    if (its === undefined || its.findDevice(t.deviceId) !== null) return false;
    const size = dev instanceof PciDev ? Math.max(nvec, dev.msixTableSize, dev.msiCap) : nvec;
    const need = Math.max(32, 1 << Math.ceil(Math.log2(Math.max(1, size))));
    return this.lpis.free.reduce((m, r) => Math.max(m, r.span), 0) >= need;
  }

  resources(): ResourceUsage[] {
    const devs = [...this.itses.values()].flatMap((its) => its.devices);
    const unshared = devs.filter((d) => !d.shared);
    const pinned = devs.filter((d) => d.shared).reduce((n, d) => n + d.nrLpis, 0);
    let doorbells = 0;
    let vpes = 0;
    for (const kvm of this.vms.values()) {
      doorbells += kvm.vm.nrDbLpis;
      vpes += kvm.vm.vpes.filter((v) => v.vptPage !== null).length;
    }
    let mapd = 0;
    for (const its of this.itses.values()) mapd += [...its.hwDeviceTable.keys()].filter((id) => its.findDevice(id)?.shared !== true).length;
    return [
      { pool: 'LPI', inUse: this.lpis.nrLpis - this.lpis.freeCount() - pinned - doorbells, baseline: 0 },
      { pool: 'its_device', inUse: unshared.length, baseline: 0 },
      { pool: 'MAPD', inUse: mapd, baseline: 0 },
      // vPE IDs of live VMs are theirs
      { pool: 'vPE ID', inUse: this.v4.vpeIds.size - vpes, baseline: 0 },
    ];
  }

  // --- MBIGENs ---

  createWiredBridge(name: string): PlatformDevice {
    return new PlatformDevice(name, MBIGEN_DEVID_BASE + Number(/\d+$/.exec(name)?.[0] ?? 0));
  }

  /** mbigen_device_probe(): the child's domain under its msi-parent ITS */
  probeWiredBridge(dev: PlatformDevice): number {
    dev.msiParent = this.msiParentFor(dev);
    const r = mbigenProbe(this.kernel, dev, MBIGEN_PINS);
    if (r.regs !== null) this.mbigens.set(dev, r.regs);
    dev.devres.push({ name: 'mbigen remove', release: () => this.mbigens.delete(dev) });
    return r.ret;
  }

  wiredFwspec(_dev: PlatformDevice, hwirq: number, type: number): number[] {
    return [hwirq, type];
  }

  raiseWire(dev: PlatformDevice, hwirq: number, origin: IrqOrigin): string {
    const regs = this.mbigens.get(dev);
    const its = this.itses.get(this.firmware.platformTarget(dev).controller);
    return regs === undefined || its === undefined ? `${dev.name} has no MBIGEN driver` : mbigenPinRaise(this.kernel, regs, hwirq, its.translater, origin);
  }

  // --- KVM (GICv4.1) ---

  /** vgic_v4_init() for a new VM of `vcpus` vCPUs: 0 or a negative errno. */
  kvmVgicV4Init(name: string, vcpus: number): number {
    const r = vgicV4Init(this.kernel, this.v4env, name, vcpus);
    if (r.kvm !== null) this.vms.set(name, r.kvm);
    return r.ret;
  }

  /** The VM goes: KVM's irqfd release unsets every forwarded vLPI of it, then vgic_v4_teardown(). */
  kvmVgicV4Teardown(name: string): void {
    const kvm = this.vms.get(name);
    if (kvm === undefined) return;
    for (const [itsDev, ev] of [...this.v4.vlpiMaps]) {
      if (ev.vm !== kvm.vm) continue;
      for (const event of [...ev.maps.keys()]) {
        const irq = this.kernel.irqs.findMapping(itsDev.its.domain as IrqDomain, itsDev.lpiBase + event);
        itsUnmapVlpi(this.kernel, this.v4, this.itsLevel(irq));
      }
    }
    vgicV4Teardown(this.kernel, this.v4env, kvm);
    this.vms.delete(name);
  }

  /** The ITS level of a host irq and its EventID, or null. */
  private itsLevel(irq: number): { d: IrqData; event: number } | null {
    const domains = new Set([...this.itses.values()].map((its) => its.domain));
    for (let d: IrqData | null = this.kernel.irqs.desc(irq)?.irqData ?? null; d !== null; d = d.parentData) {
      if (!domains.has(d.domain)) continue;
      const itsDev = d.chipData as ItsDevice | null;
      return itsDev === null ? null : { d, event: d.hwirq - itsDev.lpiBase };
    }
    return null;
  }

  /** kvm_vgic_v4_set_forwarding(): a device vector's host LPI becomes a vLPI of `vcpu` (its_map_vlpi()). */
  kvmSetForwarding(dev: PciDev, vec: number, vmName: string, vcpu: number, vintid: number): number {
    const kvm = this.vms.get(vmName);
    const vpe = kvm?.vm.vpes[vcpu] as ItsVpe | undefined;
    const irq = pciIrqVector(dev, vec);
    if (kvm === undefined || vpe === undefined || irq < 0) return -EINVAL;
    return itsMapVlpi(this.kernel, this.v4, this.itsLevel(irq), { vm: kvm.vm, vpe, vintid });
  }

  /** kvm_vgic_v4_unset_forwarding(): back to a host LPI (its_unmap_vlpi()). */
  kvmUnsetForwarding(dev: PciDev, vec: number): void {
    itsUnmapVlpi(this.kernel, this.v4, this.itsLevel(pciIrqVector(dev, vec)));
  }
}

/** its_vpe_set_affinity(): the vPE moves (VMOVP on every ITS) to the first CPU of the mask. */
export function vpeSetAffinity(k: Kernel, d: IrqData, mask: readonly number[]): number {
  const vpe = k.heap.deref('its_vpe_set_affinity', d.chipData as ItsVpe | null, 'vpe');
  if (mask.includes(vpe.colIdx)) return IRQ_SET_MASK_OK_DONE;
  const cpu = mask.find((c) => k.cpuIsOnline(c)) ?? -1;
  if (cpu < 0) return -EINVAL;
  vpe.colIdx = cpu;
  d.effectiveCpu = cpu;
  return IRQ_SET_MASK_OK_DONE;
}

/** The ITS driver's sites (models/platforms/gic-v3-its), then the GICv4.1, KVM and MBIGEN ones. */
const FAULT_SITES: readonly FaultSite[] = [
  ...ITS_FAULT_SITES,
  {
    name: 'its_vpe_id_alloc',
    class: 'resource',
    kernel: 'drivers/irqchip/irq-gic-v3-its.c: its_vpe_id_alloc() (ida_alloc_max(&its_vpeid_ida)) from its_vpe_init()',
    description: 'no free vPE ID: its_vpe_init() fails, its_vpe_irq_domain_alloc() frees what it set up (its_vpe_irq_domain_free())',
  },
  {
    name: 'its_allocate_prop_table',
    class: 'kmalloc',
    kernel: 'drivers/irqchip/irq-gic-v3-its.c: its_allocate_prop_table() from its_vpe_irq_domain_alloc()',
    description: 'the property table page of a VM\'s vPEs cannot be allocated: the doorbell LPIs are freed, -ENOMEM',
  },
  {
    name: 'its_allocate_pending_table',
    class: 'kmalloc',
    kernel: 'drivers/irqchip/irq-gic-v3-its.c: its_allocate_pending_table() from its_vpe_init()',
    description: 'a vPE\'s virtual pending table page cannot be allocated: its vPE ID goes back, the allocation unwinds',
  },
  {
    name: 'its_alloc_table_entry',
    class: 'kmalloc',
    kernel: 'drivers/irqchip/irq-gic-v3-its.c: its_alloc_table_entry() from its_alloc_vpe_table()',
    description: 'a level-2 page of an ITS vPE table cannot be allocated for a new vPE ID: its_vpe_init() fails',
  },
  {
    name: 'allocate_vpe_l2_table',
    class: 'kmalloc',
    kernel: 'drivers/irqchip/irq-gic-v3-its.c: allocate_vpe_l2_table() from its_alloc_vpe_table()',
    description: 'a level-2 page of a CPU\'s GICv4.1 vPE table (GICR_VPROPBASER) cannot be allocated: its_vpe_init() fails',
  },
  {
    name: 'its_alloc_vcpu_sgis',
    class: 'kmalloc',
    kernel: 'drivers/irqchip/irq-gic-v4.c: its_alloc_vcpu_sgis() from its_alloc_vcpu_irqs()',
    description: 'the vSGI fwnode or domain of a vPE cannot be allocated: its_alloc_vcpu_irqs() jumps to its error path',
  },
  {
    name: 'irq_domain_alloc_named_id_fwnode',
    class: 'kmalloc',
    kernel: 'drivers/irqchip/irq-gic-v4.c: its_alloc_vcpu_irqs()',
    description: 'the fwnode of a VM\'s vPE domain cannot be allocated: no vPE domain, -ENOMEM',
  },
  {
    name: 'vgic_v4_init',
    class: 'kmalloc',
    kernel: 'arch/arm64/kvm/vgic/vgic-v4.c: vgic_v4_init() (kcalloc of its_vm.vpes)',
    description: 'KVM cannot allocate the VM\'s vPE array: no vPEs, -ENOMEM',
  },
  {
    name: 'vgic_v4_request_vpe_irq',
    class: 'kmalloc',
    kernel: 'arch/arm64/kvm/vgic/vgic-v4.c: vgic_v4_request_vpe_irq() from vgic_v4_init()',
    description: 'request_irq() of a vCPU\'s doorbell fails (its irqaction): vgic_v4_init() sets nr_vpes to the vCPUs before it and tears down',
  },
  {
    name: 'its_vlpi_map',
    class: 'kmalloc',
    kernel: 'drivers/irqchip/irq-gic-v3-its.c: its_vlpi_map() (kcalloc of vlpi_maps, GFP_ATOMIC)',
    description: 'the vlpi_maps array of a device\'s first forwarded event cannot be allocated: the forwarding fails with -ENOMEM',
  },
  {
    name: 'mbigen_device_probe',
    class: 'kmalloc',
    kernel: 'drivers/irqchip/irq-mbigen.c: mbigen_device_probe() (devm_kzalloc of the mbigen_device)',
    description: 'the MBIGEN\'s driver data cannot be allocated: the probe fails before its wired domain exists',
  },
];

/** One server machine: the ITS-server model under one firmware (DT or ACPI). */
function serverModel(name: string, title: string, firmware: () => Arm64Firmware): PlatformModel & { readonly wiredBridgeKinds: readonly WiredBridgeKind[] } {
  return {
    name,
    title,
    patches: ITS_SERVER_PATCHES,
    revisions: ITS_SERVER_REVISIONS,
    currentRevision: 'v7.2',
    faultSites: FAULT_SITES,
    pools: ITS_POOLS,
    capabilities: { platformMsi: true, affinity: true, pciSegmentCount: 2 },
    wiredBridgeKinds: [MBIGEN_KIND],
    boot: (k: Kernel) => new ItsServerPlatform(k, firmware()),
  };
}

export const ITS_SERVER_PLATFORMS = [
  serverModel('gic-v3-its-dt', 'ARM64 server, DT: two GICv4.1 ITSes behind msi-map/msi-map-mask, MBIGEN, KVM vPEs', () => dtMachine('its1', MBIGEN_DEVID_BASE)),
  serverModel('gic-v3-its-acpi', 'ARM64 server, ACPI: two GICv4.1 ITSes behind IORT ID mappings (through an SMMU), MBIGEN, KVM vPEs', () => acpiMachine('its1', MBIGEN_DEVID_BASE)),
] as const;
