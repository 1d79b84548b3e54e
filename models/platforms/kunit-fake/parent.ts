// kunit/mf_parent.c: the fake MSI parents of the KUnit suite, on the model's core. An
// ITS-like parent creates a per-device object in msi_prepare() (found again by the device
// domain's name, as an ITS device is by its DeviceID) and frees it in msi_teardown() or
// msi_post_free() once no event is in use; a pseries-like parent enables firmware vectors in
// msi_prepare() within a shared quota and disables them in msi_teardown() or msi_post_free().
// Each comes with and without MSI_FLAG_ACTIVATE_EARLY. Every callback traces one line, in the
// C file's words.
import type { Device } from '../../kernel/device';
import { EINVAL, ENOSPC } from '../../kernel/errno';
import { KObject } from '../../kernel/heap';
import type { IrqChip, IrqData, IrqDomain, IrqDomainOps } from '../../kernel/irqdomain';
import type { Kernel } from '../../kernel/kernel';
import type { MsiAllocInfo } from '../../kernel/msi-alloc-info';
import { MATCH_PCI_MSI, MATCH_PLATFORM_MSI, msiCreateParentIrqDomain, msiLibInitDevMsiInfo } from '../../kernel/msi-lib';
import {
  MSI_FLAG_ACTIVATE_EARLY,
  MSI_FLAG_MULTI_PCI_MSI,
  MSI_FLAG_PCI_MSIX,
  MSI_FLAG_PCI_MSIX_ALLOC_DYN,
  MSI_FLAG_USE_DEF_CHIP_OPS,
  MSI_FLAG_USE_DEF_DOM_OPS,
  MSI_GENERIC_FLAGS_MASK,
  type MsiDomainInfo,
  type MsiParentOps,
} from '../../kernel/msi-types';
import type { ParentName } from './ops';
import type { FakeTrace } from './trace';

/** MF_PARENT_HWIRQS: hwirqs each parent hands out. */
export const PARENT_HWIRQS = 15;
/** MF_PS_QUOTA: vectors the pseries-like firmware enables across a parent's device domains. */
export const PS_QUOTA = 32;

const DOORBELLS: Record<ParentName, number> = {
  its: 0x0808_0040,
  'its-early': 0x0809_0040,
  ps: 0xfee0_0000,
  'ps-early': 0xfee1_0000,
};

/** struct mf_its_obj: an ITS-like per-device object. */
export class ItsLikeObject extends KObject {
  readonly kind = 'mf_its_obj';
  used = 0;
  readonly events: boolean[];

  constructor(
    readonly name: string,
    readonly id: number,
    readonly nrEvents: number,
  ) {
    super();
    this.events = new Array<boolean>(nrEvents).fill(false);
  }
}

/** struct mf_fw_state: a device domain's pseries-like firmware state. */
export class FirmwareState extends KObject {
  readonly kind = 'mf_fw_state';
  enabled = 0;
  used = 0;

  constructor(readonly name: string) {
    super();
  }
}

type Owner = ItsLikeObject | FirmwareState;

function roundupPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

export class FakeParent {
  readonly its: boolean;
  readonly early: boolean;
  readonly domain: IrqDomain;
  readonly hwirqs = new Array<boolean>(PARENT_HWIRQS).fill(false);
  readonly owner = new Array<Owner | null>(PARENT_HWIRQS).fill(null);
  readonly event = new Array<number>(PARENT_HWIRQS).fill(0);
  /** struct mf_parent::objs: ITS objects or firmware states, in creation order. */
  readonly objs: Owner[] = [];
  private nextId = 0;

  constructor(
    private readonly k: Kernel,
    readonly name: ParentName,
    private readonly trace: FakeTrace,
  ) {
    this.its = name === 'its' || name === 'its-early';
    this.early = name.endsWith('-early');
    const chip: IrqChip = { name: 'MF-PARENT', composeMsiMsg: (_k, d) => this.composeMsiMsg(d) };
    const ops: IrqDomainOps = {
      alloc: (_k, _d, virq, nr, arg) => this.domainAlloc(virq, nr, arg as MsiAllocInfo, chip),
      free: (_k, _d, virq, nr) => {
        for (let i = 0; i < nr; i++) this.freeOne(virq + i);
      },
      activate: (_k, _d, data) => {
        this.trace.line(`${this.name}.activate ${this.trace.virq(data.irq)} hwirq=${data.hwirq}`);
        return 0;
      },
      deactivate: (_k, _d, data) => {
        this.trace.line(`${this.name}.deactivate ${this.trace.virq(data.irq)} hwirq=${data.hwirq}`);
      },
    };
    const pops: MsiParentOps = {
      // PCI functions (mf_pci.c) may use multi-MSI, MSI-X and dynamic MSI-X allocation
      supported_flags: MSI_GENERIC_FLAGS_MASK | MSI_FLAG_MULTI_PCI_MSI | MSI_FLAG_PCI_MSIX | MSI_FLAG_PCI_MSIX_ALLOC_DYN,
      required_flags: MSI_FLAG_USE_DEF_DOM_OPS | MSI_FLAG_USE_DEF_CHIP_OPS | (this.early ? MSI_FLAG_ACTIVATE_EARLY : 0),
      bus_select_token: 'NEXUS',
      bus_select_mask: [...MATCH_PLATFORM_MSI, ...MATCH_PCI_MSI],
      prefix: `${name}-`,
      init_dev_msi_info: (kk, dev, domain, realParent, info) => this.initDevMsiInfo(kk, dev, domain, realParent, info),
    };
    this.domain = msiCreateParentIrqDomain(k, name, null, ops, this, pops);
  }

  /** mf_init_dev_msi_info(): msi_lib's, then the parent's own prepare and teardown/post_free. */
  private initDevMsiInfo(k: Kernel, dev: Device, domain: IrqDomain, realParent: IrqDomain, info: MsiDomainInfo): boolean {
    if (!msiLibInitDevMsiInfo(k, dev, domain, realParent, info)) return false;
    info.ops.msi_prepare = (_k, d, _dev, nvec, arg) => (this.its ? this.itsPrepare(d, nvec, arg) : this.psPrepare(d, nvec));
    // The parent installs msi_teardown() where the core has it (v6.16+), msi_post_free() before
    if (k.applied('28026cf2dd84')) info.ops.msi_teardown = (_k, d, arg) => this.teardown(d, arg);
    else info.ops.msi_post_free = (_k, d) => this.postFree(d);
    return true;
  }

  /** mf_its_prepare(): find the domain's object or create one sized to nvec (a power of two). */
  private itsPrepare(domain: IrqDomain, nvec: number, arg: MsiAllocInfo): number {
    let obj = this.findObj(domain.name) as ItsLikeObject | undefined;
    const found = obj !== undefined;
    if (obj === undefined) {
      obj = this.k.heap.kmalloc(new ItsLikeObject(domain.name, ++this.nextId, roundupPowerOfTwo(Math.min(Math.max(nvec, 1), 65536))));
      this.objs.push(obj);
    }
    arg.scratchpad[0].writePtr(obj);
    this.trace.line(`${this.name}.prepare ${domain.name} nvec=${nvec} obj=${obj.id} events=${obj.nrEvents} ${found ? 'found' : 'new'}`);
    return 0;
  }

  /** mf_ps_prepare(): the firmware enables nvec vectors for the domain, within the quota. */
  private psPrepare(domain: IrqDomain, nvec: number): number {
    if (nvec <= 0) {
      this.trace.line(`${this.name}.prepare ${domain.name} nvec=${nvec} refused`);
      return -EINVAL;
    }
    let st = this.findObj(domain.name) as FirmwareState | undefined;
    if (st === undefined) {
      st = this.k.heap.kmalloc(new FirmwareState(domain.name));
      this.objs.push(st);
    }
    const others = this.objs.filter((o) => o !== st).reduce((n, o) => n + (o as FirmwareState).enabled, 0);
    if (others + nvec > PS_QUOTA) {
      this.trace.line(`${this.name}.prepare ${domain.name} nvec=${nvec} over-quota=${others}`);
      return -ENOSPC;
    }
    const before = st.enabled;
    st.enabled = nvec;
    this.trace.line(`${this.name}.prepare ${domain.name} nvec=${nvec} enabled=${before}->${st.enabled}`);
    return 0;
  }

  /** mf_its_teardown() / mf_ps_teardown() */
  private teardown(domain: IrqDomain, arg: MsiAllocInfo | null): void {
    if (this.its) {
      const obj = arg === null ? null : arg.scratchpad[0].readPtr<ItsLikeObject>(this.k, 'mf_its_teardown');
      this.trace.line(`${this.name}.teardown ${domain.name} obj=${obj?.id ?? 0} used=${obj?.used ?? 0} ${obj === null ? 'none' : this.itsRelease(obj)}`);
    } else {
      const { before, used, what } = this.psDisable(domain.name);
      this.trace.line(`${this.name}.teardown ${domain.name} enabled=${before} used=${used} ${what}`);
    }
  }

  /** mf_its_post_free() / mf_ps_post_free() */
  private postFree(domain: IrqDomain): void {
    if (this.its) {
      const obj = (this.findObj(domain.name) as ItsLikeObject | undefined) ?? null;
      this.trace.line(`${this.name}.post_free ${domain.name} obj=${obj?.id ?? 0} used=${obj?.used ?? 0} ${obj === null ? 'none' : this.itsRelease(obj)}`);
    } else {
      const { before, used, what } = this.psDisable(domain.name);
      this.trace.line(`${this.name}.post_free ${domain.name} enabled=${before} used=${used} ${what}`);
    }
  }

  /** mf_its_release(): an object with events in use stays (its irqs point at it). */
  private itsRelease(obj: ItsLikeObject): string {
    if (obj.used > 0) return 'kept';
    this.objs.splice(this.objs.indexOf(obj), 1);
    this.k.heap.kfree('mf_its_release', obj);
    return 'freed';
  }

  /** mf_ps_disable(): the firmware disables the domain's vectors, used or not. */
  private psDisable(name: string): { before: number; used: number; what: string } {
    const st = this.findObj(name) as FirmwareState | undefined;
    if (st === undefined) return { before: 0, used: 0, what: 'none' };
    const before = st.enabled;
    st.enabled = 0;
    return { before, used: st.used, what: 'disabled' };
  }

  private findObj(name: string): Owner | undefined {
    return this.objs.find((o) => o.name === name);
  }

  /** mf_parent_domain_alloc(): irq by irq; a failure undoes this call's earlier irqs. */
  private domainAlloc(virq: number, nr: number, arg: MsiAllocInfo, chip: IrqChip): number {
    for (let i = 0; i < nr; i++) {
      const ret = this.allocOne(virq + i, arg, chip);
      if (ret !== 0) {
        for (let j = i - 1; j >= 0; j--) this.freeOne(virq + j);
        return ret;
      }
    }
    return 0;
  }

  private allocOne(virq: number, arg: MsiAllocInfo, chip: IrqChip): number {
    const t = this.trace;
    const dom = this.k.irqs.desc(virq)?.irqData.domain.name ?? '?';
    let obj: ItsLikeObject | null = null;
    let st: FirmwareState | undefined;
    let event = 0;
    if (this.its) {
      obj = arg.scratchpad[0].readPtr<ItsLikeObject>(this.k, 'mf_parent_alloc_one');
      event = obj === null ? 0 : obj.events.indexOf(false);
      if (obj === null || event < 0) {
        t.line(`${this.name}.alloc ${t.virq(virq)} ${dom} obj=${obj?.id ?? 0} no-event`);
        return -ENOSPC;
      }
    } else {
      st = this.findObj(dom) as FirmwareState | undefined;
      if (st === undefined || st.used >= st.enabled) {
        t.line(`${this.name}.alloc ${t.virq(virq)} ${dom} used=${st?.used ?? 0} enabled=${st?.enabled ?? 0} refused`);
        return -ENOSPC;
      }
    }
    const hwirq = this.hwirqs.indexOf(false);
    if (hwirq < 0) {
      t.line(`${this.name}.alloc ${t.virq(virq)} ${dom} no-hwirq`);
      return -ENOSPC;
    }
    this.hwirqs[hwirq] = true;
    if (obj !== null) {
      obj.events[event] = true;
      obj.used++;
      this.owner[hwirq] = obj;
      this.event[hwirq] = event;
      t.line(`${this.name}.alloc ${t.virq(virq)} ${dom} hwirq=${hwirq} obj=${obj.id} event=${event}`);
    } else if (st !== undefined) {
      st.used++;
      this.owner[hwirq] = st;
      t.line(`${this.name}.alloc ${t.virq(virq)} ${dom} hwirq=${hwirq} used=${st.used}/${st.enabled}`);
    }
    this.k.irqs.setHwirqAndChip(this.domain, virq, hwirq, chip, this);
    return 0;
  }

  /** mf_parent_free_one() */
  private freeOne(virq: number): void {
    const t = this.trace;
    const d = this.k.irqs.getIrqData(this.domain, virq);
    if (d === null) return;
    const hwirq = d.hwirq;
    const owner = hwirq < PARENT_HWIRQS && this.hwirqs[hwirq] === true ? this.owner[hwirq] : null;
    if (owner instanceof ItsLikeObject) {
      owner.events[this.event[hwirq] as number] = false;
      owner.used--;
      t.line(`${this.name}.free ${t.virq(virq)} hwirq=${hwirq} obj=${owner.id} event=${this.event[hwirq]}`);
    } else if (owner instanceof FirmwareState) {
      owner.used--;
      t.line(`${this.name}.free ${t.virq(virq)} hwirq=${hwirq} used=${owner.used}/${owner.enabled}`);
    }
    if (owner !== null) {
      this.hwirqs[hwirq] = false;
      this.owner[hwirq] = null;
    }
    this.k.irqs.resetIrqData(d);
  }

  /** mf_parent_compose_msi_msg(): the ITS-like message carries the event, the pseries-like the hwirq. */
  private composeMsiMsg(d: IrqData): { addressHi: number; addressLo: number; data: number } {
    return { addressHi: 0, addressLo: DOORBELLS[this.name], data: this.its ? (this.event[d.hwirq] as number) : d.hwirq };
  }

  /** mf_parent_snapshot(): objects or enabled firmware states, and the hwirqs in use. */
  snapshot(): void {
    for (const o of this.objs) {
      if (o instanceof ItsLikeObject) this.trace.line(`| ${this.name} obj=${o.id} ${o.name} events=${o.nrEvents} used=${o.used}`);
      else if (o.enabled > 0 || o.used > 0) this.trace.line(`| ${this.name} fw ${o.name} enabled=${o.enabled} used=${o.used}`);
    }
    const n = this.hwirqs.filter((b) => b).length;
    if (n > 0) this.trace.line(`| ${this.name} hwirqs=${n}`);
  }
}
