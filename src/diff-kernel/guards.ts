// Which ops a sequence may contain at a given point, decided on the model's state as the
// sequence runs. Two rules keep every sequence within what the real kernel survives:
//  - ops that take the device's MSI descriptor lock need dev->msi.data: the core dereferences
//    it unchecked (guard(msi_descs_lock) / msi_lock_descs()), and an oops ends the boot;
//  - msi_remove_device_irq_domain() only when no descriptor of the domain holds an irq: the
//    core warns (irq_domain_remove()) and frees the domain under the live irqs, so a later
//    free of those descriptors would touch freed memory. Device removal may leave irqs
//    behind: their descriptors go with the device, so nothing reaches them again;
//  - pci_msix_free_irq() only while the function has MSI-X enabled: on an MSI function with an
//    MSI-X capability it frees the MSI descriptor, and pci_msi_shutdown() then oopses (a kernel
//    bug, kept as a repro in shrink-reports/kernel/; generating it would end most boots there).
// Everything else is allowed, including out-of-range, overlapping and invalid arguments.
import type { FakeMachine } from '../../models/platforms/kunit-fake/machine';
import { isPciOp, type KernelOp } from '../../models/platforms/kunit-fake/ops';

export type GuardVerdict = { readonly ok: true } | { readonly ok: false; readonly why: string };

const OK: GuardVerdict = { ok: true };

export function guardOp(m: FakeMachine, op: KernelOp): GuardVerdict {
  const fd = m.devices.get(op.dev);
  if (op.op === 'dev_add') return fd === undefined && op.dev < 16 ? OK : { ok: false, why: `dev${op.dev} exists` };
  if (op.op === 'pci_dev_add') return fd === undefined && op.dev < 16 ? OK : { ok: false, why: `dev${op.dev} exists` };
  if (fd === undefined) return { ok: false, why: `no dev${op.dev}` };
  // PCI functions take the PCI driver API only; kunit and platform devices everything else
  if ((fd.bus === 'pci') !== isPciOp(op) && op.op !== 'dev_del') return { ok: false, why: `${op.op} on a ${fd.bus} device` };
  const md = fd.dev.msiData;
  switch (op.op) {
    case 'dev_del':
    case 'msi_create_device_irq_domain':
    case 'platform_device_msi_init_and_alloc_irqs':
      return OK;
    case 'msi_remove_device_irq_domain': {
      if (md === null) return { ok: false, why: `dev${op.dev} has no MSI data` };
      const slot = md.domains[op.domid];
      if (slot !== undefined && [...slot.store.values()].some((d) => d.irq !== 0)) {
        return { ok: false, why: `dev${op.dev} domain ${op.domid} still has irqs` };
      }
      return OK;
    }
    case 'msi_domain_alloc_irqs_range':
    case 'msi_domain_free_irqs_range':
    case 'msi_domain_alloc_irq_at':
    case 'msi_domain_free_irqs_all':
    case 'platform_device_msi_free_irqs_all':
      return md === null ? { ok: false, why: `dev${op.dev} has no MSI data` } : OK;
    case 'pci_msix_free_irq':
      return (fd.dev as { msixEnabled?: boolean }).msixEnabled === true ? OK : { ok: false, why: `dev${op.dev} has no MSI-X enabled` };
    case 'pci_alloc_irq_vectors':
    case 'pci_free_irq_vectors':
    case 'pci_msix_alloc_irq_at':
      return OK;
  }
}

/** A whole sequence is valid when each op is, on the model run so far. */
export function guardSequence(make: () => FakeMachine, ops: readonly KernelOp[]): GuardVerdict {
  const m = make();
  for (const op of ops) {
    const v = guardOp(m, op);
    if (!v.ok) return v;
    m.run(op);
  }
  return OK;
}
