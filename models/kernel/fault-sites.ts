// The fault sites of the genirq/MSI core and the PCI/MSI layer: every call on the modelled
// paths that can fail in the kernel, with the caller that checks it. Every platform has them
// (the platform's own sites and pools come on top, see PlatformModel.faultSites).
import type { FaultSite, PoolSpec } from './faults';

export const CORE_FAULT_SITES: readonly FaultSite[] = [
  {
    name: 'irq_domain_alloc_descs',
    class: 'kmalloc',
    kernel: 'kernel/irq/irqdesc.c: alloc_descs() from __irq_alloc_descs() from irq_domain_alloc_irqs_locked()',
    description: 'the kzalloc of an irq_desc fails (one call per irq; the ones before it are freed): -ENOMEM. Irq numbers themselves do not run out with SPARSE_IRQ (INT_MAX)',
  },
  {
    name: 'irq_domain_alloc_irq_data',
    class: 'kmalloc',
    kernel: 'kernel/irq/irqdomain.c: irq_domain_alloc_irq_data() from irq_domain_alloc_irqs_locked()',
    description: 'the kzalloc of a parent level\'s irq_data fails (one call per parent level per irq, top-down): the data so far and the descriptors are freed, -ENOMEM',
  },
  {
    name: 'msi_setup_device_data',
    class: 'kmalloc',
    kernel: 'kernel/irq/msi.c: msi_setup_device_data() (devres_alloc)',
    description: 'devres_alloc() of the msi_device_data fails: -ENOMEM before any MSI state exists',
  },
  {
    name: 'devm_add_action',
    class: 'kmalloc',
    kernel: 'drivers/pci/msi/msi.c: pcim_setup_msi_release()',
    description: 'devm_add_action() of pcim_msi_release fails for a managed device: -ENOMEM, the MSI device data stays',
  },
  {
    name: 'msi_create_device_irq_domain',
    class: 'kmalloc',
    kernel: 'kernel/irq/msi.c: msi_create_device_irq_domain() (kmemdup of the template)',
    description: 'the kmemdup() of the domain template fails: no domain (the PCI layer returns -ENODEV)',
  },
  {
    name: 'irq_domain_alloc_named_fwnode',
    class: 'kmalloc',
    kernel: 'kernel/irq/msi.c: msi_create_device_irq_domain()',
    description: 'the named fwnode of a device domain cannot be allocated (domains without MSI_FLAG_USE_DEV_FWNODE): no domain',
  },
  {
    name: 'irq_domain_instantiate',
    class: 'kmalloc',
    kernel: 'kernel/irq/irqdomain.c: __irq_domain_instantiate() from __msi_create_irq_domain()',
    description: 'the kzalloc of the per-device irq_domain fails after init_dev_msi_info(): no domain',
  },
  {
    name: 'msix_map_region',
    class: 'kmalloc',
    kernel: 'drivers/pci/msi/msi.c: msix_capability_init() (ioremap of the MSI-X table)',
    description: 'ioremap() of the MSI-X table fails: MSI-X is disabled again and the call returns -ENOMEM',
  },
  {
    name: 'irq_create_affinity_masks',
    class: 'kmalloc',
    kernel: 'kernel/irq/affinity.c: irq_create_affinity_masks() from msi_capability_init() / msix_setup_interrupts()',
    description: 'the masks cannot be allocated: the vectors are allocated without affinity descriptors (not managed)',
  },
  {
    name: 'msi_alloc_desc',
    class: 'kmalloc',
    kernel: 'kernel/irq/msi.c: msi_alloc_desc() from msi_domain_insert_msi_desc(), msi_domain_add_simple_msi_descs() and __msi_domain_alloc_irq_at()',
    description: 'the kzalloc of an msi_desc (or the kmemdup of its affinity) fails: -ENOMEM',
  },
  {
    name: 'msi_insert_desc',
    class: 'kmalloc',
    kernel: 'kernel/irq/msi.c: msi_insert_desc() (xa_alloc / xa_insert)',
    description: 'the xarray cannot allocate a node for the descriptor: it is freed again, -ENOMEM',
  },
  {
    name: 'msi_sysfs_populate_desc',
    class: 'kmalloc',
    kernel: 'kernel/irq/msi.c: msi_sysfs_populate_desc() from __msi_domain_alloc_irqs() (MSI_FLAG_DEV_SYSFS)',
    description: 'the msi_irqs/ attributes of a descriptor cannot be allocated after its irqs are set up: -ENOMEM, the caller frees the whole range',
  },
  {
    name: 'request_threaded_irq',
    class: 'kmalloc',
    kernel: 'kernel/irq/manage.c: request_threaded_irq() (kzalloc of the irqaction)',
    description: 'the irqaction cannot be allocated: request_irq() returns -ENOMEM and nothing changes',
  },
];

/** None: Linux irq numbers do not run out with SPARSE_IRQ; the platforms' pools come on top. */
export const CORE_POOLS: readonly PoolSpec[] = [];
