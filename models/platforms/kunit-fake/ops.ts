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
  | { readonly op: 'platform_device_msi_free_irqs_all'; readonly dev: number };

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
      return `${o.op} dev${o.dev}`;
  }
}
