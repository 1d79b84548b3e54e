// arch/x86/kernel/apic/io_apic.c (and the ACPI side in arch/x86/kernel/acpi/boot.c): one
// IOAPIC as a child of the vector domain, or of the remapping unit that claims it. Its pins
// are the domain's hwirqs; the irq of a pin holds an mp_chip_data with the route entry (RTE)
// the hardware gets, composed from the parent's MSI message (ioapic_setup_msg_from_msi()).
// At boot setup_IO_APIC() takes the legacy ISA irqs over from the 8259 (the timer keeps its
// vector); later ACPI maps and unmaps GSIs (acpi_register_gsi() / acpi_unregister_gsi()).
import { EBUSY, EEXIST, EINVAL, ENODEV, ENOENT, ENOMEM } from '../../kernel/errno';
import { KObject } from '../../kernel/heap';
import { NO_IRQ_DOMAIN, type IrqChip, type IrqData, type IrqDomain, type IrqDomainOps, type MsiMsg } from '../../kernel/irqdomain';
import type { Kernel } from '../../kernel/kernel';
import { chipRetrigger, chipSetAffinity, IRQ_SET_MASK_OK_DONE } from '../../kernel/chip-call';
import { MsiAllocInfo } from '../../kernel/msi-alloc-info';
import { initIrqAllocInfo, x86Info, type IoapicAllocInfo } from './alloc-info';
import type { I8259 } from './i8259';
import { X86_MSI_BASE_ADDRESS_LOW } from './msi-msg';
import { NR_IRQS_LEGACY, PIC_CASCADE_IR } from './vector';

/** mp_map_gsi_to_irq() flags */
export const IOAPIC_MAP_ALLOC = 0x1;
export const IOAPIC_MAP_CHECK = 0x2;

/** An ACPI MADT interrupt source override: ISA irq `irq` arrives at GSI `gsi` with these attributes. */
export interface IsaOverride {
  readonly irq: number;
  readonly gsi: number;
  readonly isLevel: boolean;
  readonly activeLow: boolean;
}

/** What the MADT says about the IOAPIC (struct mpc_ioapic, mp_ioapic_gsi). */
export interface IoApicConfig {
  /** mpc_ioapic_id(): the APIC id the remapping tables (DMAR, IVRS) name it by. */
  readonly id: number;
  readonly gsiBase: number;
  readonly nrPins: number;
  readonly overrides: readonly IsaOverride[];
}

/** The usual PC: IRQ0 on pin 2, the ACPI SCI (IRQ9) level-triggered active low. */
export const DEFAULT_IOAPIC: IoApicConfig = {
  id: 0,
  gsiBase: 0,
  nrPins: 24,
  overrides: [
    { irq: 0, gsi: 2, isLevel: false, activeLow: false },
    { irq: 9, gsi: 9, isLevel: true, activeLow: true },
  ],
};

/**
 * struct IO_APIC_route_entry. The 15 bits at address bits 5-19 are the remapping index in
 * remappable format; in compatibility format their top 8 are the destination APIC id.
 */
export interface IoApicRte {
  vector: number;
  destModeLogical: boolean;
  irFormat: boolean;
  irIndex0to14: number;
  isLevel: boolean;
  activeLow: boolean;
  masked: boolean;
}

function maskedRte(): IoApicRte {
  return { vector: 0, destModeLogical: false, irFormat: false, irIndex0to14: 0, isLevel: false, activeLow: false, masked: true };
}

/** struct irq_pin_list */
export class IrqPinList extends KObject {
  readonly kind = 'irq_pin_list';
  constructor(
    readonly apic: number,
    readonly pin: number,
  ) {
    super();
  }
}

/** struct mp_chip_data: the IOAPIC level's chip data of an irq. */
export class MpChipData extends KObject {
  readonly kind = 'mp_chip_data';
  /** The RTE as the kernel keeps it; written to every pin of irq2pin. */
  entry: IoApicRte = maskedRte();
  isLevel = false;
  activeLow = false;
  isaIrq = false;
  /** How many mp_map_pin_to_irq(IOAPIC_MAP_ALLOC) callers hold the mapping. */
  count = 0;
  readonly irq2pin: IrqPinList[] = [];
}

/** One entry of mp_irqs[] (struct mpc_intsrc) for an ISA irq, as mp_config_acpi_legacy_irqs() fills it. */
interface MpIrq {
  readonly srcbusirq: number;
  readonly dstirq: number;
}

export class IoApic {
  /** The RTE registers of the chip, one per pin (what the hardware reads). */
  readonly rtes: IoApicRte[];
  readonly domain: IrqDomain;
  /** mp_irqs[]: the ISA irqs routed to this IOAPIC. */
  private readonly mpIrqs: MpIrq[] = [];
  /** ioapic_initialized: set at the end of setup_IO_APIC(). */
  initialized = false;

  // mp_register_ioapic() + mp_config_acpi_legacy_irqs() + mp_irqdomain_create()
  constructor(
    private readonly k: Kernel,
    readonly config: IoApicConfig,
    parent: IrqDomain,
    private readonly vectorDomain: IrqDomain,
    private readonly pic: I8259,
  ) {
    this.rtes = Array.from({ length: config.nrPins }, maskedRte);
    this.mpIrqs = acpiLegacyIrqs(config);
    this.domain = k.irqs.createDomain(`IO-APIC-${config.id}`, parent, this.ops(), this, 0, 'ANY');
    // IOAPIC_DOMAIN_LEGACY (gsi_base 0): dynamic irqs start above this IOAPIC's GSIs
    k.irqs.dynirqLowerBound = Math.max(k.irqs.dynirqLowerBound, config.gsiBase + config.nrPins);
  }

  get gsiEnd(): number {
    return this.config.gsiBase + this.config.nrPins - 1;
  }

  /** The pin of `gsi`, or -1 when another IOAPIC (or none) has it (mp_find_ioapic()). */
  pinOf(gsi: number): number {
    return gsi >= this.config.gsiBase && gsi <= this.gsiEnd ? gsi - this.config.gsiBase : -1;
  }

  // find_irq_entry(ioapic, pin, mp_INT)
  private findIrqEntry(pin: number): number {
    return this.mpIrqs.findIndex((e) => e.dstirq === pin);
  }

  // __acpi_get_override_irq(): an ISA GSI's attributes (the override's, else edge high); -1 above
  private overrideAttr(gsi: number): { isLevel: boolean; activeLow: boolean } | null {
    if (gsi >= NR_IRQS_LEGACY) return null;
    const o = this.config.overrides.find((x) => x.gsi === gsi);
    return o === undefined ? { isLevel: false, activeLow: false } : { isLevel: o.isLevel, activeLow: o.activeLow };
  }

  /** The mapped pins and their irqs, from the domain's reverse map (irq 0 included). */
  pinIrqs(): { pin: number; irq: number }[] {
    const out: { pin: number; irq: number }[] = [];
    for (const [pin, d] of this.domain.revmap) out.push({ pin, irq: d.irq });
    return out.sort((a, b) => a.pin - b.pin);
  }

  /** What ACPI says about a GSI (a _CRS or _PRT entry): the ISA override's, else a PCI line's (level, low). */
  firmwareAttr(gsi: number): { isLevel: boolean; activeLow: boolean } {
    return this.overrideAttr(gsi) ?? { isLevel: true, activeLow: true };
  }

  /** The irq of `pin` now, or 0. */
  irqOfPin(pin: number): number {
    return this.k.irqs.findMapping(this.domain, pin);
  }

  // --- the domain (mp_ioapic_irqdomain_ops) ---

  private ops(): IrqDomainOps {
    return {
      alloc: (k, domain, virq, nrIrqs, arg) => this.mpIrqdomainAlloc(k, domain, virq, nrIrqs, arg),
      free: (k, domain, virq, nrIrqs) => this.mpIrqdomainFree(k, domain, virq, nrIrqs),
      // mp_irqdomain_activate(): the RTE gets the parent's routing now
      activate: (_k, _domain, d) => {
        this.configureEntry(d);
        return 0;
      },
      // mp_irqdomain_deactivate() -> ioapic_mask_entry(): a masked, empty RTE in the chip
      deactivate: (_k, _domain, d) => {
        this.rtes[d.hwirq] = maskedRte();
      },
    };
  }

  /** mp_irqdomain_alloc(): one pin; the parent levels first, then the pin list. 0 or a negative errno. */
  private mpIrqdomainAlloc(k: Kernel, domain: IrqDomain, virq: number, nrIrqs: number, arg: unknown): number {
    const info = x86Info(arg as MsiAllocInfo | null);
    if (info === null || info.ioapic === null || nrIrqs > 1) return -EINVAL;
    const irqd = k.irqs.getIrqData(domain, virq);
    if (irqd === null) return -EINVAL;
    const pin = info.ioapic.pin;
    // irq_resolve_mapping(): any irq on the pin, irq 0 included (6.12's irq_find_mapping() > 0
    // missed irq 0's pin; no path here allocates that pin twice)
    if (domain.revmap.has(pin)) return -EEXIST;
    if (k.faults.shouldFail('mp_irqdomain_alloc')) return -ENOMEM;
    const data = k.heap.kmalloc(new MpChipData(), 'mp_irqdomain_alloc');
    const ret = k.irqs.allocIrqsParent(domain, virq, nrIrqs, arg);
    if (ret < 0) {
      k.heap.kfree('mp_irqdomain_alloc', data);
      return ret;
    }
    irqd.hwirq = pin;
    irqd.chip = domain.parent === this.vectorDomain ? this.ioapicChip : this.ioapicIrChip;
    irqd.chipData = data;
    this.getAttr(data, info.ioapic);
    if (!this.addPinToIrqNode(k, data, pin)) {
      k.irqs.freeIrqsParent(domain, virq, nrIrqs);
      k.heap.kfree('mp_irqdomain_alloc', data);
      return -ENOMEM;
    }
    // mp_preconfigure_entry(): level irqs start masked, edge ones are masked by the core if they fire
    data.entry = { ...maskedRte(), isLevel: data.isLevel, activeLow: data.activeLow, masked: data.isLevel };
    // mp_register_handler(): handle_fasteoi_irq or handle_edge_irq (the model has one flow)
    if (virq < NR_IRQS_LEGACY) this.pic.mask(virq);
    return 0;
  }

  // mp_irqdomain_get_attr(): the caller's attributes, else the ACPI override's, else PCI's (level, low)
  private getAttr(data: MpChipData, io: IoapicAllocInfo): void {
    const o = io.valid ? io : this.firmwareAttr(this.config.gsiBase + io.pin);
    data.isLevel = o.isLevel;
    data.activeLow = o.activeLow;
  }

  // add_pin_to_irq_node(): a pin already on the list is fine; false when the entry cannot be allocated
  private addPinToIrqNode(k: Kernel, data: MpChipData, pin: number): boolean {
    if (data.irq2pin.some((e) => e.apic === this.config.id && e.pin === pin)) return true;
    if (k.faults.shouldFail('add_pin_to_irq_node')) {
      k.printk(`Cannot allocate irq_pin_list (${this.config.id},${pin})`);
      return false;
    }
    data.irq2pin.push(k.heap.kmalloc(new IrqPinList(this.config.id, pin), 'add_pin_to_irq_node'));
    return true;
  }

  /** mp_irqdomain_free(): the pin off the list, the chip data, then irq_domain_free_irqs_top(). */
  private mpIrqdomainFree(k: Kernel, domain: IrqDomain, virq: number, nrIrqs: number): void {
    if (nrIrqs !== 1) throw new Error(`mp_irqdomain_free(${virq}, ${nrIrqs}): BUG_ON(nr_irqs != 1)`);
    const irqd = k.irqs.getIrqData(domain, virq);
    if (irqd !== null && irqd.chipData !== null) {
      const data = k.heap.deref('mp_irqdomain_free', irqd.chipData as MpChipData, 'mp_chip_data');
      // __remove_pin_from_irq()
      const i = data.irq2pin.findIndex((e) => e.apic === this.config.id && e.pin === irqd.hwirq);
      if (i >= 0) k.heap.kfree('__remove_pin_from_irq', data.irq2pin.splice(i, 1)[0]);
      if (data.irq2pin.length > 0) k.warn('mp_irqdomain_free', `irq ${virq} still has ${data.irq2pin.length} pin(s)`);
      k.heap.kfree('mp_irqdomain_free', data);
    }
    if (irqd !== null) k.irqs.resetIrqData(irqd);
    k.irqs.freeIrqsParent(domain, virq, nrIrqs);
  }

  /** ioapic_configure_entry(): the RTE from the parent's message, written to every pin of the irq. */
  private configureEntry(d: IrqData): void {
    const data = this.k.heap.deref('ioapic_configure_entry', d.chipData as MpChipData | null, 'mp_chip_data');
    const composed = this.k.irqs.composeMsiMsg(d);
    if (composed !== null) ioapicSetupMsgFromMsi(composed.msg, data.entry);
    this.writeEntry(data);
  }

  // __ioapic_write_entry() for every pin of the irq
  private writeEntry(data: MpChipData): void {
    for (const p of data.irq2pin) if (p.apic === this.config.id) this.rtes[p.pin] = { ...data.entry };
  }

  // io_apic_modify_irq(): the mask bit of the kernel's copy and of every pin
  private modifyIrq(d: IrqData, masked: boolean): void {
    const data = this.k.heap.deref(masked ? 'mask_ioapic_irq' : 'unmask_ioapic_irq', d.chipData as MpChipData | null, 'mp_chip_data');
    data.entry.masked = masked;
    for (const p of data.irq2pin) {
      const rte = this.rtes[p.pin];
      if (p.apic === this.config.id && rte !== undefined) rte.masked = masked;
    }
  }

  /** ioapic_set_affinity(): the parent moves the vector; unless it says DONE (remapped), the RTE follows. */
  private setAffinity(k: Kernel, d: IrqData, dest: readonly number[], force: boolean): number {
    const parent = d.parentData;
    if (parent === null) return -EINVAL;
    const ret = chipSetAffinity(k, parent, dest, force);
    if (ret >= 0 && ret !== IRQ_SET_MASK_OK_DONE) this.configureEntry(d);
    return ret;
  }

  private chip(name: string): IrqChip {
    return {
      name,
      // startup_ioapic_irq(): off the PIC, on at the IOAPIC
      irqStartup: (_k, d) => {
        if (d.irq < NR_IRQS_LEGACY) this.pic.mask(d.irq);
        this.modifyIrq(d, false);
        return 0;
      },
      irqMask: (_k, d) => this.modifyIrq(d, true),
      irqUnmask: (_k, d) => this.modifyIrq(d, false),
      irqSetAffinity: (k, d, dest, force) => this.setAffinity(k, d, dest, force),
      // irq_chip_retrigger_hierarchy()
      irqRetrigger: (k, d) => d.parentData !== null && chipRetrigger(k, d.parentData),
      // IRQCHIP_MOVE_DEFERRED: an RTE is rewritten only while its interrupt is being handled
      moveDeferred: true,
      affinityPreStartup: true,
    };
  }

  /** ioapic_chip (on the vector domain) */
  readonly ioapicChip: IrqChip = this.chip('IO-APIC');
  /** ioapic_ir_chip (on a remapping domain) */
  readonly ioapicIrChip: IrqChip = this.chip('IR-IO-APIC');

  // --- mapping GSIs and pins to irqs ---

  // ioapic_copy_alloc_attr(): an IOAPIC allocation for `pin` with the caller's or firmware's attributes
  private allocAttr(gsi: number, pin: number, attr: { isLevel: boolean; activeLow: boolean } | null): MsiAllocInfo {
    const arg = new MsiAllocInfo();
    const x86 = initIrqAllocInfo(arg);
    x86.type = 'IOAPIC';
    x86.devid = this.config.id;
    const a = attr ?? this.firmwareAttr(gsi);
    x86.ioapic = { valid: true, isLevel: a.isLevel, activeLow: a.activeLow, id: this.config.id, pin };
    return arg;
  }

  // mp_check_pin_attr(): the first user of a legacy irq may reprogram it; everyone else must agree
  private checkPinAttr(irq: number, io: IoapicAllocInfo): boolean {
    const data = this.chipDataOf(irq);
    if (data === null) return false;
    if (irq < NR_IRQS_LEGACY && data.count === 1) {
      data.isLevel = data.entry.isLevel = io.isLevel;
      data.activeLow = data.entry.activeLow = io.activeLow;
    }
    return data.isLevel === io.isLevel && data.activeLow === io.activeLow;
  }

  /** The IOAPIC level's chip data of `irq`, or null. */
  chipDataOf(irq: number): MpChipData | null {
    const d = this.k.irqs.getIrqData(this.domain, irq);
    return d !== null && d.chipData instanceof MpChipData ? d.chipData : null;
  }

  // alloc_irq_from_domain(), IOAPIC_DOMAIN_LEGACY: the GSI's own number, except a non-ISA GSI
  // below 16 once the IOAPIC is up, which gets a dynamic one
  private allocIrqFromDomain(gsi: number, info: MsiAllocInfo): number {
    const irq = !this.initialized || gsi >= NR_IRQS_LEGACY ? gsi : -1;
    const legacy = irq >= 0 && irq < NR_IRQS_LEGACY;
    return this.k.irqs.allocIrqs(this.domain, 1, info, null, irq >= 0 ? { irqBase: irq, realloc: legacy } : {});
  }

  // alloc_isa_irq_from_domain(): an ISA irq the IOAPIC has already only gains the pin; otherwise
  // its preallocated descriptor gets the hierarchy (X86_IRQ_ALLOC_LEGACY)
  private allocIsaIrqFromDomain(irq: number, pin: number, info: MsiAllocInfo): number {
    const top = this.k.irqs.desc(irq)?.irqData ?? null;
    const x86 = x86Info(info);
    if (x86 === null || x86.ioapic === null) return -EINVAL;
    if (top !== null && top.parentData !== null) {
      if (!this.checkPinAttr(irq, x86.ioapic)) return -EBUSY;
      const data = this.chipDataOf(irq);
      if (data === null || !this.addPinToIrqNode(this.k, data, pin)) return -ENOMEM;
      return irq;
    }
    x86.legacy = true;
    const ret = this.k.irqs.allocIrqs(this.domain, 1, info, null, { irqBase: irq, realloc: true });
    if (ret >= 0) {
      const data = this.chipDataOf(ret);
      if (data !== null) data.isaIrq = true;
    }
    return ret;
  }

  /** mp_map_pin_to_irq(): the irq of a pin, found or (IOAPIC_MAP_ALLOC) allocated; a negative errno otherwise. */
  mpMapPinToIrq(gsi: number, idx: number, pin: number, flags: number, attr: { isLevel: boolean; activeLow: boolean } | null): number {
    let irq = -1;
    let legacy = false;
    const entry = idx >= 0 ? this.mpIrqs[idx] : undefined;
    if (entry !== undefined) {
      irq = entry.srcbusirq;
      legacy = irq < NR_IRQS_LEGACY;
      // IRQ2 is unusable on a machine with a legacy PIC (the cascade)
      if (legacy && irq === PIC_CASCADE_IR) return -EINVAL;
    }
    if ((flags & IOAPIC_MAP_ALLOC) === 0) {
      if (!legacy) {
        irq = this.irqOfPin(pin);
        if (irq === 0) irq = -ENOENT;
      }
      return irq;
    }
    const info = this.allocAttr(gsi, pin, attr);
    if (legacy) irq = this.allocIsaIrqFromDomain(irq, pin, info);
    else if ((irq = this.irqOfPin(pin)) === 0) irq = this.allocIrqFromDomain(gsi, info);
    else if (!this.checkPinAttr(irq, x86Info(info)?.ioapic as IoapicAllocInfo)) irq = -EBUSY;
    if (irq >= 0) {
      const data = this.chipDataOf(irq);
      if (data !== null) data.count++;
    }
    return irq;
  }

  /** mp_map_gsi_to_irq() */
  mpMapGsiToIrq(gsi: number, flags: number, attr: { isLevel: boolean; activeLow: boolean } | null): number {
    const pin = this.pinOf(gsi);
    if (pin < 0) return -ENODEV;
    const idx = this.findIrqEntry(pin);
    if ((flags & IOAPIC_MAP_CHECK) !== 0 && idx < 0) return -ENODEV;
    return this.mpMapPinToIrq(gsi, idx, pin, flags, attr);
  }

  /** mp_unmap_irq(): the last holder frees the irq; an ISA irq is never given back. */
  mpUnmapIrq(irq: number): void {
    const top = this.k.irqs.desc(irq)?.irqData ?? null;
    if (top === null || top.domain === NO_IRQ_DOMAIN) return;
    const data = top.chipData instanceof MpChipData ? top.chipData : null;
    if (data === null || data.isaIrq) return;
    if (--data.count === 0) this.k.irqs.freeIrqs('mp_unmap_irq', irq, 1);
  }

  /** setup_IO_APIC_irqs() for the first IOAPIC: every pin the firmware routes an ISA irq to. */
  setupIoApicIrqs(): void {
    for (let pin = 0; pin < this.config.nrPins; pin++) {
      const idx = this.findIrqEntry(pin);
      if (idx < 0) {
        this.k.printk(`apic ${this.config.id} pin ${pin} not connected`);
        continue;
      }
      // pin_2_irq()
      this.mpMapPinToIrq(this.config.gsiBase + pin, idx, pin, IOAPIC_MAP_ALLOC, null);
    }
  }

  /**
   * check_timer(): irq 0 through the IOAPIC. Its pin is deactivated and activated again, which
   * writes the RTE from the vector the timer kept (vector_configure_legacy()).
   */
  checkTimer(): void {
    this.pic.mask(0);
    const desc = this.k.irqs.desc(0);
    if (desc === undefined || desc.irqData.parentData === null) return;
    this.k.irqs.deactivateIrq(desc.irqData);
    const ret = this.k.irqs.activateIrq(desc.irqData, false);
    if (ret !== 0) this.k.printk(`..MP-BIOS bug: 8254 timer not connected to IO-APIC (${ret})`);
  }

  /** The message an RTE makes the IOAPIC send (the inverse of ioapic_setup_msg_from_msi()). */
  static rteMessage(rte: IoApicRte): MsiMsg {
    const lo = (X86_MSI_BASE_ADDRESS_LOW << 20) | ((rte.irIndex0to14 & 0x7fff) << 5) | ((rte.irFormat ? 1 : 0) << 4) | ((rte.destModeLogical ? 1 : 0) << 2);
    return { addressHi: 0, addressLo: lo >>> 0, data: rte.vector & 0xff };
  }
}

/**
 * ioapic_setup_msg_from_msi(): the routing bits of the parent's MSI message into the RTE: the
 * vector (VT-d: the subhandle, AMD-Vi: the IRTE index), the format bit, the 15 index bits
 * (compatibility format: the destination id in their top 8), index bit 15 as the mode bit.
 */
export function ioapicSetupMsgFromMsi(msg: MsiMsg, entry: IoApicRte): void {
  entry.vector = msg.data & 0xff;
  entry.destModeLogical = ((msg.addressLo >>> 2) & 1) === 1;
  entry.irFormat = ((msg.addressLo >>> 4) & 1) === 1;
  entry.irIndex0to14 = (msg.addressLo >>> 5) & 0x7fff;
}

/**
 * mp_config_acpi_legacy_irqs(): an mp_irqs[] entry per ISA irq on this IOAPIC, at the GSI its
 * override names (else its own number), unless the irq or the pin has one already. IRQ0's
 * override to pin 2 leaves pin 0 unconnected and takes pin 2 from the cascade.
 */
function acpiLegacyIrqs(cfg: IoApicConfig): MpIrq[] {
  const out: MpIrq[] = [];
  for (const o of cfg.overrides) {
    const pin = o.gsi - cfg.gsiBase;
    if (pin >= 0 && pin < cfg.nrPins) out.push({ srcbusirq: o.irq, dstirq: pin });
  }
  for (let irq = 0; irq < NR_IRQS_LEGACY; irq++) {
    const pin = irq - cfg.gsiBase;
    if (pin < 0 || pin >= cfg.nrPins || cfg.overrides.some((o) => o.irq === irq)) continue;
    if (out.some((e) => e.srcbusirq === irq || e.dstirq === pin)) continue;
    out.push({ srcbusirq: irq, dstirq: pin });
  }
  return out;
}
