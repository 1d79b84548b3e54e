// arch/x86/include/asm/hw_irq.h: struct irq_alloc_info, x86's msi_alloc_info_t. The generic
// MsiAllocInfo carries desc/hwirq; the x86-only members live in its `arch` part.
import type { KObject } from '../../kernel/heap';
import type { ArchAllocInfo, MsiAllocInfo } from '../../kernel/msi-alloc-info';

/** enum irq_alloc_type (the members the model uses). */
export type X86IrqAllocType = 'NONE' | 'PCI_MSI' | 'PCI_MSIX' | 'DMAR' | 'HPET' | 'IOAPIC';

/** struct ioapic_alloc_info: the pin and its trigger/polarity (ioapic_set_alloc_attr(), ioapic_copy_alloc_attr()). */
export interface IoapicAllocInfo {
  /** Trigger and polarity come from the caller (else from the ACPI override table or the PCI default). */
  readonly valid: boolean;
  readonly isLevel: boolean;
  readonly activeLow: boolean;
  /** The IOAPIC's id (mpc_ioapic_id()) and the pin. */
  readonly id: number;
  readonly pin: number;
}

export class X86IrqAllocInfo implements ArchAllocInfo {
  type: X86IrqAllocType = 'NONE';
  /** DMAR unit id or HPET block id. */
  devid = 0;
  /** DMAR: the intel_iommu; HPET: the hpet_channel (becomes handler_data). */
  data: KObject | null = null;
  /** info->mask: a fixed destination, assigned a real vector at allocation. */
  mask: readonly number[] | null = null;
  /** info->flags & X86_IRQ_ALLOC_LEGACY: a legacy ISA irq the IOAPIC takes over (vector_configure_legacy()). */
  legacy = false;
  /** info->ioapic, for X86_IRQ_ALLOC_TYPE_IOAPIC. */
  ioapic: IoapicAllocInfo | null = null;

  clone(): X86IrqAllocInfo {
    const c = new X86IrqAllocInfo();
    c.type = this.type;
    c.devid = this.devid;
    c.data = this.data;
    c.mask = this.mask;
    c.legacy = this.legacy;
    c.ioapic = this.ioapic;
    return c;
  }
}

// init_irq_alloc_info(): zero the whole struct, x86 part included
export function initIrqAllocInfo(info: MsiAllocInfo): X86IrqAllocInfo {
  info.desc = null;
  info.hwirq = 0;
  info.flags = 0;
  const arch = new X86IrqAllocInfo();
  info.arch = arch;
  return arch;
}

/** The x86 part of an allocation argument, or null when nobody filled it in. */
export function x86Info(info: MsiAllocInfo | null | undefined): X86IrqAllocInfo | null {
  const a = info?.arch ?? null;
  return a instanceof X86IrqAllocInfo ? a : null;
}
