// The Xen hypervisor as a Linux guest sees it through the physdev and event-channel hypercalls
// (xen/include/public/physdev.h, event_channel.h; xen/arch/x86/physdev.c, irq.c, msi.c):
// a per-domain pirq space, the machine's own interrupt vectors (Xen programs a PV dom0's MSI
// and MSI-X entries with them; an HVM guest's emulated writes name a pirq instead), and event
// channels bound to pirqs. Every hypercall is a typed request; each can be made to fail at a
// fault site named after it.
import { formatBdf, PciDev } from '../../kernel/device';
import { EBUSY, EEXIST, EINVAL, ENODEV, ENOENT, ENOSPC, ESRCH } from './xen-errno';
import type { Kernel } from '../../kernel/kernel';
import type { MsiMsg } from '../../kernel/irqdomain';
import type { IrqOrigin } from '../../kernel/irq-action';
import { pciMsixUnmaskEntry } from '../../kernel/pci-msi-signal';

/** DOMID_SELF */
export const DOMID_SELF = 0x7ff0;
/** The domain id of the guest a PV domU model runs as (its backend lives in dom0). */
export const DOMU_ID = 1;

/** MAP_PIRQ_TYPE_* (physdev.h). */
export type MapPirqType = 'MSI' | 'GSI' | 'MSI_SEG' | 'MULTI_MSI';

/** Every hypercall the modelled Linux paths make, by name. */
export type XenHypercall =
  | {
      readonly op: 'PHYSDEVOP_map_pirq';
      readonly domid: number;
      readonly type: MapPirqType;
      readonly index: number;
      readonly pirq: number;
      /** bus | segment << 16 for MSI_SEG / MULTI_MSI, the bus alone for MSI. */
      readonly bus: number;
      readonly devfn: number;
      /** MSI-X: the table entry; MULTI_MSI: the number of vectors. */
      readonly entryNr: number;
      readonly tableBase: number;
    }
  | { readonly op: 'PHYSDEVOP_unmap_pirq'; readonly domid: number; readonly pirq: number }
  | { readonly op: 'PHYSDEVOP_get_free_pirq'; readonly type: MapPirqType }
  | { readonly op: 'PHYSDEVOP_irq_status_query'; readonly pirq: number }
  | { readonly op: 'PHYSDEVOP_eoi'; readonly pirq: number }
  | { readonly op: 'EVTCHNOP_bind_pirq'; readonly pirq: number; readonly willShare: boolean }
  | { readonly op: 'EVTCHNOP_close'; readonly port: number }
  | { readonly op: 'EVTCHNOP_bind_vcpu'; readonly port: number; readonly vcpu: number };

export interface HypercallResult {
  /** 0 or a negative Xen errno (Linux sees the same values). */
  readonly rc: number;
  readonly pirq?: number;
  readonly port?: number;
  /** PHYSDEVOP_irq_status_query: XENIRQSTAT_needs_eoi. */
  readonly needsEoi?: boolean;
}

/** Where a mapped MSI pirq's interrupts come from. */
export interface PirqSource {
  readonly dev: PciDev;
  /** MSI-X table entry, or the vector of an MSI block. */
  readonly entry: number;
  readonly msix: boolean;
}

/** One pirq of one domain (struct pirq + the machine irq it maps). */
export interface PirqEntry {
  readonly pirq: number;
  readonly domid: number;
  /** PIRQ_ALLOCATED by PHYSDEVOP_get_free_pirq, or mapped to a machine interrupt. */
  source: PirqSource | null;
  /** The machine vector Xen programmed into the device for it (PV), or null (HVM emulation). */
  hostVector: number | null;
  /** The event channel bound to it, 0 when none. */
  port: number;
}

/** One event channel of the guest (evtchn_2l: a pending and a mask bit in shared_info). */
export interface EventChannel {
  readonly port: number;
  readonly pirq: number;
  vcpu: number;
  pending: IrqOrigin | null;
  masked: boolean;
}

/** What the hypervisor of the machine supports (Xen version and config). */
export interface XenHypervisorConfig {
  /** The pirq space of the domain Linux runs in (nr_pirqs). */
  readonly nrPirqs: number;
  /** MAP_PIRQ_TYPE_MSI_SEG (Xen >= 4.1): anything else answers -EINVAL. */
  readonly msiSegSupported: boolean;
  /** MAP_PIRQ_TYPE_MULTI_MSI (Xen >= 4.4). */
  readonly multiMsiSupported: boolean;
  /** Event channel ports (2-level ABI, 64-bit: 4096). */
  readonly nrPorts: number;
  /** Machine vectors Xen can hand out for MSIs (its own irq space). */
  readonly nrHostVectors: number;
}

/** Machine vectors are spread over pCPUs as Xen's own vector allocator does; the model encodes (pcpu, vector). */
const HOST_VECTORS_PER_PCPU = 200;
const FIRST_HOST_VECTOR = 0x20;

/** The message a PV device sends for machine vector `h` (compatibility format, pCPU and vector). */
export function hostMsiMsg(h: number): MsiMsg {
  const pcpu = Math.floor(h / HOST_VECTORS_PER_PCPU);
  const vector = FIRST_HOST_VECTOR + (h % HOST_VECTORS_PER_PCPU);
  return { addressHi: 0, addressLo: (0xfee00000 | (pcpu << 12)) >>> 0, data: vector };
}

function hostVectorOf(msg: MsiMsg): number {
  const pcpu = (msg.addressLo >>> 12) & 0xff;
  const vector = msg.data & 0xff;
  if (vector < FIRST_HOST_VECTOR || vector >= FIRST_HOST_VECTOR + HOST_VECTORS_PER_PCPU) return -1;
  return pcpu * HOST_VECTORS_PER_PCPU + (vector - FIRST_HOST_VECTOR);
}

/** XEN_PIRQ_MSI_DATA: the HVM guest's message, vector 0 and ExtINT delivery, the pirq in the destination ID. */
export const XEN_PIRQ_MSI_DATA = 7 << 8;

/** The pirq an HVM guest's message names (xen_msi_compose_msg()), or -1. */
export function pirqOfHvmMsg(msg: MsiMsg): number {
  if (msg.data !== XEN_PIRQ_MSI_DATA) return -1;
  return ((msg.addressLo >>> 12) & 0xff) | (((msg.addressHi >>> 8) & 0xffffff) << 8);
}

/** One domain's pirq space: entries, and the lowest pirq above which every pirq is taken (searches go down from there). */
interface PirqSpace {
  readonly entries: Map<number, PirqEntry>;
  /** Every pirq above this one is allocated (the top-down search starts here). */
  top: number;
}

export class XenHypervisor {
  /** domid -> pirq space, for the domain Linux runs in and the guests dom0 maps for. */
  private readonly spaces = new Map<number, PirqSpace>();
  private readonly hostVectors: (PirqEntry | null)[];
  /** No machine vector below this index is free. */
  private hostLowestFree = 0;
  /** Mapped pirqs by device and entry (2 * entry + 1 for MSI-X): what physdev_map_pirq() finds in use. */
  private readonly bySource = new Map<PciDev, Map<number, PirqEntry>>();
  readonly ports = new Map<number, EventChannel>();
  /** The domain Linux runs in, as Xen knows it. */
  readonly selfDomid: number;

  constructor(
    private readonly k: Kernel,
    readonly config: XenHypervisorConfig,
    selfDomid: number,
  ) {
    this.selfDomid = selfDomid;
    this.hostVectors = new Array<PirqEntry | null>(config.nrHostVectors).fill(null);
  }

  private space(domid: number): PirqSpace {
    const d = domid === DOMID_SELF ? this.selfDomid : domid;
    let sp = this.spaces.get(d);
    if (sp === undefined) this.spaces.set(d, (sp = { entries: new Map(), top: this.config.nrPirqs - 1 }));
    return sp;
  }

  pirq(domid: number, pirq: number): PirqEntry | undefined {
    return this.space(domid).entries.get(pirq);
  }

  private setPirq(e: PirqEntry): void {
    this.space(e.domid).entries.set(e.pirq, e);
    const src = e.source;
    if (src === null) return;
    let m = this.bySource.get(src.dev);
    if (m === undefined) this.bySource.set(src.dev, (m = new Map()));
    m.set(2 * src.entry + (src.msix ? 1 : 0), e);
  }

  private deletePirq(e: PirqEntry): void {
    const sp = this.space(e.domid);
    sp.entries.delete(e.pirq);
    if (e.pirq > sp.top) sp.top = e.pirq;
    const src = e.source;
    if (src !== null) this.bySource.get(src.dev)?.delete(2 * src.entry + (src.msix ? 1 : 0));
  }

  /** Every pirq of every domain that is allocated or mapped (for the resource view). */
  allPirqs(): PirqEntry[] {
    const out: PirqEntry[] = [];
    for (const sp of this.spaces.values()) for (const e of sp.entries.values()) out.push(e);
    return out;
  }

  /** How many pirqs are allocated or mapped. */
  pirqCount(): number {
    let n = 0;
    for (const sp of this.spaces.values()) n += sp.entries.size;
    return n;
  }

  /** The highest run of `count` free pirqs of the domain (get_free_pirq() searches down from the top), or -1. */
  private findFreePirqs(domid: number, count: number): number {
    const sp = this.space(domid);
    for (let p = Math.min(sp.top, this.config.nrPirqs - 1) - count + 1; p >= 16; p--) {
      let free = true;
      for (let i = 0; i < count && free; i++) if (sp.entries.has(p + i)) free = false;
      if (free) {
        if (p + count - 1 >= sp.top) sp.top = p - 1;
        return p;
      }
    }
    return -1;
  }

  /**
   * Whether an injected fault fails the call: the hypercalls that fail for want of a pirq, a
   * machine vector or an event channel are fault sites; the others fail only when Linux and Xen
   * disagree, which the model answers as Xen would.
   */
  private injected(call: XenHypercall): boolean {
    switch (call.op) {
      case 'PHYSDEVOP_map_pirq':
        return this.k.faults.shouldFail('PHYSDEVOP_map_pirq');
      case 'PHYSDEVOP_get_free_pirq':
        return this.k.faults.shouldFail('PHYSDEVOP_get_free_pirq');
      case 'EVTCHNOP_bind_pirq':
        return this.k.faults.shouldFail('EVTCHNOP_bind_pirq');
      default:
        return false;
    }
  }

  /** The hypercall itself, unless an injected fault fails it first. */
  hypercall(call: XenHypercall): HypercallResult {
    if (this.injected(call)) return { rc: injectedRc(call) };
    switch (call.op) {
      case 'PHYSDEVOP_map_pirq':
        return this.mapPirq(call);
      case 'PHYSDEVOP_unmap_pirq':
        return this.unmapPirq(call.domid, call.pirq);
      case 'PHYSDEVOP_get_free_pirq':
        return this.getFreePirq(this.selfDomid);
      case 'PHYSDEVOP_irq_status_query':
        // MSIs are edge: Xen asks for no EOI
        return { rc: 0, needsEoi: false };
      case 'PHYSDEVOP_eoi':
        return { rc: this.pirq(DOMID_SELF, call.pirq) === undefined ? -EINVAL : 0 };
      case 'EVTCHNOP_bind_pirq':
        return this.bindPirq(call.pirq);
      case 'EVTCHNOP_close':
        return this.close(call.port);
      case 'EVTCHNOP_bind_vcpu': {
        const ch = this.ports.get(call.port);
        if (ch === undefined) return { rc: -ENOENT };
        ch.vcpu = call.vcpu;
        return { rc: 0 };
      }
    }
  }

  // get_free_pirq(): MSI pirqs come from the top of the domain's space down
  private getFreePirq(domid: number): HypercallResult {
    const p = this.findFreePirqs(domid, 1);
    if (p < 0) return { rc: -ENOSPC };
    this.setPirq({ pirq: p, domid, source: null, hostVector: null, port: 0 });
    return { rc: 0, pirq: p };
  }

  private allocHostVector(entry: PirqEntry): number {
    for (let h = this.hostLowestFree; h < this.hostVectors.length; h++) {
      if (this.hostVectors[h] !== null) continue;
      this.hostVectors[h] = entry;
      this.hostLowestFree = h + 1;
      return h;
    }
    return -1;
  }

  /** The PCI function physdev_map_pirq() names (pci_get_pdev(seg, bus, devfn)). */
  private pdev(bus: number, devfn: number, seg: number): PciDev | null {
    for (const d of this.k.devices) {
      if (d instanceof PciDev && !d.removed && d.segment === seg && d.rid === (((bus & 0xff) << 8) | devfn)) return d;
    }
    return null;
  }

  private inUse(dev: PciDev, entry: number, msix: boolean): PirqEntry | undefined {
    return this.bySource.get(dev)?.get(2 * entry + (msix ? 1 : 0));
  }

  // physdev_map_pirq() -> allocate_and_map_msi_pirq() -> map_domain_pirq(): a pirq, a machine
  // vector, and the device's MSI / MSI-X entry programmed with it (still masked: it is unmasked
  // when the guest binds an event channel)
  private mapPirq(call: Extract<XenHypercall, { op: 'PHYSDEVOP_map_pirq' }>): HypercallResult {
    if (call.type === 'MSI_SEG' && !this.config.msiSegSupported) return { rc: -EINVAL };
    if (call.type === 'MULTI_MSI' && !this.config.multiMsiSupported) return { rc: -EINVAL };
    if (call.type === 'GSI') return { rc: -EINVAL };
    const seg = call.type === 'MSI' ? 0 : call.bus >>> 16;
    const dev = this.pdev(call.bus & 0xff, call.devfn, seg);
    if (dev === null) return { rc: -ENODEV };
    const msix = call.tableBase !== 0;
    const count = call.type === 'MULTI_MSI' ? call.entryNr : 1;
    const first = msix ? call.entryNr : 0;
    if (this.inUse(dev, first, msix) !== undefined) return { rc: -EBUSY };
    const domid = call.domid === DOMID_SELF ? this.selfDomid : call.domid;
    // a multi-MSI block takes `count` consecutive pirqs
    const base = this.findFreePirqs(domid, count);
    if (base < 0) return { rc: -ENOSPC };
    const entries: PirqEntry[] = [];
    for (let i = 0; i < count; i++) {
      const e: PirqEntry = { pirq: base + i, domid, source: { dev, entry: first + i, msix }, hostVector: null, port: 0 };
      const h = this.allocHostVector(e);
      if (h < 0) {
        for (const done of entries) this.releaseHostVector(done);
        return { rc: -ENOSPC };
      }
      e.hostVector = h;
      entries.push(e);
    }
    for (const e of entries) this.setPirq(e);
    this.programDevice(dev, entries, msix, first);
    this.k.printk(`(XEN) ${formatBdf(dev)}: ${msix ? `MSI-X entry ${first}` : `MSI x${count}`} -> pirq ${base} (d${domid})`);
    return { rc: 0, pirq: base };
  }

  // The entry Xen owns in a PV guest's device: masked until an event channel is bound
  private programDevice(dev: PciDev, entries: readonly PirqEntry[], msix: boolean, first: number): void {
    const e0 = entries[0] as PirqEntry;
    const msg = hostMsiMsg(e0.hostVector as number);
    if (msix) dev.msixTable[first] = { ...msg, masked: true };
    else dev.msiCapMsg = { ...msg };
  }

  private releaseHostVector(e: PirqEntry): void {
    if (e.hostVector !== null) {
      this.hostVectors[e.hostVector] = null;
      if (e.hostVector < this.hostLowestFree) this.hostLowestFree = e.hostVector;
    }
    e.hostVector = null;
  }

  // physdev_unmap_pirq() -> unmap_domain_pirq(): the machine vector goes, the entry is masked
  private unmapPirq(domid: number, pirq: number): HypercallResult {
    const e = this.pirq(domid, pirq);
    if (e === undefined) return { rc: domid === DOMID_SELF || domid === this.selfDomid ? -EINVAL : -ESRCH };
    if (e.port !== 0) this.close(e.port);
    // a multi-MSI block goes as a whole with its first pirq
    const src = e.source;
    const block = src !== null && !src.msix ? [...(this.bySource.get(src.dev)?.values() ?? [])].filter((x) => x.domid === e.domid && x.source?.msix === false) : [e];
    for (const x of block) {
      if (x.port !== 0) this.close(x.port);
      this.releaseHostVector(x);
      this.deletePirq(x);
      if (x.source !== null && x.source.msix) {
        const t = x.source.dev.msixTable[x.source.entry];
        if (t !== null && t !== undefined) t.masked = true;
      }
    }
    return { rc: 0 };
  }

  // evtchn_bind_pirq(): a port on vCPU 0, and the machine interrupt unmasked (pirq_guest_bind)
  private bindPirq(pirq: number): HypercallResult {
    const e = this.pirq(DOMID_SELF, pirq);
    if (e === undefined) return { rc: -EINVAL };
    if (e.port !== 0) return { rc: -EEXIST };
    let port = -1;
    for (let p = 1; p < this.config.nrPorts; p++) {
      if (!this.ports.has(p)) {
        port = p;
        break;
      }
    }
    if (port < 0) return { rc: -ENOSPC };
    this.ports.set(port, { port, pirq, vcpu: 0, pending: null, masked: true });
    e.port = port;
    const src = e.source;
    if (src !== null && src.msix && e.hostVector !== null) pciMsixUnmaskEntry(this.k, src.dev, src.entry);
    return { rc: 0, port };
  }

  // evtchn_close(): the port goes, the pirq is unbound and its machine interrupt masked
  private close(port: number): HypercallResult {
    const ch = this.ports.get(port);
    if (ch === undefined) return { rc: -EINVAL };
    this.ports.delete(port);
    const ch2 = ch;
    for (const e of this.space(DOMID_SELF).entries.values()) {
      if (e.port !== ch2.port) continue;
      e.port = 0;
      const src = e.source;
      if (src !== null && src.msix && e.hostVector !== null) {
        const t = src.dev.msixTable[src.entry];
        if (t !== null && t !== undefined) t.masked = true;
      }
    }
    return { rc: 0 };
  }

  /**
   * The machine side of an MSI write: a PV device's message names a machine vector, an HVM
   * guest's (emulated) message names its pirq. Returns the pirq entry it reaches, or why not.
   */
  route(dev: PciDev, msg: MsiMsg, hvm: boolean): PirqEntry | { readonly blocked: string } {
    if (hvm) {
      const p = pirqOfHvmMsg(msg);
      if (p < 0) return { blocked: `${formatBdf(dev)}: message ${msg.addressLo.toString(16)}/${msg.data.toString(16)} names no pirq (vector != 0 or not ExtINT)` };
      const e = this.pirq(DOMID_SELF, p);
      if (e === undefined) return { blocked: `(XEN) pirq ${p} is not allocated to d${this.selfDomid}` };
      return e;
    }
    const h = hostVectorOf(msg);
    const e = h < 0 ? null : (this.hostVectors[h] ?? null);
    if (e === null) return { blocked: `(XEN) no machine vector behind ${msg.addressLo.toString(16)}/${msg.data.toString(16)}: dropped` };
    if (e.source?.dev !== dev) return { blocked: `(XEN) machine vector ${h} belongs to another device` };
    return e;
  }

  /** Xen sets the event pending; false when the pirq has no event channel (the interrupt is acked and lost). */
  raise(e: PirqEntry, origin: IrqOrigin): EventChannel | null {
    if (e.port === 0) return null;
    const ch = this.ports.get(e.port);
    if (ch === undefined) return null;
    if (ch.pending === null) ch.pending = origin;
    return ch;
  }
}

/** What a hypercall answers when its fault site fires: exhaustion for allocations, -EINVAL otherwise. */
function injectedRc(call: XenHypercall): number {
  switch (call.op) {
    case 'PHYSDEVOP_map_pirq':
    case 'PHYSDEVOP_get_free_pirq':
    case 'EVTCHNOP_bind_pirq':
      return -ENOSPC;
    default:
      return -EINVAL;
  }
}
