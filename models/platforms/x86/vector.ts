// arch/x86/kernel/apic/vector.c: the VECTOR domain at the root of every x86 hierarchy. Each
// irq gets an apic_chip_data; vectors come from the matrix in one of three ways (a global
// reservation, a managed reservation on every CPU of the mask, or a fixed vector at once) and
// become real at activation. An affinity change takes a new vector and keeps the old one until
// the cleanup timer (or the first interrupt on the new target) frees it.
import { EBUSY, EINVAL, ENOMEM } from '../../kernel/errno';
import { KObject } from '../../kernel/heap';
import type { IrqChip, IrqData, IrqDesc, IrqDomain, IrqDomainOps } from '../../kernel/irqdomain';
import type { Kernel } from '../../kernel/kernel';
import type { IrqOrigin } from '../../kernel/irq-action';
import type { MsiAllocInfo } from '../../kernel/msi-alloc-info';
import { KernelOops } from '../../kernel/report';
import { x86Info, type X86IrqAllocInfo } from './alloc-info';
import { IRQ_SET_MASK_OK } from '../../kernel/chip-call';
import { IrqMatrix } from './matrix';
import { irqMsiComposeMsg, MANAGED_IRQ_SHUTDOWN_VECTOR, type IrqCfg } from './msi-msg';

export const NR_VECTORS = 256;
export const FIRST_EXTERNAL_VECTOR = 0x20;
/** LOCAL_TIMER_VECTOR on 64-bit SMP: everything from here up is a system vector. */
export const FIRST_SYSTEM_VECTOR = 0xec;
export const IA32_SYSCALL_VECTOR = 0x80;
/** NR_IRQS_LEGACY: the 8259 pair's irqs 0-15. */
export const NR_IRQS_LEGACY = 16;
/** PIC_CASCADE_IR: the slave 8259 hangs off the master's input 2, so irq 2 is never usable. */
export const PIC_CASCADE_IR = 2;
/** ISA_IRQ_VECTOR(irq): where the 8259s (and CPU 0 at boot) put legacy irq `irq`. */
export function isaIrqVector(irq: number): number {
  return 0x30 + irq;
}
/** ISA_IRQ_VECTOR(PIC_CASCADE_IR): the cascade never gets a handler. */
export const ISA_CASCADE_VECTOR = 0x32;

// vector_irq[] markers (the slot otherwise holds the irq whose descriptor it points to; irq 0,
// the legacy timer, is a descriptor like any other, so every marker is negative)
export const VECTOR_UNUSED = -3;
export const VECTOR_SHUTDOWN = -1;
export const VECTOR_RETRIGGERED = -2;

/** struct apic_chip_data */
export class ApicChipData extends KObject {
  readonly kind = 'apic_chip_data';
  /** hw_irq_cfg: what the message (or the IRTE) is composed from. */
  readonly cfg: IrqCfg = { vector: 0, destApicid: 0 };
  vector = 0;
  prevVector = 0;
  cpu = 0;
  prevCpu = 0;
  moveInProgress = false;
  isManaged = false;
  canReserve = false;
  hasReserved = false;
  /** The CPU whose vector_cleanup list holds `clist`, or -1 when unhashed. */
  clistCpu = -1;
  constructor(
    readonly irq: number,
    /** The descriptor: its affinity mask and managed state are the core's (irq_common_data). */
    private readonly desc: IrqDesc,
  ) {
    super();
  }

  /** irq_data_get_affinity_mask() */
  get affinity(): number[] {
    return this.desc.affinity;
  }

  /** irqd_affinity_is_managed() */
  get affinityManaged(): boolean {
    return this.desc.affinityManaged;
  }

  /** irqd_is_managed_and_shutdown() */
  get managedShutdown(): boolean {
    return this.desc.managedShutdown;
  }
}

/** A set IRR bit. */
export interface IrrEntry {
  readonly irq: number;
  origin: IrqOrigin | null;
  /**
   * The descriptor vector_irq[] named when it was set: an entry that outlived its irq (freed,
   * its number and vector reused since) is spurious, as in the generic presentation.
   */
  readonly desc: object | undefined;
}

/** The vector domain's global state: vector_matrix, per-CPU vector_irq and vector_cleanup, cpu_online_mask. */
export class X86Vector {
  readonly matrix: IrqMatrix;
  /** per_cpu(vector_irq): vector -> irq (desc) or a VECTOR_* marker. */
  readonly vectorIrq: Int32Array[];
  /** per_cpu(vector_cleanup).head */
  readonly cleanup: ApicChipData[][];
  /** per_cpu(vector_cleanup).timer pending */
  readonly timerPending: boolean[];
  /** cpu_online_mask (the kernel's, shared). */
  readonly online: boolean[];
  /**
   * Each local APIC's IRR: vector -> what set it (the irq vector_irq[] named when the message
   * arrived, and who raised it, model bookkeeping). One bit per vector: repeats coalesce.
   */
  readonly irr: Map<number, IrrEntry>[];
  domain: IrqDomain | null = null;
  /** nr_legacy_irqs(): 16 with an 8259 pair, 0 without (the irqs then start at the IOAPIC's GSIs). */
  nrLegacyIrqs = 0;
  /** io_apic_irqs: which legacy irqs the IOAPIC handles (bit per irq); the others stay the PIC's. */
  ioApicIrqs = 0;

  constructor(
    private readonly k: Kernel,
    readonly nrCpus: number,
  ) {
    this.matrix = new IrqMatrix(k, nrCpus, NR_VECTORS, FIRST_EXTERNAL_VECTOR, FIRST_SYSTEM_VECTOR);
    this.vectorIrq = Array.from({ length: nrCpus }, () => new Int32Array(NR_VECTORS).fill(VECTOR_UNUSED));
    this.cleanup = Array.from({ length: nrCpus }, () => []);
    this.timerPending = new Array<boolean>(nrCpus).fill(false);
    this.online = k.cpuOnline;
    this.irr = Array.from({ length: nrCpus }, () => new Map<number, IrrEntry>());
  }

  onlineCpus(): number[] {
    const out: number[] = [];
    this.online.forEach((on, cpu) => on && out.push(cpu));
    return out;
  }

  allCpus(): number[] {
    return Array.from({ length: this.nrCpus }, (_, i) => i);
  }

  isOnline(cpu: number): boolean {
    return this.online[cpu] === true;
  }

  /** The apic_chip_data of `irq` at the vector level, if any. */
  chipDataOf(irq: number): ApicChipData | null {
    if (this.domain === null) return null;
    const d = this.k.irqs.getIrqData(this.domain, irq);
    return d === null ? null : (d.chipData as ApicChipData | null);
  }

  /**
   * Vectors still allocated in the matrix of an offline CPU that no irq holds (as its vector or
   * its prev_vector): only free_moved_vector() from that CPU's cleanup, or clear_irq_vector() of
   * the irq holding it, gives a vector back, so these stay allocated for good.
   */
  leftOnOfflineCpus(): { cpu: number; vector: number }[] {
    const held = new Set<string>();
    for (const irq of this.k.irqs.descs.keys()) {
      const apicd = this.chipDataOf(irq);
      if (apicd === null) continue;
      if (apicd.vector !== 0) held.add(`${apicd.cpu}.${apicd.vector}`);
      if (apicd.prevVector !== 0) held.add(`${apicd.prevCpu}.${apicd.prevVector}`);
    }
    const out: { cpu: number; vector: number }[] = [];
    this.matrix.maps.forEach((cm, cpu) => {
      if (this.isOnline(cpu)) return;
      cm.allocMap.forEach((bit, vector) => {
        if (bit === 1 && !held.has(`${cpu}.${vector}`)) out.push({ cpu, vector });
      });
    });
    return out;
  }
}

/** The vector state behind a vector-level irq_data. */
function vecOf(d: IrqData): X86Vector {
  let root: IrqData = d;
  while (root.parentData !== null) root = root.parentData;
  return root.domain.hostData as X86Vector;
}

// apic_chip_data(): every level finds it at the root of the hierarchy
export function apicChipData(k: Kernel, site: string, d: IrqData): ApicChipData {
  let root: IrqData = d;
  while (root.parentData !== null) root = root.parentData;
  return k.heap.deref(site, root.chipData as ApicChipData | null, 'apic_chip_data');
}

// irqd_cfg()
export function irqdCfg(d: IrqData): IrqCfg | null {
  let root: IrqData = d;
  while (root.parentData !== null) root = root.parentData;
  const apicd = root.chipData as ApicChipData | null;
  return apicd === null ? null : apicd.cfg;
}

function and(a: readonly number[], b: readonly number[]): number[] {
  return a.filter((c) => b.includes(c));
}

/** irq_data_update_effective_affinity() on every level of the irq. */
function updateEffective(k: Kernel, irq: number, cpu: number): void {
  for (let d = k.irqs.desc(irq)?.irqData ?? null; d !== null; d = d.parentData) d.effectiveCpu = cpu;
}

// apic_update_irq_cfg()
function apicUpdateIrqCfg(k: Kernel, apicd: ApicChipData, vector: number, cpu: number): void {
  apicd.cfg.vector = vector;
  apicd.cfg.destApicid = cpu; // apic->calc_dest_apicid(): physical mode, APIC ID = CPU number
  updateEffective(k, apicd.irq, cpu);
}

// apic_update_vector(): the old vector is kept for cleanup if its CPU is online, freed if not
function apicUpdateVector(k: Kernel, v: X86Vector, apicd: ApicChipData, newvec: number, newcpu: number): void {
  apicd.prevVector = 0;
  if (apicd.vector !== 0 && apicd.vector !== MANAGED_IRQ_SHUTDOWN_VECTOR) {
    if (v.isOnline(apicd.cpu)) {
      apicd.moveInProgress = true;
      apicd.prevVector = apicd.vector;
      apicd.prevCpu = apicd.cpu;
      if (apicd.cpu === newcpu) k.warn('apic_update_vector', `irq ${apicd.irq} moved to a new vector on the same CPU ${newcpu}`);
    } else {
      v.matrix.free(apicd.cpu, apicd.vector, apicd.affinityManaged);
    }
  }
  apicd.vector = newvec;
  apicd.cpu = newcpu;
  const slot = v.vectorIrq[newcpu] as Int32Array;
  if ((slot[newvec] ?? VECTOR_UNUSED) >= 0) {
    throw new KernelOops('apic_update_vector', `kernel BUG: CPU ${newcpu} vector ${newvec} already owned by irq ${slot[newvec]}`);
  }
  slot[newvec] = apicd.irq;
}

// chip_data_update() (apic_update_vector + apic_update_irq_cfg)
function chipDataUpdate(k: Kernel, v: X86Vector, apicd: ApicChipData, vector: number, cpu: number): void {
  apicUpdateVector(k, v, apicd, vector, cpu);
  apicUpdateIrqCfg(k, apicd, vector, cpu);
}

// vector_assign_managed_shutdown(): park the cfg on the shutdown vector of the first online CPU
function vectorAssignManagedShutdown(k: Kernel, v: X86Vector, apicd: ApicChipData): void {
  const cpu = v.onlineCpus()[0] ?? 0;
  apicUpdateIrqCfg(k, apicd, MANAGED_IRQ_SHUTDOWN_VECTOR, cpu);
}

// reserve_irq_vector_locked()
function reserveIrqVectorLocked(k: Kernel, v: X86Vector, apicd: ApicChipData, irqd: IrqData): void {
  v.matrix.reserve();
  apicd.canReserve = true;
  apicd.hasReserved = true;
  irqd.canReserve = true; // irqd_set_can_reserve()
  vectorAssignManagedShutdown(k, v, apicd);
}

// assign_vector_locked()
function assignVectorLocked(k: Kernel, v: X86Vector, apicd: ApicChipData, dest: readonly number[]): number {
  // No point in moving if the current target is online and in the new mask
  if (apicd.vector !== 0 && v.isOnline(apicd.cpu) && dest.includes(apicd.cpu)) return 0;
  // A pending move or cleanup would leave a stale vector or corrupt the cleanup list
  if (apicd.moveInProgress || apicd.clistCpu >= 0) return -EBUSY;
  const r = v.matrix.alloc(dest, apicd.hasReserved);
  if (r.ret < 0) return r.ret;
  chipDataUpdate(k, v, apicd, r.ret, r.cpu);
  return 0;
}

// assign_irq_vector_any_locked(): the affinity mask first, then any online CPU (no NUMA nodes modelled)
function assignIrqVectorAnyLocked(k: Kernel, v: X86Vector, apicd: ApicChipData): number {
  if (assignVectorLocked(k, v, apicd, and(apicd.affinity, v.onlineCpus())) === 0) return 0;
  return assignVectorLocked(k, v, apicd, v.onlineCpus());
}

// assign_managed_vector()
function assignManagedVector(k: Kernel, v: X86Vector, apicd: ApicChipData, dest: readonly number[]): number {
  const search = and(dest, apicd.affinity);
  // set_affinity might call here for nothing
  if (apicd.vector !== 0 && search.includes(apicd.cpu)) return 0;
  const r = v.matrix.allocManaged(search);
  if (r.ret < 0) return r.ret;
  chipDataUpdate(k, v, apicd, r.ret, r.cpu);
  return 0;
}

// assign_irq_vector_policy()
function assignIrqVectorPolicy(k: Kernel, v: X86Vector, apicd: ApicChipData, irqd: IrqData, info: X86IrqAllocInfo | null): number {
  if (apicd.affinityManaged) {
    // reserve_managed_vector()
    apicd.isManaged = true;
    return v.matrix.reserveManaged(apicd.affinity);
  }
  if (info?.mask !== null && info?.mask !== undefined) {
    // assign_irq_vector(): a real vector right away
    return assignVectorLocked(k, v, apicd, and(info.mask, v.onlineCpus()));
  }
  // reserve_irq_vector(): a global reservation, the real vector comes at activation
  reserveIrqVectorLocked(k, v, apicd, irqd);
  return 0;
}

// clear_irq_vector(): the current vector and a pending move's previous one
function clearIrqVector(v: X86Vector, apicd: ApicChipData): void {
  const managed = apicd.affinityManaged;
  if (apicd.vector === 0) return;
  (v.vectorIrq[apicd.cpu] as Int32Array)[apicd.vector] = VECTOR_SHUTDOWN;
  v.matrix.free(apicd.cpu, apicd.vector, managed);
  apicd.vector = 0;
  if (apicd.prevVector === 0) return;
  (v.vectorIrq[apicd.prevCpu] as Int32Array)[apicd.prevVector] = VECTOR_SHUTDOWN;
  v.matrix.free(apicd.prevCpu, apicd.prevVector, managed);
  apicd.prevVector = 0;
  apicd.moveInProgress = false;
  hlistDelInit(v, apicd);
}

function hlistDelInit(v: X86Vector, apicd: ApicChipData): void {
  if (apicd.clistCpu < 0) return;
  const list = v.cleanup[apicd.clistCpu] as ApicChipData[];
  const i = list.indexOf(apicd);
  if (i >= 0) list.splice(i, 1);
  apicd.clistCpu = -1;
}

// vector_free_reserved_and_managed()
function vectorFreeReservedAndManaged(v: X86Vector, apicd: ApicChipData): void {
  if (apicd.hasReserved) v.matrix.removeReserved();
  if (apicd.isManaged) v.matrix.removeManaged(apicd.affinity);
}

// x86_vector_free_irqs()
function x86VectorFreeIrqs(k: Kernel, domain: IrqDomain, virq: number, nrIrqs: number): void {
  const v = domain.hostData as X86Vector;
  for (let i = 0; i < nrIrqs; i++) {
    const irqd = k.irqs.getIrqData(domain, virq + i);
    if (irqd === null || irqd.chipData === null) continue;
    const apicd = k.heap.deref('x86_vector_free_irqs', irqd.chipData as ApicChipData, 'apic_chip_data');
    clearIrqVector(v, apicd);
    vectorFreeReservedAndManaged(v, apicd);
    k.irqs.resetIrqData(irqd);
    k.heap.kfree('x86_vector_free_irqs', apicd);
  }
}

// activate_reserved()
function activateReserved(k: Kernel, v: X86Vector, apicd: ApicChipData, irqd: IrqData): number {
  const ret = assignIrqVectorAnyLocked(k, v, apicd);
  if (ret === 0) {
    apicd.hasReserved = false;
    // The core may have disabled reservation mode after the allocation
    if (!irqd.canReserve) apicd.canReserve = false;
  }
  if (ret === 0 && !apicd.affinity.includes(apicd.cpu)) k.printk(`irq ${apicd.irq}: Affinity broken due to vector space exhaustion.`);
  return ret;
}

// activate_managed()
function activateManaged(k: Kernel, v: X86Vector, apicd: ApicChipData): number {
  const search = and(apicd.affinity, v.onlineCpus());
  if (search.length === 0) {
    k.warn('activate_managed', `Managed startup for irq ${apicd.irq}, but no CPU`);
    return -EINVAL;
  }
  const ret = assignManagedVector(k, v, apicd, search);
  if (ret < 0) k.warn('activate_managed', `Managed startup irq ${apicd.irq}, no vector available`);
  return ret;
}

/**
 * vector_configure_legacy(): the IOAPIC takes over a legacy irq whose vector the boot CPU has had
 * since lapic_assign_system_vectors(). An activated one (the timer, requested on the PIC before
 * setup_IO_APIC()) must stay at ISA_IRQ_VECTOR(irq) on CPU 0 so check_timer() can fall back to
 * the PIC: only its cfg is updated. Any other gives its vector back and goes through the normal
 * policy (reservation mode). Returns whether the caller must assign a vector.
 */
function vectorConfigureLegacy(k: Kernel, v: X86Vector, virq: number, irqd: IrqData, apicd: ApicChipData): boolean {
  apicd.vector = isaIrqVector(virq);
  apicd.cpu = 0;
  if (irqd.activated) {
    apicUpdateIrqCfg(k, apicd, apicd.vector, apicd.cpu);
    return false;
  }
  apicd.canReserve = true;
  irqd.canReserve = true;
  clearIrqVector(v, apicd);
  return true;
}

export const vectorDomainOps: IrqDomainOps = {
  // x86_vector_alloc_irqs()
  alloc(k, domain, virq, nrIrqs, arg) {
    const v = domain.hostData as X86Vector;
    const info = x86Info(arg as MsiAllocInfo | null);
    let err = 0;
    let i = 0;
    for (; i < nrIrqs; i++) {
      const irqd = k.irqs.getIrqData(domain, virq + i);
      if (irqd === null) {
        err = -EINVAL;
        break;
      }
      if (k.faults.shouldFail('alloc_apic_chip_data')) {
        err = -ENOMEM;
        break;
      }
      const desc = k.irqs.desc(virq + i);
      if (desc === undefined) {
        err = -EINVAL;
        break;
      }
      const apicd = k.heap.kmalloc(new ApicChipData(virq + i, desc), 'alloc_apic_chip_data');
      irqd.chip = lapicController;
      irqd.chipData = apicd;
      irqd.hwirq = virq + i;
      // Legacy vectors are already assigned when the IOAPIC takes them over
      if (info?.legacy === true && !vectorConfigureLegacy(k, v, virq + i, irqd, apicd)) continue;
      err = assignIrqVectorPolicy(k, v, apicd, irqd, info);
      if (err !== 0) {
        irqd.chipData = null;
        k.heap.kfree('x86_vector_alloc_irqs', apicd);
        break;
      }
    }
    if (err === 0) return 0;
    x86VectorFreeIrqs(k, domain, virq, i);
    return err;
  },
  free(k, domain, virq, nrIrqs) {
    x86VectorFreeIrqs(k, domain, virq, nrIrqs);
  },
  // x86_vector_activate()
  activate(k, domain, irqd, reserve) {
    const v = domain.hostData as X86Vector;
    const apicd = k.heap.deref('x86_vector_activate', irqd.chipData as ApicChipData | null, 'apic_chip_data');
    if (!apicd.canReserve && !apicd.isManaged) return assignIrqVectorAnyLocked(k, v, apicd);
    if (reserve || apicd.managedShutdown) {
      vectorAssignManagedShutdown(k, v, apicd);
      return 0;
    }
    if (apicd.isManaged) return activateManaged(k, v, apicd);
    if (apicd.hasReserved) return activateReserved(k, v, apicd, irqd);
    return 0;
  },
  // x86_vector_deactivate()
  deactivate(k, domain, irqd) {
    const v = domain.hostData as X86Vector;
    const apicd = k.heap.deref('x86_vector_deactivate', irqd.chipData as ApicChipData | null, 'apic_chip_data');
    // A regular fixed assigned interrupt, or one still holding its global reservation
    if (!apicd.isManaged && !apicd.canReserve) return;
    if (apicd.hasReserved) return;
    clearIrqVector(v, apicd);
    if (apicd.canReserve) reserveIrqVectorLocked(k, v, apicd, irqd);
    else vectorAssignManagedShutdown(k, v, apicd);
  },
};

// apic_set_affinity()
function apicSetAffinity(k: Kernel, irqd: IrqData, dest: readonly number[]): number {
  const v = vecOf(irqd);
  const apicd = apicChipData(k, 'apic_set_affinity', irqd);
  if (!irqd.activated) {
    k.warn('apic_set_affinity', `irq ${irqd.irq} not activated`);
    return -5; // -EIO
  }
  const search = and(dest, v.onlineCpus());
  const err = apicd.affinityManaged ? assignManagedVector(k, v, apicd, search) : assignVectorLocked(k, v, apicd, search);
  return err !== 0 ? err : IRQ_SET_MASK_OK;
}

/** lapic_controller: composes compatibility-format messages from the cfg. */
export const lapicController: IrqChip = {
  name: 'APIC',
  // x86_vector_msi_compose_msg()
  composeMsiMsg(k, d) {
    const apicd = apicChipData(k, 'x86_vector_msi_compose_msg', d);
    return irqMsiComposeMsg(apicd.cfg, false);
  },
  irqSetAffinity: (k, d, dest) => apicSetAffinity(k, d, dest),
  irqRetrigger: (k, d) => apicRetriggerIrq(k, d),
};

// free_moved_vector()
function freeMovedVector(v: X86Vector, apicd: ApicChipData): void {
  v.matrix.free(apicd.prevCpu, apicd.prevVector, apicd.isManaged);
  (v.vectorIrq[apicd.prevCpu] as Int32Array)[apicd.prevVector] = VECTOR_UNUSED;
  hlistDelInit(v, apicd);
  apicd.prevVector = 0;
  apicd.moveInProgress = false;
}

// __vector_schedule_cleanup(): queue on the previous CPU and arm its timer; offline: free now
function vectorScheduleCleanupLocked(k: Kernel, v: X86Vector, apicd: ApicChipData): void {
  const cpu = apicd.prevCpu;
  apicd.moveInProgress = false;
  if (v.isOnline(cpu)) {
    if (apicd.clistCpu < 0) {
      (v.cleanup[cpu] as ApicChipData[]).unshift(apicd);
      apicd.clistCpu = cpu;
    }
    v.timerPending[cpu] = true;
  } else if (k.applied('a6c11c0a5235')) {
    k.printk(`IRQ ${apicd.irq} schedule cleanup for offline CPU ${cpu}`);
    freeMovedVector(v, apicd);
  } else {
    // Before a6c11c0a5235 (__send_cleanup_vector): the old vector is forgotten, not freed
    apicd.prevVector = 0;
  }
}

// vector_schedule_cleanup(): remapped interrupts switch at once, no need to wait for the first one
export function vectorScheduleCleanup(k: Kernel, d: IrqData): void {
  const apicd = apicChipData(k, 'vector_schedule_cleanup', d);
  if (apicd.moveInProgress) vectorScheduleCleanupLocked(k, vecOf(d), apicd);
}

// irq_complete_move() from apic_ack_edge(): the interrupt arrived on `cpu`
export function irqCompleteMove(k: Kernel, v: X86Vector, apicd: ApicChipData, cpu: number): void {
  if (!apicd.moveInProgress) return;
  // Arrived on the new target: the old vector can go
  if (apicd.cpu === cpu) vectorScheduleCleanupLocked(k, v, apicd);
}

// __vector_cleanup(): free the old vectors queued on this CPU, except one still pending in its
// IRR (the interrupt arrived on the old target after the move): keep it queued and re-arm the
// timer so the CPU gets a chance to handle it. lapic_offline() does not check the IRR:
// fixup_irqs() has just forwarded what was pending.
export function vectorCleanup(k: Kernel, v: X86Vector, cpu: number, checkIrr = true): void {
  const list = v.cleanup[cpu] as ApicChipData[];
  let rearm = false;
  for (const apicd of [...list]) {
    const a = k.heap.deref('__vector_cleanup', apicd, 'apic_chip_data');
    if (checkIrr && (v.irr[cpu] as Map<number, IrrEntry>).has(a.prevVector)) {
      k.printk(`Moved interrupt pending in old target APIC ${a.irq}`);
      rearm = true;
      continue;
    }
    freeMovedVector(v, a);
  }
  v.timerPending[cpu] = rearm;
}

// apic_retrigger_irq(): an IPI with the irq's current vector to its current CPU
function apicRetriggerIrq(k: Kernel, d: IrqData): boolean {
  const v = vecOf(d);
  const apicd = apicChipData(k, 'apic_retrigger_irq', d);
  if (apicd.vector === 0 || !v.isOnline(apicd.cpu)) return false;
  const irr = v.irr[apicd.cpu] as Map<number, IrrEntry>;
  if (!irr.has(apicd.vector)) irr.set(apicd.vector, { irq: apicd.irq, origin: null, desc: k.irqs.desc(apicd.irq) });
  return true;
}

// irq_force_complete_move(): a move involving the outgoing CPU is finished by force
export function irqForceCompleteMove(k: Kernel, v: X86Vector, irq: number, cpu: number): void {
  const apicd = v.chipDataOf(irq);
  if (apicd === null) return;
  // Neither currently nor previously on the outgoing CPU: nothing to do (a6c11c0a5235; before
  // it every pending move was forced, which only ran after migrate_one_irq()'s skip)
  if (apicd.prevVector === 0) return;
  if (k.applied('a6c11c0a5235') && apicd.cpu !== cpu && apicd.prevCpu !== cpu) return;
  if (apicd.moveInProgress) k.printk(`IRQ fixup: irq ${irq} move in progress, old vector ${apicd.prevVector}`);
  freeMovedVector(v, apicd);
}

// lapic_can_unplug_cpu()
export function lapicCanUnplugCpu(k: Kernel, v: X86Vector, cpu: number): number {
  const tomove = v.matrix.allocatedOn(cpu);
  const avl = v.matrix.available(true, cpu);
  if (avl < tomove) {
    k.printk(`CPU ${cpu} has ${tomove} vectors, ${avl} available. Cannot disable CPU`);
    return -28; // -ENOSPC
  }
  return 0;
}

// lapic_offline()
export function lapicOffline(k: Kernel, v: X86Vector, cpu: number): void {
  vectorCleanup(k, v, cpu, false);
  v.matrix.offline(cpu);
  if ((v.cleanup[cpu] as ApicChipData[]).length > 0) k.warn('lapic_offline', `CPU ${cpu} cleanup list not empty`);
}

// __setup_vector_irq(): a legacy irq still on the PIC may arrive at any CPU (the kernel does
// not choose), so its ISA vector names it everywhere; every other slot starts unused
function setupVectorIrq(v: X86Vector, vector: number): number {
  const isairq = vector - isaIrqVector(0);
  if (isairq < 0 || isairq >= v.nrLegacyIrqs) return VECTOR_UNUSED;
  if ((v.ioApicIrqs & (1 << isairq)) !== 0) return VECTOR_UNUSED;
  return isairq;
}

// lapic_online(): matrix online, every vector_irq slot reset
export function lapicOnline(v: X86Vector, cpu: number): void {
  v.matrix.online(cpu);
  const slots = v.vectorIrq[cpu] as Int32Array;
  for (let vector = 0; vector < NR_VECTORS; vector++) slots[vector] = setupVectorIrq(v, vector);
  // The APIC comes out of INIT with an empty IRR
  (v.irr[cpu] as Map<number, IrrEntry>).clear();
}

/**
 * The rest of lapic_assign_system_vectors() once the boot CPU's matrix is online: every legacy
 * irq but the cascade is marked allocated at its ISA vector on CPU 0 (irq_matrix_assign()), and
 * init_IRQ() has pointed CPU 0's vector_irq[] at the legacy descriptors.
 */
export function lapicAssignLegacyVectors(v: X86Vector): void {
  for (let irq = 0; irq < v.nrLegacyIrqs; irq++) {
    (v.vectorIrq[0] as Int32Array)[isaIrqVector(irq)] = irq;
    if (irq !== PIC_CASCADE_IR) v.matrix.assign(0, isaIrqVector(irq));
  }
}

// arch_early_irq_init() + lapic_assign_system_vectors(): the matrix, the system vectors, the boot CPU
export function createVectorDomain(k: Kernel, v: X86Vector): IrqDomain {
  for (let vec = FIRST_SYSTEM_VECTOR; vec < NR_VECTORS; vec++) v.matrix.assignSystem(vec, false, 0);
  v.matrix.assignSystem(IA32_SYSCALL_VECTOR, false, 0);
  v.matrix.assignSystem(ISA_CASCADE_VECTOR, false, 0);
  const domain = k.irqs.createDomain('VECTOR', null, vectorDomainOps, v, 0, 'ANY');
  v.domain = domain;
  return domain;
}
