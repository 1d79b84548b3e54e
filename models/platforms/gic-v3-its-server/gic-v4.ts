// drivers/irqchip/irq-gic-v4.c with KVM's side of it (arch/arm64/kvm/vgic/vgic-v4.c): a VM gets
// a vPE irq domain under the GIC (its_alloc_vcpu_irqs(): one vPE doorbell irq per vCPU, and on
// GICv4.1 with vSGIs a 16-SGI domain per vPE), KVM requests the doorbells (vgic_v4_init()), maps
// device MSIs it forwards to vLPIs (its_map_vlpi() through irq_set_vcpu_affinity()), and tears it
// all down again (vgic_v4_teardown() -> its_free_vcpu_irqs()).
import { EINVAL, ENOMEM } from '../../kernel/errno';
import type { IrqDomain, IrqDomainOps } from '../../kernel/irqdomain';
import type { Kernel } from '../../kernel/kernel';
import { FwnodeHandle, itsVlpiMap, itsVlpiUnmap, ItsVm, type GicV4, type ItsVpe, type VlpiMap } from './its-vpe';

/** its_sgi_domain_ops: 16 SGIs per vPE, no parent. */
const itsSgiDomainOps: IrqDomainOps = {
  /** its_sgi_irq_domain_alloc(): "Yes, we do want 16 SGIs" */
  alloc(k, domain, virq, nrIrqs, args) {
    if (nrIrqs !== 16) k.warn('its_sgi_irq_domain_alloc', `nr_irqs ${nrIrqs} != 16`);
    for (let i = 0; i < nrIrqs; i++) k.irqs.setHwirqAndChip(domain, virq + i, i, { name: 'GICv4.1-sgi' }, args);
    return 0;
  },
  free(k, domain, virq, nrIrqs) {
    for (let i = 0; i < nrIrqs; i++) {
      const d = k.irqs.getIrqData(domain, virq + i);
      if (d !== null) k.irqs.resetIrqData(d);
    }
  },
};

/** What irq-gic-v4.c reaches: the GIC domain (its_init_v4()) and the ITS vPE domain ops. */
export interface GicV4Env {
  readonly v4: GicV4;
  readonly gicDomain: IrqDomain;
  readonly vpeDomainOps: IrqDomainOps;
  /** has_v4_1_sgi(): GICv4.1 with vSGI support in the CPU interface. */
  readonly hasV41Sgi: boolean;
}

/** its_alloc_vcpu_sgis(): on v4.1 with vSGIs, a fwnode, a 16-entry SGI domain and its 16 irqs */
function itsAllocVcpuSgis(k: Kernel, env: GicV4Env, vpe: ItsVpe): number {
  if (!env.hasV41Sgi) return 0;
  // kasprintf() and irq_domain_alloc_named_id_fwnode()
  if (k.faults.shouldFail('its_alloc_vcpu_sgis')) return -ENOMEM;
  const fwnode = k.heap.kmalloc(new FwnodeHandle(), 'its_alloc_vcpu_sgis');
  const domain = k.irqs.createDomain(`GICv4-sgi-${vpe.vpeId}`, null, itsSgiDomainOps, vpe, 0, 'ANY');
  const base = k.irqs.allocIrqs(domain, 16, vpe);
  if (base <= 0) {
    // err: the domain and the fwnode go
    k.irqs.removeDomain('its_alloc_vcpu_sgis', domain);
    k.heap.kfree('irq_domain_free_fwnode', fwnode);
    return -ENOMEM;
  }
  vpe.sgiDomain = domain;
  vpe.sgiBase = base;
  vpe.fwnode = fwnode;
  return 0;
}

/** its_free_sgi_irqs() */
function itsFreeSgiIrqs(k: Kernel, env: GicV4Env, vm: ItsVm, nrVpes: number): void {
  if (!env.hasV41Sgi) return;
  for (let i = 0; i < nrVpes; i++) {
    const vpe = vm.vpes[i] as ItsVpe;
    const irq = vpe.sgiDomain === null ? 0 : k.irqs.findMapping(vpe.sgiDomain, 0);
    if (irq === 0) {
      k.warn('its_free_sgi_irqs', `vPE ${i} has no SGI 0`);
      continue;
    }
    k.irqs.freeIrqs('its_free_sgi_irqs', irq, 16);
    k.irqs.removeDomain('its_free_sgi_irqs', vpe.sgiDomain as IrqDomain);
    vpe.sgiDomain = null;
    k.heap.kfree('irq_domain_free_fwnode', vpe.fwnode);
    vpe.fwnode = null;
  }
}

/**
 * its_alloc_vcpu_irqs(): the vPE domain under the GIC domain, one irq per vPE, then each vPE's
 * SGIs. The error path removes the domain (and its fwnode) whatever it holds by then: irqs
 * allocated for the vPEs and the SGI domains of the vPEs done so far stay as they are
 */
export function itsAllocVcpuIrqs(k: Kernel, env: GicV4Env, vm: ItsVm): number {
  let err = false;
  if (k.faults.shouldFail('irq_domain_alloc_named_id_fwnode')) err = true;
  else {
    vm.fwnode = k.heap.kmalloc(new FwnodeHandle(), 'its_alloc_vcpu_irqs');
    vm.domain = k.irqs.createDomain(`GICv4-vpe-${vm.name}`, env.gicDomain, env.vpeDomainOps, vm, 0, 'ANY');
    for (const vpe of vm.vpes) vpe.vm = vm;
    const base = k.irqs.allocIrqs(vm.domain, vm.vpes.length, vm);
    if (base <= 0) err = true;
    else {
      for (let i = 0; i < vm.vpes.length && !err; i++) {
        const vpe = vm.vpes[i] as ItsVpe;
        vpe.irq = base + i;
        if (k.applied('msi-fuzz-vpe-alloc-unwind')) {
          if (itsAllocVcpuSgis(k, env, vpe) !== 0) {
            // msi-fuzz's proposal: undo what was allocated before removing the domain
            itsFreeSgiIrqs(k, env, vm, i);
            k.irqs.freeIrqs('its_alloc_vcpu_irqs', base, vm.vpes.length);
            err = true;
          }
        } else if (itsAllocVcpuSgis(k, env, vpe) !== 0) err = true;
      }
    }
  }
  if (!err) return 0;
  if (vm.domain !== null) k.irqs.removeDomain('its_alloc_vcpu_irqs', vm.domain);
  vm.domain = null;
  k.heap.kfree('irq_domain_free_fwnode', vm.fwnode);
  vm.fwnode = null;
  return -ENOMEM;
}

/** its_free_vcpu_irqs(): the SGIs, the first `nrVpes` vPE irqs, the domain and its fwnode */
export function itsFreeVcpuIrqs(k: Kernel, env: GicV4Env, vm: ItsVm, nrVpes: number): void {
  itsFreeSgiIrqs(k, env, vm, nrVpes);
  if (nrVpes > 0) k.irqs.freeIrqs('its_free_vcpu_irqs', (vm.vpes[0] as ItsVpe).irq, nrVpes);
  if (vm.domain !== null) k.irqs.removeDomain('its_free_vcpu_irqs', vm.domain);
  vm.domain = null;
  k.heap.kfree('irq_domain_free_fwnode', vm.fwnode);
  vm.fwnode = null;
}

/** KVM's GICv4 state of one VM: its its_vm and how many vPEs teardown will nuke. */
export interface KvmVgicV4 {
  readonly vm: ItsVm;
  nrVpes: number;
  /** Doorbell irqs requested (vgic_v4_request_vpe_irq()). */
  readonly requested: Set<number>;
}

/**
 * vgic_v4_init(): the vPEs' irqs, then each doorbell requested (activating it: VMAPP on every
 * ITS); a request that fails sets nr_vpes to the vCPUs done ("so we know how many to nuke on
 * teardown") and tears down
 */
export function vgicV4Init(k: Kernel, env: GicV4Env, name: string, nrVcpus: number): { ret: number; kvm: KvmVgicV4 | null } {
  if (k.faults.shouldFail('vgic_v4_init')) return { ret: -ENOMEM, kvm: null };
  const vm = k.heap.kmalloc(new ItsVm(name, nrVcpus), 'kvm_arch_alloc_vm');
  for (const vpe of vm.vpes) k.heap.kmalloc(vpe, 'kvm_vm_ioctl_create_vcpu');
  const kvm: KvmVgicV4 = { vm, nrVpes: nrVcpus, requested: new Set() };
  const ret = itsAllocVcpuIrqs(k, env, vm);
  if (ret < 0) {
    k.printk('kvm: VPE IRQ allocation failure');
    freeVm(k, vm);
    return { ret, kvm: null };
  }
  for (let i = 0; i < nrVcpus; i++) {
    const vpe = vm.vpes[i] as ItsVpe;
    // request_irq(): the irqaction (kzalloc) can fail; irq_activate() maps the vPE
    if (k.faults.shouldFail('vgic_v4_request_vpe_irq')) {
      k.printk(`kvm: failed to allocate vcpu IRQ${vpe.irq}`);
      // msi-fuzz's proposal: keep nr_vpes, and the teardown frees only the doorbells requested
      kvm.nrVpes = k.applied('msi-fuzz-vgic-v4-init-teardown') ? nrVcpus : i;
      vgicV4Teardown(k, env, kvm);
      return { ret: -ENOMEM, kvm: null };
    }
    const d = k.irqs.desc(vpe.irq)?.irqData;
    if (d !== undefined) k.irqs.activateIrq(d, false);
    kvm.requested.add(vpe.irq);
  }
  return { ret: 0, kvm };
}

/** KVM frees its vCPUs (the its_vpe is embedded in each) and the VM (kvm_arch_destroy_vm()). */
function freeVm(k: Kernel, vm: ItsVm): void {
  for (const vpe of vm.vpes) k.heap.kfree('kvm_vcpu_destroy', vpe);
  k.heap.kfree('kvm_destroy_vm', vm);
}

/**
 * vgic_v4_teardown(): free_irq() of each of nr_vpes doorbells (deactivating it), then
 * its_free_vcpu_irqs() for nr_vpes vPEs; KVM then frees its vCPUs and VM
 */
export function vgicV4Teardown(k: Kernel, env: GicV4Env, kvm: KvmVgicV4): void {
  for (let i = 0; i < kvm.nrVpes; i++) {
    const irq = (kvm.vm.vpes[i] as ItsVpe).irq;
    if (!kvm.requested.delete(irq)) continue;
    const d = k.irqs.desc(irq)?.irqData;
    if (d !== undefined) k.irqs.deactivateIrq(d);
  }
  itsFreeVcpuIrqs(k, env, kvm.vm, kvm.nrVpes);
  freeVm(k, kvm.vm);
}

/**
 * its_map_vlpi() -> irq_set_vcpu_affinity() -> its_irq_set_vcpu_affinity(MAP_VLPI): `itsLevel` is
 * the host irq's ITS level and `event` its EventID
 */
export function itsMapVlpi(k: Kernel, v4: GicV4, itsLevel: { d: import('../../kernel/irqdomain').IrqData; event: number } | null, map: VlpiMap): number {
  if (itsLevel === null) return -EINVAL;
  return itsVlpiMap(k, v4, itsLevel.d, itsLevel.event, map);
}

/** its_unmap_vlpi(): irq_set_vcpu_affinity(irq, NULL); a failure is a WARN_ON_ONCE */
export function itsUnmapVlpi(k: Kernel, v4: GicV4, itsLevel: { d: import('../../kernel/irqdomain').IrqData; event: number } | null): void {
  if (itsLevel === null || itsVlpiUnmap(k, v4, itsLevel.d, itsLevel.event) !== 0) k.warn('its_unmap_vlpi', 'irq_set_vcpu_affinity(irq, NULL) failed');
}
