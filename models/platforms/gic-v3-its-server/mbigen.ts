// drivers/irqchip/irq-mbigen.c: the HiSilicon MBIGEN, a wire-to-MSI bridge in front of a GICv3
// ITS. Each interrupt controller child of an MBIGEN node is one device with a wire-to-MSI domain
// of num-pins entries; a mapped pin gets an event of the MBIGEN's DeviceID, which
// mbigen_write_msi_msg() programs into the pin's vector register (the doorbell address is wired).
import { chipCallParent } from '../../kernel/chip-call';
import type { PlatformDevice } from '../../kernel/device';
import { EINVAL, ENOMEM } from '../../kernel/errno';
import { KObject } from '../../kernel/heap';
import type { IrqOrigin } from '../../kernel/irq-action';
import type { IrqChip, IrqData } from '../../kernel/irqdomain';
import type { Kernel } from '../../kernel/kernel';
import { msiCreateDeviceIrqDomain } from '../../kernel/msi';
import { MSI_DEFAULT_DOMAIN } from '../../kernel/msi-desc';
import { MSI_FLAG_USE_DEV_FWNODE, type MsiDomainTemplate } from '../../kernel/msi-types';
import { icookieWire, irqGetTriggerType, IRQ_TYPE_EDGE_RISING, IRQ_TYPE_LEVEL_HIGH } from '../../kernel/msi-wired';

/** RESERVED_IRQ_PER_MBIGEN_CHIP: pins 0-63 are reserved; interrupt specifiers start at 64. */
export const MBIGEN_FIRST_PIN = 64;
/** MAXIMUM_IRQ_PIN_NUM */
const MBIGEN_MAX_PIN = 1407;

/** The MBIGEN's register block (devm_ioremap'ed base): per pin its vector (EventID) and type. */
export class MbigenRegs extends KObject {
  readonly kind = 'mbigen_regs';
  /** REG_MBIGEN_VEC_OFFSET registers: pin -> EventID programmed. */
  readonly vector = new Map<number, number>();
  readonly level = new Set<number>();
  constructor(readonly dev: PlatformDevice) {
    super();
  }
}

/** irq_data_get_irq_chip_data(): the MBIGEN's register block (oopses on NULL, as the C does). */
function regsOf(k: Kernel, site: string, d: IrqData): MbigenRegs {
  return k.heap.deref(site, d.chipData as MbigenRegs | null, 'mbigen base');
}

/** mbigen_set_type(): only level-high and rising edge */
function mbigenSetType(k: Kernel, d: IrqData, type: number): number {
  if (type !== IRQ_TYPE_LEVEL_HIGH && type !== IRQ_TYPE_EDGE_RISING) return -EINVAL;
  const regs = regsOf(k, 'mbigen_set_type', d);
  if (type === IRQ_TYPE_LEVEL_HIGH) regs.level.add(d.hwirq);
  else regs.level.delete(d.hwirq);
  return 0;
}

/** mbigen_msi_template */
export const mbigenMsiTemplate: MsiDomainTemplate = {
  name: 'mbigen-v2',
  chip: {
    name: 'mbigen-v2',
    irqMask: (k, d) => void chipCallParent(k, d, 'irqMask'),
    irqUnmask: (k, d) => void chipCallParent(k, d, 'irqUnmask'),
    /** __setup_irq() sets the type first, then irq_startup() unmasks the parent */
    irqStartup(k, d) {
      mbigenSetType(k, d, irqGetTriggerType(k, d.irq));
      chipCallParent(k, d, 'irqUnmask');
    },
    /** mbigen_eoi_irq(): clear the pin's status, then the parent */
    irqEoi: (k, d) => void chipCallParent(k, d, 'irqEoi'),
    /** mbigen_write_msi_msg(): no address means nothing to do; the event goes into the pin's vector register */
    writeMsiMsg(k, d, msg) {
      const regs = regsOf(k, 'mbigen_write_msi_msg', d);
      if (msg.addressLo === 0 && msg.addressHi === 0) {
        // msi-fuzz's proposal: the deactivated pin sends nothing the ITS would translate
        if (k.applied('msi-fuzz-mbigen-clear-vector')) regs.vector.delete(d.hwirq);
        return;
      }
      regs.vector.set(d.hwirq, msg.data);
      const desc = k.irqs.desc(d.irq)?.msiDesc ?? null;
      if (desc !== null) desc.msg = { ...msg };
      k.touchIrq(d.irq);
    },
  } satisfies IrqChip,
  ops: {
    /** mbigen_domain_set_desc(): the pin from the cookie */
    set_desc(arg, desc) {
      arg.desc = desc;
      arg.hwirq = icookieWire(desc.icookie).hwirq;
    },
    /** mbigen_domain_translate(): two cells, a pin in 64..1407, level-high or rising edge */
    msi_translate(_domain, param) {
      if (param.length !== 2) return -EINVAL;
      const pin = param[0] as number;
      const type = param[1] as number;
      if (pin > MBIGEN_MAX_PIN || pin < MBIGEN_FIRST_PIN) return -EINVAL;
      if (type !== IRQ_TYPE_EDGE_RISING && type !== IRQ_TYPE_LEVEL_HIGH) return -EINVAL;
      return { hwirq: pin, type };
    },
  },
  info: { flags: MSI_FLAG_USE_DEV_FWNODE, bus_token: 'WIRED_TO_MSI' },
};

/**
 * mbigen_device_probe() -> mbigen_of_create_domain() -> mbigen_create_device_domain() for the
 * child device: the register block (devm) and a domain of num-pins entries
 */
export function mbigenProbe(k: Kernel, dev: PlatformDevice, numPins: number): { ret: number; regs: MbigenRegs | null } {
  if (dev.msiParent === null) {
    k.warn('mbigen_create_device_domain', `${dev.name}: no MSI domain`);
    return { ret: -ENOMEM, regs: null };
  }
  if (k.faults.shouldFail('mbigen_device_probe')) return { ret: -ENOMEM, regs: null };
  const regs = k.heap.kmalloc(new MbigenRegs(dev), 'mbigen_device_probe');
  dev.devres.push({ name: 'devm_kzalloc(mbigen_device)', release: () => k.heap.kfree('devres_release', regs) });
  if (!msiCreateDeviceIrqDomain(k, dev, MSI_DEFAULT_DOMAIN, mbigenMsiTemplate, numPins, null, regs)) return { ret: -ENOMEM, regs: null };
  return { ret: 0, regs };
}

/** A pin asserts: the MBIGEN writes the pin's programmed EventID to its ITS with its DeviceID. */
export function mbigenPinRaise(k: Kernel, regs: MbigenRegs, pin: number, doorbell: number, origin: IrqOrigin): string {
  const event = regs.vector.get(pin);
  if (event === undefined) return `MBIGEN pin ${pin}: vector register not programmed, nothing sent`;
  return k.fabric?.signal(regs.dev, { addressHi: Math.floor(doorbell / 2 ** 32), addressLo: doorbell % 2 ** 32, data: event }, origin) ?? 'no interrupt controller';
}
