// The PAPR firmware side of pseries MSIs: the RTAS functions ibm,change-msi and
// ibm,query-interrupt-source-number, and the spapr XIVE hcalls H_INT_GET_SOURCE_INFO and
// H_INT_SET_SOURCE_CONFIG, over one table of interrupt sources (LISN -> EAS valid/owner/PQ,
// target and EISN), with the XIVE presenter the hypervisor gives the partition (an event queue
// per vCPU, ESB triggers and EOIs as hw/intc/spapr_xive.c and xive.c do them). Behaviour follows QEMU's
// sPAPR machine (hw/ppc/spapr_pci.c, hw/intc/spapr_xive.c), the only open implementation,
// plus one PowerVM trait seen in seed 000 (see `flavour`).
import { Bitmap, getCountOrder } from '../../kernel/bitmap';
import type { PciDev } from '../../kernel/device';
import type { MsiMsg } from '../../kernel/irqdomain';
import {
  H_FUNCTION,
  H_P2,
  H_PARAMETER,
  H_SUCCESS,
  RTAS_HARDWARE_ERROR,
  RTAS_PARAMETER_ERROR,
  RTAS_SUCCESS,
} from '../powerpc-common/firmware-codes';
import type { IrqOrigin } from '../../kernel/irq-action';
import { XIVE_ESB_GET, XIVE_ESB_INVALID, type EsbPage } from '../powerpc-common/xive-irq-data';
import { XivePresenter } from '../powerpc-common/xive-presenter';

// ibm,change-msi function codes (pseries/msi.c)
export const RTAS_QUERY_FN = 0;
export const RTAS_CHANGE_FN = 1;
export const RTAS_RESET_FN = 2;
export const RTAS_CHANGE_MSI_FN = 3;
export const RTAS_CHANGE_MSIX_FN = 4;

/**
 * 'phyp': PowerVM assigns every slot a fixed LISN block; ibm,change-msi only validates or
 * invalidates its sources, and ibm,query-interrupt-source-number keeps answering from the
 * block while the sources are off. [inference from seed 000: after rtas_disable_msi() the
 * query still produced lisn=0x1 and H_INT_GET_SOURCE_INFO refused it with H_P2.]
 * 'qemu': change-msi allocates a block per call and frees it on change-msi(0); the query then
 * fails with -1 (Nam Cao's "different problem" under QEMU).
 */
export type HvFlavour = 'phyp' | 'qemu';

/** H_INT_GET_SOURCE_INFO output flags (PPC bit numbering). */
export const XIVE_SRC_TRIGGER = 1 << 1; // bit 62: trigger on the EOI page
export const XIVE_SRC_STORE_EOI = 1 << 0; // bit 63
/** H_INT_SET_SOURCE_CONFIG input flag: set the EISN (the EQ data Linux gets back). */
export const XIVE_SRC_SET_EISN = 1 << 1; // bit 62
/** Priority 0xff in H_INT_SET_SOURCE_CONFIG masks the source at the router. */
export const SPAPR_XIVE_MASKED_PRIO = 0xff;

/** A source's EAS as H_INT_SET_SOURCE_CONFIG set it: target vCPU, priority, EISN. */
interface SpaprEas {
  readonly server: number;
  readonly prio: number;
  readonly eqData: number;
}

/** QEMU's SPAPR_PCI_MSI_WINDOW: the doorbell every pseries MSI is written to. */
const SPAPR_PCI_MSI_WINDOW = 0x400_0000_0000;
const ESB_BASE = 0x6_0300_0000_0000;
const ESB_PAGE_SHIFT = 16;

/** One interrupt source (its EAS and ESB PQ bits). */
export interface SpaprSource {
  valid: boolean;
  owner: SpaprSlot | null;
  /** PQ bits: 0b01 = off. */
  pq: number;
}

/** A PCI function as the firmware knows it: its device-tree properties and MSI state. */
export class SpaprSlot {
  /** The MSI type configured and how many sources are enabled (the "RTAS MSI state"). */
  type: 'msi' | 'msix' | null = null;
  enabled = 0;
  /** First LISN of the block the function uses (static on phyp, per change-msi on qemu). */
  lisnBase = -1;
  /** LISNs in that block. */
  lisnCount = 0;
  /** What the firmware wrote into the MSI capability (MSI-X entries go into the device table). */
  msiMsg: MsiMsg | null = null;

  constructor(
    readonly dev: PciDev,
    readonly phb: SpaprPhb,
    /** ibm,req#msi, null when absent. */
    readonly reqMsi: number | null,
    /** ibm,req#msi-x, null when absent. */
    readonly reqMsix: number | null,
  ) {}
}

export class SpaprPhb {
  readonly slots: SpaprSlot[] = [];
  /** The PHB's interrupt source range, one bit per LISN. */
  readonly lisnMap: Bitmap;

  constructor(
    readonly index: number,
    readonly buid: number,
    /** ibm,pe-total-#msi on the PHB node. */
    readonly totalMsi: number,
    /** First LISN of this PHB's range. */
    readonly lisnFirst: number,
  ) {
    this.lisnMap = new Bitmap(totalMsi);
  }

  get msiWindow(): number {
    return SPAPR_PCI_MSI_WINDOW + this.index * 0x1_0000_0000;
  }
}

export interface RtasResult {
  readonly status: number;
  readonly rets: readonly number[];
}

/** One H_INT_GET_SOURCE_INFO refusal, for the "no allocation of a disabled source" invariant. */
export interface SourceInfoRefusal {
  readonly step: number;
  readonly lisn: number;
  readonly rc: number;
  /** The function the LISN belongs to (its block), if any. */
  readonly owner: PciDev | null;
}

export class SpaprHypervisor {
  readonly phbs: SpaprPhb[] = [];
  readonly sources = new Map<number, SpaprSource>();
  readonly refusals: SourceInfoRefusal[] = [];
  /** XIVE exploitation mode negotiated at CAS (always on in the model). */
  readonly xiveExploitation = true;
  /** The partition's XIVE presenter: one event queue per vCPU, IPB and CPPR. */
  readonly presenter: XivePresenter;
  private readonly eas = new Map<number, SpaprEas>();
  /** Who raised the trigger a Q bit remembers (model bookkeeping). */
  private readonly qOrigin = new Map<number, IrqOrigin | null>();

  constructor(
    readonly flavour: HvFlavour,
    readonly nrCpus = 4,
  ) {
    this.presenter = new XivePresenter(nrCpus);
  }

  addPhb(buid: number, totalMsi: number): SpaprPhb {
    // Each PHB's range starts on a boundary of its own (power-of-two) size, above LISN 0 (never
    // handed out), so a block aligned inside the range is aligned as a LISN too: a Multi-MSI
    // function ORs its vector number into the low bits of the data (QEMU: SPAPR_IRQ_MSI 0x1000
    // plus an aligned offset).
    const span = 1 << getCountOrder(Math.max(totalMsi, 1));
    const end = this.phbs.reduce((n, p) => Math.max(n, p.lisnFirst + p.totalMsi), 1);
    const first = Math.ceil(end / span) * span;
    const phb = new SpaprPhb(this.phbs.length, buid, totalMsi, first);
    this.phbs.push(phb);
    return phb;
  }

  slotOf(dev: PciDev): SpaprSlot | null {
    for (const phb of this.phbs) for (const s of phb.slots) if (s.dev === dev) return s;
    return null;
  }

  /** A function appears in the partition (boot or DLPAR add). */
  addSlot(dev: PciDev, phb: SpaprPhb, reqMsi: number | null, reqMsix: number | null): SpaprSlot {
    this.reclaimRemoved(phb);
    const slot = new SpaprSlot(dev, phb, reqMsi, reqMsix);
    phb.slots.push(slot);
    if (this.flavour === 'phyp') {
      // A fixed, naturally aligned block sized for what the function declares (if room is left).
      let want = Math.max(reqMsi ?? 0, reqMsix ?? 0);
      while (want > 0) {
        const at = phb.lisnMap.findZeroArea(want, (1 << getCountOrder(want)) - 1);
        if (at >= 0) {
          phb.lisnMap.set(at, want);
          slot.lisnBase = phb.lisnFirst + at;
          slot.lisnCount = want;
          for (let i = 0; i < want; i++) this.sources.set(slot.lisnBase + i, { valid: false, owner: slot, pq: 0b01 });
          break;
        }
        want >>= 1;
      }
    }
    return slot;
  }

  /** DLPAR remove of a function (drmgr's DRC unallocation once Linux let go of it). */
  dlparRemove(dev: PciDev): void {
    const slot = this.slotOf(dev);
    if (slot !== null) this.reclaimRemoved(slot.phb);
  }

  /** LISNs of the PHBs' ranges that some function's block holds (the firmware's source pool in use). */
  lisnsHeld(): number {
    return this.phbs.reduce((n, phb) => n + phb.lisnMap.weight(), 0);
  }

  /** DLPAR remove of functions whose device is gone: their sources go back to the PHB. */
  private reclaimRemoved(phb: SpaprPhb): void {
    for (const s of [...phb.slots]) {
      if (!s.dev.removed) continue;
      this.releaseBlock(s);
      phb.slots.splice(phb.slots.indexOf(s), 1);
    }
  }

  private releaseBlock(slot: SpaprSlot): void {
    if (slot.lisnBase < 0) return;
    for (let i = 0; i < slot.lisnCount; i++) {
      this.sources.delete(slot.lisnBase + i);
      this.eas.delete(slot.lisnBase + i);
      this.qOrigin.delete(slot.lisnBase + i);
    }
    slot.phb.lisnMap.clear(slot.lisnBase - slot.phb.lisnFirst, slot.lisnCount, () => undefined);
    slot.lisnBase = -1;
    slot.lisnCount = 0;
    slot.enabled = 0;
    slot.type = null;
  }

  private setValid(slot: SpaprSlot, n: number): void {
    for (let i = 0; i < slot.lisnCount; i++) {
      const src = this.sources.get(slot.lisnBase + i);
      if (src === undefined) continue;
      src.valid = i < n;
      if (!src.valid) {
        // spapr_xive_irq_free(): the source is off and its EAS invalid
        src.pq = 0b01;
        this.eas.delete(slot.lisnBase + i);
        this.qOrigin.delete(slot.lisnBase + i);
      }
    }
  }

  // rtas_ibm_change_msi(): args {config addr, BUID hi, BUID lo, func, num}, rets {count, seq, type}
  changeMsi(dev: PciDev, func: number, num: number): RtasResult {
    const slot = this.slotOf(dev);
    if (slot === null || dev.removed) return { status: RTAS_PARAMETER_ERROR, rets: [] };
    let type: 'msi' | 'msix';
    if (func === RTAS_CHANGE_FN || func === RTAS_CHANGE_MSI_FN) type = 'msi';
    else if (func === RTAS_CHANGE_MSIX_FN) type = 'msix';
    else return { status: RTAS_PARAMETER_ERROR, rets: [] }; // not implemented

    if (num === 0) {
      // Releasing with nothing configured is an error; otherwise drop every source at once.
      if (slot.enabled === 0 && slot.type === null) return { status: RTAS_HARDWARE_ERROR, rets: [] };
      this.setValid(slot, 0);
      if (type === 'msix') for (let i = 0; i < dev.msixTable.length; i++) dev.msixTable[i] = null;
      slot.msiMsg = null;
      if (this.flavour === 'qemu') this.releaseBlock(slot);
      slot.enabled = 0;
      slot.type = null;
      return { status: RTAS_SUCCESS, rets: [0, 1, 0] };
    }

    const capable = type === 'msi' ? dev.msiCap : dev.msixTableSize;
    if (capable === 0) return { status: RTAS_HARDWARE_ERROR, rets: [] };
    const max = this.flavour === 'phyp' ? Math.min(capable, slot.lisnCount) : capable;
    if (max === 0) return { status: RTAS_HARDWARE_ERROR, rets: [] };
    // More than the function can have: say how many, configure nothing.
    if (num > max) return { status: RTAS_SUCCESS, rets: [max, 1, type === 'msix' ? 2 : 1] };

    if (this.flavour === 'qemu') {
      // spapr_irq_msi_alloc(): a new block (aligned for MSI), then the previous one goes
      const align = type === 'msi' ? (1 << getCountOrder(num)) - 1 : 0;
      const at = slot.phb.lisnMap.findZeroArea(num, align);
      if (at < 0) return { status: RTAS_HARDWARE_ERROR, rets: [] };
      this.setValid(slot, 0);
      this.releaseBlock(slot);
      slot.phb.lisnMap.set(at, num);
      slot.lisnBase = slot.phb.lisnFirst + at;
      slot.lisnCount = num;
      for (let i = 0; i < num; i++) this.sources.set(slot.lisnBase + i, { valid: false, owner: slot, pq: 0b01 });
    }
    this.setValid(slot, num);
    slot.enabled = num;
    slot.type = type;
    // The firmware programs the device: MSI-X data = LISN of the entry, MSI data = first LISN.
    const addr = slot.phb.msiWindow;
    const msg = { addressHi: Math.floor(addr / 2 ** 32), addressLo: addr % 2 ** 32 };
    if (type === 'msix') {
      for (let i = 0; i < dev.msixTable.length; i++) {
        const masked = dev.msixTable[i]?.masked ?? true;
        dev.msixTable[i] = i < num ? { ...msg, data: slot.lisnBase + i, masked } : null;
      }
      slot.msiMsg = null;
    } else {
      slot.msiMsg = { ...msg, data: slot.lisnBase };
      dev.msiCapMsg = { ...slot.msiMsg };
    }
    return { status: RTAS_SUCCESS, rets: [num, 1, type === 'msix' ? 2 : 1] };
  }

  // rtas_ibm_query_interrupt_source_number(): rets {LISN, type (1 = edge)}
  queryInterruptSourceNumber(dev: PciDev, offset: number): RtasResult {
    const slot = this.slotOf(dev);
    if (slot === null || dev.removed) return { status: RTAS_PARAMETER_ERROR, rets: [] };
    const answered = this.flavour === 'phyp' ? slot.lisnCount : slot.enabled;
    if (slot.lisnBase < 0 || offset >= answered) return { status: RTAS_HARDWARE_ERROR, rets: [] };
    return { status: RTAS_SUCCESS, rets: [slot.lisnBase + offset, 1] };
  }

  // h_int_get_source_info(): the LISN must be a source the firmware has enabled
  hIntGetSourceInfo(step: number, flags: number, lisn: number): { rc: number; flags: number; eoiPage: number; trigPage: number; esbShift: number } {
    const fail = (rc: number) => ({ rc, flags: 0, eoiPage: 0, trigPage: 0, esbShift: 0 });
    if (!this.xiveExploitation) return fail(H_FUNCTION);
    if (flags !== 0) return fail(H_PARAMETER);
    const src = this.sources.get(lisn);
    if (src === undefined || !src.valid) {
      this.refusals.push({ step, lisn, rc: H_P2, owner: src?.owner?.dev ?? null });
      return fail(H_P2);
    }
    const page = ESB_BASE + lisn * 2 ** (ESB_PAGE_SHIFT + 1);
    return { rc: H_SUCCESS, flags: XIVE_SRC_TRIGGER | XIVE_SRC_STORE_EOI, eoiPage: page, trigPage: page, esbShift: ESB_PAGE_SHIFT };
  }

  /** The ESB management page at `addr`, as the partition's MMU maps it. */
  esbPage(addr: number): EsbPage {
    const lisn = Math.floor((addr - ESB_BASE) / 2 ** (ESB_PAGE_SHIFT + 1));
    return {
      load: (offset: number): number => {
        const src = this.sources.get(lisn);
        if (src === undefined || !src.valid) return XIVE_ESB_INVALID;
        const old = src.pq;
        if (offset !== XIVE_ESB_GET) src.pq = (offset >> 8) & 0b11;
        return old;
      },
      // XIVE_ESB_STORE_EOI: PQ back to 00; a Q bit set meanwhile fires the source again
      storeEoi: (): void => {
        const src = this.sources.get(lisn);
        if (src === undefined || !src.valid) return;
        const old = src.pq;
        src.pq = 0b00;
        if (old === 0b11) this.trigger(lisn, this.qOrigin.get(lisn) ?? null);
      },
    };
  }

  // h_int_set_source_config(): route a source to a vCPU and priority, with the EISN it reports
  hIntSetSourceConfig(flags: number, lisn: number, target: number, prio: number, eisn: number): number {
    if (!this.xiveExploitation) return H_FUNCTION;
    const src = this.sources.get(lisn);
    if (src === undefined || !src.valid) return H_P2;
    if (prio !== SPAPR_XIVE_MASKED_PRIO && (target < 0 || target >= this.nrCpus)) return H_PARAMETER;
    const keep = this.eas.get(lisn)?.eqData ?? 0;
    this.eas.set(lisn, { server: target, prio, eqData: (flags & XIVE_SRC_SET_EISN) !== 0 ? eisn : keep });
    return H_SUCCESS;
  }

  /**
   * A trigger (the PHB turning an MSI into a source notification): PQ 00 -> 10 and an event
   * queue entry; 10 -> 11 (coalesced, remembered in Q); 01 (off) and 11 queue nothing.
   */
  trigger(lisn: number, origin: IrqOrigin | null): string {
    const src = this.sources.get(lisn);
    if (src === undefined || !src.valid) return `LISN ${lisn} not enabled: dropped`;
    if (src.pq === 0b01) return `LISN ${lisn} off (PQ=01): dropped`;
    if (src.pq === 0b10 || src.pq === 0b11) {
      const was = src.pq === 0b10 ? '10' : '11';
      src.pq = 0b11;
      this.qOrigin.set(lisn, origin);
      return `LISN ${lisn} PQ=${was} -> 11 (coalesced in Q)`;
    }
    src.pq = 0b10;
    const eas = this.eas.get(lisn);
    if (eas === undefined || eas.prio === SPAPR_XIVE_MASKED_PRIO) return `LISN ${lisn} PQ=10, EAS masked: no queue entry`;
    this.presenter.enqueue(eas.server, eas.prio, { data: eas.eqData, origin });
    return `LISN ${lisn} PQ=00 -> 10, entry ${eas.eqData} in the queue of CPU ${eas.server}`;
  }

  /** Sources whose Q bit holds a trigger that fires again on EOI. */
  queuedTriggers(): { girq: number; origin: IrqOrigin | null }[] {
    const out: { girq: number; origin: IrqOrigin | null }[] = [];
    for (const [lisn, src] of this.sources) if (src.valid && src.pq === 0b11) out.push({ girq: lisn, origin: this.qOrigin.get(lisn) ?? null });
    return out;
  }

  easOf(lisn: number): SpaprEas | undefined {
    return this.eas.get(lisn);
  }

  /** Sources the firmware currently has enabled (valid EAS), all PHBs. */
  enabledSources(): number {
    let n = 0;
    for (const s of this.sources.values()) if (s.valid) n++;
    return n;
  }
}
