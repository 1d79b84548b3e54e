// The OPAL firmware (skiboot) as powernv MSIs and native XIVE use it: per-chip XIVE interrupt
// blocks with an IPI allocator (hw/xive.c: xive_try_allocate_irq, opal_xive_allocate_irq,
// opal_xive_free_irq, opal_xive_get_irq_info) and the PHB MSI setup calls
// (opal_pci_set_xive_pe, opal_get_msi_64). Which skiboot runs is part of the patch set:
// e97391ae2bb5 is the skiboot fix of OPAL_XIVE_ALLOCATE_IRQ's return value.
import { Bitmap } from '../../kernel/bitmap';
import type { Kernel } from '../../kernel/kernel';
import { OPAL_PARAMETER, OPAL_RESOURCE, OPAL_SUCCESS, OPAL_WRONG_STATE, OPAL_XIVE_ANY_CHIP } from '../powerpc-common/firmware-codes';
import type { IrqOrigin } from '../../kernel/irq-action';
import { XIVE_ESB_GET, XIVE_ESB_INVALID, type EsbPage } from '../powerpc-common/xive-irq-data';
import { XivePresenter } from '../powerpc-common/xive-presenter';

/** OPAL_XIVE_SET_IRQ_CONFIG: the EAS of a source (target thread, priority, EQ data). */
interface Eas {
  readonly server: number;
  readonly prio: number;
  readonly eqData: number;
}
/** Priority 0xff in the EAS masks the source at the router. */
export const XIVE_EAS_MASKED_PRIO = 0xff;

/** skiboot's internal XIVE_ALLOC_NO_SPACE, returned as is by xive_try_allocate_irq() before e97391ae2bb5. */
export const XIVE_ALLOC_NO_SPACE = 0xffffffff;
/** OPAL_XIVE_IRQ_* flags of opal_xive_get_irq_info(). */
export const OPAL_XIVE_IRQ_TRIGGER_PAGE = 0x1;
export const OPAL_XIVE_IRQ_STORE_EOI = 0x2;

const ESB_BASE = 0x6_0000_0000_0000;
const ESB_SHIFT = 16;
const PHB_MSI_WINDOW = 0x6_1000_0000_0000;

/** One interrupt virtualization entry (IVE). */
interface Ive {
  valid: boolean;
  masked: boolean;
  eqData: number;
}

/** One XIVE (one per chip): [intBase, ipiTop) reserved, [ipiTop, hwBot) IPIs, [hwBot, ..) HW sources. */
export class SkibootXive {
  readonly ipiAllocMap: Bitmap;
  readonly ive = new Map<number, Ive>();

  constructor(
    readonly chipId: number,
    readonly intBase: number,
    readonly intIpiTop: number,
    readonly intHwBot: number,
    /** End of the HW source range (PHB MSIs). */
    readonly intCount: number,
  ) {
    this.ipiAllocMap = new Bitmap(intHwBot - intIpiTop);
  }

  owns(girq: number): boolean {
    return girq >= this.intBase && girq < this.intCount;
  }
}

/** A PHB as OPAL programs it: which PE each MSI (xive_num) is validated against. */
export class OpalPhb {
  readonly xivePe = new Map<number, number>();
  constructor(
    readonly opalId: number,
    readonly chip: SkibootXive,
    /** ibm,opal-msi-ranges: first girq and count. */
    readonly msiBase: number,
    readonly msiCount: number,
  ) {}

  get msiAddr(): number {
    return PHB_MSI_WINDOW + this.opalId * 0x1_0000_0000;
  }
}

export interface OpalIrqInfo {
  readonly rc: number;
  readonly flags: number;
  readonly eoiPage: number;
  readonly trigPage: number;
  readonly esbShift: number;
  readonly srcChip: number;
}

export class Skiboot {
  readonly chips: SkibootXive[] = [];
  readonly phbs: OpalPhb[] = [];
  /** ESB PQ bits per girq (0b01 = off). */
  private readonly pq = new Map<number, number>();
  /** XIVE exploitation mode (xive_native_init asked for it). */
  readonly exploitation = true;
  private readonly eas = new Map<number, Eas>();
  /** Who raised the trigger a Q bit remembers (model bookkeeping). */
  private readonly qOrigin = new Map<number, IrqOrigin | null>();
  readonly presenter: XivePresenter;

  constructor(
    private readonly k: Kernel,
    nrChips: number,
    ipisPerChip: number,
    phbMsiCounts: readonly number[],
  ) {
    this.presenter = new XivePresenter(k.nrCpus);
    for (let c = 0; c < nrChips; c++) {
      const base = c << 20;
      const phbsHere = phbMsiCounts.filter((_, i) => i % nrChips === c);
      const hwBot = base + 0x10 + ipisPerChip;
      this.chips.push(new SkibootXive(c, base, base + 0x10, hwBot, hwBot + phbsHere.reduce((n, m) => n + m, 0)));
    }
    const nextHw = this.chips.map((x) => x.intHwBot);
    phbMsiCounts.forEach((count, i) => {
      const chip = this.chips[i % nrChips] as SkibootXive;
      const base = nextHw[chip.chipId] as number;
      nextHw[chip.chipId] = base + count;
      this.phbs.push(new OpalPhb(i, chip, base, count));
    });
  }

  private chipOf(girq: number): SkibootXive | null {
    return this.chips.find((x) => x.owns(girq)) ?? null;
  }

  /** The chip whose interrupt block holds `girq`, or null. */
  chipIdOf(girq: number): number | null {
    return this.chipOf(girq)?.chipId ?? null;
  }

  /** IPIs whose IVE is valid although the allocator does not hold them: OPAL backs a source nobody was given. */
  *validUnallocatedIpis(): Iterable<number> {
    for (const x of this.chips) {
      for (const [girq, ive] of x.ive) {
        if (ive.valid && girq >= x.intIpiTop && girq < x.intHwBot && !x.ipiAllocMap.test(girq - x.intIpiTop)) yield girq;
      }
    }
  }

  // xive_try_allocate_irq()
  private tryAllocateIrq(x: SkibootXive): number {
    const idx = x.ipiAllocMap.findZeroArea(1, 0);
    if (idx < 0) return this.k.applied('e97391ae2bb5') ? OPAL_RESOURCE : XIVE_ALLOC_NO_SPACE;
    x.ipiAllocMap.set(idx, 1);
    const girq = x.intIpiTop + idx;
    x.ive.set(girq, { valid: true, masked: true, eqData: girq });
    this.pq.set(girq, 0b01);
    return girq;
  }

  // opal_xive_allocate_irq(): any chip = the caller's chip first, then every chip until one
  // answers rc >= 0 (an unsigned XIVE_ALLOC_NO_SPACE in an s64 counts as such)
  allocateIrq(chipId: number, callerChip: number): number {
    if (!this.exploitation) return OPAL_WRONG_STATE;
    if (chipId === OPAL_XIVE_ANY_CHIP) {
      const order = [callerChip, ...this.chips.map((x) => x.chipId).filter((c) => c !== callerChip)];
      let rc = OPAL_RESOURCE;
      for (const c of order) {
        rc = this.tryAllocateIrq(this.chips[c] as SkibootXive);
        if (rc >= 0) break;
      }
      return rc;
    }
    const x = this.chips.find((c) => c.chipId === chipId);
    if (x === undefined) return OPAL_PARAMETER;
    return this.tryAllocateIrq(x);
  }

  // opal_xive_free_irq(): only allocated IPIs can be freed
  freeIrq(girq: number): number {
    if (!this.exploitation) return OPAL_WRONG_STATE;
    const x = this.chipOf(girq);
    if (x === null || girq < x.intIpiTop || girq >= x.intHwBot) return OPAL_PARAMETER;
    const idx = girq - x.intIpiTop;
    if (!x.ipiAllocMap.test(idx)) return OPAL_PARAMETER;
    x.ive.set(girq, { valid: false, masked: true, eqData: 0 });
    x.ipiAllocMap.clear(idx, 1, () => undefined);
    this.pq.delete(girq);
    return OPAL_SUCCESS;
  }

  /** A girq OPAL can describe: an allocated IPI or a PHB MSI source. */
  isValidSource(girq: number): boolean {
    const x = this.chipOf(girq);
    if (x === null || girq < x.intIpiTop) return false;
    if (girq < x.intHwBot) return x.ipiAllocMap.test(girq - x.intIpiTop);
    return true;
  }

  // opal_xive_get_irq_info()
  getIrqInfo(girq: number): OpalIrqInfo {
    if (!this.isValidSource(girq)) return { rc: OPAL_PARAMETER, flags: 0, eoiPage: 0, trigPage: 0, esbShift: 0, srcChip: 0 };
    const x = this.chipOf(girq) as SkibootXive;
    if (!this.pq.has(girq)) this.pq.set(girq, 0b01);
    const eoi = ESB_BASE + girq * 2 ** (ESB_SHIFT + 1);
    return { rc: OPAL_SUCCESS, flags: OPAL_XIVE_IRQ_STORE_EOI, eoiPage: eoi, trigPage: eoi + 2 ** ESB_SHIFT, esbShift: ESB_SHIFT, srcChip: x.chipId };
  }

  esbPage(addr: number): EsbPage {
    const girq = Math.floor((addr - ESB_BASE) / 2 ** (ESB_SHIFT + 1));
    return {
      load: (offset: number): number => {
        const old = this.pq.get(girq);
        if (old === undefined || !this.isValidSource(girq)) return XIVE_ESB_INVALID;
        if (offset !== XIVE_ESB_GET) this.pq.set(girq, (offset >> 8) & 0b11);
        return old;
      },
      // XIVE_ESB_STORE_EOI: PQ back to 00; a Q bit set meanwhile fires the source again
      storeEoi: (): void => {
        const old = this.pq.get(girq);
        if (old === undefined || !this.isValidSource(girq)) return;
        this.pq.set(girq, 0b00);
        if ((old & 0b01) !== 0 && (old & 0b10) !== 0) this.trigger(girq, this.qOrigin.get(girq) ?? null);
      },
    };
  }

  // opal_xive_set_irq_config(): route the source to a thread at a priority with the EQ data
  setIrqConfig(girq: number, server: number, prio: number, eqData: number): number {
    if (!this.isValidSource(girq)) return OPAL_PARAMETER;
    this.eas.set(girq, { server, prio, eqData });
    return OPAL_SUCCESS;
  }

  /**
   * A trigger (the PHB turning an MSI into a source notification): the ESB state machine
   * 00 -> 10 and an event queue entry; 10 -> 11 (coalesced, remembered in Q); 01 (off) and
   * 11 stay as they are and nothing is queued.
   */
  trigger(girq: number, origin: IrqOrigin | null): string {
    const pq = this.pq.get(girq);
    if (pq === undefined || !this.isValidSource(girq)) return `XIVE source ${girq} not backed: dropped`;
    if (pq === 0b01) return `XIVE source ${girq} off (PQ=01): dropped`;
    if (pq === 0b10 || pq === 0b11) {
      this.pq.set(girq, 0b11);
      this.qOrigin.set(girq, origin);
      return `XIVE source ${girq} PQ=${pq === 0b10 ? '10' : '11'} -> 11 (coalesced in Q)`;
    }
    this.pq.set(girq, 0b10);
    const eas = this.eas.get(girq);
    if (eas === undefined || eas.prio === XIVE_EAS_MASKED_PRIO) return `XIVE source ${girq} PQ=10, EAS masked: no queue entry`;
    this.presenter.enqueue(eas.server, eas.prio, { data: eas.eqData, origin });
    return `XIVE source ${girq} PQ=00 -> 10, entry ${eas.eqData} in the queue of CPU ${eas.server}`;
  }

  /** Sources whose Q bit holds a trigger that fires again on EOI. */
  queuedTriggers(): { girq: number; origin: IrqOrigin | null }[] {
    const out: { girq: number; origin: IrqOrigin | null }[] = [];
    for (const [girq, pq] of this.pq) if (pq === 0b11) out.push({ girq, origin: this.qOrigin.get(girq) ?? null });
    return out;
  }

  easOf(girq: number): Eas | undefined {
    return this.eas.get(girq);
  }

  // opal_pci_set_xive_pe(): MSI xive_num of the PHB is validated against PE `pe`
  pciSetXivePe(opalId: number, pe: number, xiveNum: number): number {
    const phb = this.phbs[opalId];
    if (phb === undefined || xiveNum >= phb.msiCount) return OPAL_PARAMETER;
    phb.xivePe.set(xiveNum, pe);
    return OPAL_SUCCESS;
  }

  // opal_get_msi_64(): the 64-bit doorbell and the data that selects xive_num
  getMsi64(opalId: number, mve: number, xiveNum: number, count: number): { rc: number; addr: number; data: number } {
    const phb = this.phbs[opalId];
    if (phb === undefined || count !== 1 || xiveNum >= phb.msiCount || mve < 0) return { rc: OPAL_PARAMETER, addr: 0, data: 0 };
    return { rc: OPAL_SUCCESS, addr: phb.msiAddr, data: xiveNum };
  }

  /** IPIs allocated, all chips. */
  allocatedIpis(): number {
    return this.chips.reduce((n, x) => n + x.ipiAllocMap.weight(), 0);
  }
}
