// arch/powerpc/sysdev/xive/spapr.c: the spapr XIVE backend. populate_irq_data asks the
// hypervisor about a LISN with H_INT_GET_SOURCE_INFO and maps its ESB page (a refusal is only
// logged, with the hcall's code, and turned into -EINVAL); configure_irq routes it with
// H_INT_SET_SOURCE_CONFIG (target vCPU, priority, EISN = the Linux irq).
import { EINVAL, ENOMEM, ENXIO } from '../../kernel/errno';
import { hex } from '../../kernel/heap';
import type { Kernel } from '../../kernel/kernel';
import { H_HARDWARE, H_SUCCESS } from '../powerpc-common/firmware-codes';
import type { XiveOps } from '../powerpc-common/xive';
import { EsbMapping, XIVE_INVALID_CHIP_ID, type XiveIrqData } from '../powerpc-common/xive-irq-data';
import { XIVE_SRC_SET_EISN, XIVE_SRC_STORE_EOI, type SpaprHypervisor } from './hypervisor';

export const XIVE_IRQ_FLAG_STORE_EOI = 0x01;

// plpar_int_get_source_info(): the hcall, retried while busy (never, here)
function plparIntGetSourceInfo(k: Kernel, hv: SpaprHypervisor, flags: number, lisn: number) {
  if (k.faults.shouldFail('plpar_hcall')) return { rc: H_HARDWARE, flags: 0, eoiPage: 0, trigPage: 0, esbShift: 0 };
  return hv.hIntGetSourceInfo(k.step, flags, lisn);
}

export function xiveSpaprOps(hv: SpaprHypervisor): XiveOps {
  return {
    name: 'spapr',
    // xive_spapr_populate_irq_data()
    populateIrqData(k: Kernel, hw: number, xd: XiveIrqData): number {
      const r = plparIntGetSourceInfo(k, hv, 0, hw);
      if (r.rc !== H_SUCCESS) {
        k.printk(`xive: H_INT_GET_SOURCE_INFO lisn=${hex(hw)} failed ${r.rc}`);
        return -EINVAL;
      }
      if ((r.flags & XIVE_SRC_STORE_EOI) !== 0) xd.flags |= XIVE_IRQ_FLAG_STORE_EOI;
      xd.eoiPage = r.eoiPage;
      xd.trigPage = r.trigPage;
      xd.esbShift = r.esbShift;
      xd.srcChip = XIVE_INVALID_CHIP_ID;
      // ioremap() of the EOI page; the trigger page is the same one (H_INT_TRIGGER not set)
      if (k.faults.shouldFail('esb_ioremap')) {
        k.printk(`xive: Failed to map EOI page for irq ${hex(hw)}`);
        return -ENOMEM;
      }
      xd.eoiMmio = k.heap.kmalloc(new EsbMapping(hv.esbPage(r.eoiPage)), 'xive_spapr_populate_irq_data');
      return 0;
    },
    // xive_spapr_configure_irq(): plpar_int_set_source_config(XIVE_SRC_SET_EISN, hw_irq,
    // target, prio, sw_irq); a failure is logged and returned as -ENXIO
    configureIrq(k: Kernel, hw: number, target: number, prio: number, swIrq: number): number {
      const rc = k.faults.shouldFail('plpar_int_set_source_config') ? H_HARDWARE : hv.hIntSetSourceConfig(XIVE_SRC_SET_EISN, hw, target, prio, swIrq);
      if (rc !== H_SUCCESS) {
        k.printk(`xive: H_INT_SET_SOURCE_CONFIG lisn=${hex(hw)} target=${target} prio=${prio} failed ${rc}`);
        return -ENXIO;
      }
      return 0;
    },
  };
}
