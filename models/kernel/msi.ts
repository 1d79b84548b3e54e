// kernel/irq/msi.c: per-device MSI domains, descriptor management, and the allocation and
// free paths, at every revision the core patches describe. Comments name the C function
// each piece follows; `k.applied(...)` marks where a commit changed the code.
import type { Device } from './device';
import { MsiDeviceData, type MsiDomainSlot } from './device';
import { EBUSY, EEXIST, EINVAL, ENODEV, ENOMEM, ENOSPC, ERANGE } from './errno';
import { KObject } from './heap';
import {
  IRQ_DOMAIN_FLAG_MSI,
  IRQ_DOMAIN_FLAG_MSI_DEVICE,
  IRQ_DOMAIN_FREE_BULK,
  IrqFwnode,
  type IrqChip,
  type IrqData,
  type IrqDomain,
  type IrqDomainOps,
} from './irqdomain';
import type { Kernel } from './kernel';
import { MsiAllocInfo } from './msi-alloc-info';
import { MSI_ANY_INDEX, MSI_DEFAULT_DOMAIN as MSI_DEFAULT_DOMAIN_ID, MSI_MAX_DEVICE_IRQDOMAINS, MSI_MAX_INDEX, MsiDesc } from './msi-desc';
import {
  hasFlag,
  MSI_FLAG_ACTIVATE_EARLY,
  MSI_FLAG_ALLOC_SIMPLE_MSI_DESCS,
  MSI_FLAG_DEV_SYSFS,
  MSI_FLAG_FREE_MSI_DESCS,
  MSI_FLAG_USE_DEV_FWNODE,
  MSI_FLAG_USE_DEF_DOM_OPS,
  type MsiDomainInfo,
  type MsiDomainOps,
  type MsiDomainTemplate,
  type MsiParentOps,
} from './msi-types';
import { KernelOops } from './report';

/** The kmemdup()ed template a per-device domain lives in, plus what the model counts about it. */
export class MsiDomainBundle extends KObject {
  readonly kind = 'msi_domain_template';
  readonly alloc_info = new MsiAllocInfo();
  domain: IrqDomain | null = null;
  /** msi_prepare() calls that filled this bundle's alloc_info (the template). */
  templatePrepares = 0;
  templatePrepareFailed = false;
  /** msi_teardown() calls made for this domain. */
  teardowns = 0;
  removed = false;

  constructor(
    readonly name: string,
    readonly dev: Device,
    readonly domid: number,
    readonly chip: IrqChip,
    readonly ops: MsiDomainOps,
    readonly info: MsiDomainInfo,
  ) {
    super();
  }
}

/** struct msi_ctrl */
interface MsiCtrl {
  domid: number;
  first: number;
  last: number;
  nirqs: number;
}

// --- default domain ops (msi_domain_ops_default) ---

const msiDomainOpsDefault: Required<Pick<MsiDomainOps, 'get_hwirq' | 'msi_init' | 'msi_prepare' | 'msi_teardown' | 'set_desc'>> = {
  // msi_domain_ops_get_hwirq()
  get_hwirq: (_info, arg) => arg.hwirq,
  // msi_domain_ops_init()
  msi_init: (k, domain, info, virq, hwirq) => {
    k.irqs.setHwirqAndChip(domain, virq, hwirq, info.chip, info.chip_data);
    return 0;
  },
  // msi_domain_ops_prepare(): zero the allocation info
  msi_prepare: (_k, _domain, _dev, _nvec, arg) => {
    const zero = new MsiAllocInfo();
    arg.desc = zero.desc;
    arg.hwirq = 0;
    arg.flags = 0;
    arg.scratchpad[0].copyFrom(zero.scratchpad[0]);
    arg.scratchpad[1].copyFrom(zero.scratchpad[1]);
    return 0;
  },
  // msi_domain_ops_teardown(): nothing to undo
  msi_teardown: () => undefined,
  // msi_domain_ops_set_desc()
  set_desc: (arg, desc) => {
    arg.desc = desc;
  },
};

// msi_domain_update_dom_ops(): MSI_FLAG_USE_DEF_DOM_OPS fills the slots a domain left empty
export function msiDomainUpdateDomOps(k: Kernel, info: MsiDomainInfo): void {
  const ops = info.ops;
  ops.get_hwirq ??= msiDomainOpsDefault.get_hwirq;
  ops.msi_init ??= msiDomainOpsDefault.msi_init;
  ops.msi_prepare ??= msiDomainOpsDefault.msi_prepare;
  if (k.applied('28026cf2dd84')) ops.msi_teardown ??= msiDomainOpsDefault.msi_teardown;
  ops.set_desc ??= msiDomainOpsDefault.set_desc;
}

/** Calls a mandatory member of msi_domain_ops; the C code jumps through it unchecked. */
function mustHave<F>(site: string, fn: F | undefined, name: string): F {
  if (fn === undefined) throw new KernelOops(site, `call through NULL msi_domain_ops::${name} (RIP: 0000000000000000)`);
  return fn;
}

// --- the irq_domain_ops of every MSI domain (msi_domain_ops) ---

export const msiIrqDomainOps: IrqDomainOps = {
  // msi_domain_alloc(): parent first, then per-irq msi_init; undo on failure
  alloc(k, domain, virq, nrIrqs, argUnknown) {
    const info = domain.hostData as MsiDomainInfo;
    const arg = argUnknown as MsiAllocInfo;
    const hwirq = mustHave('msi_domain_alloc', info.ops.get_hwirq, 'get_hwirq')(info, arg);
    if (k.irqs.findMapping(domain, hwirq) > 0) return -EEXIST;
    if (domain.parent !== null) {
      const ret = k.irqs.allocIrqsParent(domain, virq, nrIrqs, arg);
      if (ret < 0) return ret;
    }
    const init = mustHave('msi_domain_alloc', info.ops.msi_init, 'msi_init');
    for (let i = 0; i < nrIrqs; i++) {
      const ret = init(k, domain, info, virq + i, hwirq + i, arg);
      if (ret < 0) {
        if (info.ops.msi_free !== undefined) for (i--; i >= 0; i--) info.ops.msi_free(k, domain, info, virq + i);
        irqDomainFreeIrqsTop(k, domain, virq, nrIrqs);
        return ret;
      }
    }
    return 0;
  },
  // msi_domain_free()
  free(k, domain, virq, nrIrqs) {
    const info = domain.hostData as MsiDomainInfo;
    if (info.ops.msi_free !== undefined) for (let i = 0; i < nrIrqs; i++) info.ops.msi_free(k, domain, info, virq + i);
    irqDomainFreeIrqsTop(k, domain, virq, nrIrqs);
  },
  // msi_domain_activate(): compose at the level that owns the doorbell, write to the device
  activate(k, _domain, data) {
    writeComposedMsg(k, data);
    return 0;
  },
  // msi_domain_deactivate(): write an all-zero message
  deactivate(k, _domain, data) {
    data.chip?.writeMsiMsg?.(k, data, { addressHi: 0, addressLo: 0, data: 0 });
  },
};

function writeComposedMsg(k: Kernel, data: IrqData): void {
  const composed = k.irqs.composeMsiMsg(data);
  if (composed === null) return;
  data.chip?.writeMsiMsg?.(k, data, composed.msg);
}

// irq_domain_free_irqs_top(): reset this level, free the parents
function irqDomainFreeIrqsTop(k: Kernel, domain: IrqDomain, virq: number, nrIrqs: number): void {
  for (let i = 0; i < nrIrqs; i++) {
    const data = k.irqs.getIrqData(domain, virq + i);
    if (data !== null) k.irqs.resetIrqData(data);
  }
  k.irqs.freeIrqsParent(domain, virq, nrIrqs);
}

// --- device data and per-device domains ---

/**
 * MSI_MAX_DEVICE_IRQDOMAINS of this kernel: 2 while enum msi_domain_ids had MSI_SECONDARY_DOMAIN
 * (e23d4192bf9b in v6.2 until its revert 8a1940bca94b in v6.10), 1 before and after.
 */
export function msiMaxDeviceIrqdomains(k: Kernel): 1 | 2 {
  return k.applied('e23d4192bf9b') && !k.applied('8a1940bca94b') ? 2 : MSI_MAX_DEVICE_IRQDOMAINS;
}

// msi_setup_device_data(): devres-managed msi_device_data, released on unbind
export function msiSetupDeviceData(k: Kernel, dev: Device): number {
  if (dev.msiData !== null) return 0;
  if (k.faults.shouldFail('msi_setup_device_data')) return -ENOMEM;
  const md = k.heap.kmalloc(new MsiDeviceData(msiMaxDeviceIrqdomains(k)), 'msi_setup_device_data');
  k.touchDevice(dev);
  // A global MSI domain (not an MSI parent) goes into the default slot, so all code can work
  // on domain ids
  if (dev.msiParent !== null && !dev.msiParent.isMsiParent()) md.domains[MSI_DEFAULT_DOMAIN_ID].domain = dev.msiParent;
  dev.msiData = md;
  dev.devres.push({
    name: 'msi_device_data_release',
    // msi_device_data_release(): remove both device domains, then free the data
    release: () => {
      for (let domid = 0; domid < md.domains.length; domid++) {
        msiRemoveDeviceIrqDomain(k, dev, domid);
        const slot = md.domains[domid] as MsiDomainSlot;
        if (slot.store.size > 0) k.warn('msi_device_data_release', `${dev.name}: ${slot.store.size} MSI descriptors left in domain ${domid}`);
      }
      k.touchDevice(dev);
      dev.msiData = null;
      k.heap.kfree('msi_device_data_release', md);
    },
  });
  return 0;
}

function slotOf(dev: Device, domid: number): MsiDomainSlot | null {
  if (dev.msiData === null || domid < 0) return null;
  return dev.msiData.domains[domid] ?? null;
}

/** The domain in a device's slot, without the core's checks (for callers outside kernel/irq). */
export function msiGetDeviceDomain(dev: Device, domid: number): IrqDomain | null {
  return slotOf(dev, domid)?.domain ?? null;
}

// msi_get_device_domain(): warns about a domain id the core does not have, and about an MSI
// parent found where a device domain belongs. (Both are WARN_ON_ONCE(); the second is named
// `@parent` so the two warn once each, as two statements do.)
function getDeviceDomain(k: Kernel, dev: Device, domid: number): IrqDomain | null {
  if (domid >= msiMaxDeviceIrqdomains(k)) {
    k.warn('msi_get_device_domain', `${dev.name}: domain id ${domid} >= MSI_MAX_DEVICE_IRQDOMAINS`);
    return null;
  }
  const domain = msiGetDeviceDomain(dev, domid);
  if (domain === null) return null;
  if (domain.isMsiParent()) {
    k.warn('msi_get_device_domain@parent', `${dev.name}: domain ${domid} is an MSI parent`);
    return null;
  }
  return domain;
}

// msi_domain_prepare_irqs(): optional msi_check, then msi_prepare
function msiDomainPrepareIrqs(k: Kernel, domain: IrqDomain, dev: Device, nvec: number, arg: MsiAllocInfo): number {
  const info = domain.hostData as MsiDomainInfo;
  return mustHave('msi_domain_prepare_irqs', info.ops.msi_prepare, 'msi_prepare')(k, domain, dev, nvec, arg);
}

// msi_create_device_irq_domain(): the checks, the template copy (kmemdup) and its one
// unwind: whatever fails after the copy frees it, as the C code's __free(kfree) does
export function msiCreateDeviceIrqDomain(
  k: Kernel,
  dev: Device,
  domid: number,
  template: MsiDomainTemplate,
  hwsize: number,
  domainData: unknown,
  chipData: unknown,
): boolean {
  const parent = dev.msiParent;
  if (parent === null || !parent.isMsiParent()) return false;
  const pops = parent.msiParentOps;
  if (pops === null) return false;
  if (domid >= msiMaxDeviceIrqdomains(k)) return false;

  // kmemdup() of the template: the domain gets its own copy of ops, chip and info
  if (k.faults.shouldFail('msi_create_device_irq_domain')) return false;
  const ops: MsiDomainOps = { ...template.ops };
  const chip: IrqChip = { ...template.chip };
  const info: MsiDomainInfo = {
    ...template.info,
    hwsize,
    ops,
    chip,
    chip_data: chipData,
    data: domainData,
    alloc_data: null,
  };
  const name = `${pops.prefix}${template.name}-${dev.name}`;
  const bundle = k.heap.kmalloc(new MsiDomainBundle(name, dev, domid, chip, ops, info), 'msi_create_device_irq_domain');
  // the kmemdup()ed template's alloc_info, which prepare then fills
  bundle.alloc_info.flags = template.allocInfoFlags ?? 0;
  if (k.applied('1396e89e09f0')) info.alloc_data = bundle.alloc_info;
  if (installDeviceDomain(k, dev, domid, parent, pops, bundle, hwsize)) return true;
  k.heap.kfree('msi_create_device_irq_domain', bundle);
  return false;
}

/**
 * The rest of msi_create_device_irq_domain(), from the fwnode on; false: nothing installed (the
 * caller's __free(kfree) drops the bundle, __free(irq_domain_free_fwnode) the fwnode).
 */
function installDeviceDomain(k: Kernel, dev: Device, domid: number, parent: IrqDomain, pops: MsiParentOps, bundle: MsiDomainBundle, hwsize: number): boolean {
  const info = bundle.info;
  // irq_domain_alloc_named_fwnode() unless the domain uses the device's fwnode
  // Wire-to-MSI domains use the device's fwnode; every other device domain gets a named one
  let fwnode: IrqFwnode | null = null;
  if (!hasFlag(info.flags, MSI_FLAG_USE_DEV_FWNODE)) {
    if (k.faults.shouldFail('irq_domain_alloc_named_fwnode')) return false;
    fwnode = k.heap.kmalloc(new IrqFwnode(bundle.name), 'irq_domain_alloc_named_fwnode');
  }
  // __free(irq_domain_free_fwnode) on every failure from here on
  const fail = (): false => {
    k.heap.kfree('irq_domain_free_fwnode', fwnode);
    return false;
  };
  if (msiSetupDeviceData(k, dev) !== 0) return fail();
  const slot = slotOf(dev, domid) as MsiDomainSlot;
  if (getDeviceDomain(k, dev, domid) !== null) {
    k.warn('msi_create_device_irq_domain', `${dev.name}: MSI domain slot ${domid} already occupied`);
    return fail();
  }
  if (!pops.init_dev_msi_info(k, dev, parent, parent, info)) return fail();
  // __msi_create_irq_domain(): the size check comes after the parent had its say; hwsize 0
  // grants the whole index space
  if (info.hwsize > MSI_MAX_INDEX + 1) return fail();
  if (info.hwsize === 0) info.hwsize = MSI_MAX_INDEX + 1;
  // irq_domain_create_hierarchy(): the kzalloc of the domain
  if (k.faults.shouldFail('irq_domain_instantiate')) return fail();
  // With the bulk-free proposal a parent that frees in bulk makes its device domains do so too,
  // so a range reaches it in one ->free() call.
  const bulk = k.applied('87350178tl') ? parent.flags & IRQ_DOMAIN_FREE_BULK : 0;
  const domain = msiCreateIrqDomain(k, bundle.name, info, IRQ_DOMAIN_FLAG_MSI_DEVICE | bulk, parent);
  domain.dev = dev;
  domain.fwnode = fwnode;
  bundle.domain = domain;
  k.touchDevice(dev);
  slot.domain = domain;

  if (k.applied('1396e89e09f0')) {
    // Prepared once into the template every allocation copies, with the caller's hwsize
    // (0 when the caller asked for the whole index space)
    bundle.templatePrepares += 1;
    k.dirty.objects.add(bundle);
    if (msiDomainPrepareIrqs(k, domain, dev, hwsize, bundle.alloc_info) !== 0) {
      bundle.templatePrepareFailed = true;
      slot.domain = null;
      k.irqs.removeDomain('msi_create_device_irq_domain', domain);
      return fail();
    }
  }
  k.msiDomains.add(bundle);
  return true;
}

// msi_create_irq_domain() / __msi_create_irq_domain()
export function msiCreateIrqDomain(k: Kernel, name: string, info: MsiDomainInfo, flags: number, parent: IrqDomain | null): IrqDomain {
  // Hardware size 0: a domain not backed by a hardware table gets the whole index space
  if (info.hwsize === 0) info.hwsize = MSI_MAX_INDEX + 1;
  if (hasFlag(info.flags, MSI_FLAG_USE_DEF_DOM_OPS)) msiDomainUpdateDomOps(k, info);
  return k.irqs.createDomain(name, parent, msiIrqDomainOps, info, flags | IRQ_DOMAIN_FLAG_MSI, info.bus_token);
}

// msi_remove_device_irq_domain()
export function msiRemoveDeviceIrqDomain(k: Kernel, dev: Device, domid: number): void {
  if (dev.msiData === null) return;
  const domain = getDeviceDomain(k, dev, domid);
  const slot = slotOf(dev, domid);
  if (slot === null || domain === null || !domain.isMsiDevice()) return;
  k.touchDevice(dev);
  slot.domain = null;
  const bundle = bundleOf(k, domain);
  const info = domain.hostData as MsiDomainInfo;
  if (k.applied('03c298760ed9')) {
    if (bundle !== null) {
      bundle.teardowns += 1;
      k.dirty.objects.add(bundle);
    }
    mustHave('msi_remove_device_irq_domain', info.ops.msi_teardown, 'msi_teardown')(k, domain, info.alloc_data);
  }
  const fwnode = domain.fwnode;
  k.irqs.removeDomain('msi_remove_device_irq_domain', domain);
  k.heap.kfree('irq_domain_free_fwnode', fwnode);
  if (bundle !== null) {
    bundle.removed = true;
    k.msiDomains.delete(bundle);
    k.retiredMsiDomains.push(bundle);
    k.heap.kfree('msi_remove_device_irq_domain', bundle);
  }
}

function bundleOf(k: Kernel, domain: IrqDomain): MsiDomainBundle | null {
  for (const b of k.msiDomains) if (b.domain === domain) return b;
  return null;
}

/** msi_domain_get_hwsize(): the installed domain's size, else the whole index space. */
export function msiDomainGetHwsize(k: Kernel, dev: Device, domid: number): number {
  const domain = getDeviceDomain(k, dev, domid);
  if (domain === null) return MSI_MAX_INDEX + 1;
  return (domain.hostData as MsiDomainInfo).hwsize;
}

// --- descriptors ---

/** The descriptor store of a device domain (an xarray keyed by msi_index). */
export function msiStore(dev: Device, domid: number): Map<number, MsiDesc> | null {
  return slotOf(dev, domid)?.store ?? null;
}

/** msi_alloc_desc(): a descriptor for `nvecUsed` irqs of `dev`. */
export function msiAllocDesc(k: Kernel, dev: Device, nvecUsed: number, isMsix: boolean): MsiDesc {
  return k.heap.kmalloc(new MsiDesc(dev, nvecUsed, isMsix), 'msi_alloc_desc');
}

// msi_insert_desc(): MSI_ANY_INDEX takes the first free index below hwsize (xa_alloc, -EBUSY
// when none is free), else xa_insert (-EBUSY when taken); either can fail to allocate an
// xarray node (-ENOMEM). On any failure the descriptor is freed (msi_free_desc).
export function msiInsertDesc(k: Kernel, dev: Device, desc: MsiDesc, domid: number, index: number): number {
  const ret = msiInsertDescInner(k, dev, desc, domid, index);
  if (ret !== 0) k.heap.kfree('msi_free_desc', desc);
  return ret;
}

function msiInsertDescInner(k: Kernel, dev: Device, desc: MsiDesc, domid: number, index: number): number {
  const store = msiStore(dev, domid);
  if (store === null) return -ENODEV;
  k.touchDevice(dev);
  const hwsize = msiDomainGetHwsize(k, dev, domid);
  if (index === MSI_ANY_INDEX) {
    for (let i = 0; i < hwsize; i++) {
      if (!store.has(i)) {
        if (k.faults.shouldFail('msi_insert_desc')) return -ENOMEM;
        desc.msiIndex = i;
        store.set(i, desc);
        return 0;
      }
    }
    return -EBUSY;
  }
  if (index >= hwsize) return -ERANGE;
  if (store.has(index)) return -EBUSY;
  if (k.faults.shouldFail('msi_insert_desc')) return -ENOMEM;
  desc.msiIndex = index;
  store.set(index, desc);
  return 0;
}

// msi_domain_insert_msi_desc(): msi_alloc_desc() (a copy of the caller's template), then
// msi_insert_desc() at the template's index
export function msiDomainInsertMsiDesc(k: Kernel, dev: Device, domid: number, desc: MsiDesc, index: number): number {
  if (k.faults.shouldFail('msi_alloc_desc')) return -ENOMEM;
  return msiInsertDesc(k, dev, k.heap.kmalloc(desc, 'msi_alloc_desc'), domid, index);
}

// msi_domain_alloc_simple_msi_descs() / msi_domain_add_simple_msi_descs(): one descriptor per
// index of the range (msi_alloc_desc() can fail: -ENOMEM); an index already taken fails the
// insert (-EBUSY), and the whole range's descriptors are freed again, those of other
// allocations included
function msiDomainAllocSimpleMsiDescs(k: Kernel, dev: Device, info: MsiDomainInfo, ctrl: MsiCtrl): number {
  if (!hasFlag(info.flags, MSI_FLAG_ALLOC_SIMPLE_MSI_DESCS)) return 0;
  if (!msiCtrlValid(k, dev, ctrl)) return -EINVAL;
  for (let idx = ctrl.first; idx <= ctrl.last; idx++) {
    const ret = k.faults.shouldFail('msi_alloc_desc') ? -ENOMEM : msiInsertDesc(k, dev, msiAllocDesc(k, dev, 1, false), ctrl.domid, idx);
    if (ret !== 0) {
      msiDomainFreeDescs(k, dev, ctrl);
      return ret;
    }
  }
  return 0;
}

// msi_domain_free_descs(): every descriptor of the range leaves the store; one still
// associated with an irq is leaked with a warning (its irq stays allocated, out of reach)
function msiDomainFreeDescs(k: Kernel, dev: Device, ctrl: MsiCtrl): void {
  if (!msiCtrlValid(k, dev, ctrl)) return;
  const store = msiStore(dev, ctrl.domid);
  if (store === null) return;
  k.touchDevice(dev);
  for (const [idx, desc] of [...store.entries()].sort((a, b) => a[0] - b[0])) {
    if (idx < ctrl.first || idx > ctrl.last) continue;
    store.delete(idx);
    if (desc.irq !== 0) k.warn('msi_domain_free_descs', `${dev.name}: descriptor ${idx} freed while still associated with irq ${desc.irq}`);
    else k.heap.kfree('msi_free_desc', desc);
  }
}

// msi_ctrl_valid(): a domain id the core has, a domain installed in it (when the device has
// an MSI parent), and first <= last < hwsize; each failure is a WARN_ON_ONCE()
function msiCtrlValid(k: Kernel, dev: Device, ctrl: MsiCtrl): boolean {
  if (ctrl.domid >= msiMaxDeviceIrqdomains(k) || (dev.msiParent !== null && msiGetDeviceDomain(dev, ctrl.domid) === null)) {
    k.warn('msi_ctrl_valid', `${dev.name}: no device MSI domain ${ctrl.domid}`);
    return false;
  }
  const hwsize = msiDomainGetHwsize(k, dev, ctrl.domid);
  if (ctrl.first > ctrl.last || ctrl.first >= hwsize || ctrl.last >= hwsize) {
    k.warn('msi_ctrl_valid@range', `${dev.name}: range ${ctrl.first}..${ctrl.last} outside hwsize ${hwsize}`);
    return false;
  }
  return true;
}

// --- allocation ---

// populate_alloc_info() (1396e89e09f0) / the per-allocation msi_domain_prepare_irqs() before it
function populateAllocInfo(k: Kernel, domain: IrqDomain, dev: Device, nirqs: number): MsiAllocInfo | number {
  const info = domain.hostData as MsiDomainInfo;
  const arg = new MsiAllocInfo();
  if (!k.applied('1396e89e09f0') || info.alloc_data === null) {
    const ret = msiDomainPrepareIrqs(k, domain, dev, nirqs, arg);
    return ret !== 0 ? ret : arg;
  }
  return info.alloc_data.copy();
}

// msi_handle_pci_fail()
function msiHandlePciFail(domain: IrqDomain, desc: MsiDesc, allocated: number): number {
  switch (domain.busToken) {
    case 'PCI_MSI':
    case 'PCI_DEVICE_MSI':
    case 'PCI_DEVICE_MSIX':
    case 'VMD_MSI':
      break;
    default:
      return -ENOSPC;
  }
  // Let a failed PCI multi MSI allocation retry with fewer vectors
  if (desc.nvecUsed > 1) return 1;
  return allocated > 0 ? allocated : -ENOSPC;
}

// msi_init_virq(): with ACTIVATE_EARLY the vector is activated (and its message written) now;
// a managed irq with no online CPU in its mask is shut down until better times instead
function msiInitVirq(k: Kernel, domain: IrqDomain, virq: number, activate: boolean): number {
  const data = k.irqs.getIrqData(domain, virq);
  if (data === null || !activate) return 0;
  const desc = k.irqs.desc(virq);
  if (desc !== undefined && desc.affinityManaged && !desc.affinity.some((c) => k.cpuIsOnline(c))) {
    desc.managedShutdown = true;
    return 0;
  }
  return k.irqs.activateIrq(data, false);
}

// __msi_domain_alloc_irqs()
function msiDomainAllocIrqsInner(k: Kernel, dev: Device, domain: IrqDomain, ctrl: MsiCtrl): number {
  const info = domain.hostData as MsiDomainInfo;
  const store = msiStore(dev, ctrl.domid);
  if (store === null) return -ENODEV;
  const argOrErr = populateAllocInfo(k, domain, dev, ctrl.nirqs);
  if (typeof argOrErr === 'number') return argOrErr;
  const arg = argOrErr;
  const activate = hasFlag(info.flags, MSI_FLAG_ACTIVATE_EARLY);
  let allocated = 0;
  const descs = [...store.entries()].filter(([idx]) => idx >= ctrl.first && idx <= ctrl.last).sort((a, b) => a[0] - b[0]);
  for (const [, desc] of descs) {
    if (desc.irq !== 0) continue; // MSI_DESC_NOTASSOCIATED
    if (allocated >= ctrl.nirqs) {
      k.warn('__msi_domain_alloc_irqs', `${dev.name}: more descriptors than the ${ctrl.nirqs} requested`);
      return -EINVAL;
    }
    info.ops.prepare_desc?.(domain, arg, desc);
    mustHave('__msi_domain_alloc_irqs', info.ops.set_desc, 'set_desc')(arg, desc);
    const virq = k.irqs.allocIrqs(domain, desc.nvecUsed, arg, desc.affinity);
    if (virq < 0) return msiHandlePciFail(domain, desc, allocated);
    // irq_set_msi_desc_off(): associate every irq of the descriptor
    for (let i = 0; i < desc.nvecUsed; i++) {
      const d = k.irqs.desc(virq + i);
      if (d !== undefined) {
        d.msiDesc = desc;
        d.msiOffset = i;
        k.touchIrq(virq + i);
      }
      if (i === 0) desc.irq = virq;
      const ret = msiInitVirq(k, domain, virq + i, activate);
      if (ret !== 0) return ret;
    }
    // msi_sysfs_populate_desc(): the msi_irqs/<irq> attributes (its own fail path removes them)
    if (hasFlag(info.flags, MSI_FLAG_DEV_SYSFS) && k.faults.shouldFail('msi_sysfs_populate_desc')) return -ENOMEM;
    allocated++;
  }
  return 0;
}

// __msi_domain_alloc_locked()
function msiDomainAllocLockedInner(k: Kernel, dev: Device, ctrl: MsiCtrl): number {
  if (!msiCtrlValid(k, dev, ctrl)) return -EINVAL;
  const domain = getDeviceDomain(k, dev, ctrl.domid);
  if (domain === null) return -ENODEV;
  const info = domain.hostData as MsiDomainInfo;
  const ret = msiDomainAllocSimpleMsiDescs(k, dev, info, ctrl);
  if (ret !== 0) return ret;
  // __msi_domain_alloc_locked(): a domain that allocates for itself (XEN-MSI) is asked instead
  const own = info.ops.domain_alloc_irqs;
  return own !== undefined ? own(k, domain, dev, ctrl.nirqs) : msiDomainAllocIrqsInner(k, dev, domain, ctrl);
}

// msi_domain_alloc_locked(): any non-zero result frees the whole range again, whatever
// failed (the descriptors, the irqs, or the checks)
function msiDomainAllocLocked(k: Kernel, dev: Device, ctrl: MsiCtrl): number {
  const ret = msiDomainAllocLockedInner(k, dev, ctrl);
  if (ret !== 0) msiDomainFreeLocked(k, dev, ctrl);
  return ret;
}

/** struct msi_ctrl of a range: unsigned int fields, so a reversed or huge range wraps as in C. */
function rangeCtrl(domid: number, first: number, last: number): MsiCtrl {
  return { domid: domid >>> 0, first: first >>> 0, last: last >>> 0, nirqs: (last + 1 - first) >>> 0 };
}

// msi_domain_alloc_irqs_range()
export function msiDomainAllocIrqsRange(k: Kernel, dev: Device, domid: number, first: number, last: number): number {
  return msiDomainAllocLocked(k, dev, rangeCtrl(domid, first, last));
}

// msi_domain_alloc_irqs_all_locked()
export function msiDomainAllocIrqsAllLocked(k: Kernel, dev: Device, domid: number, nirqs: number): number {
  return msiDomainAllocLocked(k, dev, { domid, first: 0, last: msiDomainGetHwsize(k, dev, domid) - 1, nirqs });
}

export interface MsiMap {
  /** The MSI index, or a negative errno. */
  index: number;
  virq: number;
}

// msi_domain_alloc_irq_at() / __msi_domain_alloc_irq_at(): no msi_ctrl_valid() on the way in,
// msi_domain_free_locked() (with its checks) on the way out of a failure. `icookie` is the
// per-instance cookie a wired interrupt passes (msi_device_domain_alloc_wired): the descriptor
// is then no MSI-X entry
export function msiDomainAllocIrqAt(k: Kernel, dev: Device, domid: number, index: number, icookie?: number): MsiMap {
  const domain = getDeviceDomain(k, dev, domid);
  if (domain === null) return { index: -ENODEV, virq: 0 };
  // msi_alloc_desc()
  if (k.faults.shouldFail('msi_alloc_desc')) return { index: -ENOMEM, virq: 0 };
  // an MSI-X vector in the default slot; a PCI/IMS one in the secondary slot, or a wire's, is
  // no MSI-X entry
  const desc = msiAllocDesc(k, dev, 1, domid === MSI_DEFAULT_DOMAIN_ID && icookie === undefined);
  if (icookie !== undefined) desc.icookie = icookie;
  const ret = msiInsertDesc(k, dev, desc, domid, index);
  if (ret !== 0) return { index: ret, virq: 0 };
  const ctrl: MsiCtrl = { domid, first: desc.msiIndex, last: desc.msiIndex, nirqs: 1 };
  const aret = msiDomainAllocIrqsInner(k, dev, domain, ctrl);
  if (aret !== 0) {
    msiDomainFreeLocked(k, dev, ctrl);
    return { index: aret, virq: 0 };
  }
  return { index: desc.msiIndex, virq: desc.irq };
}

// --- free ---

// __msi_domain_free_irqs(): deactivate, free the irqs, disassociate
function msiDomainFreeIrqsInner(k: Kernel, dev: Device, domain: IrqDomain, ctrl: MsiCtrl): void {
  const store = msiStore(dev, ctrl.domid);
  if (store === null) return;
  const descs = [...store.entries()].filter(([idx]) => idx >= ctrl.first && idx <= ctrl.last).sort((a, b) => a[0] - b[0]);
  for (const [, desc] of descs) {
    if (desc.irq === 0) continue; // MSI_DESC_ASSOCIATED only
    for (let i = 0; i < desc.nvecUsed; i++) {
      const data = k.irqs.getIrqData(domain, desc.irq + i);
      if (data !== null && data.activated) k.irqs.deactivateIrq(data);
    }
    k.irqs.freeIrqs('__msi_domain_free_irqs', desc.irq, desc.nvecUsed);
    k.touchDevice(desc.dev);
    desc.irq = 0;
  }
}

// msi_domain_free_locked()
function msiDomainFreeLocked(k: Kernel, dev: Device, ctrl: MsiCtrl): void {
  if (!msiCtrlValid(k, dev, ctrl)) return;
  const domain = getDeviceDomain(k, dev, ctrl.domid);
  if (domain === null) return;
  const info = domain.hostData as MsiDomainInfo;
  // ops->domain_free_irqs() frees every interrupt of the device, whatever the range
  const own = info.ops.domain_free_irqs;
  if (own !== undefined) own(k, domain, dev);
  else msiDomainFreeIrqsInner(k, dev, domain, ctrl);
  if (!k.applied('91daac8a6893')) info.ops.msi_post_free?.(k, domain, dev);
  if (hasFlag(info.flags, MSI_FLAG_FREE_MSI_DESCS)) msiDomainFreeDescs(k, dev, ctrl);
}

// msi_domain_free_irqs_range()
export function msiDomainFreeIrqsRange(k: Kernel, dev: Device, domid: number, first: number, last: number): void {
  msiDomainFreeLocked(k, dev, rangeCtrl(domid, first, last));
}

// msi_domain_free_irqs_all_locked()
export function msiDomainFreeIrqsAll(k: Kernel, dev: Device, domid: number): void {
  msiDomainFreeLocked(k, dev, { domid, first: 0, last: (msiDomainGetHwsize(k, dev, domid) - 1) >>> 0, nirqs: 0 });
}
