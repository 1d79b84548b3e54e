// The GICv3 redistributors' LPI domain, the parent of every ITS domain (drivers/irqchip/irq-gic-v3.c).
import type { IrqChip, IrqDomain } from '../../kernel/irqdomain';
import type { Kernel } from '../../kernel/kernel';

/** The fwspec the ITS hands the GIC for one LPI (its_irq_gic_domain_alloc()). */
export class GicLpiSpec {
  constructor(readonly lpi: number) {}
}

const gicLpiChip: IrqChip = { name: 'GICv3' };

// gic_irq_domain_alloc() for LPIs: hwirq = INTID, nothing else to allocate
export function createGicLpiDomain(k: Kernel): IrqDomain {
  return k.irqs.createDomain(
    'GICv3',
    null,
    {
      alloc(kk, d, virq, nr, arg) {
        const spec = arg as GicLpiSpec;
        for (let i = 0; i < nr; i++) kk.irqs.setHwirqAndChip(d, virq + i, spec.lpi + i, gicLpiChip, null);
        return 0;
      },
      free(kk, d, virq, nr) {
        for (let i = 0; i < nr; i++) {
          const data = kk.irqs.getIrqData(d, virq + i);
          if (data !== null) kk.irqs.resetIrqData(data);
        }
      },
    },
    null,
    0,
    'ANY',
  );
}
