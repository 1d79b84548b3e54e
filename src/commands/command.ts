// The command vocabulary: what a driver (or the machine around it) can do, named after the
// kernel API it calls. Commands are plain data so they print, parse, shrink and replay.

export type Command =
  | { readonly kind: 'pci_bridge_add'; readonly bridge: string; readonly rid: number }
  | {
      readonly kind: 'pci_device_add';
      readonly dev: string;
      readonly rid: number;
      readonly msi: number;
      readonly msix: number;
      /** pci_add_dma_alias(): a quirk alias to another RID (often function 0). */
      readonly alias?: number;
      /** Behind this PCIe-to-PCI bridge (its RID becomes the requester ID). */
      readonly bridge?: string;
      /** pci_domain_nr(): a PCI segment other than 0 (an emulated one: a VMD's domain). */
      readonly seg?: number;
      /** Class code PCI_CLASS_STORAGE_EXPRESS (an NVMe controller). */
      readonly nvme?: boolean;
    }
  | { readonly kind: 'platform_device_add'; readonly dev: string; readonly devid: number }
  | { readonly kind: 'pci_alloc_irq_vectors'; readonly dev: string; readonly min: number; readonly max: number; readonly flags: number }
  | { readonly kind: 'pci_free_irq_vectors'; readonly dev: string }
  | { readonly kind: 'pci_msix_alloc_irq_at'; readonly dev: string; readonly index: number | 'any' }
  | { readonly kind: 'pci_msix_free_irq'; readonly dev: string; readonly index: number }
  | { readonly kind: 'platform_device_msi_init_and_alloc_irqs'; readonly dev: string; readonly nvec: number }
  | { readonly kind: 'platform_device_msi_free_irqs_all'; readonly dev: string }
  | { readonly kind: 'device_release_driver'; readonly dev: string }
  | { readonly kind: 'device_del'; readonly dev: string }
  | { readonly kind: 'fail_next'; readonly site: string; readonly nth: number }
  /** A pool drained for the next command: all of it, or CPU `cpu`'s share of a per-CPU pool. */
  | { readonly kind: 'exhaust'; readonly pool: string; readonly cpu: number | null }
  // interrupt delivery (src/commands/vocabulary/delivery.ts)
  | { readonly kind: 'request_irq'; readonly dev: string; readonly vec: number }
  | { readonly kind: 'free_irq'; readonly dev: string; readonly vec: number }
  | { readonly kind: 'msi_raise'; readonly dev: string; readonly vec: number }
  | { readonly kind: 'cpu_handle_irq'; readonly cpu: number }
  | { readonly kind: 'cpu_irq_enter'; readonly cpu: number }
  | { readonly kind: 'cpu_irq_exit'; readonly cpu: number }
  | { readonly kind: 'vfio_pci_set_irqs_ioctl'; readonly dev: string; readonly count: number }
  | { readonly kind: 'pci_msix_mask'; readonly dev: string; readonly vec: number }
  | { readonly kind: 'pci_msix_unmask'; readonly dev: string; readonly vec: number }
  // powerpc (powernv): the non-MSI users of the OPAL IPI allocator
  | { readonly kind: 'kvm_xive_create'; readonly kvm: string }
  | { readonly kind: 'kvm_xive_set_source'; readonly kvm: string; readonly irq: number }
  | { readonly kind: 'kvm_xive_release'; readonly kvm: string }
  | { readonly kind: 'xive_native_alloc_irq'; readonly hw: string }
  | { readonly kind: 'xive_native_free_irq'; readonly hw: string }
  // x86 (src/commands/vocabulary/x86.ts)
  | { readonly kind: 'pci_enable_sriov'; readonly dev: string; readonly numVfs: number }
  | { readonly kind: 'pci_disable_sriov'; readonly dev: string }
  | { readonly kind: 'dmar_set_interrupt'; readonly unit: number }
  | { readonly kind: 'dmar_free_interrupt'; readonly unit: number }
  | { readonly kind: 'hpet_assign_irq'; readonly channel: number }
  | { readonly kind: 'hpet_free_irq'; readonly channel: number }
  | { readonly kind: 'acpi_register_gsi'; readonly gsi: number }
  | { readonly kind: 'acpi_unregister_gsi'; readonly gsi: number }
  | { readonly kind: 'pci_create_ims_domain'; readonly dev: string; readonly size: number }
  | { readonly kind: 'pci_ims_alloc_irq'; readonly dev: string }
  | { readonly kind: 'pci_ims_free_irq'; readonly dev: string; readonly index: number }
  | { readonly kind: 'vmd_remove' }
  /**
   * `canBypass`: VMD_FEAT_CAN_BYPASS_MSI_REMAP in the VMD's driver_data; `membarOffset`: its MEMBAR
   * shadow registers give a guest offset (passed through to a VM). Both unset: the boot VMD's.
   */
  | { readonly kind: 'vmd_probe'; readonly canBypass?: true; readonly membarOffset?: true }
  | { readonly kind: 'cpu_down'; readonly cpu: number }
  | { readonly kind: 'cpu_up'; readonly cpu: number }
  /** `target` is a device name, or `hpet` (vec = channel) / `dmar` (vec = unit) / `gsi` (vec = GSI) for the platform's own irqs. */
  | { readonly kind: 'irq_set_affinity'; readonly target: string; readonly vec: number; readonly cpus: number }
  | { readonly kind: 'generic_handle_irq'; readonly target: string; readonly vec: number }
  | { readonly kind: 'vector_cleanup_callback'; readonly cpu: number }
  // wire-to-MSI bridges (src/commands/vocabulary/wired.ts)
  | { readonly kind: 'wired_bridge_add'; readonly bridge: string }
  | { readonly kind: 'irq_create_fwspec_mapping'; readonly bridge: string; readonly hwirq: number; readonly type: number }
  | { readonly kind: 'irq_dispose_mapping'; readonly bridge: string; readonly hwirq: number }
  // RISC-V IMSIC (src/commands/vocabulary/riscv.ts)
  | { readonly kind: 'imsic_local_timer_callback'; readonly cpu: number }
  // KVM guests with GICv4.1 vPEs (src/commands/vocabulary/kvm.ts)
  | { readonly kind: 'vgic_v4_init'; readonly vm: string; readonly vcpus: number }
  | { readonly kind: 'kvm_vgic_v4_set_forwarding'; readonly dev: string; readonly vec: number; readonly vm: string; readonly vcpu: number }
  | { readonly kind: 'kvm_vgic_v4_unset_forwarding'; readonly dev: string; readonly vec: number }
  | { readonly kind: 'vgic_v4_teardown'; readonly vm: string };

export type CommandKind = Command['kind'];
export type CommandOf<K extends CommandKind> = Extract<Command, { kind: K }>;

/** What a command returned, as the driver sees it (for annotation and the outcome check). */
export interface Outcome {
  /** The API's return value (vector count, errno, MSI index), or null for void APIs. */
  readonly ret: number | null;
  /** The Linux irq for APIs that hand one back (pci_msix_alloc_irq_at). */
  readonly virq?: number;
  /**
   * irq_set_affinity: the CPU /proc/irq/N/effective_affinity named before the write and the one
   * it names after (-1: none), as an admin reads them.
   */
  readonly moved?: readonly [number, number];
}

export const PCI_IRQ_MSI = 1 << 1;
export const PCI_IRQ_MSIX = 1 << 2;
/** Managed vectors spread over the CPUs (irq_create_affinity_masks). */
export const PCI_IRQ_AFFINITY = 1 << 3;
