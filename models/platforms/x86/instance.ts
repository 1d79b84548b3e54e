// The booted x86 machine: the vector domain on every configuration, Intel or AMD interrupt
// remapping units (or none) as MSI parents, DMAR-MSI for the VT-d units' own fault interrupts,
// HPET-MSI, SR-IOV, CPU hotplug and affinity changes, and the hardware path a message takes.
import { PciDev, PlatformDevice, type Device } from '../../kernel/device';
import { EBUSY, EINVAL, ENODEV } from '../../kernel/errno';
import { IRQ_DOMAIN_FLAG_MSI_PARENT, type IrqDomain, type MsiMsg } from '../../kernel/irqdomain';
import type { Kernel } from '../../kernel/kernel';
import { freeIrq, requestIrq } from '../../kernel/manage';
import { cpuDown, cpuUp } from '../../kernel/cpuhotplug';
import { writeIrqAffinity } from '../../kernel/affinity';
import { drainBitmap } from '../../kernel/bitmap';
import type { Delivery, PlatformInstance, RequesterKey, ResourceUsage, VectorRequest, VectorRoom } from '../platform';
import { auditUsage } from '../../kernel/audit';
import { amdIrteFit, intelIrteFit, vectorActivationFits, vectorsFit } from './room';
import { AmdIommu, amdCloneAliases, amdIommuCreateIrqDomain, amdIrteCount, amdIrteUnits, amdIrTranslate, AmdIrData, type AmdIommuConfig } from './amd-ir';
import { dmarFindMatchedDrhdUnit, pciRealDmaDev, requesterId, type DrhdConfig } from './dmar';
import { DmarMsi } from './dmar-msi';
import { apicAckEdge, x86CpuHotplug } from './hotplug';
import { LapicFabric } from './lapic-fabric';
import type { ArchCpuHotplug } from '../../kernel/cpuhotplug';
import type { InterruptFabric } from '../../kernel/irq-fabric';
import { HpetMsi } from './hpet-msi';
import { IntelIommu, IntelIrData, intelIrTranslate, intelSetupIrqRemapping, irteUnits, newIntelIommu, presentIrtes, sourceIdOk } from './intel-ir';
import { matrixConsistency } from './matrix';
import { decodeCompat, isInterruptAddress, isRemappableFormat, type IrqCfg } from './msi-msg';
import { DEFAULT_SRIOV, Sriov, type SriovCap } from './sriov';
import { createVectorDomain, lapicOnline, vectorCleanup, VECTOR_UNUSED, X86Vector } from './vector';
import { x86VectorMsiParentOps } from './x86-msi';
import { createGlobalPciMsiDomains, X86_VECTOR_MSI_PARENT } from './x86-msi-global';
import { HyperVVpci, type HyperVConfig } from './hyperv-vpci';
import { I8259, initIsaIrqs } from './i8259';
import { IOAPIC_MAP_ALLOC, IoApic, type IoApicConfig } from './ioapic';
import { PIC_CASCADE_IR } from './vector';

export interface X86Config {
  /** Which interrupt remapping the machine runs with. */
  readonly remap: 'intel' | 'amd' | 'none';
  /** VT-d units (DMA remapping; interrupt remapping too when remap is 'intel'). */
  readonly dmar: readonly DrhdConfig[];
  /** ecap_max_handle_mask() of every VT-d unit. */
  readonly maxHandleMask: number;
  readonly amd: AmdIommuConfig | null;
  /** HPET block 0 and its FSB-capable channels. */
  readonly hpetChannels: number;
  /** A Hyper-V guest: every PCI function sits on a vPCI bus (hyperv-vpci.ts). */
  readonly hyperv?: HyperVConfig;
  /** A PC with the 8259 pair and an IOAPIC (MADT): legacy irqs at boot, GSIs mapped by ACPI (ioapic.ts). */
  readonly ioapic?: IoApicConfig;
}

/** The platform MSI sources firmware lists by id for the remapping units: HPET blocks and IOAPICs. */
type SpecialSource = 'hpet' | 'ioapic';

/** A VT-d unit's device scope entries of one kind (ir_hpet[], ir_ioapic[] from the DMAR table). */
function drhdScope(u: IntelIommu, kind: SpecialSource): readonly { readonly id: number; readonly sourceId: number }[] {
  return kind === 'hpet' ? u.drhd.hpet : (u.drhd.ioapic ?? []);
}

/** The IVRS special devices of one kind (AMD-Vi). */
function ivrsScope(cfg: AmdIommuConfig, kind: SpecialSource): readonly { readonly id: number; readonly devid: number }[] {
  return kind === 'hpet' ? cfg.hpet : (cfg.ioapic ?? []);
}

/** Who holds the legacy timer irq: setup_default_timer_irq()'s request_irq(0, timer_interrupt). */
export const TIMER_OWNER = { dev: 'timer', vec: 0 } as const;

/** What a live platform-owned interrupt (not a device's) sends. */
export interface PlatformMessage {
  readonly dev: Device;
  readonly irq: number;
  readonly msg: MsiMsg;
}

const HPET_ID = 0;

export class X86Platform implements PlatformInstance {
  readonly vec: X86Vector;
  readonly vectorDomain: IrqDomain;
  readonly iommus: IntelIommu[] = [];
  readonly amd: AmdIommu | null = null;
  readonly dmarMsi: DmarMsi | null = null;
  readonly hpet: HpetMsi;
  readonly sriov: Sriov;
  /** The requesters of the platform's own interrupts, for deliver(). */
  readonly hpetDev: PlatformDevice;
  readonly dmarDevs: PlatformDevice[] = [];
  /** Before v6.2: the global PCI/MSI domain of each MSI parent (x86-msi-global.ts). */
  readonly globalPciMsi: ReadonlyMap<IrqDomain, IrqDomain>;
  /** The vPCI buses of a Hyper-V guest, if the machine is one. */
  readonly hyperv: HyperVVpci | null;
  /** The 8259 pair and the IOAPIC of a PC (null on a guest without them). */
  readonly pic: I8259 | null = null;
  readonly ioapic: IoApic | null = null;
  /** The IOAPIC as a requester on the interrupt bus (its source id / IVRS devid). */
  readonly ioapicDev: PlatformDevice | null = null;
  /** GSI -> irq for the GSIs a driver registered and requested (acpiRegisterGsi()). */
  readonly gsiIrqs = new Map<number, number>();

  constructor(
    readonly kernel: Kernel,
    readonly config: X86Config,
  ) {
    const k = kernel;
    // arch/x86/Kconfig: select GENERIC_IRQ_RESERVATION_MODE
    k.genericIrqReservationMode = true;
    // arch_early_irq_init(), then the boot CPU's lapic_online()
    this.vec = new X86Vector(k, k.nrCpus);
    this.vectorDomain = createVectorDomain(k, this.vec);
    lapicOnline(this.vec, 0);
    if (config.ioapic !== undefined) {
      // init_IRQ(): the 8259's legacy irqs at their ISA vectors on CPU 0; x86_late_time_init()
      // -> setup_default_timer_irq(): the timer requested on the PIC, before setup_IO_APIC()
      this.pic = new I8259();
      initIsaIrqs(k, this.vec, this.pic);
      if (requestIrq(k, 0, 'timer', TIMER_OWNER) !== 0) k.printk('Failed to register legacy timer interrupt');
    }
    // irq_remapping_prepare() / irq_remapping_enable(): one INTEL-IR domain per unit
    config.dmar.forEach((drhd, i) => {
      const iommu = newIntelIommu(k, i, drhd, config.maxHandleMask);
      if (config.remap === 'intel') intelSetupIrqRemapping(k, iommu, this.vectorDomain);
      this.iommus.push(iommu);
      this.dmarDevs.push(new PlatformDevice(drhd.name, i));
    });
    if (config.remap === 'intel') {
      const units = this.iommus;
      k.audit.register({ name: 'IRTE', count: () => units.reduce((n, u) => n + u.irTable.bitmap.weight(), 0), units: () => irteUnits(units, false) });
      k.audit.register({ name: 'IRTE present', count: () => units.reduce((n, u) => n + presentIrtes(u), 0), units: () => irteUnits(units, true) });
    }
    if (config.remap === 'amd' && config.amd !== null) {
      this.amd = k.heap.kmalloc(new AmdIommu(0, config.amd), 'init_iommu_one');
      amdIommuCreateIrqDomain(k, this.amd, this.vectorDomain);
      const amd = this.amd;
      k.audit.register({ name: 'AMD IRTE', count: () => amdIrteCount(amd, false), units: () => amdIrteUnits(amd, false) });
      k.audit.register({ name: 'AMD IRTE valid', count: () => amdIrteCount(amd, true), units: () => amdIrteUnits(amd, true) });
    }
    // native_create_pci_msi_domain(): the vector domain is the default MSI parent (before
    // v6.2: the global "PCI-MSI" domain on it, and "IR-PCI-MSI" on every remapping unit)
    if (k.applied(X86_VECTOR_MSI_PARENT)) {
      this.vectorDomain.flags |= IRQ_DOMAIN_FLAG_MSI_PARENT;
      this.vectorDomain.msiParentOps = x86VectorMsiParentOps;
    }
    // setup_IO_APIC(), once interrupt remapping is on (apic_intr_mode_init())
    if (config.ioapic !== undefined && this.pic !== null) {
      this.ioapic = this.setupIoApic(config.ioapic, this.pic);
      this.ioapicDev = new PlatformDevice(`ioapic${config.ioapic.id}`, this.scopeSourceId('ioapic', config.ioapic.id) ?? 0);
    }
    this.globalPciMsi = createGlobalPciMsiDomains(k, this.vectorDomain, this.iommus, this.amd);
    this.hyperv = config.hyperv === undefined ? null : new HyperVVpci(k, this.vectorDomain, config.hyperv);
    if (this.iommus.length > 0) this.dmarMsi = new DmarMsi(k, this.vectorDomain);
    // hpet_create_irq_domain(): the remapping unit that claims the block, else the vector domain
    const hpetParent = this.hpetIrDomain();
    this.hpet = new HpetMsi(k, HPET_ID, config.hpetChannels, hpetParent ?? this.vectorDomain, hpetParent !== null);
    this.hpetDev = new PlatformDevice('hpet0', this.scopeSourceId('hpet', HPET_ID) ?? 0);
    // smp_init(): the secondary CPUs come up (cpu_online_mask already has them)
    for (let cpu = 1; cpu < k.nrCpus; cpu++) lapicOnline(this.vec, cpu);
    this.sriov = new Sriov(k, (dev) => this.msiParentFor(dev));
    this.registerPools();
  }

  /** The pools exhaust() drains (index.ts lists them): per-CPU vectors, and the remap tables. */
  private registerPools(): void {
    const f = this.kernel.faults;
    f.registerPool('vector', (cpu) => this.vec.matrix.drain(cpu ?? 0));
    if (this.config.remap === 'intel') {
      f.registerPool('IRTE', () => {
        const releases = this.iommus.map((u) => drainBitmap(u.irTable.bitmap));
        return () => releases.forEach((r) => r());
      });
    }
    const amd = this.amd;
    if (amd !== null) f.registerPool('AMD-IRTE', () => amd.drain());
  }

  // map_hpet_to_iommu() / map_ioapic_to_iommu(): the VT-d unit whose device scope lists the source
  private scopeUnit(kind: SpecialSource, id: number): IntelIommu | null {
    if (this.config.remap !== 'intel') return null;
    return this.iommus.find((u) => drhdScope(u, kind).some((x) => x.id === id)) ?? null;
  }

  /** AMD-Vi: the IVRS lists the source as a special device (its remapping domain claims it). */
  private ivrsClaims(kind: SpecialSource, id: number): boolean {
    return this.config.remap === 'amd' && this.amd !== null && ivrsScope(this.amd.config, kind).some((x) => x.id === id);
  }

  // The source id the remapping hardware sees: the DMAR scope's (VT-d) or the IVRS devid (AMD-Vi)
  private scopeSourceId(kind: SpecialSource, id: number): number | null {
    if (this.config.remap === 'amd') return this.amd === null ? null : (ivrsScope(this.amd.config, kind).find((x) => x.id === id)?.devid ?? null);
    for (const u of this.iommus) for (const x of drhdScope(u, kind)) if (x.id === id) return x.sourceId;
    return null;
  }

  private hpetIrDomain(): IrqDomain | null {
    if (this.config.remap === 'intel') return this.scopeUnit('hpet', HPET_ID)?.irDomain ?? null;
    if (this.ivrsClaims('hpet', HPET_ID)) return this.amd?.irDomain ?? null;
    return null;
  }

  /**
   * setup_IO_APIC(): io_apic_irqs covers every irq but the cascade, mp_irqdomain_create() puts
   * the IOAPIC under the domain that claims it, setup_IO_APIC_irqs() takes the ISA irqs over,
   * check_timer() routes irq 0 through its pin.
   */
  private setupIoApic(cfg: IoApicConfig, pic: I8259): IoApic {
    this.vec.ioApicIrqs = 0xffff & ~(1 << PIC_CASCADE_IR);
    const io = new IoApic(this.kernel, cfg, this.ioapicParent(cfg.id), this.vectorDomain, pic);
    io.setupIoApicIrqs();
    io.checkTimer();
    io.initialized = true;
    return io;
  }

  // mp_irqdomain_create() -> irq_find_matching_fwspec(IOAPIC id, DOMAIN_BUS_GENERIC_MSI): the
  // remapping domain whose select() claims the IOAPIC (intel_irq_remapping_select(),
  // irq_remapping_select()), else the vector domain (x86_vector_select())
  private ioapicParent(id: number): IrqDomain {
    const unit = this.scopeUnit('ioapic', id);
    if (unit !== null && unit.irEnabled && unit.irDomain !== null) return unit.irDomain;
    if (this.ivrsClaims('ioapic', id) && this.amd?.irDomain != null) return this.amd.irDomain;
    return this.vectorDomain;
  }

  // pci_device_add(): pcibios_device_add() sets the default domain, then the IOMMU's bus
  // notifier may replace it (dev_set_msi_domain)
  msiParentFor(dev: Device): IrqDomain | null {
    if (!(dev instanceof PciDev)) return null; // no platform-device MSI on x86
    // A Hyper-V guest's functions are offered on vPCI buses, each with its own MSI domain
    if (this.hyperv !== null) return this.hyperv.deviceAdd(dev);
    const parent = this.msiParentDomain(dev);
    // Before v6.2 the device gets the global PCI/MSI domain on top of that parent
    return parent === null ? null : (this.globalPciMsi.get(parent) ?? parent);
  }

  // (a VF inheriting its PF's domain, ff828729be44, gets the global one as it is)
  private msiParentDomain(dev: PciDev): IrqDomain | null {
    switch (this.config.remap) {
      case 'none':
        return this.vectorDomain;
      case 'amd':
        // amd_iommu_set_pci_msi_domain() from the probe path, VFs included
        if (this.amd !== null) amdCloneAliases(this.amd, dev);
        return this.amd?.irDomain ?? this.vectorDomain;
      case 'intel':
        return this.intelDeviceAdd(dev);
    }
  }

  /** The parent pci_msi_domain_supports() sees for a PF: the remapping unit's domain under IR. */
  defaultPciMsiParent(): IrqDomain | null {
    if (this.hyperv !== null) return this.hyperv.defaultDomain();
    const parent = this.defaultParentDomain();
    return this.globalPciMsi.get(parent) ?? parent;
  }

  private defaultParentDomain(): IrqDomain {
    switch (this.config.remap) {
      case 'none':
        return this.vectorDomain;
      case 'amd':
        return this.amd?.irDomain ?? this.vectorDomain;
      case 'intel':
        return this.iommus.find((u) => u.irDomain !== null)?.irDomain ?? this.vectorDomain;
    }
  }

  private mapDevToIr(dev: PciDev): IrqDomain | null {
    return dmarFindMatchedDrhdUnit(this.iommus, dev)?.irDomain ?? null;
  }

  private intelDeviceAdd(dev: PciDev): IrqDomain | null {
    // Before 85a8dfc57a0b the PCI/MSI domain was looked up per allocation through
    // irq_remapping_get_irq_domain() -> map_dev_to_ir(), which goes through pci_physfn()
    if (!this.kernel.applied('85a8dfc57a0b')) return this.mapDevToIr(dev) ?? this.vectorDomain;
    let domain: IrqDomain | null = this.vectorDomain; // x86_pci_msi_default_domain
    // dmar_pci_bus_notifier(BUS_NOTIFY_ADD_DEVICE): only PFs are registered with DMAR
    if (dev.physfn !== null) {
      // vf_inherit_msi_domain()
      if (this.kernel.applied('ff828729be44')) domain = dev.physfn.msiParent;
      return domain;
    }
    // dmar_pci_bus_add_dev() -> intel_irq_remap_add_device(): only a device still on the default domain
    if (domain === this.vectorDomain) domain = this.mapDevToIr(dev);
    return domain;
  }

  // --- the hardware path of a message ---

  /** The local APICs as the interrupt presentation (IRR per vector, vector_irq[] at take time). */
  interruptFabric(): InterruptFabric {
    return new LapicFabric(this.kernel, this.vec, (dev, msg) => {
      if (!isInterruptAddress(msg)) return { blocked: `write to ${msg.addressHi.toString(16)}:${msg.addressLo.toString(16)} is not in the interrupt address range` };
      return this.translate(dev, msg);
    });
  }

  archCpuHotplug(): ArchCpuHotplug {
    return x86CpuHotplug(this.kernel, this.vec);
  }

  deliver(dev: Device, msg: MsiMsg): Delivery {
    if (!isInterruptAddress(msg)) return { blocked: `write to ${msg.addressHi.toString(16)}:${msg.addressLo.toString(16)} is not in the interrupt address range` };
    const cfg = this.translate(dev, msg);
    if ('blocked' in cfg) return cfg;
    return this.toVector(cfg);
  }

  private translate(from: Device, msg: MsiMsg): IrqCfg | { blocked: string } {
    // the function whose requester ID the write carries (a VMD child's, the VMD's)
    const dev = from instanceof PciDev ? pciRealDmaDev(from) : from;
    // The VT-d units' own fault interrupts are never remapped
    if (dev instanceof PlatformDevice && this.dmarDevs.includes(dev)) return this.direct(msg);
    const hv = dev instanceof PciDev ? (this.hyperv?.translate(dev, msg) ?? null) : null;
    if (hv !== null) return hv;
    const hpet = dev === this.hpetDev;
    const ioapic = this.ioapicDev !== null && dev === this.ioapicDev;
    const requester = hpet ? this.hpetDev.msiParentId : ioapic ? (this.ioapicDev?.msiParentId ?? -1) : dev instanceof PciDev ? requesterId(dev) : -1;
    if (requester < 0) return { blocked: `${dev.name} cannot send MSIs on this platform` };
    if (this.config.remap === 'intel') {
      const unit = hpet ? this.scopeUnit('hpet', HPET_ID) : ioapic ? this.scopeUnit('ioapic', this.ioapic?.config.id ?? -1) : dmarFindMatchedDrhdUnit(this.iommus, dev);
      if (unit !== null && unit.irEnabled) return intelIrTranslate(unit, requester, msg);
    }
    if (this.config.remap === 'amd' && this.amd !== null) return amdIrTranslate(this.amd, requester, msg);
    return this.direct(msg);
  }

  private direct(msg: MsiMsg): IrqCfg | { blocked: string } {
    if (isRemappableFormat(msg)) return { blocked: 'remappable-format interrupt with no remapping unit in the path' };
    return decodeCompat(msg);
  }

  // The local APIC: (APIC ID, vector) -> vector_irq[] -> the irq descriptor
  private toVector(cfg: IrqCfg): Delivery {
    const cpu = cfg.destApicid;
    if (cpu >= this.vec.nrCpus) return { blocked: `no CPU with APIC ID ${cpu}` };
    if (!this.vec.isOnline(cpu)) return { blocked: `CPU ${cpu} is offline` };
    const slot = (this.vec.vectorIrq[cpu] as Int32Array)[cfg.vector] ?? VECTOR_UNUSED;
    if (slot < 0) return { blocked: `No irq handler for ${cpu}.${cfg.vector}` };
    if (this.kernel.irqs.desc(slot) === undefined) return { blocked: `vector_irq[${cpu}][${cfg.vector}] points at freed irq ${slot}` };
    return { irq: slot, cpu };
  }

  /** The live messages of the platform's own interrupts (DMAR fault events, HPET channels, IOAPIC pins). */
  platformMessages(): PlatformMessage[] {
    const out: PlatformMessage[] = [];
    // An activated pin's RTE: what the IOAPIC sends when the line asserts
    const io = this.ioapic;
    if (io !== null && this.ioapicDev !== null) {
      for (const { pin, irq } of io.pinIrqs()) {
        const rte = io.rtes[pin];
        if (rte !== undefined && this.kernel.irqs.desc(irq)?.irqData.activated === true) out.push({ dev: this.ioapicDev, irq, msg: IoApic.rteMessage(rte) });
      }
    }
    this.iommus.forEach((u, i) => {
      if (u.irq > 0 && u.faultEventMsg !== null && this.kernel.irqs.desc(u.irq)?.irqData.activated === true) {
        out.push({ dev: this.dmarDevs[i] as PlatformDevice, irq: u.irq, msg: u.faultEventMsg });
      }
    });
    for (const hc of this.hpet.channels) {
      if (hc.irq > 0 && hc.fsbMsg !== null && this.kernel.irqs.desc(hc.irq)?.irqData.activated === true) {
        out.push({ dev: this.hpetDev, irq: hc.irq, msg: hc.fsbMsg });
      }
    }
    return out;
  }

  // --- resources ---

  /** Irqs the platform holds for itself (DMAR fault events, HPET channels, IOAPIC pins): pinned, not leaks. */
  protected platformIrqs(): number[] {
    const out = this.iommus.map((u) => u.irq).filter((irq) => irq > 0);
    for (const hc of this.hpet.channels) if (hc.irq > 0) out.push(hc.irq);
    for (const { irq } of this.ioapic?.pinIrqs() ?? []) out.push(irq);
    return out;
  }

  resources(): ResourceUsage[] {
    const out = [...auditUsage(this.kernel, ['apic_chip_data', 'intel_ir_data', 'amd_ir_data', 'irq_remap_table', 'tran_int_desc'])];
    // the Hyper-V host's interrupt entries are the host's state, not a kernel object
    if (this.hyperv !== null) out.push({ pool: 'Hyper-V IRT', inUse: this.hyperv.hostEntries(), baseline: 0 });
    return out;
  }

  // --- capacity oracle ---

  /**
   * The vectors (vector space per CPU) and the remapping entries the allocation takes. A
   * shortfall of either is not predicted here (an IRTE shortfall at allocation is retried with
   * fewer vectors, a vector shortfall at activation fails the path): no promise then.
   */
  vectorRoom(dev: Device, req: VectorRequest): VectorRoom {
    const none = { sure: 0, most: req.nvec };
    if (!(dev instanceof PciDev) || dev.removed || req.nvec < 1) return none;
    const parent = dev.msiParent;
    if (parent === null || !vectorsFit(this.vec, req.nvec, req.managed)) return none;
    const all = { sure: req.nvec, most: req.nvec };
    // a vPCI function: the host's interrupt entries (hv_compose_msi_msg()) on top of the vectors
    if (this.hyperv !== null) return this.hyperv.headroom(dev, req.nvec) ? all : none;
    if (parent === this.vectorDomain) return all;
    if (this.config.remap === 'intel') {
      const unit = dmarFindMatchedDrhdUnit(this.iommus, pciRealDmaDev(dev));
      return unit !== null && unit.irDomain === parent && intelIrteFit(unit, req) ? all : none;
    }
    if (this.config.remap === 'amd' && this.amd !== null) return amdIrteFit(this.amd, dev.rid, requesterId(dev), req) ? all : none;
    return none;
  }

  /**
   * The remapping level: a VT-d IRTE checks the source-id; an AMD-Vi write finds its remap
   * table through the DTE of the requester ID it carries (aliases share one table).
   */
  requesterKey(_dev: Device, irq: number): RequesterKey | null {
    for (let d = this.kernel.irqs.desc(irq)?.irqData ?? null; d !== null; d = d.parentData) {
      const ir = d.chipData;
      if (ir instanceof IntelIrData) return { key: ir, what: `IRTE ${ir.irq2iommu.irteIndex + ir.irq2iommu.subHandle} of ${ir.irq2iommu.iommu.drhd.name}`, accepts: (r) => sourceIdOk(ir.irte, r) };
      if (ir instanceof AmdIrData) {
        const table = ir.iommu.irqLookupTable.get(ir.devid);
        const lookup = ir.iommu.irqLookupTable;
        return { key: table ?? ir, what: `the remap table of devid ${ir.devid.toString(16)}`, accepts: (r) => table !== undefined && lookup.get(r) === table };
      }
    }
    return null;
  }

  /** A deactivated irq needs a vector of its own to be activated again (room.ts: vectorActivationFits). */
  canActivate(irq: number): boolean {
    const desc = this.kernel.irqs.desc(irq);
    return desc === undefined || vectorActivationFits(this.vec, desc);
  }

  // --- commands the harness can drive ---

  /** cpu_down() through the generic hotplug code with the x86 hooks. */
  cpuOffline(cpu: number): number {
    return cpuDown(this.kernel, this.archCpuHotplug(), cpu);
  }

  cpuOnline(cpu: number): number {
    return cpuUp(this.kernel, this.archCpuHotplug(), cpu);
  }

  /** Write /proc/irq/N/smp_affinity. */
  setAffinity(irq: number, cpus: readonly number[]): number {
    return writeIrqAffinity(this.kernel, irq, cpus);
  }

  /** The device fires `irq`: it arrives where its message points, which may complete a move. */
  raiseIrq(irq: number): number {
    const apicd = this.vec.chipDataOf(irq);
    if (apicd === null || apicd.vector === 0) return -EINVAL;
    apicAckEdge(this.kernel, this.vec, irq, apicd.cpu);
    return 0;
  }

  /** The per-CPU vector cleanup timer fires. */
  vectorCleanupTimer(cpu: number): number {
    if (cpu < 0 || cpu >= this.vec.nrCpus) return -EINVAL;
    vectorCleanup(this.kernel, this.vec, cpu);
    return 0;
  }

  // dmar_set_interrupt(): the unit's fault interrupt, allocated and requested once
  dmarSetInterrupt(unit: number): number {
    const iommu = this.iommus[unit];
    if (iommu === undefined || this.dmarMsi === null) return -ENODEV;
    if (iommu.irq !== 0) return 0;
    const irq = this.dmarMsi.allocHwirq(iommu.seqId, iommu);
    if (irq <= 0) {
      this.kernel.printk('No free IRQ vectors');
      return -EINVAL;
    }
    iommu.irq = irq;
    const ret = this.requestIrq(irq, iommu.drhd.name, { dev: 'dmar', vec: unit });
    if (ret !== 0) {
      this.kernel.printk("Can't request irq");
      // iommu->irq stays set: free_dmar_iommu() (init_dmars() or intel_iommu_add() error path)
      // then calls free_irq() on it; msi-fuzz's proposal gives the irq back here instead
      if (this.kernel.applied('msi-fuzz-dmar-irq-unwind')) {
        this.dmarMsi.freeHwirq(irq);
        iommu.irq = 0;
      }
    }
    return ret;
  }

  // enable_drhd_fault_handling(): every unit, as the boot path does
  enableDrhdFaultHandling(): number {
    for (let i = 0; i < this.iommus.length; i++) {
      const ret = this.dmarSetInterrupt(i);
      if (ret !== 0) return ret;
    }
    return 0;
  }

  // free_dmar_iommu(): free_irq() + dmar_free_hwirq()
  dmarFreeInterrupt(unit: number): number {
    const iommu = this.iommus[unit];
    if (iommu === undefined || this.dmarMsi === null || iommu.irq === 0) return -EINVAL;
    this.freeIrq(iommu.irq, { dev: 'dmar', vec: unit });
    this.dmarMsi.freeHwirq(iommu.irq);
    iommu.irq = 0;
    iommu.faultEventMsg = null;
    return 0;
  }

  // hpet_assign_irq() + request_irq() for one channel
  hpetAssignIrq(channel: number): number {
    const hc = this.hpet.channels[channel];
    if (hc === undefined) return -EINVAL;
    if (hc.irq !== 0) return -EINVAL;
    const irq = this.hpet.assignIrq(hc);
    if (irq <= 0) return irq < 0 ? irq : -EINVAL;
    hc.irq = irq;
    // hpet_setup_msi_irq(): init_one_hpet_msi_clockevent() ignores a request_irq() failure and
    // keeps the channel as the CPU's, so hpet_cpuhp_dead() free_irq()s it; msi-fuzz's proposal
    // does not use a channel whose irq cannot be requested (the irq goes back)
    const ret = this.requestIrq(irq, `hpet${hc.hpetId}_${hc.num}`, { dev: 'hpet', vec: channel });
    if (ret !== 0 && this.kernel.applied('msi-fuzz-hpet-irq-unwind')) {
      this.kernel.irqs.freeIrqs('hpet_assign_irq', irq, 1);
      hc.irq = 0;
    }
    return ret;
  }

  // free_irq() + irq_domain_free_irqs() for a channel
  hpetFreeIrq(channel: number): number {
    const hc = this.hpet.channels[channel];
    if (hc === undefined || hc.irq === 0) return -EINVAL;
    this.freeIrq(hc.irq, { dev: 'hpet', vec: channel });
    this.kernel.irqs.freeIrqs('hpet_free_irq', hc.irq, 1);
    hc.irq = 0;
    hc.fsbMsg = null;
    return 0;
  }

  /**
   * acpi_register_gsi() (acpi_register_gsi_ioapic(): mp_map_gsi_to_irq(IOAPIC_MAP_ALLOC) with
   * the firmware's trigger and polarity) and request_irq() of the irq, as the driver of a wired
   * line does; a driver whose request fails gives the GSI back (acpi_unregister_gsi()).
   */
  acpiRegisterGsi(gsi: number): number {
    const io = this.ioapic;
    if (io === null) return -ENODEV;
    if (this.gsiIrqs.has(gsi)) return -EBUSY;
    const irq = io.mpMapGsiToIrq(gsi, IOAPIC_MAP_ALLOC, io.firmwareAttr(gsi));
    if (irq < 0) return irq;
    const ret = this.requestIrq(irq, `gsi${gsi}`, { dev: 'gsi', vec: gsi });
    if (ret !== 0) {
      this.acpiUnregisterGsiIoapic(gsi);
      return ret;
    }
    this.gsiIrqs.set(gsi, irq);
    return 0;
  }

  // acpi_unregister_gsi_ioapic(): the irq the GSI maps to now, unmapped
  private acpiUnregisterGsiIoapic(gsi: number): void {
    const io = this.ioapic;
    if (io === null) return;
    const irq = io.mpMapGsiToIrq(gsi, 0, null);
    if (irq > 0) io.mpUnmapIrq(irq);
  }

  /** free_irq() of a registered GSI's irq, then acpi_unregister_gsi(). */
  acpiUnregisterGsi(gsi: number): number {
    const irq = this.gsiIrqs.get(gsi);
    if (irq === undefined) return -EINVAL;
    this.freeIrq(irq, { dev: 'gsi', vec: gsi });
    this.acpiUnregisterGsiIoapic(gsi);
    this.gsiIrqs.delete(gsi);
    return 0;
  }

  // request_irq(irq, dmar_fault / hpet_interrupt_handler, ...): the irqaction, irq_activate(),
  // irq_startup() (manage.c), with the harness's name for the platform source as its owner
  private requestIrq(irq: number, name: string, owner: { dev: string; vec: number }): number {
    return requestIrq(this.kernel, irq, name, owner);
  }

  // free_irq(): shutdown, __synchronize_irq(), deactivation, kfree() of the action. Nothing
  // raises the platform's own irqs through the interrupt fabric (raiseIrq() only completes a
  // vector move), so no CPU is in their handler and nothing of them is in flight: free_irq()
  // cannot have to wait here
  private freeIrq(irq: number, owner: { dev: string; vec: number }): void {
    const { wait } = freeIrq(this.kernel, irq, owner, 0);
    if (wait !== null) throw new Error(`free_irq(${irq}) of a platform irq would wait: ${wait.what}`);
  }

  /** pci_enable_sriov(pf, numVfs): VFs are added to kernel.devices with their MSI domain set. */
  sriovEnable(pf: PciDev, numVfs: number, cap: SriovCap = DEFAULT_SRIOV): { ret: number; vfs: PciDev[] } {
    return this.sriov.enable(pf, numVfs, cap);
  }

  // pci_stop_and_remove_bus_device() of a PF: its VFs go first
  beforeDeviceRemove(dev: Device): void {
    if (dev instanceof PciDev && this.sriov.state.has(dev)) this.sriovDisable(dev);
  }

  /** A Hyper-V guest's MSIs are routed by the retarget in hv_irq_unmask(), at startup. */
  routedAtStartup(): boolean {
    return this.hyperv !== null;
  }

  // a vPCI irq whose retarget at unmask failed (only logged by hv_irq_retarget_interrupt())
  staleRoute(irq: number, at?: number): { readonly step: number; readonly site: string } | null {
    return this.hyperv?.staleRoute(irq, at) ?? null;
  }

  // hv_eject_device_work() after pci_stop_and_remove_bus_device(): off the bus, PCI_EJECTION_COMPLETE
  afterDeviceUnbind(dev: Device): void {
    if (dev instanceof PciDev) this.hyperv?.deviceRemoved(dev);
  }

  /** pci_disable_sriov(pf): VFs unbound and removed, last first. */
  sriovDisable(pf: PciDev): number {
    return this.sriov.disable(pf);
  }

  // --- x86-specific invariant views ---

  /** Matrix counters against the maps (empty when consistent). */
  matrixViolations(): string[] {
    return matrixConsistency(this.vec.matrix);
  }

  /** Every live (cpu, vector) of an irq is allocated in the matrix, owned once, and points back at it. */
  vectorViolations(): string[] {
    const out: string[] = [];
    const owner = new Map<string, number>();
    for (const irq of this.kernel.irqs.descs.keys()) {
      const apicd = this.vec.chipDataOf(irq);
      if (apicd === null) continue;
      const pairs: [number, number][] = [];
      if (apicd.vector !== 0) pairs.push([apicd.cpu, apicd.vector]);
      if (apicd.prevVector !== 0) pairs.push([apicd.prevCpu, apicd.prevVector]);
      for (const [cpu, vector] of pairs) {
        const key = `${cpu}.${vector}`;
        const prev = owner.get(key);
        if (prev !== undefined) out.push(`CPU ${cpu} vector ${vector} held by irq ${prev} and irq ${irq}`);
        owner.set(key, irq);
        const cm = this.vec.matrix.maps[cpu];
        if (cm?.allocMap[vector] !== 1) out.push(`irq ${irq}: CPU ${cpu} vector ${vector} not allocated in the matrix`);
        // a managed irq (IRQD_AFFINITY_MANAGED, set by the core) lives in its CPU's managed
        // reservation (irq_matrix_alloc_managed()); a regular one never takes a managed slot
        // (irq_matrix_alloc() skips managed_map)
        else if ((cm.managedMap[vector] === 1) !== (this.kernel.irqs.desc(irq)?.affinityManaged === true) && vector === apicd.vector && cpu === apicd.cpu) {
          out.push(`irq ${irq} (${this.kernel.irqs.desc(irq)?.affinityManaged === true ? 'managed' : 'not managed'}): CPU ${cpu} vector ${vector} is ${cm.managedMap[vector] === 1 ? '' : 'not '}a managed slot`);
        }
        const slot = this.vec.vectorIrq[cpu]?.[vector] ?? VECTOR_UNUSED;
        if (this.vec.isOnline(cpu) && slot !== irq) out.push(`irq ${irq}: vector_irq[${cpu}][${vector}] = ${slot}`);
      }
    }
    return out;
  }
}
