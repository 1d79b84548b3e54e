// arch/x86/include/asm/hw_irq.h: struct irq_alloc_info, x86's msi_alloc_info_t. The generic
// MsiAllocInfo carries desc/hwirq; the x86-only members live in its `arch` part.
import type { KObject } from '../../kernel/heap';
import type { ArchAllocInfo, MsiAllocInfo } from '../../kernel/msi-alloc-info';

/** enum irq_alloc_type (the members the model uses). */
export type X86IrqAllocType = 'NONE' | 'PCI_MSI' | 'PCI_MSIX' | 'DMAR' | 'HPET';

export class X86IrqAllocInfo implements ArchAllocInfo {
  type: X86IrqAllocType = 'NONE';
  /** DMAR unit id or HPET block id. */
  devid = 0;
  /** DMAR: the intel_iommu; HPET: the hpet_channel (becomes handler_data). */
  data: KObject | null = null;
  /** info->mask: a fixed destination, assigned a real vector at allocation. */
  mask: readonly number[] | null = null;

  clone(): X86IrqAllocInfo {
    const c = new X86IrqAllocInfo();
    c.type = this.type;
    c.devid = this.devid;
    c.data = this.data;
    c.mask = this.mask;
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
