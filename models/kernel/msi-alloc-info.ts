// msi_alloc_info_t (asm-generic/msi.h). The scratchpad is a C union { unsigned long ul; void *ptr; }:
// writing one member destroys the other. The model keeps the bits honest (reading .ul after
// .ptr was written yields the pointer value, reading .ptr after .ul yields whatever the number
// points at) and reports the type confusion where it happens.
import { KObject } from './heap';
import { KernelOops } from './report';
import type { Kernel } from './kernel';
import type { MsiDesc } from './msi-desc';

export const MSI_ALLOC_FLAGS_PROXY_DEVICE = 1 << 0;
/** The message data is hardwired (GICv5 IWB): the EventID is the wire, not a free event. */
export const MSI_ALLOC_FLAGS_FIXED_MSG_DATA = 1 << 1;

export class ScratchpadSlot {
  private member: 'ul' | 'ptr' | null = null;
  private bits = 0;
  private object: KObject | null = null;

  writeUl(value: number): void {
    this.member = 'ul';
    this.bits = value;
    this.object = null;
  }

  writePtr(obj: KObject | null): void {
    this.member = 'ptr';
    this.bits = obj === null ? 0 : obj.addr;
    this.object = obj;
  }

  readUl(k: Kernel, site: string): number {
    if (this.member === 'ptr') {
      k.report('union-confusion', site, `scratchpad read as .ul after prepare stored a pointer there (.ptr = ${hex(this.bits)})`);
    }
    return this.bits;
  }

  readPtr<T extends KObject>(k: Kernel, site: string): T | null {
    if (this.member === 'ul') {
      k.report('union-confusion', site, `scratchpad read as .ptr while it holds the integer ${hex(this.bits)}`);
      return k.heap.lookup(this.bits) as T | null;
    }
    return this.object as T | null;
  }

  /** The pointer member if it is the one last written, else null; no report (for observers, not kernel code). */
  peekPtr(): KObject | null {
    return this.member === 'ptr' ? this.object : null;
  }

  copyFrom(other: ScratchpadSlot): void {
    this.member = other.member;
    this.bits = other.bits;
    this.object = other.object;
  }
}

/**
 * Arch-specific members of msi_alloc_info_t, for architectures that define their own struct
 * (x86's struct irq_alloc_info: type, devid, data, mask). Copied with the struct.
 */
export interface ArchAllocInfo {
  clone(): ArchAllocInfo;
}

export class MsiAllocInfo {
  desc: MsiDesc | null = null;
  hwirq = 0;
  flags = 0;
  readonly scratchpad: [ScratchpadSlot, ScratchpadSlot] = [new ScratchpadSlot(), new ScratchpadSlot()];
  /** The arch part of the struct (null on architectures using the generic layout). */
  arch: ArchAllocInfo | null = null;

  /** `*arg = *info->alloc_data`: a struct copy, union bits included. */
  copy(): MsiAllocInfo {
    const c = new MsiAllocInfo();
    c.desc = this.desc;
    c.hwirq = this.hwirq;
    c.flags = this.flags;
    c.scratchpad[0].copyFrom(this.scratchpad[0]);
    c.scratchpad[1].copyFrom(this.scratchpad[1]);
    c.arch = this.arch === null ? null : this.arch.clone();
    return c;
  }
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

/** Dereference of an msi_alloc_info_t pointer argument (NULL when the template does not exist). */
export function derefInfo(site: string, info: MsiAllocInfo | null): MsiAllocInfo {
  if (info === null) throw new KernelOops(site, 'NULL pointer dereference (msi_alloc_info_t *info)');
  return info;
}
