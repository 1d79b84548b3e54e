// arch/x86/include/asm/msi.h and apic.c: the two MSI message formats an x86 device can send.
// Compatibility format (address bit 4 clear) names an APIC ID and a vector; remappable format
// (bit 4 set, Intel VT-d) names an IRTE handle. Encoders are used by the composing chips,
// decoders by the platform's delivery path.
import type { MsiMsg } from '../../kernel/irqdomain';

export const X86_MSI_BASE_ADDRESS_LOW = 0xfee;
/** The vector number a managed interrupt is parked on while shut down (never set in vector_irq). */
export const MANAGED_IRQ_SHUTDOWN_VECTOR = 0xef;

/** struct irq_cfg */
export interface IrqCfg {
  vector: number;
  destApicid: number;
}

// __irq_msi_compose_msg(): compatibility format. `dmar` puts APIC ID bits 8..31 in address_hi.
export function irqMsiComposeMsg(cfg: IrqCfg, dmar: boolean): MsiMsg {
  const lo = ((X86_MSI_BASE_ADDRESS_LOW << 20) | ((cfg.destApicid & 0xff) << 12)) >>> 0;
  let hi = 0;
  let virt = 0;
  if (dmar) hi = ((cfg.destApicid >>> 8) << 8) >>> 0;
  else if (cfg.destApicid > 0xff && cfg.destApicid < 0x8000) virt = (cfg.destApicid >>> 8) & 0x7f;
  // data: delivery mode FIXED (0), edge, the vector
  return { addressHi: hi, addressLo: (lo | (virt << 5)) >>> 0, data: cfg.vector & 0xff };
}

// fill_msi_msg() (intel irq_remapping.c): remappable format, handle = index, data = subhandle
export function intelFillMsiMsg(index: number, subHandle: number): MsiMsg {
  const lo =
    (X86_MSI_BASE_ADDRESS_LOW << 20) |
    ((index & 0x7fff) << 5) | // dmar_index_0_14
    (1 << 4) | // dmar_format: remappable
    (1 << 3) | // dmar_subhandle_valid
    (((index >> 15) & 1) << 2); // dmar_index_15
  return { addressHi: 0, addressLo: lo >>> 0, data: subHandle >>> 0 };
}

// fill_msi_msg() (amd iommu.c): the data is the index into the devid's remap table
export function amdFillMsiMsg(index: number): MsiMsg {
  return { addressHi: 0, addressLo: (X86_MSI_BASE_ADDRESS_LOW << 20) >>> 0, data: index };
}

export function isInterruptAddress(msg: MsiMsg): boolean {
  return msg.addressLo >>> 20 === X86_MSI_BASE_ADDRESS_LOW;
}

/** Address bit 4: 1 = remappable format (Intel VT-d interrupt remapping). */
export function isRemappableFormat(msg: MsiMsg): boolean {
  return (msg.addressLo & (1 << 4)) !== 0;
}

/** Compatibility format: the APIC ID (with the DMAR or virt extended bits) and the vector. */
export function decodeCompat(msg: MsiMsg): IrqCfg {
  const low = (msg.addressLo >>> 12) & 0xff;
  const virt = (msg.addressLo >>> 5) & 0x7f;
  const high = msg.addressHi >>> 8;
  return { destApicid: low | (virt << 8) | (high << 8), vector: msg.data & 0xff };
}

/** Remappable format: the interrupt handle and, when SHV is set, the subhandle from the data. */
export function decodeRemappable(msg: MsiMsg): number {
  const index = ((msg.addressLo >>> 5) & 0x7fff) | (((msg.addressLo >>> 2) & 1) << 15);
  const shv = (msg.addressLo & (1 << 3)) !== 0;
  return shv ? index + (msg.data & 0xffff) : index;
}
