// arch/powerpc/sysdev/xive/native.c: the native (OPAL) XIVE backend, and the OPAL IRQ
// allocator users outside the MSI path (per-CPU IPIs, the KVM XIVE devices). The wrapper that
// turns old skiboot's 0xffffffff into OPAL_RESOURCE is 6ccb4ac2bf8a.
import { EINVAL, ENOMEM, ENXIO } from '../../kernel/errno';
import { hex } from '../../kernel/heap';
import type { Kernel } from '../../kernel/kernel';
import { UnitStamps, type AuditPool, type AuditUnit } from '../../kernel/audit';
import { OPAL_BUSY, OPAL_HARDWARE, OPAL_RESOURCE, OPAL_XIVE_ANY_CHIP } from '../powerpc-common/firmware-codes';
import type { XiveOps } from '../powerpc-common/xive';
import { EsbMapping, type XiveIrqData } from '../powerpc-common/xive-irq-data';
import { OPAL_XIVE_IRQ_STORE_EOI, type Skiboot } from './skiboot';

export const XIVE_IRQ_FLAG_STORE_EOI = 0x01;

/** A hardware interrupt number Linux got from OPAL_XIVE_ALLOCATE_IRQ and holds. */
export interface IssuedHwIrq {
  readonly step: number;
  /** 'ipi:cpu2', 'kvm-xive:src7', ... */
  readonly user: string;
  readonly hwIrq: number;
  /** The chip the caller asked for (OPAL_XIVE_ANY_CHIP: any). */
  readonly chip: number;
}

/** The native backend's state: the firmware it calls and what it has handed out. */
export class XiveNative {
  /** hw irqs returned to callers of the allocator and not yet freed. */
  readonly issued: IssuedHwIrq[] = [];
  /** The chip of the CPU commands run on (the harness drives everything from CPU 0). */
  readonly callerChip = 0;
  /** Where Linux got each hw irq OPAL allocated for it, for the audit. */
  readonly stamps: UnitStamps<number>;

  constructor(
    readonly fw: Skiboot,
    k: Kernel,
  ) {
    this.stamps = new UnitStamps(k);
  }
}

/** The audit's id of an interrupt OPAL_XIVE_ALLOCATE_IRQ handed out. */
export function opalIrqUnit(hwIrq: number): string {
  return `OPAL irq ${hex(hwIrq)}`;
}

/** What OPAL has allocated (its IPI bitmaps), as an audit pool. */
export function opalIrqPool(xn: XiveNative): AuditPool {
  const chips = xn.fw.chips;
  return {
    name: 'OPAL irq',
    count: () => chips.reduce((n, x) => n + x.ipiAllocMap.weight(), 0),
    *units(): Iterable<AuditUnit> {
      for (const x of chips) {
        for (const i of x.ipiAllocMap.setBits()) yield { id: opalIrqUnit(x.intIpiTop + i), stamp: xn.stamps.of(x.intIpiTop + i) };
      }
    },
  };
}

// opal_xive_allocate_irq_raw() = the OPAL_XIVE_ALLOCATE_IRQ call (139)
function opalXiveAllocateIrqRaw(k: Kernel, xn: XiveNative, chipId: number): number {
  if (k.faults.shouldFail('opal_xive_allocate_irq')) return OPAL_HARDWARE;
  return xn.fw.allocateIrq(chipId, xn.callerChip);
}

// opal_xive_allocate_irq(): before 6ccb4ac2bf8a this is the OPAL call itself
function opalXiveAllocateIrq(k: Kernel, xn: XiveNative, chipId: number): number {
  const irq = opalXiveAllocateIrqRaw(k, xn, chipId);
  if (!k.applied('6ccb4ac2bf8a')) return irq;
  // Old OPAL returns 0xffffffff (a 32-bit value in an s64) when it runs out of IRQs.
  return irq === 0xffffffff ? OPAL_RESOURCE : irq;
}

function issue(k: Kernel, xn: XiveNative, user: string, hwIrq: number, chip: number, site: string): void {
  xn.issued.push({ step: k.step, user, hwIrq, chip });
  xn.stamps.take(hwIrq, site);
}

// xive_native_alloc_irq_on_chip(): 0 is the failure value of a u32 hw irq
export function xiveNativeAllocIrqOnChip(k: Kernel, xn: XiveNative, chipId: number, user: string): number {
  let rc: number;
  for (;;) {
    rc = opalXiveAllocateIrq(k, xn, chipId);
    if (rc !== OPAL_BUSY) break;
  }
  if (rc < 0) {
    k.printk(`xive: OPAL failed to allocate IRQ on chip ${chipId}, err ${rc}`);
    return 0;
  }
  issue(k, xn, user, rc, chipId, 'xive_native_alloc_irq_on_chip');
  return rc;
}

// xive_native_alloc_irq()
export function xiveNativeAllocIrq(k: Kernel, xn: XiveNative, user: string): number {
  return xiveNativeAllocIrqOnChip(k, xn, OPAL_XIVE_ANY_CHIP, user);
}

// xive_native_free_irq(): the OPAL result is ignored
export function xiveNativeFreeIrq(k: Kernel, xn: XiveNative, irq: number): void {
  for (;;) {
    const rc = xn.fw.freeIrq(irq);
    if (rc !== OPAL_BUSY) break;
  }
  const i = xn.issued.findIndex((e) => e.hwIrq === irq);
  if (i >= 0) xn.issued.splice(i, 1);
  xn.stamps.drop(irq);
  void k;
}

// xive_native_get_ipi(): the per-CPU IPI, on the CPU's chip
export function xiveNativeGetIpi(k: Kernel, xn: XiveNative, cpu: number, chipId: number): number {
  for (;;) {
    const irq = opalXiveAllocateIrq(k, xn, chipId);
    if (irq === OPAL_BUSY) continue;
    if (irq < 0) {
      k.printk(`xive: Failed to allocate IPI on CPU ${cpu}`);
      return -ENXIO;
    }
    issue(k, xn, `ipi:cpu${cpu}`, irq, chipId, 'xive_native_get_ipi');
    return 0;
  }
}

// xive_native_populate_irq_data(): OPAL_XIVE_GET_IRQ_INFO, then map the ESB pages.
// `injectable`: whether the 'opal_xive_get_irq_info' fault applies. It is armed only on the
// MSI parent path; the KVM caller ignores the result (a failure there oopses on the next ESB
// load even at the current revision), which the fuzzer should not keep rediscovering.
export function xiveNativePopulateIrqData(k: Kernel, xn: XiveNative, hw: number, xd: XiveIrqData, injectable = false): number {
  // memset(data, 0, sizeof(*data))
  xd.flags = 0;
  xd.eoiMmio = null;
  xd.hwIrq = hw;
  const info =
    injectable && k.faults.shouldFail('opal_xive_get_irq_info')
      ? { rc: OPAL_HARDWARE, flags: 0, eoiPage: 0, trigPage: 0, esbShift: 0, srcChip: 0 }
      : xn.fw.getIrqInfo(hw);
  if (info.rc !== 0) {
    k.printk(`xive: opal_xive_get_irq_info(${hex(hw)}) failed ${info.rc}`);
    return -EINVAL;
  }
  if ((info.flags & OPAL_XIVE_IRQ_STORE_EOI) !== 0) xd.flags |= XIVE_IRQ_FLAG_STORE_EOI;
  xd.eoiPage = info.eoiPage;
  xd.trigPage = info.trigPage;
  xd.esbShift = info.esbShift;
  xd.srcChip = info.srcChip;
  // ioremap() of the EOI page (the trigger page is the same one)
  if (injectable && k.faults.shouldFail('esb_ioremap')) {
    k.printk(`xive: Failed to map EOI page for irq ${hex(hw)}`);
    return -ENOMEM;
  }
  xd.eoiMmio = k.heap.kmalloc(new EsbMapping(xn.fw.esbPage(info.eoiPage)), 'xive_native_populate_irq_data');
  return 0;
}

export function xiveNativeOps(xn: XiveNative): XiveOps {
  return {
    name: 'native',
    populateIrqData: (k, hw, xd) => xiveNativePopulateIrqData(k, xn, hw, xd, true),
    // xive_native_configure_irq(): OPAL_XIVE_SET_IRQ_CONFIG, retried while busy; any other
    // failure is -ENXIO
    configureIrq: (k, hw, target, prio, swIrq) => {
      const rc = k.faults.shouldFail('opal_xive_set_irq_config') ? OPAL_HARDWARE : xn.fw.setIrqConfig(hw, target, prio, swIrq);
      return rc === 0 ? 0 : -ENXIO;
    },
  };
}
