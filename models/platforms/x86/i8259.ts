// arch/x86/kernel/i8259.c: the legacy 8259 pair as the model needs it. Its irqs 0-15 exist from
// early boot as descriptors of no domain (early_irq_init() preallocates them, init_ISA_irqs()
// gives them the 8259 chip); the IOAPIC takes all of them but the cascade over in
// setup_IO_APIC(). What the PIC still does after that is mask the lines it no longer serves.
import type { IrqChip } from '../../kernel/irqdomain';
import type { Kernel } from '../../kernel/kernel';
import { isaIrqVector, lapicAssignLegacyVectors, NR_IRQS_LEGACY, type X86Vector } from './vector';

/** struct legacy_pic (default_legacy_pic) with its cached_irq_mask. */
export class I8259 {
  /** cached_irq_mask: bit set = line masked at the 8259 (init_8259A() masks them all). */
  cachedIrqMask = 0xffff;

  // mask_8259A_irq()
  mask(irq: number): void {
    this.cachedIrqMask |= 1 << irq;
  }

  // unmask_8259A_irq()
  unmask(irq: number): void {
    this.cachedIrqMask &= ~(1 << irq);
  }

  isMasked(irq: number): boolean {
    return (this.cachedIrqMask & (1 << irq)) !== 0;
  }

  /** i8259A_chip ("XT-PIC"): handle_level_irq masks and unmasks at the 8259. */
  chip(): IrqChip {
    return {
      name: 'XT-PIC',
      irqMask: (_k, d) => this.mask(d.irq),
      irqUnmask: (_k, d) => this.unmask(d.irq),
    };
  }
}

/**
 * early_irq_init() + init_IRQ() + init_ISA_irqs() + lapic_assign_system_vectors(): the 16
 * legacy descriptors with the 8259 chip, CPU 0's vector_irq[] naming them at their ISA vectors,
 * and those vectors marked allocated on CPU 0 (the cascade's is a system vector). Runs with the
 * boot CPU's matrix online.
 */
export function initIsaIrqs(k: Kernel, v: X86Vector, pic: I8259): void {
  v.nrLegacyIrqs = NR_IRQS_LEGACY;
  k.irqs.preallocLegacyDescs(NR_IRQS_LEGACY, pic.chip());
  lapicAssignLegacyVectors(v);
  k.printk(`legacy irqs 0-${NR_IRQS_LEGACY - 1} at vectors 0x${isaIrqVector(0).toString(16)}-0x${isaIrqVector(NR_IRQS_LEGACY - 1).toString(16)} on CPU 0`);
}
