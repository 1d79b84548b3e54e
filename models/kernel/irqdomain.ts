// The genirq hierarchy (kernel/irq/irqdomain.c, irqdesc.c): Linux irq numbers, one
// irq_data per hierarchy level chained through parent_data, per-domain reverse maps,
// hierarchical alloc/free and activation. Domain-specific behaviour comes from IrqDomainOps.
import { Bitmap } from './bitmap';
import { EEXIST, EINVAL, ENOENT, ENOMEM, ENOSPC } from './errno';
import { KObject } from './heap';
import { UnitStamps, type AuditPool, type AuditUnit } from './audit';
import type { Kernel } from './kernel';
import type { MsiDesc } from './msi-desc';
import type { MsiParentOps } from './msi-types';
import type { IrqAction } from './irq-action';

export interface MsiMsg {
  addressHi: number;
  addressLo: number;
  data: number;
}

export interface IrqChip {
  readonly name: string;
  /** irq_compose_msi_msg(): the level that owns the doorbell writes the message. */
  composeMsiMsg?(k: Kernel, data: IrqData): MsiMsg;
  /** irq_write_msi_msg(): the device level stores the message into the device. */
  writeMsiMsg?(k: Kernel, data: IrqData, msg: MsiMsg): void;
  /** irq_startup(): route and enable the source (without it genirq calls irq_enable/unmask); 0 or a negative errno. */
  irqStartup?(k: Kernel, data: IrqData): number | void;
  /** irq_shutdown(): switch the source off (without it genirq masks). */
  irqShutdown?(k: Kernel, data: IrqData): void;
  irqMask?(k: Kernel, data: IrqData): void;
  irqUnmask?(k: Kernel, data: IrqData): void;
  /** irq_eoi(): end of interrupt, called by handle_fasteoi_irq(). */
  irqEoi?(k: Kernel, data: IrqData): void;
  /** irq_get_irqchip_state(IRQCHIP_STATE_ACTIVE): is an interrupt of this source in flight? */
  irqGetIrqchipStateActive?(k: Kernel, data: IrqData): boolean;
  /**
   * irq_set_affinity(): route the source to a CPU of `dest`; returns IRQ_SET_MASK_OK*, or a
   * negative errno. An MSI domain level without one gets msi_domain_set_affinity() (chip-call.ts).
   */
  irqSetAffinity?(k: Kernel, data: IrqData, dest: readonly number[], force: boolean): number;
  /** irq_retrigger(): resend the interrupt to where it is routed now (x86 fixup_irqs()). */
  irqRetrigger?(k: Kernel, data: IrqData): boolean;
  /**
   * irq_request_resources(): what the first request_irq() must get before anything else; a
   * negative errno fails request_irq(). irq_release_resources() gives it back when the last
   * handler goes.
   */
  irqRequestResources?(k: Kernel, data: IrqData): number;
  irqReleaseResources?(k: Kernel, data: IrqData): void;
  /**
   * IRQCHIP_MOVE_DEFERRED: the chip cannot move the interrupt from process context; an
   * affinity change is recorded (IRQD_SETAFFINITY_PENDING) and done when it next fires.
   */
  moveDeferred?: boolean;
  /** IRQCHIP_AFFINITY_PRE_STARTUP: irq_startup() routes the interrupt before the chip starts it, not after. */
  readonly affinityPreStartup?: boolean;
  /** irq_ack(): the edge flow acknowledges the interrupt before the handler (handle_edge_irq()). */
  irqAck?(k: Kernel, data: IrqData): void;
}

/** struct irq_affinity_desc: one vector's mask from irq_create_affinity_masks(). */
export interface IrqAffinityDesc {
  readonly mask: readonly number[];
  readonly isManaged: boolean;
}

export interface IrqDomainOps {
  alloc?(k: Kernel, d: IrqDomain, virq: number, nrIrqs: number, arg: unknown): number;
  free?(k: Kernel, d: IrqDomain, virq: number, nrIrqs: number): void;
  activate?(k: Kernel, d: IrqDomain, data: IrqData, reserve: boolean): number;
  deactivate?(k: Kernel, d: IrqDomain, data: IrqData): void;
}

export const DOMAIN_BUS_ANY = 'ANY';
export type BusToken =
  | 'ANY'
  | 'NEXUS'
  | 'PCI_MSI'
  | 'PCI_DEVICE_MSI'
  | 'PCI_DEVICE_MSIX'
  | 'DEVICE_MSI'
  | 'WIRED_TO_MSI'
  | 'DMAR'
  | 'AMDVI'
  | 'GENERIC_MSI'
  | 'VMD_MSI'
  | 'PCI_DEVICE_IMS';

export const IRQ_DOMAIN_FLAG_HIERARCHY = 1 << 0;
export const IRQ_DOMAIN_FLAG_MSI = 1 << 4;
export const IRQ_DOMAIN_FLAG_MSI_PARENT = 1 << 8;
export const IRQ_DOMAIN_FLAG_MSI_DEVICE = 1 << 9;
/** Only with the 87350178tl proposal: the domain wants a range freed in one ->free() call. */
export const IRQ_DOMAIN_FREE_BULK = 1 << 10;

/** A named fwnode_handle (struct irqchip_fwid): irq_domain_alloc_named_fwnode() kzalloc()s it. */
export class IrqFwnode extends KObject {
  readonly kind = 'fwnode';
  constructor(readonly name: string) {
    super();
  }
}

export class IrqDomain extends KObject {
  readonly kind = 'irq_domain';
  /** irq_domain::fwnode, where the domain was created with one the model allocates. */
  fwnode: IrqFwnode | null = null;
  /** hwirq -> irq_data of this level (the reverse map). */
  readonly revmap = new Map<number, IrqData>();
  mapcount = 0;
  removed = false;
  /** irq_domain::dev, set for per-device MSI domains. */
  dev: KObject | null = null;
  /** irq_domain::msi_parent_ops, set on MSI parent domains. */
  msiParentOps: MsiParentOps | null = null;
  /**
   * The domain's hwirq numbers are not unique by design (AMD-IR: `(devid << 16) + i` repeats for
   * every MSI-X vector); the kernel's radix-tree insert then silently keeps the first mapping.
   */
  sharedHwirqs = false;
  /**
   * For a domain with sharedHwirqs: the hardware resource each level stands for, which is unique
   * where the hwirq is not (AMD-IR: the IRTE, as its remap table and index). Null elsewhere.
   */
  hardwareId: ((data: IrqData) => string) | null = null;

  constructor(
    readonly name: string,
    readonly parent: IrqDomain | null,
    readonly ops: IrqDomainOps,
    public hostData: unknown,
    public flags: number,
    public busToken: BusToken,
  ) {
    super();
  }

  isMsiParent(): boolean {
    return (this.flags & IRQ_DOMAIN_FLAG_MSI_PARENT) !== 0;
  }

  isMsiDevice(): boolean {
    return (this.flags & IRQ_DOMAIN_FLAG_MSI_DEVICE) !== 0;
  }
}

/**
 * struct irq_data: the top level is embedded in the irq_desc; every parent level is kzalloc()ed
 * by irq_domain_alloc_irq_data() and kfree()d by irq_domain_free_irq_data().
 */
export class IrqData extends KObject {
  readonly kind = 'irq_data';
  hwirq = 0;
  chip: IrqChip | null = null;
  chipData: unknown = null;
  /** Set once irq_domain_insert_irq() published it in the domain's reverse map. */
  mapped = false;
  activated = false;
  /** irqd_can_reserve(): x86 reservation mode. */
  canReserve = false;
  /** The CPU the interrupt is routed to, where the level tracks one (effective affinity). */
  effectiveCpu = -1;

  constructor(
    readonly irq: number,
    readonly domain: IrqDomain,
    readonly parentData: IrqData | null,
  ) {
    super();
  }
}

/** struct irq_desc: kzalloc()ed by alloc_desc() (SPARSE_IRQ), kfree()d by free_desc(). */
export class IrqDesc extends KObject {
  readonly kind = 'irq_desc';
  msiDesc: MsiDesc | null = null;
  /** irq_desc::action: the handler request_irq() installed (one: no shared MSIs). */
  action: IrqAction | null = null;
  /** irqd_irq_disabled(): set until irq_startup(), again by irq_shutdown(). */
  disabled = true;
  /** irqd_is_started() */
  started = false;
  /** IRQS_PENDING: an interrupt arrived while disabled, without a handler, or while in progress elsewhere. */
  pendingReplay = false;
  /** IRQD_IRQ_INPROGRESS: a CPU is running the handler (handle_irq_event() sets and clears it). */
  inProgress = false;
  /** Offset of this irq inside a multi-MSI descriptor (irq_set_msi_desc_off). */
  msiOffset = 0;
  /** irq_common_data.affinity: the CPUs the irq may be routed to (all CPUs unless set). */
  affinity: number[] = [];
  /** irqd_affinity_is_managed(): the mask came from irq_create_affinity_masks() and is the kernel's. */
  affinityManaged = false;
  /** irqd_is_managed_and_shutdown(): shut down because no CPU of its managed mask is online. */
  managedShutdown = false;
  /** IRQD_AFFINITY_SET: someone chose the mask (irq_setup_affinity keeps it). */
  affinitySet = false;
  /** desc->pending_mask while IRQD_SETAFFINITY_PENDING (GENERIC_PENDING_IRQ), else null. */
  pendingMask: number[] | null = null;
  /** IRQD_FORWARDED_TO_VCPU (irq_common_data state): a GICv4 vLPI now, delivered to a vPE instead of the host. */
  forwardedToVcpu = false;

  constructor(
    readonly irq: number,
    /**
     * irq_desc::irq_data: the top (device) level of the hierarchy. A preallocated legacy
     * descriptor gets a hierarchy when a domain takes it over (__irq_domain_alloc_irqs(realloc)).
     */
    public irqData: IrqData,
  ) {
    super();
  }
}

/**
 * IrqDomain.hardwareId for a domain whose irqs repeat their hwirq by design but each keep a
 * kmalloc()ed object of their own in chip_data (a VMD child's vmd_irq, a vPCI irq's
 * tran_int_desc): that object. An irq with none yet holds no hardware resource at that level.
 */
export function chipDataIdentity(data: IrqData): string {
  const cd = data.chipData;
  return cd instanceof KObject && cd.addr !== 0 ? `${cd.kind}@0x${cd.addr.toString(16)}` : `no resource yet (irq ${data.irq})`;
}

/** The audit's id of Linux irq number `irq` in the `virq` pool. */
export function virqUnit(irq: number): string {
  return `irq ${irq}`;
}

/**
 * What irq_data::domain is for a descriptor no domain owns (irq_alloc_descs() without a domain:
 * Xen event-channel irqs, the 8259 PIC's preallocated legacy irqs). Not a kernel object: the C
 * pointer is NULL. Never registered, never mapped, no ops.
 */
export const NO_IRQ_DOMAIN = new IrqDomain('(no irq domain)', null, {}, null, 0, 'ANY');

/** Where __irq_domain_alloc_irqs() puts the irqs: first fit (default), exactly at irqBase, or over existing descriptors (realloc). */
export interface IrqBase {
  readonly irqBase?: number;
  readonly realloc?: boolean;
}

/** NR_IRQS for the model: enough for hundreds of devices, small enough to scan. */
export const NR_IRQS = 8192;

export class IrqCore {
  private readonly allocatedIrqs = new Bitmap(NR_IRQS);
  readonly descs = new Map<number, IrqDesc>();
  readonly domains: IrqDomain[] = [];

  /** Where each Linux irq number was allocated (irq_domain_alloc_descs), for the audit. */
  private readonly virqStamps: UnitStamps<number>;

  /**
   * arch_dynirq_lower_bound(): where a dynamically numbered irq may start. x86 keeps the GSI
   * space below it (ioapic_dynirq_base, the first GSI after the IOAPICs'); 0 elsewhere.
   */
  dynirqLowerBound = 0;

  constructor(private readonly k: Kernel) {
    // irq 0 is never handed out (it means "no interrupt" to drivers).
    this.allocatedIrqs.set(0, 1);
    this.virqStamps = new UnitStamps(k);
    k.audit.register(this.virqPool());
  }

  /** The allocated_irqs bitmap as an audit pool (irq 0 aside). */
  private virqPool(): AuditPool {
    const bits = this.allocatedIrqs;
    const stamps = this.virqStamps;
    return {
      name: 'virq',
      count: () => bits.weight() - 1,
      *units(): Iterable<AuditUnit> {
        for (const irq of bits.setBits()) if (irq !== 0) yield { id: virqUnit(irq), stamp: stamps.of(irq) };
      },
    };
  }

  // irq_domain_create_hierarchy() / irq_domain_instantiate()
  createDomain(
    name: string,
    parent: IrqDomain | null,
    ops: IrqDomainOps,
    hostData: unknown,
    flags: number,
    busToken: BusToken,
  ): IrqDomain {
    const d = this.k.heap.kmalloc(
      new IrqDomain(name, parent, ops, hostData, flags | (parent ? IRQ_DOMAIN_FLAG_HIERARCHY : 0), busToken),
      'irq_domain_instantiate',
    );
    this.domains.push(d);
    return d;
  }

  // irq_domain_remove()
  removeDomain(site: string, d: IrqDomain): void {
    // WARN_ON(!radix_tree_empty(&domain->revmap_tree)): the warning is irq_domain_remove()'s own
    if (d.revmap.size > 0) this.k.warn('irq_domain_remove', `${d.name} removed by ${site} with ${d.revmap.size} mapped interrupts`);
    d.removed = true;
    const i = this.domains.indexOf(d);
    if (i >= 0) this.domains.splice(i, 1);
    this.k.heap.kfree(site, d);
  }

  /** irq_to_desc() */
  desc(irq: number): IrqDesc | undefined {
    return this.descs.get(irq);
  }

  /** irq_domain_get_irq_data(): the irq_data of `virq` at the level of `domain`. */
  getIrqData(domain: IrqDomain, virq: number): IrqData | null {
    let data: IrqData | null = this.descs.get(virq)?.irqData ?? null;
    while (data !== null) {
      if (data.domain === domain) return data;
      data = data.parentData;
    }
    return null;
  }

  /** irq_find_mapping() */
  findMapping(domain: IrqDomain, hwirq: number): number {
    return domain.revmap.get(hwirq)?.irq ?? 0;
  }

  // __irq_domain_alloc_irqs(domain, -1, nr_irqs, node, arg, false, affinity): alloc_descs()
  // gives each descriptor its mask and marks managed ones (IRQD_AFFINITY_MANAGED)
  allocIrqs(domain: IrqDomain, nrIrqs: number, arg: unknown, affinity: readonly IrqAffinityDesc[] | null = null, at: IrqBase = {}): number {
    if (domain.ops.alloc === undefined) return -EINVAL;
    const realloc = at.realloc === true && at.irqBase !== undefined;
    let virq: number;
    if (realloc) {
      // realloc: the descriptors exist (preallocated legacy irqs); only the hierarchy is new
      virq = at.irqBase as number;
      for (let i = 0; i < nrIrqs; i++) if (!this.descs.has(virq + i)) return -EINVAL;
    } else {
      // irq_domain_alloc_descs(): first fit over the allocated_irqs bitmap, or exactly at irq_base
      virq = at.irqBase !== undefined ? (this.rangeFree(at.irqBase, nrIrqs) ? at.irqBase : -EEXIST) : this.dynamicFirstFit(nrIrqs);
      if (virq < 0) return at.irqBase !== undefined ? -EEXIST : -ENOSPC;
      // alloc_descs(): one alloc_desc() per irq; a failure frees the ones before it
      for (let i = 0; i < nrIrqs; i++) if (this.k.faults.shouldFail('irq_domain_alloc_descs')) return -ENOMEM;
    }
    const chain: IrqDomain[] = [];
    for (let d: IrqDomain | null = domain; d !== null; d = d.parent) chain.push(d);
    // irq_domain_alloc_irq_data(): per irq, one kzalloc per parent level (the top level's is
    // in the irq_desc); a failure frees the data so far, then the descriptors (out_free_desc)
    for (let i = 0; i < nrIrqs; i++) {
      for (let l = 1; l < chain.length; l++) if (this.k.faults.shouldFail('irq_domain_alloc_irq_data')) return -ENOMEM;
    }
    if (!realloc) {
      this.allocatedIrqs.set(virq, nrIrqs);
      for (let i = 0; i < nrIrqs; i++) this.virqStamps.take(virq + i, 'irq_domain_alloc_descs');
    }
    const previous = new Map<number, IrqData>();
    for (let i = 0; i < nrIrqs; i++) {
      let parentData: IrqData | null = null;
      for (let l = chain.length - 1; l >= 0; l--) parentData = new IrqData(virq + i, chain[l] as IrqDomain, parentData);
      // the descriptor first (alloc_descs()), then the parent levels irq_domain_alloc_irq_data()
      // kzalloc()s; the top level is in the desc
      const allocParents = (top: IrqData): void => {
        for (let d = top.parentData; d !== null; d = d.parentData) this.k.heap.kmalloc(d, 'irq_domain_alloc_irq_data');
      };
      const old = realloc ? this.descs.get(virq + i) : undefined;
      if (old !== undefined) {
        allocParents(parentData as IrqData);
        // IRQD_ACTIVATED lives in the descriptor's common data, which the new hierarchy shares
        if (old.irqData.activated) for (let d: IrqData | null = parentData; d !== null; d = d.parentData) d.activated = true;
        previous.set(virq + i, old.irqData);
        old.irqData = parentData as IrqData;
        this.k.touchIrq(virq + i);
        continue;
      }
      const desc = this.k.heap.kmalloc(new IrqDesc(virq + i, parentData as IrqData), 'alloc_desc');
      allocParents(desc.irqData);
      const aff = affinity?.[i];
      desc.affinity = aff !== undefined ? [...aff.mask] : Array.from({ length: this.k.nrCpus }, (_, c) => c);
      desc.affinityManaged = aff?.isManaged ?? false;
      this.descs.set(virq + i, desc);
      this.k.touchIrq(virq + i);
    }
    const ret = domain.ops.alloc(this.k, domain, virq, nrIrqs, arg);
    if (ret < 0) {
      // The level that failed undoes its own work; the core only drops data and descs
      // (a reallocated legacy descriptor keeps its descriptor and gets its old data back).
      if (realloc) {
        for (const [irq, data] of previous) {
          const desc = this.descs.get(irq) as IrqDesc;
          for (let d = desc.irqData.parentData; d !== null; d = d.parentData) this.k.heap.kfree('irq_domain_free_irq_data', d);
          desc.irqData = data;
        }
      } else {
        this.freeIrqDataAndDescs(virq, nrIrqs);
      }
      return ret;
    }
    for (let i = 0; i < nrIrqs; i++) this.insertIrq(virq + i);
    return virq;
  }

  // irq_domain_insert_irq(): publish every level in its domain's reverse map
  private insertIrq(virq: number): void {
    this.k.touchIrq(virq);
    for (let data = this.descs.get(virq)?.irqData ?? null; data !== null; data = data.parentData) {
      const other = data.domain.revmap.get(data.hwirq);
      if (other !== undefined && other !== data && !data.domain.sharedHwirqs) {
        this.k.report('double-free', 'irq_domain_insert_irq', `${data.domain.name}: hwirq ${data.hwirq} already mapped to irq ${other.irq}, now also irq ${virq}`);
      }
      if (other === undefined || !data.domain.sharedHwirqs) data.domain.revmap.set(data.hwirq, data);
      data.domain.mapcount += 1;
      data.mapped = true;
    }
  }

  // irq_domain_remove_irq()
  private removeIrq(virq: number): void {
    this.k.touchIrq(virq);
    for (let data = this.descs.get(virq)?.irqData ?? null; data !== null; data = data.parentData) {
      if (!data.mapped) continue;
      if (data.domain.revmap.get(data.hwirq) === data) data.domain.revmap.delete(data.hwirq);
      data.domain.mapcount -= 1;
      data.mapped = false;
    }
  }

  /** irq_alloc_desc(): one Linux irq outside any domain (a legacy INTx line), first fit. */
  allocDesc(): number {
    const virq = this.allocatedIrqs.findZeroArea(1, 0);
    if (virq < 0) return -ENOSPC;
    this.allocatedIrqs.set(virq, 1);
    this.virqStamps.take(virq, 'irq_alloc_desc');
    return virq;
  }

  /** irq_free_desc() */
  freeDesc(irq: number): void {
    this.allocatedIrqs.clear(irq, 1, (what) => this.k.report('double-free', 'irq_free_desc', what));
    this.virqStamps.drop(irq);
  }

  // irq_domain_alloc_irqs_parent()
  allocIrqsParent(domain: IrqDomain, virq: number, nrIrqs: number, arg: unknown): number {
    const parent = domain.parent;
    if (parent === null || parent.ops.alloc === undefined) return -EINVAL;
    return parent.ops.alloc(this.k, parent, virq, nrIrqs, arg);
  }

  // irq_domain_free_irqs(): unpublish, free every level top-down one irq at a time, drop descs
  freeIrqs(site: string, virq: number, nrIrqs: number): void {
    const top = this.descs.get(virq)?.irqData;
    if (top === undefined) {
      this.k.warn(site, `irq_domain_free_irqs(${virq}, ${nrIrqs}): NULL pointer, cannot free irq`);
      return;
    }
    for (let i = 0; i < nrIrqs; i++) this.removeIrq(virq + i);
    this.freeIrqsHierarchy(top.domain, virq, nrIrqs);
    this.freeIrqDataAndDescs(virq, nrIrqs);
  }

  /**
   * irq_domain_free_irqs_hierarchy(): calls ->free(domain, irq, 1) for every irq in the range
   * that has data at this level. `nrIrqs` is an unsigned int in C, so a negative count wraps
   * into a four-billion-iteration loop: the model walks only the irqs that exist, and reports
   * the loop the kernel would be stuck in.
   */
  freeIrqsHierarchy(domain: IrqDomain, irqBase: number, nrIrqs: number): void {
    const n = nrIrqs >>> 0;
    const free = domain.ops.free;
    if (free === undefined) return;
    if (n > 1 << 20) {
      this.k.report('soft-lockup', 'irq_domain_free_irqs_hierarchy', `${domain.name}: free loop over ${n} irqs from ${irqBase} (nr_irqs wrapped)`);
    }
    if (this.k.applied('87350178tl') && (domain.flags & IRQ_DOMAIN_FREE_BULK) !== 0) {
      if (this.getIrqData(domain, irqBase) !== null) free(this.k, domain, irqBase, n);
      return;
    }
    const end = Math.min(irqBase + n, NR_IRQS);
    for (let irq = irqBase; irq < end; irq++) {
      if (this.getIrqData(domain, irq) !== null) free(this.k, domain, irq, 1);
    }
  }

  // irq_domain_free_irqs_parent()
  freeIrqsParent(domain: IrqDomain, virq: number, nrIrqs: number): void {
    if (domain.parent !== null) this.freeIrqsHierarchy(domain.parent, virq, nrIrqs);
  }

  // irq_domain_reset_irq_data()
  resetIrqData(data: IrqData): void {
    this.k.touchIrq(data.irq);
    data.hwirq = 0;
    data.chip = null;
    data.chipData = null;
  }

  // irq_domain_set_hwirq_and_chip()
  setHwirqAndChip(domain: IrqDomain, virq: number, hwirq: number, chip: IrqChip, chipData: unknown): number {
    const data = this.getIrqData(domain, virq);
    if (data === null) return -ENOENT;
    this.k.touchIrq(virq);
    data.hwirq = hwirq;
    data.chip = chip;
    data.chipData = chipData;
    return 0;
  }

  // irq_domain_free_irq_data() + irq_free_descs()
  private freeIrqDataAndDescs(virq: number, nrIrqs: number): void {
    for (let i = 0; i < nrIrqs; i++) {
      this.k.touchIrq(virq + i);
      const desc = this.descs.get(virq + i);
      if (desc === undefined) {
        this.k.report('double-free', 'irq_free_descs', `irq ${virq + i} freed but not allocated`);
        continue;
      }
      for (let d = desc.irqData.parentData; d !== null; d = d.parentData) this.k.heap.kfree('irq_domain_free_irq_data', d);
      this.descs.delete(virq + i);
      this.k.heap.kfree('free_desc', desc);
      this.virqStamps.drop(virq + i);
    }
    this.allocatedIrqs.clear(virq, nrIrqs, (what) => this.k.report('double-free', 'irq_free_descs', what));
  }

  // irq_domain_activate_irq(): parents first, undo on failure
  activateIrq(data: IrqData, reserve: boolean): number {
    if (data.activated) return 0;
    const ret = this.activateLevel(data, reserve);
    if (ret === 0) this.markActivated(data, true);
    return ret;
  }

  private activateLevel(data: IrqData, reserve: boolean): number {
    if (data.parentData !== null) {
      const ret = this.activateLevel(data.parentData, reserve);
      if (ret !== 0) return ret;
    }
    const act = data.domain.ops.activate;
    if (act === undefined) return 0;
    const ret = act(this.k, data.domain, data, reserve);
    if (ret !== 0 && data.parentData !== null) this.deactivateLevel(data.parentData);
    return ret;
  }

  // irq_domain_deactivate_irq(): children first
  deactivateIrq(data: IrqData): void {
    if (!data.activated) return;
    this.deactivateLevel(data);
    this.markActivated(data, false);
  }

  private deactivateLevel(data: IrqData): void {
    data.domain.ops.deactivate?.(this.k, data.domain, data);
    if (data.parentData !== null) this.deactivateLevel(data.parentData);
  }

  private markActivated(data: IrqData, on: boolean): void {
    this.k.touchIrq(data.irq);
    for (let d: IrqData | null = data; d !== null; d = d.parentData) d.activated = on;
  }

  /** irq_chip_compose_msi_msg(): the outermost level (closest to the device) with a composer. */
  composeMsiMsg(top: IrqData): { msg: MsiMsg; level: IrqData } | null {
    for (let d: IrqData | null = top; d !== null; d = d.parentData) {
      const compose = d.chip?.composeMsiMsg;
      if (compose !== undefined) return { msg: compose(this.k, d), level: d };
    }
    return null;
  }

  /**
   * irq_alloc_descs(irq, from, cnt): descriptors owned by no domain (Xen event-channel irqs, the
   * 8259's legacy irqs). `irq` >= 0 asks for exactly that number (irq_alloc_desc_at()). Returns
   * the first irq or a negative errno.
   */
  allocDescs(irq: number, from: number, cnt: number, chip: IrqChip | null): number {
    const virq = irq >= 0 ? (this.rangeFree(irq, cnt) ? irq : -EEXIST) : from === 0 ? this.dynamicFirstFit(cnt) : this.firstFitFrom(Math.max(from, this.dynirqLowerBound), cnt);
    if (virq < 0) return irq >= 0 ? -EEXIST : -ENOMEM;
    if (this.k.faults.shouldFail('irq_alloc_descs')) return -ENOMEM;
    this.allocatedIrqs.set(virq, cnt);
    for (let i = 0; i < cnt; i++) {
      this.virqStamps.take(virq + i, 'irq_alloc_descs');
      const data = new IrqData(virq + i, NO_IRQ_DOMAIN, null);
      data.chip = chip;
      const desc = this.k.heap.kmalloc(new IrqDesc(virq + i, data), 'alloc_desc');
      desc.affinity = Array.from({ length: this.k.nrCpus }, (_, c) => c);
      this.descs.set(virq + i, desc);
      this.k.touchIrq(virq + i);
    }
    return virq;
  }

  private rangeFree(start: number, cnt: number): boolean {
    if (start < 0 || start + cnt > NR_IRQS) return false;
    for (let i = start; i < start + cnt; i++) if (this.allocatedIrqs.test(i)) return false;
    return true;
  }

  /** irq_alloc_descs(-1, from, cnt): the first free run at or above `from`, or -1. */
  private firstFitFrom(from: number, cnt: number): number {
    for (let start = Math.max(0, from); start + cnt <= NR_IRQS; start++) if (this.rangeFree(start, cnt)) return start;
    return -1;
  }

  /** __irq_alloc_descs(-1, 0, cnt): first fit from arch_dynirq_lower_bound(). */
  private dynamicFirstFit(cnt: number): number {
    return this.dynirqLowerBound > 0 ? this.firstFitFrom(this.dynirqLowerBound, cnt) : this.allocatedIrqs.findZeroArea(cnt, 0);
  }

  /**
   * early_irq_init(): the descriptors of the legacy irqs 0..cnt-1, preallocated before any
   * domain exists (arch_probe_nr_irqs() returns the PIC's count), with the PIC as their chip.
   * They are boot state: irq 0 among them, which no dynamic allocation ever hands out.
   */
  preallocLegacyDescs(cnt: number, chip: IrqChip): void {
    for (let irq = 0; irq < cnt; irq++) {
      if (irq !== 0) {
        this.allocatedIrqs.set(irq, 1);
        this.virqStamps.take(irq, 'early_irq_init');
      }
      const data = new IrqData(irq, NO_IRQ_DOMAIN, null);
      data.chip = chip;
      const desc = this.k.heap.kmalloc(new IrqDesc(irq, data), 'alloc_desc');
      desc.affinity = Array.from({ length: this.k.nrCpus }, (_, c) => c);
      this.descs.set(irq, desc);
    }
  }

  /** irq_free_descs() of descriptors allocDescs() made (no hierarchy to free). */
  freeDescs(irq: number, cnt: number): void {
    this.freeIrqDataAndDescs(irq, cnt);
  }

  allocatedIrqCount(): number {
    return this.descs.size;
  }
}
