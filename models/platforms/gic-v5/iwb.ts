// drivers/irqchip/irq-gic-v5-iwb.c: the GICv5 Interrupt Wire Bridge. A wire-to-MSI domain under
// the ITS whose message data is hardwired: wire N always signals EventID N of the IWB's
// DeviceID (MSI_ALLOC_FLAGS_FIXED_MSG_DATA), so Linux writes no message; it enables and disables
// wires (IWB_WENABLER) and sets their trigger mode (IWB_WTMR).
import { chipCallParent, chipSetAffinityParent } from '../../kernel/chip-call';
import type { PlatformDevice } from '../../kernel/device';
import { EINVAL, ENOMEM } from '../../kernel/errno';
import { KObject } from '../../kernel/heap';
import type { IrqOrigin } from '../../kernel/irq-action';
import type { IrqChip, IrqData } from '../../kernel/irqdomain';
import type { Kernel } from '../../kernel/kernel';
import { msiCreateDeviceIrqDomain } from '../../kernel/msi';
import { MSI_ALLOC_FLAGS_FIXED_MSG_DATA } from '../../kernel/msi-alloc-info';
import { MSI_DEFAULT_DOMAIN } from '../../kernel/msi-desc';
import { MSI_FLAG_USE_DEV_FWNODE, type MsiDomainTemplate } from '../../kernel/msi-types';
import { icookieWire, irqGetTriggerType } from '../../kernel/msi-wired';

/** struct gicv5_iwb_chip_data (kzalloc'ed by gicv5_iwb_init_bases(), never freed). */
export class GicV5IwbChipData extends KObject {
  readonly kind = 'gicv5_iwb_chip_data';
  /** IWB_WENABLER bits and IWB_WTMR (level) bits per wire. */
  readonly enabled = new Set<number>();
  readonly level = new Set<number>();

  constructor(
    readonly dev: PlatformDevice,
    /** (IW_RANGE + 1) * 32 */
    readonly nrWires: number,
  ) {
    super();
  }
}

/** irq_data_get_irq_chip_data(): the IWB's chip data (oopses on NULL, as the C does). */
function iwbOf(k: Kernel, site: string, d: IrqData): GicV5IwbChipData {
  return k.heap.deref(site, d.chipData as GicV5IwbChipData | null, 'iwb_node');
}

/** __gicv5_iwb_set_wire_enable(): a wire beyond the IWB's registers is -EINVAL */
function setWireEnable(k: Kernel, d: IrqData, enable: boolean): void {
  const iwb = iwbOf(k, enable ? 'gicv5_iwb_enable_wire' : 'gicv5_iwb_disable_wire', d);
  if (d.hwirq >= iwb.nrWires) {
    k.printk(`GICv5 IWB: IWB_WENABLER<n> is invalid for wire ${d.hwirq}`);
    return;
  }
  if (enable) iwb.enabled.add(d.hwirq);
  else iwb.enabled.delete(d.hwirq);
}

/** gicv5_iwb_set_type(): WTMR level or edge */
function iwbSetType(k: Kernel, d: IrqData, type: number): number {
  const iwb = iwbOf(k, 'gicv5_iwb_set_type', d);
  if (d.hwirq >= iwb.nrWires) return -EINVAL;
  if (type === 4 || type === 8) iwb.level.add(d.hwirq);
  else iwb.level.delete(d.hwirq);
  return 0;
}

/** iwb_msi_template */
export const iwbMsiTemplate: MsiDomainTemplate = {
  name: 'GICv5-IWB',
  chip: {
    name: 'GICv5-IWB',
    irqMask: (k, d) => void chipCallParent(k, d, 'irqMask'),
    irqUnmask: (k, d) => void chipCallParent(k, d, 'irqUnmask'),
    /** __setup_irq() sets the type, then irq_startup() -> gicv5_iwb_irq_enable(): wire, then parent */
    irqStartup(k, d) {
      iwbSetType(k, d, irqGetTriggerType(k, d.irq));
      setWireEnable(k, d, true);
      chipCallParent(k, d, 'irqUnmask');
    },
    /** gicv5_iwb_irq_disable() */
    irqShutdown(k, d) {
      setWireEnable(k, d, false);
      chipCallParent(k, d, 'irqMask');
    },
    irqSetAffinity: chipSetAffinityParent,
    /** gicv5_iwb_write_msi_msg(): nothing, the message is hardwired */
    writeMsiMsg: () => undefined,
  } satisfies IrqChip,
  ops: {
    /** gicv5_iwb_domain_set_desc(): the wire from the cookie is the hwirq (and the EventID) */
    set_desc(arg, desc) {
      arg.desc = desc;
      arg.hwirq = icookieWire(desc.icookie).hwirq;
    },
    /** gicv5_iwb_irq_domain_translate(): DT <wire type> */
    msi_translate(_domain, param) {
      if (param.length < 2) return -EINVAL;
      return { hwirq: param[0] as number, type: (param[1] as number) & 0xf };
    },
  },
  info: { flags: MSI_FLAG_USE_DEV_FWNODE, bus_token: 'WIRED_TO_MSI' },
  allocInfoFlags: MSI_ALLOC_FLAGS_FIXED_MSG_DATA,
};

/**
 * gicv5_iwb_init_bases(): the chip data (kept for good: the driver has no remove) and the wire
 * domain of nr_wires entries
 */
export function gicv5IwbInitBases(k: Kernel, dev: PlatformDevice, nrWires: number): { ret: number; iwb: GicV5IwbChipData | null } {
  if (k.faults.shouldFail('gicv5_iwb_init_bases')) return { ret: -ENOMEM, iwb: null };
  const iwb = k.heap.kmalloc(new GicV5IwbChipData(dev, nrWires), 'gicv5_iwb_create_device_domain');
  if (!msiCreateDeviceIrqDomain(k, dev, MSI_DEFAULT_DOMAIN, iwbMsiTemplate, nrWires, null, iwb)) {
    // __free(kfree) on the error path
    k.heap.kfree('gicv5_iwb_init_bases', iwb);
    return { ret: -ENOMEM, iwb: null };
  }
  return { ret: 0, iwb };
}

/** The IWB forwards an enabled wire as its hardwired MSI: EventID = wire on its own DeviceID. */
export function iwbWireRaise(k: Kernel, iwb: GicV5IwbChipData, hwirq: number, frame: number, origin: IrqOrigin): string {
  if (hwirq >= iwb.nrWires) return `IWB has no wire ${hwirq}`;
  if (!iwb.enabled.has(hwirq)) return `IWB wire ${hwirq} disabled (IWB_WENABLER): ignored`;
  return k.fabric?.signal(iwb.dev, { addressHi: Math.floor(frame / 2 ** 32), addressLo: frame % 2 ** 32, data: hwirq }, origin) ?? 'no interrupt controller';
}
