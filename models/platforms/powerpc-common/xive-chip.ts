// The irq_chip callbacks of xive_irq_chip (arch/powerpc/sysdev/xive/common.c) that interrupt
// delivery uses: startup (pick a target in the affinity mask, route the source, unmask),
// shutdown (mask, route to XIVE_BAD_IRQ), mask/unmask through the ESB with saved_p, EOI,
// set_affinity (retarget the source; entries already in the old queue are taken there),
// retrigger, and since da15c03b047d irq_get_irqchip_state, which tells __synchronize_irq() that
// a queue entry may still exist.
import { IRQ_SET_MASK_OK } from '../../kernel/chip-call';
import { EINVAL, ENOSPC, ENXIO } from '../../kernel/errno';
import type { IrqChip, IrqData } from '../../kernel/irqdomain';
import type { Kernel } from '../../kernel/kernel';
import type { XiveCpus } from './xive-cpu';
import {
  XIVE_ESB_GET,
  XIVE_ESB_INVALID,
  XIVE_ESB_SET_PQ_00,
  XIVE_ESB_SET_PQ_01,
  XIVE_ESB_SET_PQ_10,
  XIVE_ESB_SET_PQ_11,
  XIVE_ESB_VAL_P,
  XIVE_INVALID_CHIP_ID,
  XIVE_INVALID_TARGET,
  XiveIrqData,
  xiveEsbRead,
} from './xive-irq-data';
import { XIVE_IRQ_PRIORITY } from './xive-presenter';

/** The EQ data a shut-down source is routed with (XIVE_BAD_IRQ). */
export const XIVE_BAD_IRQ = 0;
const XIVE_IRQ_FLAG_STORE_EOI = 0x01;

/** What the chip needs from the backend and the machine. */
export interface XiveChipEnv {
  /** xive_ops->configure_irq(hw_irq, target, prio, sw_irq); absent: routing not modelled (spapr). */
  configureIrq?(k: Kernel, hw: number, target: number, prio: number, swIrq: number): number;
  /** The per-CPU side, where the platform models presentation (powernv). */
  cpus: XiveCpus | null;
  nrCpus: number;
  /** xive_cpu::chip_id of each CPU (absent: no chip IDs). */
  cpuChip?(cpu: number): number;
}

function xdOf(k: Kernel, site: string, data: IrqData): XiveIrqData | null {
  if (!(data.chipData instanceof XiveIrqData)) return null;
  return k.heap.deref(site, data.chipData, 'chip_data');
}

function disabled(k: Kernel, data: IrqData): boolean {
  return k.irqs.desc(data.irq)?.disabled ?? true;
}

// xive_do_source_set_mask(): mask = PQ 01, remembering P in saved_p; unmask = 10 if a queue
// entry may exist (saved_p), else 00
function xiveDoSourceSetMask(k: Kernel, xd: XiveIrqData, mask: boolean): void {
  if (mask) {
    const val = xiveEsbRead(k, 'xive_do_source_set_mask', xd, XIVE_ESB_SET_PQ_01);
    if (k.applied('da15c03b047d')) {
      if (!xd.staleP && (val & XIVE_ESB_VAL_P) !== 0) xd.savedP = true;
      xd.staleP = false;
    } else {
      xd.savedP = (val & XIVE_ESB_VAL_P) !== 0;
    }
    return;
  }
  xiveEsbRead(k, 'xive_do_source_set_mask', xd, xd.savedP ? XIVE_ESB_SET_PQ_10 : XIVE_ESB_SET_PQ_00);
}

// xive_do_source_eoi(): a store EOI where the source has it, else a load that resets PQ
export function xiveDoSourceEoi(k: Kernel, xd: XiveIrqData): void {
  const mapping = k.heap.deref('xive_do_source_eoi', xd.eoiMmio, 'xd->eoi_mmio');
  if ((xd.flags & XIVE_IRQ_FLAG_STORE_EOI) !== 0 && mapping.page.storeEoi !== undefined) {
    mapping.page.storeEoi();
    return;
  }
  mapping.page.load(XIVE_ESB_SET_PQ_00);
}

// xive_irq_retrigger(): PQ=11, then an EOI, which fires the source again (MSIs only)
export function xiveIrqRetrigger(k: Kernel, xd: XiveIrqData): void {
  xiveEsbRead(k, 'xive_irq_retrigger', xd, XIVE_ESB_SET_PQ_11);
  xiveDoSourceEoi(k, xd);
}

export function xiveIrqChip(k0: Kernel, env: XiveChipEnv): IrqChip {
  let fuzz = 0;
  // xive_find_target_in_mask(): the (fuzz % weight)-th CPU of the mask, the first online one
  // from there whose queue takes one more interrupt (xive_try_pick_target(); the model keeps
  // no per-queue count, a queue is full only while exhaust(xive-queue, cpu=N) drains it)
  const findTargetInMask = (k: Kernel, mask: readonly number[], f: number): number => {
    if (mask.length === 0) return -1;
    for (let i = 0; i < mask.length; i++) {
      const cpu = mask[(f + i) % mask.length] as number;
      if (!k.cpuIsOnline(cpu)) continue;
      if (!k.faults.exhausted('xive-queue', cpu)) return cpu;
      k.faults.refused('xive-queue', cpu);
    }
    return -1;
  };
  // xive_pick_irq_target(): CPUs of the mask on the source's chip first, then any CPU of the mask
  const pickTarget = (k: Kernel, xd: XiveIrqData, mask: readonly number[]): number => {
    if (xd.srcChip !== XIVE_INVALID_CHIP_ID && env.cpuChip !== undefined) {
      const local = mask.filter((c) => env.cpuChip?.(c) === xd.srcChip);
      const cpu = local.length === 0 ? -1 : findTargetInMask(k, local, fuzz++);
      if (cpu >= 0) return cpu;
      if (local.length > 0) fuzz--;
    }
    return findTargetInMask(k, mask, fuzz++);
  };
  const affinityOf = (k: Kernel, data: IrqData): readonly number[] => k.irqs.desc(data.irq)?.affinity ?? Array.from({ length: env.nrCpus }, (_, c) => c);
  const chip: IrqChip = {
    name: 'XIVE-IRQ',
    // xive_irq_startup()
    irqStartup(k, data) {
      const xd = xdOf(k, 'xive_irq_startup', data);
      if (xd === null) return;
      xd.savedP = false;
      if (k.applied('da15c03b047d')) xd.staleP = false;
      let target = pickTarget(k, xd, affinityOf(k, data));
      if (target < 0) {
        // No online CPU in the affinity mask (every one went down while the irq was not
        // started): try again breaking affinity, with cpu_online_mask; -ENXIO when even that
        // fails, which __setup_irq() ignores (no WARN in either case)
        target = pickTarget(k, xd, k.onlineCpus());
        if (target < 0) {
          k.printk(`xive_irq_startup: irq ${data.irq}: no online CPU, -ENXIO`);
          return -ENXIO;
        }
        k.printk(`irq ${data.irq} started with broken affinity`);
      }
      xd.target = target;
      data.effectiveCpu = target;
      // A configure_irq() failure returns before the ESB is unmasked (__setup_irq() ignores it)
      let rc = env.configureIrq?.(k, xd.hwIrq, target, XIVE_IRQ_PRIORITY, data.irq) ?? 0;
      // msi-fuzz's proposal: a startup has no caller to report to when a CPU coming online
      // restarts a managed irq (irq_startup_managed() is void), so ask the firmware once more
      // before leaving the source off
      if (rc < 0 && k.applied('msi-fuzz-xive-startup-retry')) {
        k.printk(`xive_irq_startup: irq ${data.irq}: configure_irq failed ${rc}, retrying`);
        rc = env.configureIrq?.(k, xd.hwIrq, target, XIVE_IRQ_PRIORITY, data.irq) ?? 0;
      }
      if (rc < 0) {
        k.printk(`xive_irq_startup: irq ${data.irq}: configure_irq failed ${rc}`);
        // msi-fuzz's proposal (with the core's failing request_irq()): give the target back
        if (k.applied('msi-fuzz-startup-error')) {
          xd.target = XIVE_INVALID_TARGET;
          data.effectiveCpu = -1;
        }
        return rc;
      }
      xiveDoSourceSetMask(k, xd, false);
      return 0;
    },
    // xive_irq_shutdown()
    irqShutdown(k, data) {
      const xd = xdOf(k, 'xive_irq_shutdown', data);
      if (xd === null) return;
      if (xd.target === XIVE_INVALID_TARGET) {
        k.warn('xive_irq_shutdown', `irq ${data.irq}: no target`);
        return;
      }
      xiveDoSourceSetMask(k, xd, true);
      env.configureIrq?.(k, xd.hwIrq, xd.target, 0xff, XIVE_BAD_IRQ);
      xd.target = XIVE_INVALID_TARGET;
      data.effectiveCpu = -1;
    },
    // xive_irq_set_affinity(): keep an online target already in the mask; otherwise pick one
    // in the mask and reroute the source there (configure_irq). An entry already in the old
    // target's queue stays there and is taken by that CPU.
    irqSetAffinity(k, data, dest) {
      const xd = xdOf(k, 'xive_irq_set_affinity', data);
      if (xd === null) return -EINVAL;
      if (!dest.some((c) => k.cpuIsOnline(c))) return -EINVAL;
      if (xd.target !== XIVE_INVALID_TARGET && k.cpuIsOnline(xd.target) && dest.includes(xd.target)) return IRQ_SET_MASK_OK;
      const target = pickTarget(k, xd, dest);
      // No queue of the mask takes it: -ENXIO, which migrate_one_irq() does not retry
      // (msi-fuzz's proposal says -ENOSPC, as the x86 vector allocator does)
      if (target < 0) return k.applied('msi-fuzz-xive-can-unplug') ? -ENOSPC : -ENXIO;
      const rc = env.configureIrq?.(k, xd.hwIrq, target, XIVE_IRQ_PRIORITY, data.irq) ?? 0;
      if (rc < 0) {
        k.printk(`xive: Error ${rc} reconfiguring irq ${data.irq}`);
        return rc;
      }
      xd.target = target;
      data.effectiveCpu = target;
      return IRQ_SET_MASK_OK;
    },
    // xive_irq_mask() / xive_irq_unmask()
    irqMask(k, data) {
      const xd = xdOf(k, 'xive_irq_mask', data);
      if (xd !== null) xiveDoSourceSetMask(k, xd, true);
    },
    irqUnmask(k, data) {
      const xd = xdOf(k, 'xive_irq_unmask', data);
      if (xd !== null) xiveDoSourceSetMask(k, xd, false);
    },
    // xive_irq_retrigger()
    irqRetrigger(k, data) {
      const xd = xdOf(k, 'xive_irq_retrigger', data);
      if (xd === null) return false;
      xiveIrqRetrigger(k, xd);
      return true;
    },
    // xive_irq_eoi(): source EOI unless disabled (then P stays set: stale_p), then the queue
    irqEoi(k, data) {
      const xd = xdOf(k, 'xive_irq_eoi', data);
      if (xd === null) return;
      if (!disabled(k, data)) xiveDoSourceEoi(k, xd);
      else if (k.applied('da15c03b047d')) xd.staleP = true;
      if (k.applied('da15c03b047d')) xd.savedP = false;
      env.cpus?.queueEoi(k, k.currentCpu);
    },
  };
  // .irq_get_irqchip_state = xive_get_irqchip_state, added by da15c03b047d
  if (k0.applied('da15c03b047d')) chip.irqGetIrqchipStateActive = xiveGetIrqchipStateActive;
  return chip;
}

// xive_get_irqchip_state() (da15c03b047d): a queue entry may exist when saved_p says so, or
// when P is set and the source is enabled; stale_p means the entry is gone
export function xiveGetIrqchipStateActive(k: Kernel, data: IrqData): boolean {
  const xd = xdOf(k, 'xive_get_irqchip_state', data);
  if (xd === null) return false;
  const pq = xiveEsbRead(k, 'xive_get_irqchip_state', xd, XIVE_ESB_GET);
  return pq !== XIVE_ESB_INVALID && !xd.staleP && (xd.savedP || ((pq & XIVE_ESB_VAL_P) !== 0 && !disabled(k, data)));
}
