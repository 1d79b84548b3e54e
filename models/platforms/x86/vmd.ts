// Intel Volume Management Device (drivers/pci/controller/vmd.c): a PCI endpoint that owns a PCI
// domain of its own (0x10000 and up) and remaps the MSI writes of the functions below it into
// its own MSI-X table. The driver allocates the VMD's MSI-X vectors through the x86 parent
// (vector domain, or interrupt remapping), requests vmd_irq() on each, and puts an irq domain
// above nothing: every child irq sits on one of the VMD's vectors (vmd_irq_list), whose handler
// calls generic_handle_irq() for each child irq on its list. A child's message only names the
// vector list (destination ID = list index); its data is ignored.
//
// Two shapes of the child domain: before d7d8ab87e3e7 (6.12) a global PCI/MSI domain
// "VMD-MSI" with vmd_msi_init() / vmd_msi_free() / vmd_msi_prepare() and the chip's
// irq_enable/irq_disable putting a child on its list; since (7.2) an MSI parent with
// vmd_msi_alloc() / vmd_msi_free() under per-device domains whose startup/shutdown do it.
//
// Bypass (both): a VMD whose device ID has VMD_FEAT_CAN_BYPASS_MSI_REMAP, bound where its
// MEMBARs need no guest offset (not passed through to a VM), sets VMCONFIG_MSI_REMAP instead:
// no VMD vectors, no VMD domain; the children's writes go upstream as the VMD's own (its
// requester ID) to the MSI domain of the VMD endpoint, which the VMD's root bus inherits.
import { PciDev } from '../../kernel/device';
import { EINVAL, ENODEV, ENOMEM } from '../../kernel/errno';
import { KObject } from '../../kernel/heap';
import { chipDataIdentity, type IrqChip, type IrqData, type IrqDomain, type IrqDomainOps, type MsiMsg } from '../../kernel/irqdomain';
import type { Kernel } from '../../kernel/kernel';
import { freeIrq, requestIrq } from '../../kernel/manage';
import type { MsiAllocInfo } from '../../kernel/msi-alloc-info';
import { msiCreateParentIrqDomain, msiLibInitDevMsiInfo, MATCH_PCI_MSI } from '../../kernel/msi-lib';
import {
  MSI_FLAG_NO_AFFINITY,
  MSI_FLAG_PCI_MSIX,
  MSI_FLAG_USE_DEF_CHIP_OPS,
  MSI_FLAG_USE_DEF_DOM_OPS,
  MSI_GENERIC_FLAGS_MASK,
  type MsiDomainInfo,
  type MsiParentOps,
} from '../../kernel/msi-types';
import { PCI_CLASS_STORAGE_EXPRESS } from '../../kernel/device';
import { PCI_IRQ_MSIX, pciAllocIrqVectors, pciFreeIrqVectors, pciIrqVector } from '../../kernel/pci-msi';
import { pciMsiCreateIrqDomain } from '../../kernel/pci-msi-global';
import { MsiAllocInfo as MsiAllocInfoClass } from '../../kernel/msi-alloc-info';

/** "PCI: vmd: Switch to msi_create_parent_irq_domain()" (v6.17). */
export const VMD_MSI_PARENT = 'd7d8ab87e3e7';
/** "PCI: vmd: Fix wrong kfree() in vmd_msi_free()" (v6.17). */
export const VMD_FIX_KFREE = 'd5c647b08ee0';
/** "PCI: vmd: Remove MSI-X check on child devices" (v6.17). */
export const VMD_NO_MSIX_CHECK = '5149bbb56bdc';
/** "PCI: vmd: Switch to pci_bus_find_emul_domain_nr()" (v6.18). */
export const VMD_EMUL_DOMAIN_NR = 'b37b6095a94e';

/** X86_MSI_BASE_ADDRESS_LOW: what vmd_compose_msi_msg() writes, the destination ID in bits 12-19. */
const X86_MSI_BASE_ADDRESS_LOW = 0xfee00000;

export interface VmdConfig {
  /** The VMD endpoint's requester ID in segment 0 (00:0e.0 on the platforms modelled). */
  readonly rid: number;
  /** Its MSI-X table size (pci_msix_vec_count()). */
  readonly msixCount: number;
  /** VMD_FEAT_OFFSET_FIRST_VECTOR (client parts): vector 0 is for software, not remapping. */
  readonly offsetFirstVector: boolean;
  /** What vmd_enable_domain() decides MSI remapping from (vmdProbe() may be given others). */
  readonly bypass: VmdBypassInputs;
}

/** The inputs of vmd_enable_domain()'s choice between remapping the children's MSIs and bypass. */
export interface VmdBypassInputs {
  /** VMD_FEAT_CAN_BYPASS_MSI_REMAP in the device ID's driver_data (28C0 parts). */
  readonly canBypassMsiRemap: boolean;
  /**
   * vmd_get_phys_offsets() found a MEMBAR offset (offset[0] || offset[1]): the shadow registers
   * give host addresses other than the guest's, i.e. the VMD is passed through to a VM, where
   * remapping must stay on.
   */
  readonly membarOffset: boolean;
}

/** struct vmd_irq_list: the child irqs one VMD vector demultiplexes to. */
export class VmdIrqList extends KObject {
  readonly kind = 'vmd_irq_list';
  /** irq_list: enabled children, in list_add_tail_rcu() order. */
  readonly irqList: VmdIrq[] = [];
  /** count (unsigned int): children assigned to the vector by vmd_next_irq(); decremented by every vmd_msi_free(). */
  count = 0;
  /** The VMD's own Linux irq for this vector. */
  virq = 0;
  /** Model bookkeeping, not kernel state: the child irqs whose vmd_irq points here (started or not). */
  readonly assigned = new Set<number>();
  constructor(readonly index: number) {
    super();
  }
}

/** struct vmd_irq: one child irq on a VMD vector. */
export class VmdIrq extends KObject {
  readonly kind = 'vmd_irq';
  enabled = false;
  constructor(
    readonly irq: VmdIrqList,
    readonly virq: number,
  ) {
    super();
  }
}

/** struct vmd_dev */
export class VmdDev extends KObject {
  readonly kind = 'vmd_dev';
  msixCount = 0;
  irqs: VmdIrqList[] = [];
  irqDomain: IrqDomain | null = null;
  /** sysdata.domain: the PCI domain of the VMD's root bus (-1 until set). */
  domainNr = -1;
  firstVec = 0;
  /** VMCONFIG_MSI_REMAP clear: child writes are remapped into the VMD's table. */
  msiRemapping = false;
  constructor(readonly dev: PciDev) {
    super();
  }
}

/** u32 arithmetic of vmd_irq_list::count. */
const u32 = (n: number): number => n >>> 0;

export class VmdDriver {
  vmd: VmdDev | null = null;
  /**
   * PCI_REG_VMCONFIG's VMCONFIG_MSI_REMAP bit, the endpoint's config space (outlives the driver):
   * set, the VMD passes its children's MSI writes upstream instead of remapping them.
   */
  vmconfigMsiRemapBypass = false;
  /** WARN_ON_ONCE() state of the MSI-X check in vmd_init_dev_msi_info() (d7d8ab87e3e7 until 5149bbb56bdc). */
  private warnedMsix = false;
  /** The VMD endpoint (a segment-0 PCI function the platform owns). */
  readonly endpoint: PciDev;

  constructor(
    private readonly k: Kernel,
    readonly config: VmdConfig,
    endpointParent: (dev: PciDev) => IrqDomain | null,
  ) {
    this.endpoint = k.heap.kmalloc(new PciDev('vmd0', config.rid, 0, config.msixCount, null, null), 'pci_setup_device');
    this.endpoint.msiParent = endpointParent(this.endpoint);
  }

  /**
   * The child domain a function of the VMD's PCI domain gets (dev_set_msi_domain() on the root
   * bus): the VMD's, or in bypass the VMD endpoint's own (dev_get_msi_domain(&vmd->dev->dev)).
   */
  childDomain(segment: number): IrqDomain | null {
    const vmd = this.vmd;
    if (vmd === null || vmd.domainNr !== segment) return null;
    return vmd.irqDomain ?? this.endpoint.msiParent;
  }

  /**
   * vmd_probe() -> vmd_enable_domain(): the VMD's own MSI-X vectors and their handlers
   * (vmd_alloc_irqs()), MSI remapping on, the child irq domain (vmd_create_irq_domain()), the
   * emulated PCI domain number. Returns 0 or a negative errno; on failure devres undoes the
   * vectors and handlers.
   */
  vmdProbe(inputs: VmdBypassInputs = this.config.bypass): number {
    const k = this.k;
    if (this.vmd !== null) return -EINVAL;
    const vmd = k.heap.kmalloc(new VmdDev(this.endpoint), 'vmd_probe');
    // VMD_FEAT_OFFSET_FIRST_VECTOR
    vmd.firstVec = this.config.offsetFirstVector ? 1 : 0;
    const err = this.vmdEnableDomain(vmd, inputs);
    if (err !== 0) {
      this.devresRelease(vmd);
      k.heap.kfree('vmd_probe', vmd);
      return err;
    }
    this.vmd = vmd;
    k.printk(`vmd 0000:${(this.config.rid >> 8).toString(16).padStart(2, '0')}:${((this.config.rid >> 3) & 0x1f).toString(16).padStart(2, '0')}.${this.config.rid & 7}: Bound to PCI domain ${vmd.domainNr.toString(16).padStart(4, '0')}`);
    return 0;
  }

  // vmd_enable_domain(): only the interrupt path (the resources, bus scan and resets are not
  // modelled). Remapping stays on without VMD_FEAT_CAN_BYPASS_MSI_REMAP or with a MEMBAR offset
  // (guest passthrough lacks the interrupt remapping plumbing); otherwise no VMD vectors and no
  // VMD domain: the root bus gets the VMD endpoint's MSI domain (dev_get_msi_domain()).
  private vmdEnableDomain(vmd: VmdDev, inputs: VmdBypassInputs): number {
    if (!inputs.canBypassMsiRemap || inputs.membarOffset) {
      let ret = this.vmdAllocIrqs(vmd);
      if (ret !== 0) return ret;
      this.vmdSetMsiRemapping(vmd, true);
      ret = this.vmdCreateIrqDomain(vmd);
      if (ret !== 0) return ret;
    } else {
      this.vmdSetMsiRemapping(vmd, false);
    }
    // Emulated domains start at 0x10000 to not clash with ACPI _SEG
    vmd.domainNr = this.k.applied(VMD_EMUL_DOMAIN_NR) ? this.pciBusFindEmulDomainNr() : this.vmdFindFreeDomain();
    return 0;
  }

  /** vmd_set_msi_remapping(): VMCONFIG_MSI_REMAP clear to remap, set to bypass. */
  private vmdSetMsiRemapping(vmd: VmdDev, enable: boolean): void {
    this.vmconfigMsiRemapBypass = !enable;
    vmd.msiRemapping = enable;
  }

  /** The VMD is bound with remapping bypassed: its children are on the VMD endpoint's MSI parent. */
  bypassed(): boolean {
    return this.vmd !== null && this.vmd.irqDomain === null && this.vmconfigMsiRemapBypass;
  }

  /** vmd_find_free_domain(): one above the highest PCI domain in use (segment 0 only here). */
  private vmdFindFreeDomain(): number {
    return 0xffff + 1;
  }

  /** pci_bus_find_emul_domain_nr(0, 0x10000, INT_MAX): the first free emulated domain number. */
  private pciBusFindEmulDomainNr(): number {
    return 0x10000;
  }

  /**
   * vmd_alloc_irqs(): pci_alloc_irq_vectors(first_vec + 1 .. msix_count, MSI-X) through the
   * x86 parent, then per vector an SRCU-protected list and devm_request_irq(vmd_irq).
   */
  private vmdAllocIrqs(vmd: VmdDev): number {
    const k = this.k;
    const dev = vmd.dev;
    vmd.msixCount = dev.msixTableSize > 0 ? dev.msixTableSize : -EINVAL;
    if (vmd.msixCount < 0) return -ENODEV;
    vmd.msixCount = pciAllocIrqVectors(k, dev, vmd.firstVec + 1, vmd.msixCount, PCI_IRQ_MSIX);
    if (vmd.msixCount < 0) return vmd.msixCount;
    // devm_kcalloc()
    if (k.faults.shouldFail('vmd_alloc_irqs')) return -ENOMEM;
    for (let i = 0; i < vmd.msixCount; i++) {
      const list = k.heap.kmalloc(new VmdIrqList(i), 'vmd_alloc_irqs');
      vmd.irqs.push(list);
      list.virq = pciIrqVector(dev, i);
      const err = requestIrq(k, list.virq, 'vmd0', { dev: dev.name, vec: i });
      if (err !== 0) return err;
    }
    return 0;
  }

  // The VMD driver's devres, last first: devm_request_irq()s, the vector lists, the vectors
  // (pcim_msi_release())
  private devresRelease(vmd: VmdDev): void {
    const k = this.k;
    for (let i = vmd.irqs.length - 1; i >= 0; i--) {
      const list = vmd.irqs[i] as VmdIrqList;
      const action = k.irqs.desc(list.virq)?.action ?? null;
      if (action !== null) freeIrq(k, list.virq, { dev: vmd.dev.name, vec: i }, 0);
    }
    for (const list of vmd.irqs) k.heap.kfree('devm_kcalloc', list);
    vmd.irqs = [];
    pciFreeIrqVectors(k, vmd.dev);
  }

  /**
   * vmd_remove() once pci_stop_root_bus() / pci_remove_root_bus() took the children away (the
   * harness unbinds and removes them first): the domain goes (vmd_remove_irq_domain()), then
   * devres frees the handlers, the lists and the VMD's vectors.
   */
  vmdRemove(): number {
    const k = this.k;
    const vmd = this.vmd;
    if (vmd === null) return -ENODEV;
    // vmd_cleanup_srcu(), vmd_remove_irq_domain(): a VMD without vectors (bypass) has
    // remapping restored for whoever binds it next (some BIOSes do not across soft reboots)
    if (vmd.msixCount === 0) this.vmdSetMsiRemapping(vmd, true);
    if (vmd.irqDomain !== null) k.irqs.removeDomain('vmd_remove_irq_domain', vmd.irqDomain);
    vmd.irqDomain = null;
    this.devresRelease(vmd);
    this.vmd = null;
    k.heap.kfree('vmd_remove', vmd);
    return 0;
  }

  // --- the child irq domain ---

  /** vmd_create_irq_domain(): the global VMD-MSI domain (6.12) or the VMD MSI parent (7.2). */
  private vmdCreateIrqDomain(vmd: VmdDev): number {
    const k = this.k;
    // irq_domain_alloc_named_id_fwnode()
    if (k.faults.shouldFail('vmd_create_irq_domain')) return -ENODEV;
    if (!k.applied(VMD_MSI_PARENT)) {
      const info: MsiDomainInfo = {
        flags: MSI_FLAG_USE_DEF_DOM_OPS | MSI_FLAG_USE_DEF_CHIP_OPS | MSI_FLAG_NO_AFFINITY | MSI_FLAG_PCI_MSIX,
        bus_token: 'ANY',
        hwsize: 0,
        ops: {
          get_hwirq: () => 0,
          msi_init: (kk, domain, dinfo, virq, _hwirq, arg) => this.vmdMsiInit(kk, domain, dinfo, virq, arg),
          msi_free: (kk, domain, _dinfo, virq) => this.vmdMsiFreeGlobal(kk, domain, virq),
          msi_prepare: (_kk, _domain, _dev, nvec, arg) => this.vmdMsiPrepare(vmd, nvec, arg),
          set_desc: (arg, desc) => {
            arg.desc = desc;
          },
        },
        chip: this.vmdMsiControllerGlobal(vmd),
        chip_data: null,
        data: vmd,
        alloc_data: null,
      };
      // pci_msi_create_irq_domain(fn, &vmd_msi_domain_info, NULL), then DOMAIN_BUS_VMD_MSI
      const d = pciMsiCreateIrqDomain(k, 'VMD-MSI', info, null);
      d.busToken = 'VMD_MSI';
      d.sharedHwirqs = true;
      d.hardwareId = chipDataIdentity;
      vmd.irqDomain = d;
      return 0;
    }
    const ops: IrqDomainOps = {
      alloc: (kk, d, virq, nr, arg) => this.vmdMsiAlloc(kk, d, vmd, virq, nr, arg as MsiAllocInfo),
      free: (kk, d, virq, nr) => this.vmdMsiFree(kk, d, virq, nr),
    };
    const d = msiCreateParentIrqDomain(k, 'VMD-MSI', null, ops, vmd, this.vmdMsiParentOps());
    // every child of a vector has that vector's irq as its hwirq
    d.sharedHwirqs = true;
    d.hardwareId = chipDataIdentity;
    vmd.irqDomain = d;
    return 0;
  }

  /**
   * vmd_next_irq(): an NVMe function's irqs are spread over the vectors after first_vec (the
   * least used one, count++); everything else shares the "slow" first_vec (no count++). A VMD
   * with a single usable vector puts everything there.
   */
  private vmdNextIrq(vmd: VmdDev, dev: PciDev): VmdIrqList {
    const slow = vmd.irqs[vmd.firstVec] as VmdIrqList;
    if (vmd.msixCount === 1 + vmd.firstVec) return slow;
    if (dev.classCode !== PCI_CLASS_STORAGE_EXPRESS) return slow;
    let best = vmd.firstVec + 1;
    for (let i = best; i < vmd.msixCount; i++) if ((vmd.irqs[i] as VmdIrqList).count < (vmd.irqs[best] as VmdIrqList).count) best = i;
    const list = vmd.irqs[best] as VmdIrqList;
    list.count = u32(list.count + 1);
    return list;
  }

  // vmd_msi_init() (6.12): a vmd_irq per irq, its vector's irq as hwirq
  private vmdMsiInit(k: Kernel, domain: IrqDomain, info: MsiDomainInfo, virq: number, arg: MsiAllocInfo): number {
    const desc = arg.desc;
    const dev = desc?.dev;
    const vmd = this.vmd;
    if (!(dev instanceof PciDev) || vmd === null) return -EINVAL;
    // kzalloc(GFP_KERNEL)
    if (k.faults.shouldFail('vmd_msi_alloc')) return -ENOMEM;
    const list = this.vmdNextIrq(vmd, dev);
    const vmdirq = k.heap.kmalloc(new VmdIrq(list, virq), 'vmd_msi_init');
    list.assigned.add(virq);
    // irq_domain_set_info(domain, virq, vmdirq->irq->virq, info->chip, vmdirq, handle_untracked_irq, vmd, NULL)
    k.irqs.setHwirqAndChip(domain, virq, list.virq, info.chip, vmdirq);
    return 0;
  }

  // vmd_msi_free() (6.12): irq_get_chip_data() is the VMD level's here (it is the top domain)
  private vmdMsiFreeGlobal(k: Kernel, _domain: IrqDomain, virq: number): void {
    const vmdirq = k.heap.deref('vmd_msi_free', k.irqs.desc(virq)?.irqData.chipData as VmdIrq | null, 'vmdirq');
    this.vmdIrqRelease(k, vmdirq);
  }

  // synchronize_srcu(&vmdirq->irq->srcu); vmdirq->irq->count--; kfree(vmdirq)
  private vmdIrqRelease(k: Kernel, vmdirq: VmdIrq): void {
    const list = k.heap.deref('vmd_msi_free', vmdirq.irq, 'vmdirq->irq');
    // synchronize_srcu(): no vmd_irq() walk of the list is in progress past this point (the
    // demultiplexer in vmd-fabric.ts drops what it held for this irq)
    this.srcuSynchronized?.(vmdirq);
    list.count = u32(list.count - 1);
    list.assigned.delete(vmdirq.virq);
    k.heap.kfree('vmd_msi_free', vmdirq);
  }

  /** Set by the fabric: what synchronize_srcu() waits for (its held interrupts of `vmdirq`). */
  srcuSynchronized: ((vmdirq: VmdIrq) => void) | null = null;

  // vmd_msi_prepare() (6.12): more irqs than the VMD has vectors -> retry with msix_count
  private vmdMsiPrepare(vmd: VmdDev, nvec: number, arg: MsiAllocInfo): number {
    if (nvec > vmd.msixCount) return vmd.msixCount;
    const zero = new MsiAllocInfoClass();
    arg.desc = zero.desc;
    arg.hwirq = 0;
    arg.flags = 0;
    return 0;
  }

  // vmd_msi_alloc() (7.2): kzalloc per irq, the vector list, irq_domain_set_info()
  private vmdMsiAlloc(k: Kernel, domain: IrqDomain, vmd: VmdDev, virq: number, nr: number, arg: MsiAllocInfo): number {
    const dev = arg.desc?.dev;
    if (!(dev instanceof PciDev)) return -EINVAL;
    for (let i = 0; i < nr; i++) {
      if (k.faults.shouldFail('vmd_msi_alloc')) {
        this.vmdMsiFree(k, domain, virq, i);
        return -ENOMEM;
      }
      const list = this.vmdNextIrq(vmd, dev);
      const vmdirq = k.heap.kmalloc(new VmdIrq(list, virq + i), 'vmd_msi_alloc');
      list.assigned.add(virq + i);
      k.irqs.setHwirqAndChip(domain, virq + i, list.virq, this.vmdMsiController(vmd), vmdirq);
    }
    return 0;
  }

  // vmd_msi_free() (7.2): the VMD level's chip_data (d5c647b08ee0); irq_get_chip_data(), the
  // top (per-device) level's, before
  private vmdMsiFree(k: Kernel, domain: IrqDomain, virq: number, nr: number): void {
    for (let i = 0; i < nr; i++) {
      const data = this.k.applied(VMD_FIX_KFREE) ? k.irqs.getIrqData(domain, virq + i) : (k.irqs.desc(virq + i)?.irqData ?? null);
      const vmdirq = k.heap.deref('vmd_msi_free', data?.chipData as VmdIrq | null, 'irq_data->chip_data');
      // a chip_data that is not a vmd_irq: kfree() of another level's object
      if (!(vmdirq instanceof VmdIrq)) {
        k.heap.kfree('vmd_msi_free', vmdirq);
        continue;
      }
      this.vmdIrqRelease(k, vmdirq);
    }
  }

  /** vmd_compose_msi_msg(): the x86 MSI address with the vector list's index as destination ID, data 0. */
  private vmdComposeMsiMsg(vmd: VmdDev, data: IrqData): MsiMsg {
    const vmdirq = this.k.heap.deref('vmd_compose_msi_msg', data.chipData as VmdIrq | null, 'vmdirq');
    const list = this.k.heap.deref('vmd_compose_msi_msg', vmdirq.irq, 'vmdirq->irq');
    void vmd;
    return { addressHi: 0, addressLo: (X86_MSI_BASE_ADDRESS_LOW | ((list.index & 0xff) << 12)) >>> 0, data: 0 };
  }

  /** vmd_irq_enable(): onto its vector's list (WARN if already there). */
  vmdIrqEnable(data: IrqData): void {
    const vmdirq = this.k.heap.deref('vmd_irq_enable', data.chipData as VmdIrq | null, 'vmdirq');
    if (vmdirq.enabled) this.k.warn('vmd_irq_enable', `irq ${data.irq}: already enabled`);
    vmdirq.irq.irqList.push(vmdirq);
    vmdirq.enabled = true;
    this.k.touchIrq(data.irq);
  }

  /** vmd_irq_disable(): off its vector's list. */
  vmdIrqDisable(data: IrqData): void {
    const vmdirq = this.k.heap.deref('vmd_irq_disable', data.chipData as VmdIrq | null, 'vmdirq');
    if (!vmdirq.enabled) return;
    const list = vmdirq.irq.irqList;
    list.splice(list.indexOf(vmdirq), 1);
    vmdirq.enabled = false;
    this.k.touchIrq(data.irq);
  }

  // vmd_msi_controller (6.12): compose, irq_enable / irq_disable (the core starts an irq with
  // irq_enable() when the chip has no irq_startup); mask/unmask come from
  // MSI_FLAG_USE_DEF_CHIP_OPS (pci_msi_mask_irq / pci_msi_unmask_irq)
  private vmdMsiControllerGlobal(vmd: VmdDev): IrqChip {
    return {
      name: 'VMD-MSI',
      composeMsiMsg: (_k, d) => this.vmdComposeMsiMsg(vmd, d),
      irqStartup: (kk, d) => {
        this.vmdIrqEnable(d);
        d.chip?.irqUnmask?.(kk, d);
      },
      irqShutdown: (kk, d) => {
        d.chip?.irqMask?.(kk, d);
        this.vmdIrqDisable(d);
      },
    };
  }

  // vmd_msi_controller (7.2): compose only; the per-device chip enables and disables
  private vmdMsiController(vmd: VmdDev): IrqChip {
    return { name: 'VMD-MSI', composeMsiMsg: (_k, d) => this.vmdComposeMsiMsg(vmd, d) };
  }

  /** VMD_MSI_FLAGS_SUPPORTED / _REQUIRED, vmd_init_dev_msi_info() */
  private vmdMsiParentOps(): MsiParentOps {
    return {
      supported_flags: MSI_GENERIC_FLAGS_MASK | MSI_FLAG_PCI_MSIX,
      required_flags: MSI_FLAG_USE_DEF_DOM_OPS | MSI_FLAG_NO_AFFINITY,
      bus_select_token: 'VMD_MSI',
      bus_select_mask: MATCH_PCI_MSI,
      prefix: 'VMD-',
      init_dev_msi_info: (kk, dev, domain, realParent, info) => {
        // "Intel VMD only supports MSIx Interrupts from child devices": the check until 5149bbb56bdc
        if (!kk.applied(VMD_NO_MSIX_CHECK) && info.bus_token !== 'PCI_DEVICE_MSIX') {
          if (!this.warnedMsix) kk.warn('vmd_init_dev_msi_info', `${dev.name}: WARN_ON_ONCE(info->bus_token != DOMAIN_BUS_PCI_DEVICE_MSIX)`);
          this.warnedMsix = true;
          return false;
        }
        if (!msiLibInitDevMsiInfo(kk, dev, domain, realParent, info)) return false;
        const base = info.chip;
        // vmd_pci_msi_startup() / vmd_pci_msi_shutdown(): the list, then the device's unmask;
        // the device's mask, then off the list
        info.chip = {
          ...base,
          irqStartup: (k2, d) => {
            if (d.parentData !== null) this.vmdIrqEnable(d.parentData);
            base.irqUnmask?.(k2, d);
          },
          irqShutdown: (k2, d) => {
            base.irqMask?.(k2, d);
            if (d.parentData !== null) this.vmdIrqDisable(d.parentData);
          },
        };
        return true;
      },
    };
  }

  // --- what the hardware does with a child's write ---

  /** The VMD vector list a child's write selects (destination ID bits), or why it goes nowhere. */
  remap(msg: MsiMsg): VmdIrqList | { readonly blocked: string } {
    const vmd = this.vmd;
    if (vmd === null) return { blocked: 'no VMD driver: the domain is gone' };
    if (this.vmconfigMsiRemapBypass) return { blocked: 'VMD MSI remapping is off (VMCONFIG_MSI_REMAP): the write goes upstream' };
    if ((msg.addressLo & 0xfff00000) >>> 0 !== X86_MSI_BASE_ADDRESS_LOW || msg.addressHi !== 0) return { blocked: `write to ${msg.addressHi.toString(16)}:${msg.addressLo.toString(16)} is not an MSI the VMD remaps` };
    const index = (msg.addressLo >>> 12) & 0xff;
    const list = vmd.irqs[index];
    if (list === undefined) return { blocked: `VMD has no MSI-X vector ${index}` };
    return list;
  }

  /** The VMD vector list whose own irq is `irq`, if any. */
  listOfIrq(irq: number): VmdIrqList | null {
    return this.vmd?.irqs.find((l) => l.virq === irq) ?? null;
  }
}
