// arch/x86/kernel/apic/msi.c (CONFIG_DMAR_TABLE): the DMAR-MSI domain that carries each
// VT-d unit's own fault-event interrupt. A plain MSI domain (not per device) directly on the
// vector domain, with its own msi_domain_ops: before 9006c133a422 they include get_hwirq;
// that commit drops it in favour of the core default, which the core only fills in once
// d27e623ace6a adds MSI_FLAG_USE_DEF_DOM_OPS.
import type { IrqChip, IrqDomain } from '../../kernel/irqdomain';
import type { Kernel } from '../../kernel/kernel';
import { msiCreateIrqDomain } from '../../kernel/msi';
import { MsiAllocInfo } from '../../kernel/msi-alloc-info';
import { MSI_FLAG_USE_DEF_DOM_OPS, type MsiDomainInfo, type MsiDomainOps } from '../../kernel/msi-types';
import { initIrqAllocInfo, x86Info } from './alloc-info';
import type { IntelIommu } from './intel-ir';
import { irqMsiComposeMsg } from './msi-msg';
import { irqdCfg } from './vector';

/** irq -> handler_data (the intel_iommu), as irq_domain_set_info() records it. */
export type HandlerData = Map<number, IntelIommu>;

function dmarMsiController(handlers: HandlerData): IrqChip {
  return {
    name: 'DMAR-MSI',
    // dmar_msi_compose_msg(): compatibility format, extended destination in address_hi
    composeMsiMsg(_k, d) {
      const cfg = irqdCfg(d);
      return irqMsiComposeMsg(cfg ?? { vector: 0, destApicid: 0 }, true);
    },
    // dmar_msi_write(): into the unit's fault event data/address registers
    writeMsiMsg(k, d, msg) {
      const iommu = k.heap.deref('dmar_msi_write', handlers.get(d.irq), 'irq_handler_data');
      iommu.faultEventMsg = { ...msg };
    },
  };
}

/** The DMAR-MSI domain, created on first use as dmar_get_irq_domain() does. */
export class DmarMsi {
  domain: IrqDomain | null = null;
  readonly handlers: HandlerData = new Map();

  constructor(
    private readonly k: Kernel,
    private readonly vectorDomain: IrqDomain,
  ) {}

  // dmar_msi_domain_info / dmar_msi_domain_ops at the revision being modelled
  private domainInfo(): MsiDomainInfo {
    const handlers = this.handlers;
    const ops: MsiDomainOps = {
      // dmar_msi_init(): hwirq = the unit id, handler data = the unit
      msi_init: (kk, domain, info, virq, _hwirq, arg) => {
        const x86 = x86Info(arg);
        kk.irqs.setHwirqAndChip(domain, virq, x86?.devid ?? 0, info.chip, null);
        if (x86?.data !== null && x86?.data !== undefined) handlers.set(virq, x86.data as IntelIommu);
        return 0;
      },
    };
    // dmar_msi_get_hwirq() (v5.9: arg->dmar_id), deleted by "x86/msi: Use generic MSI domain ops"
    if (!this.k.applied('9006c133a422')) ops.get_hwirq = (_info, arg) => x86Info(arg)?.devid ?? 0;
    return {
      flags: this.k.applied('d27e623ace6a') ? MSI_FLAG_USE_DEF_DOM_OPS : 0,
      bus_token: 'ANY',
      hwsize: 0,
      ops,
      chip: dmarMsiController(handlers),
      chip_data: null,
      data: null,
      alloc_data: null,
    };
  }

  // dmar_get_irq_domain(): the parent is always the vector domain, never a remapping unit
  getIrqDomain(): IrqDomain {
    this.domain ??= msiCreateIrqDomain(this.k, 'DMAR-MSI', this.domainInfo(), 0, this.vectorDomain);
    return this.domain;
  }

  // dmar_alloc_hwirq(id, node, arg)
  allocHwirq(id: number, iommu: IntelIommu): number {
    const domain = this.getIrqDomain();
    const arg = new MsiAllocInfo();
    const x86 = initIrqAllocInfo(arg);
    x86.type = 'DMAR';
    x86.devid = id;
    x86.data = iommu;
    if (this.k.applied('9006c133a422')) arg.hwirq = id;
    return this.k.irqs.allocIrqs(domain, 1, arg);
  }

  // dmar_free_hwirq()
  freeHwirq(irq: number): void {
    this.k.irqs.freeIrqs('dmar_free_hwirq', irq, 1);
    this.handlers.delete(irq);
  }
}

/** The fwnode-less DMAR-MSI domain info, exported for tests that inspect the ops. */
export function dmarMsiInfo(domain: IrqDomain): MsiDomainInfo {
  return domain.hostData as MsiDomainInfo;
}
