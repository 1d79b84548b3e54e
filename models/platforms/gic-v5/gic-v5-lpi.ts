// drivers/irqchip/irq-gic-v5.c (the LPI domain and chip) with irq-gic-v5-irs.c's IST: LPI IDs
// come from one IDA of num_lpis IDs (alloc_lpi()), each LPI needs its Interrupt State Table
// entry (a level-2 IST page allocated on first use, gicv5_irs_iste_alloc()), and the LPI chip
// routes, masks and EOIs through GIC system instructions (CDAFF, CDDIS, CDEN, CDEOI).
import { IRQ_SET_MASK_OK_DONE } from '../../kernel/chip-call';
import { EINVAL, ENOMEM, ENOSPC } from '../../kernel/errno';
import type { IrqChip, IrqDomainOps } from '../../kernel/irqdomain';
import type { Kernel } from '../../kernel/kernel';

/** The IRS's LPI space and IST, as the driver sees them. */
export class GicV5Irs {
  /** lpi_ida: the LPI IDs in use. */
  readonly lpiIda = new Set<number>();
  /** Level-1 IST entries made valid (each covers 2^l2bits LPIs); never freed. */
  readonly istL2 = new Set<number>();
  /** Per LPI: enabled (CDEN) and the CPU it targets (CDAFF), as the IRS holds them. */
  readonly enabled = new Set<number>();
  readonly target = new Map<number, number>();

  constructor(
    /** num_lpis (gicv5_init_lpis()). */
    readonly numLpis: number,
    /** gicv5_global_data.ist.l2_bits: LPIs per level-2 IST page (log2). */
    readonly l2Bits: number,
  ) {}
}

/** alloc_lpi(): ida_alloc_max(&lpi_ida, num_lpis - 1): the lowest free ID, -ENOSPC when none */
export function allocLpi(k: Kernel, irs: GicV5Irs): number {
  if (irs.numLpis === 0 || k.faults.shouldFail('alloc_lpi')) return -ENOSPC;
  // exhaust(LPI): every ID is taken by interrupts outside the model
  if (k.faults.exhausted('LPI')) {
    k.faults.refused('LPI');
    return -ENOSPC;
  }
  for (let id = 0; id < irs.numLpis; id++) {
    if (!irs.lpiIda.has(id)) {
      irs.lpiIda.add(id);
      k.dirty.objects.add(irs);
      return id;
    }
  }
  return -ENOSPC;
}

/** release_lpi(): ida_free(); freeing an ID not allocated is the IDA's WARN */
export function releaseLpi(k: Kernel, irs: GicV5Irs, lpi: number): void {
  k.dirty.objects.add(irs);
  if (!irs.lpiIda.delete(lpi)) k.report('double-free', 'ida_free', `LPI ${lpi} freed but not allocated`);
}

/** gicv5_irs_iste_alloc(): make the level-2 IST page of the LPI valid (kzalloc on first use) */
function irsIsteAlloc(k: Kernel, irs: GicV5Irs, lpi: number): number {
  const index = lpi >> irs.l2Bits;
  if (irs.istL2.has(index)) return 0;
  if (k.faults.shouldFail('gicv5_irs_iste_alloc')) return -ENOMEM;
  irs.istL2.add(index);
  return 0;
}

/** gicv5_lpi_irq_chip */
export function makeLpiChip(irs: GicV5Irs): IrqChip {
  return {
    name: 'GICv5-LPI',
    /** gicv5_iri_irq_mask() / unmask(): CDDIS / CDEN */
    irqMask(_k, d) {
      irs.enabled.delete(d.hwirq);
    },
    irqUnmask(_k, d) {
      irs.enabled.add(d.hwirq);
    },
    /**
     * gicv5_iri_irq_set_affinity(): the first online CPU of the mask (the first of it, forced);
     * CDAFF retargets the LPI, whose pending state lives in the IST and goes with it
     */
    irqSetAffinity(k, d, mask, force) {
      const cpu = force ? (mask[0] ?? -1) : (mask.find((c) => k.cpuIsOnline(c)) ?? -1);
      if (cpu < 0 || cpu >= k.nrCpus) return -EINVAL;
      const prev = d.effectiveCpu;
      irs.target.set(d.hwirq, cpu);
      if (prev >= 0 && prev !== cpu) k.fabric?.movePending?.(d.irq, prev, cpu);
      d.effectiveCpu = cpu;
      k.touchIrq(d.irq);
      return IRQ_SET_MASK_OK_DONE;
    },
  };
}

/** The LPI domain's ops at this revision (gicv5_irq_lpi_domain_ops). */
export function makeLpiDomainOps(irs: GicV5Irs, chip: IrqChip): IrqDomainOps {
  // gicv5_irq_lpi_domain_free(): release each LPI (dec85d2fbd20), reset the data
  const freeOne = (k: Kernel, domainFree: (virq: number) => void, virq: number): void => domainFree(virq);
  const ops: IrqDomainOps = {
    alloc(k, domain, virq, nrIrqs, arg) {
      if (!k.applied('eb6f6d523813') && nrIrqs !== 1) {
        k.warn('gicv5_irq_lpi_domain_alloc', `nr_irqs ${nrIrqs} != 1`);
        return -EINVAL;
      }
      let i = 0;
      let ret = 0;
      for (; i < nrIrqs; i++) {
        let hwirq: number;
        if (k.applied('dec85d2fbd20')) {
          ret = allocLpi(k, irs);
          if (ret < 0) break;
          hwirq = ret;
        } else {
          // before dec85d2fbd20 the ITS allocated the LPI and passes it in
          hwirq = arg as number;
        }
        ret = irsIsteAlloc(k, irs, hwirq);
        if (ret < 0) {
          // Undo partial state first, then clean up the rest (before dec85d2fbd20 the ITS
          // releases the LPI it allocated)
          if (k.applied('dec85d2fbd20')) releaseLpi(k, irs, hwirq);
          break;
        }
        k.irqs.setHwirqAndChip(domain, virq + i, hwirq, chip, null);
        // gicv5_lpi_config_reset(): edge, not pending, disabled until unmasked
        irs.enabled.delete(hwirq);
      }
      if (ret < 0) {
        if (k.applied('eb6f6d523813') && i > 0) ops.free?.(k, domain, virq, i);
        return ret;
      }
      return 0;
    },
    free(k, domain, virq, nrIrqs) {
      if (k.applied('dec85d2fbd20') && !k.applied('eb6f6d523813') && nrIrqs !== 1) {
        k.warn('gicv5_irq_lpi_domain_free', `nr_irqs ${nrIrqs} != 1`);
        return;
      }
      for (let i = 0; i < nrIrqs; i++) {
        freeOne(k, (v) => {
          const d = k.irqs.getIrqData(domain, v);
          if (d === null) return;
          if (k.applied('dec85d2fbd20')) releaseLpi(k, irs, d.hwirq);
          irs.enabled.delete(d.hwirq);
          irs.target.delete(d.hwirq);
          d.effectiveCpu = -1;
          k.irqs.resetIrqData(d);
        }, virq + i);
      }
    },
  };
  return ops;
}
