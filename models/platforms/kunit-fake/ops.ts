// The op vocabulary of the KUnit differential: direct calls of the core's device-MSI API, the
// same set kunit/mf_ops.c implements in C. Ops are data, so they generate, print, parse,
// shrink, encode for the kernel command line and export to KUnit C.

/** The fake parents, in the order of enum mf_contract (kunit/mf.h). */
export const PARENTS = ['its', 'its-early', 'ps', 'ps-early'] as const;
export type ParentName = (typeof PARENTS)[number];

/** dev0..dev15 (MF_MAX_DEVS). */
export const MAX_DEVS = 16;

export type KernelOp =
  | { readonly op: 'dev_add'; readonly dev: number; readonly bus: 'kunit' | 'platform'; readonly parent: ParentName }
  | { readonly op: 'dev_del'; readonly dev: number }
  | { readonly op: 'msi_create_device_irq_domain'; readonly dev: number; readonly domid: number; readonly hwsize: number }
  | { readonly op: 'msi_remove_device_irq_domain'; readonly dev: number; readonly domid: number }
  | { readonly op: 'msi_domain_alloc_irqs_range'; readonly dev: number; readonly domid: number; readonly first: number; readonly last: number }
  | { readonly op: 'msi_domain_free_irqs_range'; readonly dev: number; readonly domid: number; readonly first: number; readonly last: number }
  | { readonly op: 'msi_domain_alloc_irq_at'; readonly dev: number; readonly domid: number; readonly index: number | 'any' }
  | { readonly op: 'msi_domain_free_irqs_all'; readonly dev: number; readonly domid: number }
  | { readonly op: 'platform_device_msi_init_and_alloc_irqs'; readonly dev: number; readonly nvec: number }
  | { readonly op: 'platform_device_msi_free_irqs_all'; readonly dev: number }
  // A fake PCI function (kunit/mf_pci.c; kernels whose UML has in-kernel virtual PCI devices)
  | { readonly op: 'pci_dev_add'; readonly dev: number; readonly msi: number; readonly msix: number; readonly parent: ParentName }
  | { readonly op: 'pci_alloc_irq_vectors'; readonly dev: number; readonly min: number; readonly max: number; readonly flags: number }
  | { readonly op: 'pci_free_irq_vectors'; readonly dev: number }
  | { readonly op: 'pci_msix_alloc_irq_at'; readonly dev: number; readonly index: number | 'any' }
  | { readonly op: 'pci_msix_free_irq'; readonly dev: number; readonly index: number };

/** PCI_IRQ_MSI, PCI_IRQ_MSIX (include/linux/pci.h). */
export const PCI_IRQ_MSI = 1 << 1;
export const PCI_IRQ_MSIX = 1 << 2;

/** pci_alloc_irq_vectors() flags as the trace prints them: MSIX, MSI or MSIX|MSI. */
export function pciFlagsText(flags: number): string {
  const msix = (flags & PCI_IRQ_MSIX) !== 0;
  const msi = (flags & PCI_IRQ_MSI) !== 0;
  return `${msix ? 'MSIX' : ''}${msix && msi ? '|' : ''}${msi ? 'MSI' : ''}`;
}

export type KernelOpName = KernelOp['op'];

/** The op as its trace line prints it (after "> "): the C and the model print exactly this. */
export function opTraceText(o: KernelOp): string {
  switch (o.op) {
    case 'dev_add':
      return `dev_add dev${o.dev} ${o.bus} ${o.parent}`;
    case 'dev_del':
      return `dev_del dev${o.dev}`;
    case 'msi_create_device_irq_domain':
      return `${o.op} dev${o.dev} ${o.domid} hwsize=${o.hwsize}`;
    case 'msi_remove_device_irq_domain':
    case 'msi_domain_free_irqs_all':
      return `${o.op} dev${o.dev} ${o.domid}`;
    case 'msi_domain_alloc_irqs_range':
    case 'msi_domain_free_irqs_range':
      return `${o.op} dev${o.dev} ${o.domid} ${o.first} ${o.last}`;
    case 'msi_domain_alloc_irq_at':
      return `${o.op} dev${o.dev} ${o.domid} ${o.index}`;
    case 'platform_device_msi_init_and_alloc_irqs':
      return `${o.op} dev${o.dev} ${o.nvec}`;
    case 'platform_device_msi_free_irqs_all':
    case 'pci_free_irq_vectors':
      return `${o.op} dev${o.dev}`;
    case 'pci_dev_add':
      return `${o.op} dev${o.dev} msi=${o.msi} msix=${o.msix} ${o.parent}`;
    case 'pci_alloc_irq_vectors':
      return `${o.op} dev${o.dev} ${o.min} ${o.max} ${pciFlagsText(o.flags)}`;
    case 'pci_msix_alloc_irq_at':
    case 'pci_msix_free_irq':
      return `${o.op} dev${o.dev} ${o.index}`;
  }
}

/** Ops on a PCI function (the others are for kunit and platform devices). */
export function isPciOp(o: KernelOp): boolean {
  return o.op.startsWith('pci_');
}
