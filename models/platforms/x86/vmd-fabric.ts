// The interrupt path through an Intel VMD: a child function's MSI write is remapped by the VMD
// into one of its own MSI-X vectors (the destination ID of the child's address picks the
// vector list), which the VMD then signals like any function through the x86 parent. The CPU
// takes the VMD's vector; vmd_irq() walks that vector's list (under SRCU) and calls
// generic_handle_irq() for every child irq on it.
//
// The local APICs below latch one bit per vector, so several children raising one VMD vector
// coalesce there; the demultiplexer keeps which children raised it (what their handlers would
// find in their devices' status registers). A take of the VMD vector runs the handler of the
// first child that raised and is on the list; while raised children remain, the VMD vector is
// signalled again, so each is handled by its own take. A child that is not on the list (never
// started, or shut down) is not called: its raise is dropped, as vmd_irq() never sees it.
import { PciDev, type Device } from '../../kernel/device';
import { effectiveCpuOf } from '../../kernel/affinity';
import type { IrqOrigin } from '../../kernel/irq-action';
import type { InFlight, InterruptFabric, TakenIrq } from '../../kernel/irq-fabric';
import type { MsiMsg } from '../../kernel/irqdomain';
import type { Kernel } from '../../kernel/kernel';
import { pciIrqVector } from '../../kernel/pci-msi';
import { pciSignalVector } from '../../kernel/pci-msi-signal';
import { VmdIrq, type VmdDriver, type VmdIrqList } from './vmd';

interface Raised {
  /** The child irq whose vector the function raised. */
  readonly irq: number;
  readonly origin: IrqOrigin;
}

export class VmdFabric implements InterruptFabric {
  readonly name: string;
  /** Per VMD vector list: the children that raised it and are not handled yet. */
  private readonly raised = new Map<VmdIrqList, Raised[]>();
  /** Per CPU: the VMD vector take a child's handler runs under (its EOI is the VMD vector's). */
  private readonly under = new Map<number, { readonly child: number; readonly vmd: TakenIrq }>();

  constructor(
    private readonly k: Kernel,
    private readonly inner: InterruptFabric,
    private readonly vmd: VmdDriver,
  ) {
    this.name = `${inner.name}+vmd`;
    // synchronize_srcu() in vmd_msi_free(): no walk holds the freed irq afterwards
    vmd.srcuSynchronized = (vmdirq) => this.forget(vmdirq.virq);
    if (inner.leftBehind !== undefined) this.leftBehind = () => inner.leftBehind?.() ?? [];
    if (inner.movePending !== undefined) this.movePending = (irq, from, to) => inner.movePending?.(irq, from, to);
    if (inner.discardPending !== undefined) this.discardPending = (irq, cpu) => inner.discardPending?.(irq, cpu);
  }

  leftBehind?: () => string[];
  movePending?: (irq: number, fromCpu: number, toCpu: number) => void;
  discardPending?: (irq: number, cpu: number) => void;

  get nrCpus(): number {
    return this.inner.nrCpus;
  }

  /** A function of the VMD's PCI domain (its writes go to the VMD, not to the APIC bus). */
  isChild(dev: Device): dev is PciDev {
    const vmd = this.vmd.vmd;
    return vmd !== null && dev instanceof PciDev && dev.segment === vmd.domainNr;
  }

  signal(dev: Device, msg: MsiMsg, origin: IrqOrigin): string {
    // bypass: the write goes upstream as the VMD's, to the x86 parent's vector
    if (!this.isChild(dev) || this.vmd.bypassed()) return this.inner.signal(dev, msg, origin);
    const list = this.vmd.remap(msg);
    if ('blocked' in list) return `blocked: ${list.blocked}`;
    const irq = pciIrqVector(dev, origin.vec);
    // what was held for a vector no longer latched anywhere went with it
    if (!this.vmdVectorPending(list)) this.raised.delete(list);
    const what = pciSignalVector(this.k, this.vmd.endpoint, list.index, origin);
    if (irq > 0 && this.vmdVectorPending(list)) this.listOf(list).push({ irq, origin });
    return `VMD vector ${list.index}: ${what}`;
  }

  takeNext(cpu: number): TakenIrq | null {
    const t = this.inner.takeNext(cpu);
    if (t === null) return null;
    const list = this.vmd.listOfIrq(t.irq);
    if (list === null) return t;
    // vmd_irq() runs only as the VMD vector's handler; without it the flow handles the vector
    const desc = this.k.irqs.desc(t.irq);
    if (desc === undefined || desc.action === null || desc.disabled) return t;
    // vmd_irq(): srcu_read_lock(), list_for_each_entry_rcu() -> generic_handle_irq()
    const raised = this.listOf(list);
    for (;;) {
      const r = raised.shift();
      if (r === undefined) break;
      if (!list.irqList.some((v) => v.virq === r.irq)) continue;
      // the rest are handled by further takes of the vector
      if (raised.length > 0) pciSignalVector(this.k, this.vmd.endpoint, list.index, (raised[0] as Raised).origin);
      this.under.set(cpu, { child: r.irq, vmd: t });
      return { irq: r.irq, origin: r.origin };
    }
    // nothing raised on the list: vmd_irq() calls every child, none has anything to do
    return { irq: t.irq, origin: null };
  }

  idleReason(cpu: number): string {
    return this.inner.idleReason(cpu);
  }

  afterFlow(cpu: number, taken: TakenIrq, hadDesc: boolean): void {
    const u = this.under.get(cpu);
    if (u !== undefined && u.child === taken.irq) {
      this.under.delete(cpu);
      this.inner.afterFlow(cpu, u.vmd, true);
      return;
    }
    this.inner.afterFlow(cpu, taken, hadDesc);
  }

  inFlight(): InFlight[] {
    const out: InFlight[] = [];
    for (const f of this.inner.inFlight()) {
      const list = this.vmd.listOfIrq(f.irq);
      if (list === null) out.push(f);
    }
    for (const [list, rs] of this.raised) {
      if (!this.vmdVectorPending(list)) continue;
      const cpu = this.vmdVectorCpu(list);
      // what vmd_irq() will call: the raised children on the list
      for (const r of rs) if (list.irqList.some((v) => v.virq === r.irq)) out.push({ irq: r.irq, cpu, origin: r.origin, where: `VMD vector ${list.index} (irq ${list.virq})` });
    }
    return out;
  }

  priorityRaised(cpu: number): string | null {
    return this.inner.priorityRaised(cpu);
  }

  // The VMD vector is latched where a CPU will take it: its MSI-X Pending Bit, or an IRR bit
  private vmdVectorPending(list: VmdIrqList): boolean {
    if (this.vmd.endpoint.msixPending.has(list.index)) return true;
    return this.inner.inFlight().some((f) => f.irq === list.virq);
  }

  private vmdVectorCpu(list: VmdIrqList): number {
    const f = this.inner.inFlight().find((x) => x.irq === list.virq);
    if (f !== undefined) return f.cpu;
    const d = this.k.irqs.desc(list.virq)?.irqData ?? null;
    return d === null ? 0 : Math.max(0, effectiveCpuOf(d));
  }

  private listOf(list: VmdIrqList): Raised[] {
    let rs = this.raised.get(list);
    if (rs === undefined) {
      rs = [];
      this.raised.set(list, rs);
    }
    return rs;
  }

  // The raises held for a child irq whose vmd_irq is being freed
  private forget(irq: number): void {
    for (const rs of this.raised.values()) {
      for (let i = rs.length - 1; i >= 0; i--) if (rs[i]?.irq === irq) rs.splice(i, 1);
    }
  }

  /** Drops everything held for the lists of a VMD being removed. */
  reset(): void {
    this.raised.clear();
  }
}

export { VmdIrq };
