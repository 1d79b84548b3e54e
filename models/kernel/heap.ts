// A miniature slab: every kernel object the models kmalloc() gets an address, a lifetime and an
// allocation record (the kernel function and the driver command that allocated it, as kmemleak
// keeps one), and every dereference of a pointer that came out of stored state goes through
// deref(), which behaves like a KASAN-instrumented load: NULL oopses, freed memory is
// reported (and, as on real hardware, the stale contents are still readable).
import { KernelOops } from './report';

/**
 * The driver-level command during which something was allocated: its step index and, lazily,
 * its repro line. Null stands for boot (the platform's probe, before the first command).
 */
export interface AllocCause {
  readonly step: number;
  describe(): string;
}

/** Where an object or resource unit was allocated: the kernel function and the command. */
export interface AllocStamp {
  readonly site: string;
  readonly cause: AllocCause | null;
}

// Kernel-looking addresses whose low 32 bits are far above any 16-bit PCI RID, so a
// pointer mistaken for an ID never matches a real device by accident.
const HEAP_BASE = 0xffff_8880_0000;
const OBJ_STRIDE = 0x100;

/** Base of every modelled kernel object. `addr` is its (fake) kernel virtual address. */
export abstract class KObject {
  /** The heap slot Heap.kmalloc() gave it (0: never kmalloc()ed); a small integer, cheap to store and hash. */
  declare slot: number;
  /** Set by Heap.kfree(); a freed object is never reused by the model. */
  declare freed: boolean;
  /** Set by Heap.kmalloc(): the allocating function and command (null: never kmalloc()ed). */
  declare alloc: AllocStamp | null;
  abstract readonly kind: string;

  // Declared, then assigned here rather than defined as class fields: every subclass runs this
  // initialiser, and V8 runs a shared constructor's plain stores about twice as fast as shared
  // field definitions (irq_desc, irq_data and msi_desc are created by the thousand)
  constructor() {
    this.slot = 0;
    this.freed = false;
    this.alloc = null;
  }

  /** Its (fake) kernel virtual address, from its heap slot. */
  get addr(): number {
    return HEAP_BASE + (this.slot - 1) * OBJ_STRIDE;
  }
}

export interface HeapSanitizer {
  useAfterFree(site: string, obj: KObject): void;
  doubleFree(site: string, what: string): void;
  /** kfree() released `obj` (it is freed from now on). */
  released(obj: KObject): void;
  /** The stamp of an allocation in `site` by the command running now (null cause at boot). */
  stamp(site: string): AllocStamp;
}

export class Heap {
  private next = 0;
  private readonly live = new Map<number, KObject>();

  constructor(private readonly sanitizer: HeapSanitizer) {}

  /** kmalloc()/kzalloc() in `site`; the object is stamped with the command running now. */
  kmalloc<T extends KObject>(obj: T, site = 'kmalloc'): T {
    this.next += 1;
    obj.slot = this.next;
    obj.alloc = this.sanitizer.stamp(site);
    this.live.set(obj.slot, obj);
    return obj;
  }

  kfree(site: string, obj: KObject | null): void {
    if (obj === null) return; // kfree(NULL) is a no-op
    if (obj.freed) {
      this.sanitizer.doubleFree(site, `${obj.kind}@${hex(obj.addr)}`);
      return;
    }
    obj.freed = true;
    this.live.delete(obj.slot);
    this.sanitizer.released(obj);
  }

  /** What a pointer value read back as an integer points at, if anything live. */
  lookup(addr: number): KObject | null {
    const off = addr - HEAP_BASE;
    if (off < 0 || off % OBJ_STRIDE !== 0) return null;
    return this.live.get(off / OBJ_STRIDE + 1) ?? null;
  }

  liveObjects(): IterableIterator<KObject> {
    return this.live.values();
  }

  /** Live objects of `kind` (a scan: for reports and tests). */
  liveCount(kind: string): number {
    let n = 0;
    for (const o of this.live.values()) if (o.kind === kind) n++;
    return n;
  }

  /** KASAN-checked dereference of a stored pointer. */
  deref<T extends KObject>(site: string, ptr: T | null | undefined, what: string): T {
    if (ptr === null || ptr === undefined) {
      throw new KernelOops(site, `NULL pointer dereference (${what})`);
    }
    if (ptr.freed) this.sanitizer.useAfterFree(site, ptr);
    return ptr;
  }
}

export function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

/** `allocated in site, step N: command` for a report (or at boot, or not recorded). */
export function describeStamp(s: AllocStamp | null): string {
  if (s === null) return 'allocation not recorded';
  return s.cause === null ? `allocated in ${s.site} at boot` : `allocated in ${s.site}, step ${s.cause.step + 1}: ${s.cause.describe()}`;
}
