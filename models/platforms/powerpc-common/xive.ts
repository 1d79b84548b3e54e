// arch/powerpc/sysdev/xive/common.c: the XIVE root irq domain (the default domain both pseries
// and powernv PHB MSI parents sit on), per-interrupt xive_irq_data, and the backend hook
// (struct xive_ops) through which spapr (hcalls) or native (OPAL) fill it in.
//
// Every modelled revision carries cc0cc23babc9 ("Untangle xive from child interrupt
// controller drivers"): xd lives in the XIVE level's chip_data, and the XIVE level frees it.
// Before that xd sat in handler_data and the PHB drivers' msi_free hooks freed it; those
// revisions used the legacy global PCI/MSI domain, which the core model does not implement.
import { ENOMEM } from '../../kernel/errno';
import type { IrqDomain } from '../../kernel/irqdomain';
import { xiveIrqChip } from './xive-chip';
import type { XiveCpus } from './xive-cpu';
import type { Kernel } from '../../kernel/kernel';
import { XIVE_ESB_SET_PQ_01, XIVE_INVALID_TARGET, XiveIrqData, xiveCleanupIrqData, xiveEsbRead } from './xive-irq-data';

export const IRQ_TYPE_EDGE_RISING = 1;
export const IRQ_TYPE_LEVEL_LOW = 8;

/** The irq_fwspec a PHB MSI parent passes to XIVE: {parent fwnode, [hwirq, type]}. */
export interface XiveFwspec {
  readonly fwnode: 'xive';
  readonly hwirq: number;
  readonly type: number;
}

/** struct xive_ops: what differs between the spapr and the native backend. */
export interface XiveOps {
  readonly name: 'spapr' | 'native';
  /** populate_irq_data(): ask the firmware about source `hw`; 0 or a negative errno. */
  populateIrqData(k: Kernel, hw: number, xd: XiveIrqData): number;
  /** configure_irq(): route source `hw` to a thread and priority with EQ data `swIrq` (absent: not modelled). */
  configureIrq?(k: Kernel, hw: number, target: number, prio: number, swIrq: number): number;
}


// xive_irq_alloc_data(): kzalloc, let the backend describe the source, switch it off (PQ=01)
export function xiveIrqAllocData(k: Kernel, ops: XiveOps, hw: number): XiveIrqData | number {
  // kzalloc(); also the "k-th parent allocation inside one request" fault point
  if (k.faults.shouldFail('xive_irq_alloc_data')) return -ENOMEM;
  const xd = k.heap.kmalloc(new XiveIrqData(hw), 'xive_irq_alloc_data');
  const ret = ops.populateIrqData(k, hw, xd);
  if (ret !== 0) {
    k.heap.kfree('xive_irq_alloc_data', xd);
    return ret;
  }
  xd.target = XIVE_INVALID_TARGET;
  // Turn the source off; this also faults in the ESB mapping.
  xiveEsbRead(k, 'xive_irq_alloc_data', xd, XIVE_ESB_SET_PQ_01);
  return xd;
}

// xive_irq_free_data(): which irq_data the lookup reads is what 6771c54728c2 changed
function xiveIrqFreeData(k: Kernel, domain: IrqDomain, virq: number): void {
  if (k.applied('6771c54728c2')) {
    // irq_domain_get_irq_data(domain, virq): the XIVE level's own irq_data
    const data = k.irqs.getIrqData(domain, virq);
    if (data === null || data.chipData === null) return;
    const xd = k.heap.deref('xive_irq_free_data', data.chipData as XiveIrqData, 'chip_data');
    k.irqs.resetIrqData(data);
    xiveCleanupIrqData(k, xd);
    k.heap.kfree('xive_irq_free_data', xd);
    return;
  }
  // irq_get_chip_data(virq): the chip_data of the top of the hierarchy, which for an MSI is
  // the per-device domain's, not XIVE's; nothing is found there and xd stays allocated.
  const top = k.irqs.desc(virq)?.irqData ?? null;
  if (top === null || top.chipData === null) return;
  // The modelled tops are PCI device domains (chip_data NULL) or XIVE itself (chip_data = xd).
  if (!(top.chipData instanceof XiveIrqData)) return;
  const xd = top.chipData;
  top.chipData = null; // irq_set_chip_data(virq, NULL)
  xiveCleanupIrqData(k, xd);
  k.heap.kfree('xive_irq_free_data', xd);
}

/** Builds the XIVE root domain ("XIVE-IRQ", irq_set_default_domain) on top of a backend. */
export function createXiveDomain(k: Kernel, ops: XiveOps, cpus: XiveCpus | null = null, cpuChip?: (cpu: number) => number): IrqDomain {
  // xive_irq_chip: every callback reads chip_data of the XIVE level (since cc0cc23babc9)
  const chip = xiveIrqChip(k, {
    ...(ops.configureIrq !== undefined ? { configureIrq: ops.configureIrq } : {}),
    cpus,
    nrCpus: k.nrCpus,
    ...(cpuChip !== undefined ? { cpuChip } : {}),
  });
  // exhaust(xive-queue, cpu=N): the CPU's queue is full for one command; findTargetInMask()
  // reads the mark through k.faults.exhausted(), there is nothing to take or give back
  k.faults.registerPool('xive-queue', () => () => undefined);
  return k.irqs.createDomain(
    'XIVE-IRQ',
    null,
    {
      // xive_irq_domain_alloc(): one xd per irq; a failure returns at once without undoing the
      // earlier iterations (children always ask for one irq at a time)
      alloc(kk, d, virq, nrIrqs, arg) {
        const fwspec = arg as XiveFwspec;
        for (let i = 0; i < nrIrqs; i++) {
          const xd = xiveIrqAllocData(kk, ops, fwspec.hwirq + i);
          if (typeof xd === 'number') return xd;
          kk.irqs.setHwirqAndChip(d, virq + i, fwspec.hwirq + i, chip, xd);
        }
        return 0;
      },
      // xive_irq_domain_free()
      free(kk, d, virq, nrIrqs) {
        for (let i = 0; i < nrIrqs; i++) xiveIrqFreeData(kk, d, virq + i);
      },
    },
    null,
    0,
    'ANY',
  );
}
