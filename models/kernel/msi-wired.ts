// Wired interrupts behind a wire-to-MSI bridge (MBIGEN, RISC-V APLIC in MSI mode, GICv5 IWB):
// a consumer's irq_create_fwspec_mapping() finds the bridge's per-device MSI domain (bus token
// DOMAIN_BUS_WIRED_TO_MSI) and allocates one MSI per wire through msi_device_domain_alloc_wired()
// (kernel/irq/msi.c), which stores the wire and its trigger type in the descriptor's instance
// cookie; irq_dispose_mapping() gives it back through msi_device_domain_free_wired(). The index
// space of the domain is sized by firmware (the number of wires), and each wire takes the next
// free index (MSI_ANY_INDEX), since the wire number itself is sparse.
import { EINVAL, ENOTSUPP } from './errno';
import type { IrqDesc, IrqDomain } from './irqdomain';
import type { Kernel } from './kernel';
import { msiDomainAllocIrqAt, msiDomainFreeIrqsRange, msiGetDeviceDomain } from './msi';
import { MSI_ANY_INDEX, MSI_DEFAULT_DOMAIN } from './msi-desc';
import type { MsiDomainInfo } from './msi-types';
import type { Device } from './device';

/** IRQ_TYPE_* (include/dt-bindings/interrupt-controller/irq.h). */
export const IRQ_TYPE_NONE = 0;
export const IRQ_TYPE_EDGE_RISING = 1;
export const IRQ_TYPE_LEVEL_HIGH = 4;

/** irqd_set_trigger_type() / irq_get_trigger_type(): the trigger bits of the irq's state. */
const triggerTypes = new WeakMap<IrqDesc, number>();

/** irq_get_trigger_type() */
export function irqGetTriggerType(k: Kernel, virq: number): number {
  const desc = k.irqs.desc(virq);
  return desc === undefined ? IRQ_TYPE_NONE : (triggerTypes.get(desc) ?? IRQ_TYPE_NONE);
}

/** The wire (hwirq) and trigger type a wired descriptor's cookie holds. */
export function icookieWire(icookie: number): { hwirq: number; type: number } {
  return { hwirq: icookie % 2 ** 32, type: Math.floor(icookie / 2 ** 32) };
}

/** msi_domain_translate(): only wire-to-MSI domains translate; any other MSI domain says -ENOTSUPP. */
function msiDomainTranslate(domain: IrqDomain, param: readonly number[]): { hwirq: number; type: number } | number {
  const info = domain.hostData as MsiDomainInfo;
  const translate = info.ops.msi_translate;
  return translate === undefined ? -ENOTSUPP : translate(domain, param);
}

/**
 * msi_device_domain_alloc_wired(): one MSI for the wire `hwirq` on the bridge's device domain,
 * at the next free MSI index, the wire and type in the instance cookie. Returns the Linux irq
 * or a negative errno.
 */
export function msiDeviceDomainAllocWired(k: Kernel, domain: IrqDomain, hwirq: number, type: number): number {
  const dev = domain.dev as Device | null;
  if (dev === null || domain.busToken !== 'WIRED_TO_MSI') {
    k.warn('msi_device_domain_alloc_wired', `${domain.name}: not a wire-to-MSI device domain`);
    return -EINVAL;
  }
  const icookie = type * 2 ** 32 + hwirq;
  if (msiGetDeviceDomain(dev, MSI_DEFAULT_DOMAIN) !== domain) {
    k.warn('msi_device_domain_alloc_wired', `${dev.name}: domain is not the device's default MSI domain`);
    return -EINVAL;
  }
  const map = msiDomainAllocIrqAt(k, dev, MSI_DEFAULT_DOMAIN, MSI_ANY_INDEX, icookie);
  return map.index >= 0 ? map.virq : map.index;
}

/** msi_device_domain_free_wired(): free the descriptor's index range (its one irq). */
export function msiDeviceDomainFreeWired(k: Kernel, domain: IrqDomain, virq: number): void {
  const desc = k.irqs.desc(virq)?.msiDesc ?? null;
  const dev = domain.dev as Device | null;
  if (dev === null || desc === null || domain.busToken !== 'WIRED_TO_MSI') {
    k.warn('msi_device_domain_free_wired', `irq ${virq}: no wired MSI descriptor`);
    return;
  }
  if (msiGetDeviceDomain(dev, MSI_DEFAULT_DOMAIN) !== domain) {
    k.warn('msi_device_domain_free_wired', `${dev.name}: domain is not the device's default MSI domain`);
    return;
  }
  msiDomainFreeIrqsRange(k, dev, MSI_DEFAULT_DOMAIN, desc.msiIndex, desc.msiIndex);
}

/**
 * irq_create_fwspec_mapping() for a fwspec that names a wire-to-MSI bridge (fwspec_to_domain()
 * found its device domain): translate, reuse an existing mapping of the same hwirq when the
 * type agrees, else allocate through msi_device_domain_alloc_wired(). Returns the Linux irq, or
 * 0 when there is none (the C function's convention).
 */
export function irqCreateFwspecMapping(k: Kernel, domain: IrqDomain | null, param: readonly number[]): number {
  if (domain === null) {
    k.printk('no irq domain found for the fwspec');
    return 0;
  }
  const t = msiDomainTranslate(domain, param);
  if (typeof t === 'number') return 0;
  let { hwirq, type } = t;
  // irq_create_fwspec_mapping(): WARN if the irqchip returns a type outside the sense mask
  if ((type & ~0xf) !== 0) {
    k.warn('irq_create_fwspec_mapping', `type ${type} has bits outside IRQ_TYPE_SENSE_MASK`);
    type &= 0xf;
  }
  // If we've already configured this interrupt, don't do it again, or hell will break loose.
  let virq = k.irqs.findMapping(domain, hwirq);
  if (virq > 0) {
    const desc = k.irqs.desc(virq) as IrqDesc;
    const cur = triggerTypes.get(desc) ?? IRQ_TYPE_NONE;
    if (type === IRQ_TYPE_NONE || type === cur) return virq;
    if (cur === IRQ_TYPE_NONE) {
      triggerTypes.set(desc, type);
      return virq;
    }
    k.printk(`type mismatch, failed to map hwirq-${hwirq} for ${domain.name}!`);
    return 0;
  }
  // irq_domain_is_msi_device(domain): the wired path
  virq = msiDeviceDomainAllocWired(k, domain, hwirq, type);
  if (virq <= 0) return 0;
  const desc = k.irqs.desc(virq);
  if (desc === undefined) {
    k.warn('irq_create_fwspec_mapping', `irq ${virq}: no irq_data after allocation`);
    return 0;
  }
  // Store trigger type
  triggerTypes.set(desc, type);
  return virq;
}

/** irq_dispose_mapping() -> irq_domain_free_one_irq(): a wired irq goes back through its device domain. */
export function irqDisposeMapping(k: Kernel, virq: number): void {
  const top = virq > 0 ? k.irqs.desc(virq)?.irqData : undefined;
  if (top === undefined) return;
  const domain = k.heap.deref('irq_dispose_mapping', top.domain, 'irq_data->domain');
  if (domain.isMsiDevice()) msiDeviceDomainFreeWired(k, domain, virq);
  else k.irqs.freeIrqs('irq_dispose_mapping', virq, 1);
}
