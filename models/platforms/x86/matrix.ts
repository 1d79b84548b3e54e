// kernel/irq/matrix.c: the per-CPU vector allocator behind the x86 vector domain. Each CPU has
// an allocation map and a managed-reservation map over the same vector space; one system map
// is shared by all CPUs. The counters are kept incrementally (never recomputed after the first
// online), which is what the invariants compare against the maps. Callers hold vector_lock.
import { EINVAL, ENOSPC } from '../../kernel/errno';
import type { Kernel } from '../../kernel/kernel';
import { UnitStamps, type AuditUnit } from '../../kernel/audit';
import { KernelOops } from '../../kernel/report';

/** The audit's id of an allocated vector in the `vector` pool. */
export function vectorUnit(cpu: number, vector: number): string {
  return `CPU ${cpu} vector 0x${vector.toString(16)}`;
}

/** The audit's id of a global reservation (irq_matrix_reserve): they are interchangeable. */
export const RESERVATION_UNIT = 'global reservation';

/** The audit's id of a managed reservation on `cpu` (irq_matrix_reserve_managed): interchangeable per CPU. */
export function managedUnit(cpu: number): string {
  return `CPU ${cpu} managed slot`;
}

const RESERVATION_KEY = -1;
/** MANAGED_KEY - cpu: the stamp key of a CPU's managed slots. */
const MANAGED_KEY = -2;

/** irq_matrix_alloc() and friends return UINT_MAX-like "no CPU" as this. */
export const NO_CPU = -1;

/** struct cpumap */
export class CpuMap {
  available = 0;
  allocated = 0;
  managed = 0;
  managedAllocated = 0;
  initialized = false;
  online = false;
  readonly allocMap: Uint8Array;
  readonly managedMap: Uint8Array;

  constructor(bits: number) {
    this.allocMap = new Uint8Array(bits);
    this.managedMap = new Uint8Array(bits);
  }
}

export interface MatrixAlloc {
  /** The vector, or a negative errno. */
  readonly ret: number;
  readonly cpu: number;
}

/** struct irq_matrix */
export class IrqMatrix {
  readonly allocSize: number;
  globalAvailable = 0;
  globalReserved = 0;
  systembitsInalloc = 0;
  totalAllocated = 0;
  onlineMaps = 0;
  readonly maps: CpuMap[];
  readonly systemMap: Uint8Array;
  /**
   * Set while irq_migrate_all_off_this_cpu() moves interrupts off a dying CPU (under
   * stop_machine, nothing else allocates): the one-shot irq_matrix_alloc fault is not injected
   * then. A failure there means "no CPU of the mask has a free vector", a state that must hold
   * for every later call of the migration too (and lapic_can_unplug_cpu() has just counted
   * room on the others); a single failing call has no such state behind it. The faithful way
   * to reach that path is a drained CPU (drain(), the `vector` pool), which every reader sees.
   */
  roomGuaranteed = false;
  /** Where each vector, reservation and managed slot was taken (for the audit). */
  private readonly stamps: UnitStamps<number>;
  /**
   * CPUs drained for the current command (exhaust(vector, cpu=N)): their free vectors are held
   * by interrupts outside the model that stay on that CPU, so none is available to allocate,
   * reserve or count (matrix_find_best_cpu(), irq_matrix_reserve_managed(),
   * irq_matrix_available()). The maps and counters are untouched.
   */
  private readonly drained = new Set<number>();

  // irq_alloc_matrix()
  constructor(
    private readonly k: Kernel,
    nrCpus: number,
    readonly matrixBits: number,
    readonly allocStart: number,
    readonly allocEnd: number,
  ) {
    this.allocSize = allocEnd - allocStart;
    this.maps = Array.from({ length: nrCpus }, () => new CpuMap(matrixBits));
    this.systemMap = new Uint8Array(matrixBits);
    this.stamps = new UnitStamps(k);
    k.audit.register({ name: 'vector', count: () => this.allocatedBits(), units: () => this.vectorUnits() });
    k.audit.register({ name: 'vector reservation', count: () => Math.max(0, this.globalReserved), units: () => this.reservationUnits() });
    k.audit.register({ name: 'managed vector slot', count: () => this.maps.reduce((n, cm) => n + cm.managed, 0), units: () => this.managedUnits() });
  }

  /** Stamp keys: vectors are cpu * matrixBits + bit; reservations and managed slots are negative. */
  private vectorKey(cpu: number, bit: number): number {
    return cpu * this.matrixBits + bit;
  }

  /** Vectors set in the CPUs' alloc maps, counted from the maps (not the counters). */
  private allocatedBits(): number {
    let n = 0;
    for (const cm of this.maps) for (let b = 0; b < this.matrixBits; b++) n += cm.allocMap[b] as number;
    return n;
  }

  private *vectorUnits(): Iterable<AuditUnit> {
    for (let cpu = 0; cpu < this.maps.length; cpu++) {
      const cm = this.map(cpu);
      for (let b = 0; b < this.matrixBits; b++) if (cm.allocMap[b] === 1) yield { id: vectorUnit(cpu, b), stamp: this.stamps.of(this.vectorKey(cpu, b)) };
    }
  }

  private *reservationUnits(): Iterable<AuditUnit> {
    for (let i = 0; i < this.globalReserved; i++) yield { id: RESERVATION_UNIT, stamp: this.stamps.of(RESERVATION_KEY, i) };
  }

  private *managedUnits(): Iterable<AuditUnit> {
    for (let cpu = 0; cpu < this.maps.length; cpu++) {
      const n = this.map(cpu).managed;
      for (let i = 0; i < n; i++) yield { id: managedUnit(cpu), stamp: this.stamps.of(MANAGED_KEY - cpu, i) };
    }
  }

  private map(cpu: number): CpuMap {
    const cm = this.maps[cpu];
    if (cm === undefined) throw new KernelOops('irq_matrix', `per_cpu_ptr() of impossible CPU ${cpu}`);
    return cm;
  }

  // irq_matrix_online(): the first online computes `available`, later ones only add it back
  online(cpu: number): void {
    const cm = this.map(cpu);
    if (cm.online) throw new KernelOops('irq_matrix_online', `kernel BUG: CPU ${cpu} map already online`);
    if (!cm.initialized) {
      cm.available = this.allocSize - (cm.managed + this.systembitsInalloc);
      cm.initialized = true;
    }
    this.globalAvailable += cm.available;
    cm.online = true;
    this.onlineMaps++;
  }

  // irq_matrix_offline(): the map keeps its bits and counters
  offline(cpu: number): void {
    const cm = this.map(cpu);
    this.globalAvailable -= cm.available;
    cm.online = false;
    this.onlineMaps--;
  }

  // matrix_alloc_area(): first fit over managed | system | alloc in [alloc_start, alloc_end)
  private allocArea(cm: CpuMap, managed: boolean): number {
    for (let bit = this.allocStart; bit < this.allocEnd; bit++) {
      if (cm.managedMap[bit] === 1 || this.systemMap[bit] === 1 || cm.allocMap[bit] === 1) continue;
      if (managed) cm.managedMap[bit] = 1;
      else cm.allocMap[bit] = 1;
      return bit;
    }
    return this.allocEnd;
  }

  /** Drains `cpu` until the returned release runs (models/kernel/faults.ts PoolDrain). */
  drain(cpu: number): () => void {
    this.map(cpu);
    this.drained.add(cpu);
    return () => this.drained.delete(cpu);
  }

  /** cpumap::available as the allocator sees it: 0 on a drained CPU. */
  private availableOn(cpu: number, cm: CpuMap): number {
    if (!this.drained.has(cpu)) return cm.available;
    if (cm.available > 0 && cm.online) this.k.faults.refused('vector', cpu);
    return 0;
  }

  // matrix_find_best_cpu(): the online CPU with the most available vectors, first on a tie
  findBestCpu(msk: readonly number[]): number {
    let best = NO_CPU;
    let maxavl = 0;
    for (const cpu of msk) {
      const cm = this.map(cpu);
      if (!cm.online) continue;
      const avl = this.availableOn(cpu, cm);
      if (avl <= maxavl) continue;
      best = cpu;
      maxavl = avl;
    }
    return best;
  }

  // matrix_find_best_cpu_managed(): the online CPU with the fewest managed allocations, last on a tie
  private findBestCpuManaged(msk: readonly number[]): number {
    let best = NO_CPU;
    let allocated = Number.MAX_SAFE_INTEGER;
    for (const cpu of msk) {
      const cm = this.map(cpu);
      if (!cm.online || cm.managedAllocated > allocated) continue;
      best = cpu;
      allocated = cm.managedAllocated;
    }
    return best;
  }

  // irq_matrix_assign_system(): boot-time only
  assignSystem(bit: number, replace: boolean, cpu: number): void {
    const cm = this.map(cpu);
    if (this.onlineMaps > 1 || (this.onlineMaps > 0 && !replace)) {
      throw new KernelOops('irq_matrix_assign_system', 'kernel BUG: system vector assigned after boot');
    }
    this.systemMap[bit] = 1;
    if (replace) {
      if (cm.allocMap[bit] !== 1) throw new KernelOops('irq_matrix_assign_system', `kernel BUG: vector ${bit} not allocated`);
      cm.allocMap[bit] = 0;
      cm.allocated--;
      this.totalAllocated--;
    }
    if (bit >= this.allocStart && bit < this.allocEnd) this.systembitsInalloc++;
  }

  // irq_matrix_assign(): a vector taken on `cpu` (the boot CPU, this_cpu_ptr() in C) outside the
  // allocator, accounted as a regular allocation: the preassigned legacy ISA vectors
  assign(cpu: number, bit: number): void {
    const cm = this.map(cpu);
    if (bit < this.allocStart || bit >= this.allocEnd) {
      this.k.warn('irq_matrix_assign', `vector ${bit} outside the allocation range`);
      return;
    }
    if (cm.allocMap[bit] === 1) {
      this.k.warn('irq_matrix_assign', `CPU ${cpu} vector ${bit} already allocated`);
      return;
    }
    cm.allocMap[bit] = 1;
    cm.allocated++;
    this.totalAllocated++;
    cm.available--;
    this.globalAvailable--;
    this.stamps.take(this.vectorKey(cpu, bit), 'irq_matrix_assign');
  }

  // irq_matrix_reserve_managed(): one managed slot on every CPU of the mask, online or not
  reserveManaged(msk: readonly number[]): number {
    for (let i = 0; i < msk.length; i++) {
      const cpu = msk[i] as number;
      const cm = this.map(cpu);
      // A drained CPU has no free slot: matrix_alloc_area() finds none
      const drained = this.drained.has(cpu);
      if (drained) this.k.faults.refused('vector', cpu);
      const bit = drained || this.k.faults.shouldFail('irq_matrix_reserve_managed') ? this.allocEnd : this.allocArea(cm, true);
      if (bit >= this.allocEnd) {
        // Undo the CPUs done so far
        this.removeManaged(msk.slice(0, i));
        return -ENOSPC;
      }
      cm.managed++;
      this.stamps.take(MANAGED_KEY - cpu, 'irq_matrix_reserve_managed');
      if (cm.online) {
        cm.available--;
        this.globalAvailable--;
      }
    }
    return 0;
  }

  // irq_matrix_remove_managed(): give back one reserved (not allocated) managed slot per CPU
  removeManaged(msk: readonly number[]): void {
    for (const cpu of msk) {
      const cm = this.map(cpu);
      if (cm.managed === 0) {
        this.k.warn('irq_matrix_remove_managed', `CPU ${cpu}: no managed reservation to remove`);
        continue;
      }
      let bit = -1;
      for (let b = this.allocStart; b < this.allocEnd; b++) {
        if (cm.managedMap[b] === 1 && cm.allocMap[b] !== 1) {
          bit = b;
          break;
        }
      }
      if (bit < 0) {
        this.k.warn('irq_matrix_remove_managed', `CPU ${cpu}: every managed slot is allocated`);
        continue;
      }
      cm.managedMap[bit] = 0;
      cm.managed--;
      this.stamps.drop(MANAGED_KEY - cpu);
      if (cm.online) {
        cm.available++;
        this.globalAvailable++;
      }
    }
  }

  // irq_matrix_alloc_managed(): turn a reserved managed slot into an allocation; `available`
  // was charged at reservation time
  allocManaged(msk: readonly number[]): MatrixAlloc {
    if (msk.length === 0) return { ret: -EINVAL, cpu: NO_CPU };
    const cpu = this.findBestCpuManaged(msk);
    if (cpu === NO_CPU) return { ret: -ENOSPC, cpu };
    const cm = this.map(cpu);
    let bit = -1;
    for (let b = this.allocStart; b < this.allocEnd; b++) {
      if (cm.managedMap[b] === 1 && cm.allocMap[b] !== 1) {
        bit = b;
        break;
      }
    }
    if (bit < 0) return { ret: -ENOSPC, cpu };
    cm.allocMap[bit] = 1;
    cm.allocated++;
    cm.managedAllocated++;
    this.totalAllocated++;
    this.stamps.take(this.vectorKey(cpu, bit), 'irq_matrix_alloc_managed');
    return { ret: bit, cpu };
  }

  // irq_matrix_reserve(): a global promise of one vector, no bit set; it never fails
  reserve(): void {
    if (this.globalReserved === this.globalAvailable) this.k.printk('Interrupt reservation exceeds available resources');
    this.globalReserved++;
    this.stamps.take(RESERVATION_KEY, 'irq_matrix_reserve');
  }

  // irq_matrix_remove_reserved(): no check in the kernel; an unbalanced call wraps the counter
  removeReserved(): void {
    if (this.globalReserved === 0) this.k.report('double-free', 'irq_matrix_remove_reserved', 'global_reserved released below zero');
    this.globalReserved--;
    this.stamps.drop(RESERVATION_KEY);
  }

  // irq_matrix_alloc(): a regular vector on the best CPU of the mask
  alloc(msk: readonly number[], reserved: boolean): MatrixAlloc {
    if (msk.length === 0) return { ret: -EINVAL, cpu: NO_CPU };
    const cpu = this.findBestCpu(msk);
    if (cpu === NO_CPU) return { ret: -ENOSPC, cpu };
    const cm = this.map(cpu);
    if (!this.roomGuaranteed && this.k.faults.shouldFail('irq_matrix_alloc')) return { ret: -ENOSPC, cpu };
    const bit = this.allocArea(cm, false);
    if (bit >= this.allocEnd) return { ret: -ENOSPC, cpu };
    cm.allocated++;
    cm.available--;
    this.totalAllocated++;
    this.globalAvailable--;
    this.stamps.take(this.vectorKey(cpu, bit), 'irq_matrix_alloc');
    if (reserved) {
      if (this.globalReserved === 0) this.k.report('double-free', 'irq_matrix_alloc', 'reserved allocation with global_reserved already zero');
      this.globalReserved--;
      this.stamps.drop(RESERVATION_KEY);
    }
    return { ret: bit, cpu };
  }

  // irq_matrix_free(): a managed slot goes back to the reservation, a regular one to `available`
  free(cpu: number, bit: number, managed: boolean): void {
    const cm = this.map(cpu);
    if (bit < this.allocStart || bit >= this.allocEnd) {
      this.k.warn('irq_matrix_free', `vector ${bit} outside the allocation range`);
      return;
    }
    if (cm.allocMap[bit] !== 1) {
      this.k.report('double-free', 'irq_matrix_free', `CPU ${cpu} vector ${bit} freed but not allocated`);
      return;
    }
    cm.allocMap[bit] = 0;
    cm.allocated--;
    this.stamps.drop(this.vectorKey(cpu, bit));
    if (managed) cm.managedAllocated--;
    if (cm.online) this.totalAllocated--;
    if (!managed) {
      cm.available++;
      if (cm.online) this.globalAvailable++;
    }
  }

  // irq_matrix_available(): global, optionally without the CPU going down (drained CPUs have none)
  available(cpudown: boolean, cpu: number): number {
    let avl = cpudown ? this.globalAvailable - this.map(cpu).available : this.globalAvailable;
    for (const c of this.drained) {
      const cm = this.map(c);
      if (cm.online && !(cpudown && c === cpu)) avl -= cm.available;
    }
    return avl;
  }

  /** One CPU's free vectors as every allocator sees them: 0 on a drained CPU. */
  availableAt(cpu: number): number {
    return this.drained.has(cpu) ? 0 : this.map(cpu).available;
  }

  // irq_matrix_allocated(): regular (non-managed) vectors on the CPU, the ones a hot-unplug must move
  allocatedOn(cpu: number): number {
    const cm = this.map(cpu);
    return cm.allocated - cm.managedAllocated;
  }
}

/** One line per counter that disagrees with the maps (the matrix invariant). Empty when consistent. */
export function matrixConsistency(m: IrqMatrix): string[] {
  const out: string[] = [];
  let sumAllocated = 0;
  let sumAvailable = 0;
  m.maps.forEach((cm, cpu) => {
    let alloc = 0;
    let managed = 0;
    let both = 0;
    for (let b = 0; b < m.matrixBits; b++) {
      const a = cm.allocMap[b] === 1;
      const mg = cm.managedMap[b] === 1;
      if (a) alloc++;
      if (mg) managed++;
      if (a && mg) both++;
      if (a && m.systemMap[b] === 1) out.push(`CPU ${cpu}: vector ${b} allocated and a system vector`);
    }
    if (cm.allocated !== alloc) out.push(`CPU ${cpu}: allocated=${cm.allocated} but ${alloc} bits in alloc_map`);
    if (cm.managed !== managed) out.push(`CPU ${cpu}: managed=${cm.managed} but ${managed} bits in managed_map`);
    if (cm.managedAllocated !== both) out.push(`CPU ${cpu}: managed_allocated=${cm.managedAllocated} but ${both} managed bits allocated`);
    for (const [name, v] of [['available', cm.available], ['allocated', cm.allocated], ['managed', cm.managed], ['managed_allocated', cm.managedAllocated]] as const) {
      if (v < 0) out.push(`CPU ${cpu}: ${name} is negative (${v})`);
    }
    sumAllocated += cm.allocated;
    if (cm.online) sumAvailable += cm.available;
  });
  if (m.globalAvailable !== sumAvailable) out.push(`global_available=${m.globalAvailable} but online CPUs have ${sumAvailable}`);
  if (m.totalAllocated !== sumAllocated) out.push(`total_allocated=${m.totalAllocated} but the maps hold ${sumAllocated}`);
  if (m.globalReserved < 0) out.push(`global_reserved is negative (${m.globalReserved})`);
  if (m.globalAvailable < 0) out.push(`global_available is negative (${m.globalAvailable})`);
  return out;
}
