// Interrupt presentation in a Xen guest: a device's MSI reaches Xen (the machine vector of a
// PV device, the pirq an HVM guest's emulated message names), Xen sets the pending bit of the
// event channel bound to that pirq, and the vCPU the port is bound to gets an upcall unless the
// port is masked (a masked port keeps its pending bit: unmasking delivers it).
// xen_evtchn_do_upcall() -> handle_irq_for_port() takes the pending, unmasked ports of its CPU;
// handle_edge_irq() acks first (eoi_pirq() -> clear_evtchn()), so the pending bit is cleared
// when the event is taken and a new one may arrive while the handler runs.
import { PciDev, type Device } from '../../kernel/device';
import type { IrqOrigin } from '../../kernel/irq-action';
import type { InFlight, InterruptFabric, TakenIrq } from '../../kernel/irq-fabric';
import type { MsiMsg } from '../../kernel/irqdomain';
import type { Kernel } from '../../kernel/kernel';
import type { XenEvents } from './events';
import type { PirqEntry, XenHypervisor } from './hypervisor';

export class XenEvtchnFabric implements InterruptFabric {
  readonly name = 'xen-evtchn';

  constructor(
    private readonly k: Kernel,
    private readonly xen: XenHypervisor,
    private readonly events: XenEvents,
    private readonly hvm: boolean,
  ) {}

  get nrCpus(): number {
    return this.k.nrCpus;
  }

  /** The pirq a device's write reaches, or why it does not. */
  route(dev: Device, msg: MsiMsg): PirqEntry | { readonly blocked: string } {
    if (!(dev instanceof PciDev)) return { blocked: `${dev.name} is not a PCI device` };
    return this.xen.route(dev, msg, this.hvm);
  }

  signal(dev: Device, msg: MsiMsg, origin: IrqOrigin): string {
    const e = this.route(dev, msg);
    if ('blocked' in e) return `blocked: ${e.blocked}`;
    const ch = this.xen.raise(e, origin);
    if (ch === null) return `pirq ${e.pirq} has no event channel: Xen acks and drops it`;
    if (ch.masked) return `port ${ch.port} (pirq ${e.pirq}) pending, masked`;
    return `port ${ch.port} (pirq ${e.pirq}) pending, upcall to vCPU ${ch.vcpu}`;
  }

  takeNext(cpu: number): TakenIrq | null {
    if (!this.k.cpuIsOnline(cpu)) return null;
    const ports = [...this.xen.ports.values()].filter((ch) => ch.vcpu === cpu && ch.pending !== null && !ch.masked).sort((a, b) => a.port - b.port);
    for (const ch of ports) {
      const origin = ch.pending as IrqOrigin;
      // clear_evtchn(): acked as the flow starts
      ch.pending = null;
      const irq = this.events.irqOfPort(ch.port);
      // evtchn_to_info() finds nothing: the event is dropped
      if (irq < 0) continue;
      return { irq, origin };
    }
    return null;
  }

  idleReason(cpu: number): string {
    if (!this.k.cpuIsOnline(cpu)) return `vCPU ${cpu} is offline`;
    const masked = [...this.xen.ports.values()].filter((ch) => ch.vcpu === cpu && ch.pending !== null && ch.masked);
    if (masked.length > 0) return `vCPU ${cpu}: port ${masked.map((c) => c.port).join(',')} pending but masked`;
    return `no event pending for vCPU ${cpu}`;
  }

  afterFlow(): void {
    // The event channel has no EOI of its own: eoi_pirq() ran in the flow
  }

  inFlight(): InFlight[] {
    const out: InFlight[] = [];
    for (const ch of this.xen.ports.values()) {
      if (ch.pending === null || ch.masked || !this.k.cpuIsOnline(ch.vcpu)) continue;
      const irq = this.events.irqOfPort(ch.port);
      if (irq > 0) out.push({ irq, cpu: ch.vcpu, origin: ch.pending, where: `event channel ${ch.port} of vCPU ${ch.vcpu}` });
    }
    return out;
  }

  priorityRaised(): string | null {
    return null;
  }
}
