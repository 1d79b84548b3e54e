// A miniature slab: every kernel object the models kmalloc() gets an address and a
// lifetime, and every dereference of a pointer that came out of stored state goes through
// deref(), which behaves like a KASAN-instrumented load: NULL oopses, freed memory is
// reported (and, as on real hardware, the stale contents are still readable).
import { KernelOops } from './report';

/** Base of every modelled kernel object. `addr` is its (fake) kernel virtual address. */
export abstract class KObject {
  /** Set by Heap.kmalloc(). */
  addr = 0;
  /** Set by Heap.kfree(); a freed object is never reused by the model. */
  freed = false;
  abstract readonly kind: string;
}

export interface HeapSanitizer {
  useAfterFree(site: string, obj: KObject): void;
  doubleFree(site: string, what: string): void;
  /** kfree() released `obj` (it is freed from now on). */
  released(obj: KObject): void;
}

// Kernel-looking addresses whose low 32 bits are far above any 16-bit PCI RID, so a
// pointer mistaken for an ID never matches a real device by accident.
const HEAP_BASE = 0xffff_8880_0000;
const OBJ_STRIDE = 0x100;

export class Heap {
  private next = 0;
  private readonly live = new Map<number, KObject>();

  constructor(private readonly sanitizer: HeapSanitizer) {}

  kmalloc<T extends KObject>(obj: T): T {
    obj.addr = HEAP_BASE + this.next * OBJ_STRIDE;
    this.next += 1;
    this.live.set(obj.addr, obj);
    return obj;
  }

  kfree(site: string, obj: KObject | null): void {
    if (obj === null) return; // kfree(NULL) is a no-op
    if (obj.freed) {
      this.sanitizer.doubleFree(site, `${obj.kind}@${hex(obj.addr)}`);
      return;
    }
    obj.freed = true;
    this.live.delete(obj.addr);
    this.sanitizer.released(obj);
  }

  /** What a pointer value read back as an integer points at, if anything live. */
  lookup(addr: number): KObject | null {
    return this.live.get(addr) ?? null;
  }

  liveObjects(): IterableIterator<KObject> {
    return this.live.values();
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
