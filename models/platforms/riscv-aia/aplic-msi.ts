// drivers/irqchip/irq-riscv-aplic-msi.c (with the register helpers of irq-riscv-aplic-main.c):
// the APLIC in MSI delivery mode. Each wired source that a consumer maps becomes one MSI of the
// APLIC's own per-device domain (DOMAIN_BUS_WIRED_TO_MSI, parent: the IMSIC); the message the
// IMSIC composes is programmed into the source's target register (hart index + EIID), and the
// APLIC forwards the source as that MSI when it is pending and enabled.
import { chipCallParent, chipSetAffinityParent } from '../../kernel/chip-call';
import type { PlatformDevice } from '../../kernel/device';
import { EINVAL, ENOMEM } from '../../kernel/errno';
import { KObject } from '../../kernel/heap';
import type { IrqOrigin } from '../../kernel/irq-action';
import type { IrqChip, IrqData } from '../../kernel/irqdomain';
import type { Kernel } from '../../kernel/kernel';
import { msiCreateDeviceIrqDomain } from '../../kernel/msi';
import { MSI_DEFAULT_DOMAIN } from '../../kernel/msi-desc';
import { MSI_FLAG_USE_DEV_FWNODE, type MsiDomainTemplate } from '../../kernel/msi-types';
import { icookieWire, irqGetTriggerType, IRQ_TYPE_NONE } from '../../kernel/msi-wired';
import type { ImsicPriv } from './imsic-state';

/** One source's registers: sourcecfg (source mode), the ie and ip bits, and target. */
export interface AplicSource {
  /** sourcecfg: IRQ_TYPE_* it was set to, IRQ_TYPE_NONE = SM_INACTIVE (the input is ignored). */
  mode: number;
  ie: boolean;
  ip: boolean;
  /** target register in MSI mode: hart index (the CPU) and EIID; null when written as zero. */
  target: { cpu: number; eiid: number } | null;
  /** Who raised the pending interrupt (model bookkeeping). */
  origin: IrqOrigin | null;
}

/** struct aplic_priv (devm_kzalloc'ed by aplic_msi_setup()). */
export class AplicPriv extends KObject {
  readonly kind = 'aplic_priv';
  /** Sources 1..nr_irqs; index 0 does not exist. */
  readonly sources: AplicSource[];

  constructor(
    readonly dev: PlatformDevice,
    readonly nrIrqs: number,
    /** The IMSIC whose interrupt files the target registers point into (msicfg). */
    readonly imsic: ImsicPriv,
  ) {
    super();
    this.sources = Array.from({ length: nrIrqs + 1 }, () => ({ mode: IRQ_TYPE_NONE, ie: false, ip: false, target: null, origin: null }));
  }
}

/** irq_data_get_irq_chip_data() at the APLIC level: the aplic_priv (oopses on NULL, as the C does). */
function privOf(k: Kernel, site: string, d: IrqData): AplicPriv {
  return k.heap.deref(site, d.chipData as AplicPriv | null, 'aplic_priv');
}

/** The APLIC's state of source `hwirq` (sourcecfg/target registers), if it exists. */
function sourceOf(priv: AplicPriv, hwirq: number): AplicSource | undefined {
  return hwirq >= 1 && hwirq <= priv.nrIrqs ? priv.sources[hwirq] : undefined;
}

/** The MSI the APLIC sends for a source: the target hart's interrupt file and the EIID. */
function targetMsg(priv: AplicPriv, src: AplicSource): { addressHi: number; addressLo: number; data: number } | null {
  const file = src.target === null ? undefined : priv.imsic.files[src.target.cpu];
  if (src.target === null || file === undefined) return null;
  return { addressHi: Math.floor(file.msiPa / 2 ** 32), addressLo: file.msiPa % 2 ** 32, data: src.target.eiid };
}

/** MSI delivery mode: a source pending and enabled is forwarded as its MSI and stops pending. */
function aplicForward(k: Kernel, priv: AplicPriv, hwirq: number): string {
  const src = sourceOf(priv, hwirq);
  if (src === undefined || !src.ip || !src.ie) return src?.ip === true ? `APLIC source ${hwirq} pending, not enabled` : 'nothing to forward';
  src.ip = false;
  const msg = targetMsg(priv, src);
  const origin = src.origin;
  src.origin = null;
  if (msg === null || msg.data === 0) return `APLIC source ${hwirq}: target EIID 0, the MSI goes nowhere`;
  return k.fabric?.signal(priv.dev, msg, origin ?? { dev: priv.dev.name, vec: hwirq, step: k.step }) ?? 'no interrupt controller';
}

/** The wire `hwirq` asserts (an edge): the source becomes pending unless it is inactive. */
export function aplicSourceRaise(k: Kernel, priv: AplicPriv, hwirq: number, origin: IrqOrigin): string {
  const src = sourceOf(priv, hwirq);
  if (src === undefined) return `APLIC has no source ${hwirq}`;
  if (src.mode === IRQ_TYPE_NONE) return `APLIC source ${hwirq} inactive (sourcecfg SM_INACTIVE): ignored`;
  if (src.ip) return `APLIC source ${hwirq} already pending (coalesced)`;
  src.ip = true;
  src.origin = origin;
  return aplicForward(k, priv, hwirq);
}

/** aplic_irq_unmask(): SETIENUM; aplic_irq_mask(): CLRIENUM */
function aplicIrqSetIe(k: Kernel, d: IrqData, ie: boolean): void {
  const priv = privOf(k, ie ? 'aplic_irq_unmask' : 'aplic_irq_mask', d);
  const src = sourceOf(priv, d.hwirq);
  if (src === undefined) return;
  src.ie = ie;
  if (ie) aplicForward(k, priv, d.hwirq);
}

/** aplic_irq_set_type(): sourcecfg from the irq's trigger type (called by __setup_irq()) */
function aplicIrqSetType(k: Kernel, d: IrqData, type: number): number {
  const priv = privOf(k, 'aplic_irq_set_type', d);
  const src = sourceOf(priv, d.hwirq);
  if (src === undefined) return -EINVAL;
  src.mode = type;
  return 0;
}

/**
 * aplic_msi_write_msg(): a zero message writes zero into the target register, any other one
 * the hart index of its address and its data as EIID
 */
function aplicMsiWriteMsg(k: Kernel, d: IrqData, msg: { addressHi: number; addressLo: number; data: number }): void {
  const priv = privOf(k, 'aplic_msi_write_msg', d);
  const src = sourceOf(priv, d.hwirq);
  const desc = k.irqs.desc(d.irq)?.msiDesc ?? null;
  k.touchIrq(d.irq);
  if (src === undefined) return;
  if (msg.addressHi === 0 && msg.addressLo === 0 && msg.data === 0) {
    src.target = null;
    if (desc !== null) desc.msg = null;
    return;
  }
  const cpu = priv.imsic.cpuOfAddress(msg.addressHi * 2 ** 32 + msg.addressLo);
  // WARN_ON(tbppn != mc->base_ppn): the address is not one of the IMSIC's interrupt files
  if (cpu < 0) k.warn('aplic_msi_write_msg', `source ${d.hwirq}: address not in the IMSIC's interrupt files`);
  src.target = { cpu: Math.max(cpu, 0), eiid: msg.data };
  // what the APLIC will send for this source, as the message-routing view reads it
  if (desc !== null) desc.msg = { ...msg };
}

/** aplic_msi_template */
export const aplicMsiTemplate: MsiDomainTemplate = {
  name: 'APLIC-MSI',
  chip: {
    name: 'APLIC-MSI',
    /** aplic_msi_irq_mask(): APLIC first, then the parent; unmask the other way round */
    irqMask(k, d) {
      aplicIrqSetIe(k, d, false);
      chipCallParent(k, d, 'irqMask');
    },
    irqUnmask(k, d) {
      chipCallParent(k, d, 'irqUnmask');
      aplicIrqSetIe(k, d, true);
    },
    /** __setup_irq(): __irq_set_trigger() -> aplic_msi_irq_set_type(), then irq_startup() -> unmask */
    irqStartup(k, d) {
      aplicIrqSetType(k, d, irqGetTriggerType(k, d.irq));
      chipCallParent(k, d, 'irqUnmask');
      aplicIrqSetIe(k, d, true);
    },
    irqShutdown(k, d) {
      aplicIrqSetIe(k, d, false);
      chipCallParent(k, d, 'irqMask');
    },
    irqSetAffinity: chipSetAffinityParent,
    writeMsiMsg: aplicMsiWriteMsg,
  } satisfies IrqChip,
  ops: {
    /** aplic_msi_set_desc(): the device-level hwirq is the source number from the cookie */
    set_desc(arg, desc) {
      arg.desc = desc;
      arg.hwirq = icookieWire(desc.icookie).hwirq;
    },
    /** aplic_msi_translate() -> aplic_irqdomain_translate(): DT (gsi_base 0), <source type> */
    msi_translate(_domain, param) {
      if (param.length < 2 || param[0] === 0) return -EINVAL;
      return { hwirq: param[0] as number, type: (param[1] as number) & 0xf };
    },
  },
  info: { flags: MSI_FLAG_USE_DEV_FWNODE, bus_token: 'WIRED_TO_MSI' },
};

/** aplic_msi_setup(): the private data (devm) and the device MSI domain of nr_irqs + 1 entries */
export function aplicMsiSetup(k: Kernel, dev: PlatformDevice, nrIrqs: number, imsic: ImsicPriv): { ret: number; priv: AplicPriv | null } {
  if (k.faults.shouldFail('aplic_msi_setup')) return { ret: -ENOMEM, priv: null };
  const priv = k.heap.kmalloc(new AplicPriv(dev, nrIrqs, imsic), 'aplic_msi_setup');
  dev.devres.push({ name: 'devm_kzalloc(aplic_priv)', release: () => k.heap.kfree('devres_release', priv) });
  if (!msiCreateDeviceIrqDomain(k, dev, MSI_DEFAULT_DOMAIN, aplicMsiTemplate, nrIrqs + 1, priv, priv)) return { ret: -ENOMEM, priv: null };
  return { ret: 0, priv };
}
