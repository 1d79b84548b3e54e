// struct xive_irq_data and the ESB (event state buffer) MMIO pages it maps
// (arch/powerpc/include/asm/xive.h, sysdev/xive/common.c). The firmware models hand out
// EsbPage objects as "the page at this physical address"; Linux ioremap()s them, so a mapping
// is a kernel object with a lifetime and a load through a NULL or stale mapping is visible.
import { KObject } from '../../kernel/heap';
import type { Kernel } from '../../kernel/kernel';

// ESB special loads (xive-regs.h)
export const XIVE_ESB_GET = 0x800;
export const XIVE_ESB_SET_PQ_00 = 0xc00;
export const XIVE_ESB_SET_PQ_01 = 0xd00;
export const XIVE_ESB_SET_PQ_10 = 0xe00;
export const XIVE_ESB_SET_PQ_11 = 0xf00;
export const XIVE_ESB_VAL_P = 0x2;
export const XIVE_ESB_VAL_Q = 0x1;
/** What a load from a source the firmware no longer backs returns. */
export const XIVE_ESB_INVALID = 0xff;
export const XIVE_INVALID_TARGET = -1;
export const XIVE_INVALID_CHIP_ID = -1;

/** One source's ESB management page, as the firmware backs it. */
export interface EsbPage {
  /** MMIO load at `offset`: returns the old PQ bits (and applies a SET_PQ_xx). */
  load(offset: number): number;
  /** XIVE_ESB_STORE_EOI store, where the source supports it. */
  storeEoi?(): void;
}

/** ioremap() of an ESB page. */
export class EsbMapping extends KObject {
  readonly kind = 'ioremap';
  constructor(readonly page: EsbPage) {
    super();
  }
}

export class XiveIrqData extends KObject {
  readonly kind = 'xive_irq_data';
  flags = 0;
  eoiPage = 0;
  trigPage = 0;
  esbShift = 0;
  /** eoi_mmio; trig_mmio is the same page for the sources modelled (trigger on the EOI page). */
  eoiMmio: EsbMapping | null = null;
  srcChip = XIVE_INVALID_CHIP_ID;
  target = XIVE_INVALID_TARGET;
  savedP = false;
  staleP = false;

  constructor(public hwIrq: number) {
    super();
  }
}

/** xive_esb_read(): a load from the source's ESB page through the kernel's mapping. */
export function xiveEsbRead(k: Kernel, site: string, xd: XiveIrqData, offset: number): number {
  const mapping = k.heap.deref(site, xd.eoiMmio, 'xd->eoi_mmio');
  return mapping.page.load(offset);
}

// xive_cleanup_irq_data(): iounmap the ESB pages
export function xiveCleanupIrqData(k: Kernel, xd: XiveIrqData): void {
  if (xd.eoiMmio !== null) {
    k.heap.kfree('xive_cleanup_irq_data', xd.eoiMmio);
    xd.eoiMmio = null;
  }
}
