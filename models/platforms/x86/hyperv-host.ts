// The Hyper-V side of a vPCI bus: the parent partition's vPCI VSP, which answers
// PCI_CREATE_INTERRUPT_MESSAGE with an entry of the interrupt redirection table (IRT) of the
// IOMMU it runs (an address/data pair the device is to write) and frees it on
// PCI_DELETE_INTERRUPT_MESSAGE, and the hypervisor's HVCALL_RETARGET_INTERRUPT, which points an
// entry at a guest vector on a set of vCPUs. A device's write is looked up by its bus and data:
// a multi-MSI block is one request for `vectorCount` consecutive data values.
import type { MsiMsg } from '../../kernel/irqdomain';
import type { Kernel } from '../../kernel/kernel';
import type { IrqCfg } from './msi-msg';

/** The address every IRT-backed message carries (HV's interrupt window, the x86 MSI range). */
export const HV_MSI_ADDRESS = 0xfee00000;
/** HV_STATUS_INVALID_PARAMETER (hyperv-tlfs): a hypercall status that is not HV_STATUS_SUCCESS. */
const HV_STATUS_INVALID_PARAMETER = 0x5;

/** struct tran_int_desc: what the host answers. */
export interface TranIntDesc {
  readonly vectorCount: number;
  readonly deliveryMode: number;
  readonly addressHi: number;
  readonly addressLo: number;
  readonly data: number;
}

/** One IRT entry: where data value `data` of the bus goes. */
interface IrtEntry {
  readonly slot: number;
  /** The guest vector and vCPU the entry delivers to (set at creation, changed by retarget). */
  vector: number;
  vcpu: number;
}

/** The requests the vPCI driver sends over VMBus or as hypercalls. */
export type HvRequest =
  | { readonly type: 'PCI_CREATE_INTERRUPT_MESSAGE'; readonly slot: number; readonly vector: number; readonly vectorCount: number; readonly cpu: number }
  | { readonly type: 'PCI_DELETE_INTERRUPT_MESSAGE'; readonly slot: number; readonly desc: TranIntDesc }
  | { readonly type: 'HVCALL_RETARGET_INTERRUPT'; readonly slot: number; readonly addressLo: number; readonly data: number; readonly vector: number; readonly vcpus: readonly number[] };

export interface HvResponse {
  /** completion_status / hypercall status: 0 or negative. */
  readonly status: number;
  readonly desc?: TranIntDesc;
}

/** The host side of one vPCI bus (its VMBus channel). */
export class HvVpciHost {
  /** data value -> entry (the bus's part of the IRT). */
  private readonly irt = new Map<number, IrtEntry>();

  constructor(
    private readonly k: Kernel,
    /** How many IRT entries the host grants the bus. */
    private readonly capacity: number,
  ) {}

  /** Entries the host holds for the bus (for the resource view). */
  entries(): number {
    return this.irt.size;
  }

  request(req: HvRequest): HvResponse {
    switch (req.type) {
      case 'PCI_CREATE_INTERRUPT_MESSAGE':
        return this.create(req.slot, req.vector, req.vectorCount, req.cpu);
      case 'PCI_DELETE_INTERRUPT_MESSAGE':
        this.delete(req.desc);
        return { status: 0 };
      case 'HVCALL_RETARGET_INTERRUPT':
        return this.retarget(req.slot, req.data, req.vector, req.vcpus);
    }
  }

  // A block of `count` consecutive data values, aligned to a power of two. The IRT is
  // the host IOMMU's, shared with everything else it remaps: consecutive requests do not get
  // consecutive entries (the model hands them out from the top of the bus's share down).
  private create(slot: number, vector: number, count: number, cpu: number): HvResponse {
    if (this.k.faults.shouldFail('PCI_CREATE_INTERRUPT_MESSAGE') || this.irt.size + count > this.capacity) return { status: -1 };
    // "properly aligned and consecutive entries" (a2bad844a67b): a block sits at a multiple of
    // its size rounded up to a power of two, so the device's vector bits index it
    let align = 1;
    while (align < count) align *= 2;
    let base = -1;
    for (let b = Math.floor((this.capacity * 2 - count) / align) * align; b >= 0; b -= align) {
      let free = true;
      for (let i = 0; i < count && free; i++) if (this.irt.has(b + i)) free = false;
      if (free) {
        base = b;
        break;
      }
    }
    if (base < 0) return { status: -1 };
    for (let i = 0; i < count; i++) this.irt.set(base + i, { slot, vector: vector + i, vcpu: cpu });
    return { status: 0, desc: { vectorCount: count, deliveryMode: 0, addressHi: 0, addressLo: HV_MSI_ADDRESS, data: base } };
  }

  private delete(desc: TranIntDesc): void {
    const n = Math.max(1, desc.vectorCount);
    for (let i = 0; i < n; i++) this.irt.delete(desc.data + i);
  }

  // The entry the (address, data) pair names now targets `vector` on the first vCPU of the set
  private retarget(slot: number, data: number, vector: number, vcpus: readonly number[]): HvResponse {
    // the hypervisor refuses (HV_STATUS_*): the entry is left as it is
    if (this.k.faults.shouldFail('HVCALL_RETARGET_INTERRUPT')) return { status: HV_STATUS_INVALID_PARAMETER };
    const e = this.irt.get(data);
    if (e === undefined || e.slot !== slot || vcpus.length === 0) return { status: -1 };
    e.vector = vector;
    e.vcpu = vcpus[0] as number;
    return { status: 0 };
  }

  /** The IOMMU: a write of `msg` by the function in `slot` becomes a (vector, vCPU), or is blocked. */
  translate(slot: number, msg: MsiMsg): IrqCfg | { readonly blocked: string } {
    if (msg.addressLo !== HV_MSI_ADDRESS || msg.addressHi !== 0) return { blocked: `write to ${msg.addressHi.toString(16)}:${msg.addressLo.toString(16)} is no interrupt the host granted` };
    const e = this.irt.get(msg.data);
    if (e === undefined) return { blocked: `Hyper-V IRT: no entry for data ${msg.data}` };
    if (e.slot !== slot) return { blocked: `Hyper-V IRT: data ${msg.data} belongs to slot ${e.slot.toString(16)}, not ${slot.toString(16)}` };
    return { vector: e.vector, destApicid: e.vcpu };
  }
}
