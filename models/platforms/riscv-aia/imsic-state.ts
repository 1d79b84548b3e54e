// drivers/irqchip/irq-riscv-imsic-state.c: the IMSIC's per-CPU state. Every CPU (hart) has an
// interrupt file with one enable (EIE) and one pending (EIP) bit per interrupt identity; an
// identity is a (CPU, local ID) pair handed out by the irq matrix. The enable bits are CSRs of
// their own hart, so a change made elsewhere is recorded in the vector and a per-CPU dirty
// bitmap and applied later by that hart (__imsic_local_sync(): at once when it is the current
// CPU, else from its lazy per-CPU timer, its next interrupt, or its hotplug callbacks). A move
// to another CPU links the old and new vector (move_next / move_prev); the old one is freed by
// its own hart's sync, which also forwards an interrupt still pending there.
import { KObject } from '../../kernel/heap';
import type { IrqData } from '../../kernel/irqdomain';
import type { Kernel } from '../../kernel/kernel';
import type { IrqOrigin } from '../../kernel/irq-action';
import { KernelOops } from '../../kernel/report';
import { IrqMatrix } from '../x86/matrix';

/** Identity 0 is never implemented. */
export const IMSIC_ID_NONE = 0;
/** IMSIC_IPI_ID: reserved for the IPIs the IMSIC provides (imsic_noipi is not modelled). */
export const IMSIC_IPI_ID = 1;
/** IMSIC_MMIO_PAGE_SZ: one interrupt file per hart per page. */
export const IMSIC_MMIO_PAGE_SZ = 0x1000;

/** struct imsic_vector: one identity of one CPU's interrupt file. */
export class ImsicVector {
  /** vec->irq (vec->hwirq before 0bd55080ba9e, which held the same number: hwirq == virq): 0 when free. */
  irq = 0;
  enable = false;
  moveNext: ImsicVector | null = null;
  movePrev: ImsicVector | null = null;
  /** msi-fuzz's free-vector proposal: freed by its irq, given back to the matrix by its hart's sync. */
  freeQueued = false;

  constructor(
    readonly cpu: number,
    readonly localId: number,
  ) {}
}

/** The vector array of one CPU (lpriv->vectors, kcalloc'ed at boot by imsic_local_init()). */
export class ImsicVectorTable extends KObject {
  readonly kind = 'imsic_vectors';
  readonly vectors: ImsicVector[];
  constructor(cpu: number, nrIds: number) {
    super();
    this.vectors = Array.from({ length: nrIds + 1 }, (_, id) => new ImsicVector(cpu, id));
  }
}

/** struct imsic_local_priv */
export class ImsicLocalPriv {
  /** lpriv->dirty_bitmap */
  readonly dirty = new Set<number>();
  /** timer_pending(&lpriv->timer): the lazy sync is armed (add_timer_on(), jiffies + 1). */
  timerPending = false;

  constructor(
    readonly cpu: number,
    readonly table: ImsicVectorTable,
  ) {}

  get vectors(): readonly ImsicVector[] {
    return this.table.vectors;
  }
}

/** A set EIP bit: who raised it (every raise it merged), and the vector's irq when it was set. */
export interface EipEntry {
  readonly origins: readonly IrqOrigin[];
  /** vec->irq when the MSI arrived (0: a free identity). */
  readonly irq: number;
  readonly desc: object | undefined;
}

/** One hart's interrupt file (the hardware): EIE and EIP bits, EIDELIVERY. */
export class ImsicFile {
  readonly eie: boolean[];
  readonly eip = new Map<number, EipEntry>();
  /** EIDELIVERY = 1 and EITHRESHOLD = 0: the hart takes what is pending and enabled. */
  delivery = false;

  constructor(
    readonly cpu: number,
    nrIds: number,
    /** local->msi_pa: the page a device writes the identity number to. */
    readonly msiPa: number,
  ) {
    this.eie = new Array<boolean>(nrIds + 1).fill(false);
  }
}

/** struct imsic_priv plus the interrupt files it drives. */
export class ImsicPriv {
  readonly lpriv: ImsicLocalPriv[];
  readonly files: ImsicFile[];
  readonly matrix: IrqMatrix;

  // imsic_setup_state(): imsic_local_init() and imsic_matrix_init()
  constructor(
    k: Kernel,
    readonly nrIds: number,
    readonly baseAddr: number,
  ) {
    this.lpriv = Array.from({ length: k.nrCpus }, (_, cpu) => new ImsicLocalPriv(cpu, k.heap.kmalloc(new ImsicVectorTable(cpu, nrIds), 'imsic_local_init')));
    this.files = Array.from({ length: k.nrCpus }, (_, cpu) => new ImsicFile(cpu, nrIds, baseAddr + cpu * IMSIC_MMIO_PAGE_SZ));
    // irq_alloc_matrix(nr_ids + 1, 0, nr_ids + 1); ID 0 is never implemented, the IPI ID is internal
    this.matrix = new IrqMatrix(k, k.nrCpus, nrIds + 1, 0, nrIds + 1);
    this.matrix.assignSystem(IMSIC_ID_NONE, false, 0);
    this.matrix.assignSystem(IMSIC_IPI_ID, false, 0);
  }

  /** The CPU whose interrupt file is at `addr`, or -1. */
  cpuOfAddress(addr: number): number {
    return this.files.findIndex((f) => f.msiPa === addr);
  }
}

/** imsic_vector_alloc(): an identity on the best CPU of the mask (irq_matrix_alloc), NULL when none */
export function imsicVectorAlloc(imsic: ImsicPriv, irq: number, mask: readonly number[]): ImsicVector | null {
  const r = imsic.matrix.alloc(mask, false);
  if (r.ret < 0) return null;
  const vec = imsic.lpriv[r.cpu]?.vectors[r.ret];
  if (vec === undefined) throw new KernelOops('imsic_vector_alloc', `no vector ${r.ret} on CPU ${r.cpu}`);
  vec.irq = irq;
  vec.enable = false;
  vec.moveNext = null;
  vec.movePrev = null;
  vec.freeQueued = false;
  return vec;
}

/** imsic_vector_free(): the identity goes back to the matrix; the vector keeps its move links. */
export function imsicVectorFree(imsic: ImsicPriv, vec: ImsicVector): void {
  vec.irq = 0;
  imsic.matrix.free(vec.cpu, vec.localId, false);
}

/**
 * msi-fuzz's free-vector proposal for an irq's own vector: the identity is given back by its
 * hart's sync, after that sync cleared its pending bit, so no interrupt latched for the old
 * owner reaches the next one.
 */
export function imsicVectorQueueFree(env: ImsicSyncEnv, vec: ImsicVector): void {
  const lpriv = env.imsic.lpriv[vec.cpu];
  if (lpriv === undefined) return;
  vec.irq = 0;
  vec.enable = false;
  vec.freeQueued = true;
  lpriv.dirty.add(vec.localId);
  imsicRemoteSync(env, lpriv, vec.cpu);
}

/** What the per-CPU sync needs from the rest of the driver. */
export interface ImsicSyncEnv {
  readonly k: Kernel;
  readonly imsic: ImsicPriv;
  /** irq_get_irq_data() */
  irqData(irq: number): IrqData | null;
  /** irq_can_move_in_process_context() of an irq_data (oopses on NULL, as the C does). */
  canMoveInProcessContext(d: IrqData | null): boolean;
  /** writel(id, msi_va) of a CPU's interrupt file: an MSI sent by the CPU itself. */
  writeMsi(cpu: number, id: number, origins: readonly IrqOrigin[]): void;
  /** Whether an interrupt was raised by one of `irq`'s device vectors (the model's bookkeeping, not the kernel's). */
  raisedFor(o: IrqOrigin, irq: number): boolean;
}

/** __imsic_id_read_clear_pending(): read and clear one EIP bit of the current hart */
function idReadClearPending(file: ImsicFile, id: number): EipEntry | null {
  const e = file.eip.get(id) ?? null;
  file.eip.delete(id);
  return e;
}

/**
 * __imsic_local_sync(): runs on the vector table's own CPU. Returns false when a vector whose
 * old vector elsewhere is not updated yet must be looked at again (move_prev still set).
 */
export function imsicLocalSync(env: ImsicSyncEnv, lpriv: ImsicLocalPriv): boolean {
  const { k, imsic } = env;
  const file = imsic.files[lpriv.cpu] as ImsicFile;
  let ret = true;
  for (const i of [...lpriv.dirty].sort((a, b) => a - b)) {
    if (i === IMSIC_ID_NONE || i === IMSIC_IPI_ID) {
      lpriv.dirty.delete(i);
      continue;
    }
    const vec = lpriv.vectors[i] as ImsicVector;
    // __imsic_id_set_enable() / __imsic_id_clear_enable()
    file.eie[i] = vec.enable;
    // msi-fuzz's free-vector proposal: a freed identity's pending bit goes before it is reused
    if (vec.freeQueued) {
      idReadClearPending(file, i);
      vec.freeQueued = false;
      imsicVectorFree(imsic, vec);
    }
    // Clear the previous vector pointer of the new vector only after the movement is complete
    // on the old CPU; if the old vector has not been updated then try again in the next sync-up
    let mvec = vec.movePrev;
    if (mvec !== null) {
      if (mvec.moveNext !== null) {
        ret = false;
        continue;
      }
      vec.movePrev = null;
    }
    // If a vector was being moved to a new vector on some other CPU then an MSI may have come
    // during the movement: check the ID pending bit and re-trigger the new ID by an MMIO write
    mvec = vec.moveNext;
    if (mvec !== null) {
      if (k.applied('896f8e436f99')) {
        // Devices with non-atomic MSI update might have used a temporary vector (the new ID on
        // the old CPU): check both for pending interrupts
        const tvec = vec.localId === mvec.localId ? null : (lpriv.vectors[mvec.localId] as ImsicVector);
        if (tvec !== null && !env.canMoveInProcessContext(env.irqData(vec.irq))) {
          const t = idReadClearPending(file, tvec.localId);
          if (t !== null) {
            // The pending bit cannot tell whose interrupt it is: the moving device's, sent
            // through the temporary message, or the temporary vector's owner's. Both vectors are
            // triggered; each gets the interrupts that were its own (the model knows which), the
            // other copy is a spurious interrupt its handler may see.
            const moving = t.origins.filter((o) => env.raisedFor(o, vec.irq));
            const others = t.origins.filter((o) => !moving.includes(o));
            // Retrigger temporary vector if it was already in-use (enabled); msi-fuzz's proposal:
            // if it belongs to any irq, even one disabled while it moves too, whose own sync
            // then forwards it. Not retriggered, its owner's interrupts are gone.
            const inUse = k.applied('msi-fuzz-imsic-tvec-in-use') ? tvec.irq !== 0 : tvec.enable;
            if (inUse) env.writeMsi(tvec.cpu, tvec.localId, others);
            env.writeMsi(mvec.cpu, mvec.localId, moving);
          }
        }
      }
      const p = idReadClearPending(file, vec.localId);
      if (p !== null) env.writeMsi(mvec.cpu, mvec.localId, p.origins);
      vec.moveNext = null;
      imsicVectorFree(imsic, vec);
      k.printk(`imsic: CPU ${lpriv.cpu} local ID ${vec.localId} freed after its move to CPU ${mvec.cpu} local ID ${mvec.localId}`);
    }
    lpriv.dirty.delete(i);
  }
  return ret;
}

/** __imsic_local_timer_start(): arm the lazy sync of `lpriv`'s CPU if it is not armed */
function localTimerStart(lpriv: ImsicLocalPriv): void {
  lpriv.timerPending = true;
}

/**
 * imsic_local_sync_all(): on the current CPU, the dirty vectors (or all with force_all); a sync
 * that must be retried arms the lazy timer
 */
export function imsicLocalSyncAll(env: ImsicSyncEnv, cpu: number, forceAll: boolean): void {
  const lpriv = env.imsic.lpriv[cpu] as ImsicLocalPriv;
  if (forceAll) for (let i = 0; i <= env.imsic.nrIds; i++) lpriv.dirty.add(i);
  if (!imsicLocalSync(env, lpriv)) localTimerStart(lpriv);
}

/** imsic_local_timer_callback(): the lazy timer fires on its CPU */
export function imsicLocalTimerCallback(env: ImsicSyncEnv, cpu: number): void {
  const lpriv = env.imsic.lpriv[cpu] as ImsicLocalPriv;
  lpriv.timerPending = false;
  imsicLocalSyncAll(env, cpu, false);
}

/**
 * __imsic_remote_sync(): sync at once if `cpu` is the current CPU (and nothing must be
 * retried), else arm its timer; an offline CPU syncs everything when it comes up
 */
function imsicRemoteSync(env: ImsicSyncEnv, lpriv: ImsicLocalPriv, cpu: number): void {
  if (!env.k.cpuIsOnline(cpu)) return;
  if (cpu === env.k.currentCpu && imsicLocalSync(env, lpriv)) return;
  localTimerStart(lpriv);
}

/** The vector a chip_data pointer names must be the table's own slot (WARN_ON_ONCE otherwise). */
function checkSlot(env: ImsicSyncEnv, site: string, vec: ImsicVector): ImsicLocalPriv | null {
  const lpriv = env.imsic.lpriv[vec.cpu];
  if (lpriv === undefined || lpriv.vectors[vec.localId] !== vec) {
    env.k.warn(site, `vector CPU ${vec.cpu} local ID ${vec.localId} is not its table's slot`);
    return null;
  }
  return lpriv;
}

/** imsic_vector_mask() / imsic_vector_unmask() */
export function imsicVectorSetEnable(env: ImsicSyncEnv, vec: ImsicVector, enable: boolean): void {
  const lpriv = checkSlot(env, enable ? 'imsic_vector_unmask' : 'imsic_vector_mask', vec);
  if (lpriv === null) return;
  vec.enable = enable;
  lpriv.dirty.add(vec.localId);
  imsicRemoteSync(env, lpriv, vec.cpu);
}

/**
 * imsic_vector_force_move_cleanup() (51611130d57d): drop the new vector's link to the old one
 * and free the old one now. The old vector's own move_next stays as it was, and whether its CPU
 * already freed it (its sync clears move_next) is not looked at.
 */
export function imsicVectorForceMoveCleanup(env: ImsicSyncEnv, vec: ImsicVector): void {
  const mvec = vec.movePrev;
  vec.movePrev = null;
  if (mvec === null) return;
  if (env.k.applied('msi-fuzz-imsic-free-vector')) {
    // msi-fuzz's proposal (used when a vector is freed with its move in flight): free the old
    // vector only while it still points at this one (its CPU has not synced it yet), and unlink
    // it so that sync does not free it again
    if (mvec.moveNext !== vec) return;
    mvec.moveNext = null;
  }
  imsicVectorFree(env.imsic, mvec);
}

/**
 * imsic_vector_move_update(): set enable and the move link, mark dirty, sync; returns the
 * previous enable state
 */
function imsicVectorMoveUpdate(env: ImsicSyncEnv, lpriv: ImsicLocalPriv, vec: ImsicVector, isOldVec: boolean, newEnable: boolean, moveVec: ImsicVector): boolean {
  const enabled = vec.enable;
  vec.enable = newEnable;
  if (isOldVec) vec.moveNext = moveVec;
  else vec.movePrev = moveVec;
  lpriv.dirty.add(vec.localId);
  imsicRemoteSync(env, lpriv, vec.cpu);
  return enabled;
}

/**
 * imsic_vector_move(): the old vector is disabled and linked to the new one, the new one takes
 * the old one's enable state; an interrupt on the old vector meanwhile is forwarded at its sync
 */
export function imsicVectorMove(env: ImsicSyncEnv, oldVec: ImsicVector, newVec: ImsicVector): void {
  if (oldVec.cpu === newVec.cpu) {
    env.k.warn('imsic_vector_move', `old and new vector on CPU ${oldVec.cpu}`);
    return;
  }
  const oldLpriv = checkSlot(env, 'imsic_vector_move', oldVec);
  if (oldLpriv === null) return;
  const newLpriv = checkSlot(env, 'imsic_vector_move', newVec);
  if (newLpriv === null) return;
  const enabled = imsicVectorMoveUpdate(env, oldLpriv, oldVec, true, false, newVec);
  imsicVectorMoveUpdate(env, newLpriv, newVec, false, enabled, oldVec);
}

/** imsic_state_online(): the CPU's matrix map joins */
export function imsicStateOnline(imsic: ImsicPriv, cpu: number): void {
  imsic.matrix.online(cpu);
}

/** imsic_state_offline(): the map leaves; the lazy timer is deleted (timer_delete_sync_try) */
export function imsicStateOffline(imsic: ImsicPriv, cpu: number): void {
  imsic.matrix.offline(cpu);
  (imsic.lpriv[cpu] as ImsicLocalPriv).timerPending = false;
}
