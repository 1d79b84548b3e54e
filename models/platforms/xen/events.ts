// drivers/xen/events/events_base.c, the pirq half: a Linux irq per pirq, allocated with no
// irq domain (irq_alloc_descs()), described by a struct irq_info, and bound to an event channel
// only when the irq starts up (startup_pirq() -> EVTCHNOP_bind_pirq). The xen-pirq chip masks
// and unmasks the event channel; the irq_info and the descriptor are freed together
// (delayed_free_irq(), after an RCU grace period the model does not need: no CPU is left in the
// event loop once free_irq() has returned).
import type { PciDev } from '../../kernel/device';
import { KObject } from '../../kernel/heap';
import type { IrqChip, IrqData } from '../../kernel/irqdomain';
import type { Kernel } from '../../kernel/kernel';
import type { MsiDesc } from '../../kernel/msi-desc';
import { KernelOops } from '../../kernel/report';
import { ENOENT, ENOMEM, ESRCH } from './xen-errno';
import { DOMID_SELF, type XenHypervisor } from './hypervisor';

/** enum xen_irq_type, the members the model uses. */
export type XenIrqType = 'IRQT_UNBOUND' | 'IRQT_PIRQ';

export const PIRQ_NEEDS_EOI = 1 << 0;
export const PIRQ_SHAREABLE = 1 << 1;
export const PIRQ_MSI_GROUP = 1 << 2;

export const EVT_MASK_REASON_EXPLICIT = 0x01;
export const EVT_MASK_REASON_TEMPORARY = 0x02;

/** struct irq_info */
export class XenIrqInfo extends KObject {
  readonly kind = 'irq_info';
  type: XenIrqType = 'IRQT_UNBOUND';
  /** Event channel, 0 when none (VALID_EVTCHN). */
  evtchn = 0;
  cpu = 0;
  maskReason = 0;
  refcnt = -1;
  pirq = 0;
  domid = DOMID_SELF;
  flags = 0;
  constructor(readonly irq: number) {
    super();
  }
}

export class XenEvents {
  /** info_for_irq() */
  readonly infos = new Map<number, XenIrqInfo>();
  /** evtchn_to_irq[][] */
  readonly evtchnToIrq = new Map<number, number>();
  readonly chip: IrqChip;

  constructor(
    private readonly k: Kernel,
    private readonly xen: XenHypervisor,
    /** xen_initial_domain(): dom0 unmaps the pirqs it mapped. */
    private readonly initialDomain: boolean,
  ) {
    this.chip = this.xenPirqChip();
  }

  private info(site: string, irq: number): XenIrqInfo {
    return this.k.heap.deref(site, this.infos.get(irq), 'irq_info');
  }

  /** xen_irq_init(): kzalloc the irq_info and hang it on the irq. Returns it, or null when the allocation fails. */
  private xenIrqInit(irq: number): XenIrqInfo | null {
    if (this.k.faults.shouldFail('xen_irq_init')) return null;
    const info = this.k.heap.kmalloc(new XenIrqInfo(irq), 'xen_irq_init');
    this.infos.set(irq, info);
    return info;
  }

  /** xen_irq_info_pirq_setup() -> xen_irq_info_common_setup(): the evtchn is 0 until startup; masked. Returns 0. */
  private xenIrqInfoPirqSetup(info: XenIrqInfo, pirq: number, domid: number, flags: number): number {
    info.pirq = pirq;
    info.domid = domid;
    info.flags = flags;
    info.type = 'IRQT_PIRQ';
    info.evtchn = 0;
    info.cpu = 0;
    info.maskReason = EVT_MASK_REASON_EXPLICIT;
    return 0;
  }

  /** xen_irq_free_desc() + delayed_free_irq(): the info goes, then the descriptor. */
  private xenFreeIrq(info: XenIrqInfo): void {
    if (info.refcnt > 0) this.k.warn('xen_free_irq', `irq ${info.irq}: refcnt ${info.refcnt}`);
    this.infos.delete(info.irq);
    this.k.heap.kfree('delayed_free_irq', info);
    this.k.irqs.freeDescs(info.irq, 1);
  }

  /** __unbind_from_irq(): close a bound event channel, then free; without an info only the descriptor goes. */
  private unbindFromIrq(info: XenIrqInfo | undefined, irq: number): void {
    if (info === undefined) {
      this.k.irqs.freeDescs(irq, 1);
      return;
    }
    if (info.refcnt > 0) {
      info.refcnt--;
      if (info.refcnt !== 0) return;
    }
    const evtchn = info.evtchn;
    if (evtchn !== 0) {
      this.xenIrqInfoCleanup(info);
      this.xenEvtchnClose(evtchn);
    }
    this.xenFreeIrq(info);
  }

  /**
   * xen_bind_pirq_msi_to_irq(): `nvec` irqs for pirqs pirq..pirq+nvec-1, every one after the first
   * in the MSI group; the first irq gets the MSI descriptor. Returns the first irq or a negative
   * errno (everything allocated so far is unbound again).
   */
  xenBindPirqMsiToIrq(_dev: PciDev, msidesc: MsiDesc, pirq: number, nvec: number, domid: number): number {
    const irq = this.k.irqs.allocDescs(-1, 0, nvec, this.chip);
    if (irq < 0) return irq;
    let ret = 0;
    for (let i = 0; i < nvec; i++) {
      const info = this.xenIrqInit(irq + i);
      if (info === null) {
        ret = -ENOMEM;
        break;
      }
      ret = this.xenIrqInfoPirqSetup(info, pirq + i, domid, i === 0 ? 0 : PIRQ_MSI_GROUP);
      if (ret < 0) break;
    }
    if (ret === 0) {
      // irq_set_msi_desc(irq, msidesc): the first irq only (offset 0 sets msidesc->irq)
      const d = this.k.irqs.desc(irq);
      if (d !== undefined) {
        d.msiDesc = msidesc;
        d.msiOffset = 0;
        this.k.touchIrq(irq);
      }
      msidesc.irq = irq;
      return irq;
    }
    // error_irq: unbind from the top down
    for (let n = nvec - 1; n >= 0; n--) this.unbindFromIrq(this.infos.get(irq + n), irq + n);
    return ret;
  }

  /**
   * xen_destroy_irq(): dom0 unmaps the pirq it mapped (the first of an MSI group stands for all),
   * then the irq goes. Returns 0 or the unmap error; on an unmap failure the irq_info and the
   * descriptor are not freed (the C code jumps past xen_free_irq()), and nothing refers to them
   * any more: its caller has cleared msidesc->irq.
   */
  xenDestroyIrq(irq: number): number {
    const info = this.info('xen_destroy_irq', irq);
    let rc = -ENOENT;
    if (this.initialDomain && (info.flags & PIRQ_MSI_GROUP) === 0) {
      rc = this.xen.hypercall({ op: 'PHYSDEVOP_unmap_pirq', domid: info.domid, pirq: info.pirq }).rc;
      if (rc === -ESRCH && info.domid !== DOMID_SELF) {
        this.k.printk(`domain ${info.domid} does not have ${info.pirq} anymore`);
      } else if (rc !== 0) {
        this.k.printk(`unmap irq failed ${rc}`);
        return rc;
      }
    }
    this.xenFreeIrq(info);
    return rc;
  }

  // --- the xen-pirq chip ---

  /** do_mask(): the first reason masks the event channel. */
  private doMask(info: XenIrqInfo, reason: number): void {
    if (info.maskReason === 0) this.maskEvtchn(info.evtchn, true);
    info.maskReason |= reason;
  }

  /** do_unmask(): the last reason gone, the event channel is unmasked (a pending event is delivered then). */
  private doUnmask(info: XenIrqInfo, reason: number): void {
    info.maskReason &= ~reason;
    if (info.maskReason === 0) this.maskEvtchn(info.evtchn, false);
  }

  /** mask_evtchn() / unmask_evtchn(): the shared-info mask bit of the port. */
  private maskEvtchn(port: number, masked: boolean): void {
    const ch = this.xen.ports.get(port);
    if (ch !== undefined) ch.masked = masked;
  }

  /** xen_irq_info_cleanup(): the port forgets the irq. */
  private xenIrqInfoCleanup(info: XenIrqInfo): void {
    this.evtchnToIrq.delete(info.evtchn);
    info.evtchn = 0;
  }

  /** xen_evtchn_close(): a failing EVTCHNOP_close is a BUG() in include/xen/events.h. */
  private xenEvtchnClose(port: number): void {
    if (this.xen.hypercall({ op: 'EVTCHNOP_close', port }).rc !== 0) throw new KernelOops('xen_evtchn_close', `kernel BUG: EVTCHNOP_close(${port}) failed`);
  }

  /** pirq_query_unmask(): PHYSDEVOP_irq_status_query says whether the pirq needs an EOI. */
  private pirqQueryUnmask(info: XenIrqInfo): void {
    const r = this.xen.hypercall({ op: 'PHYSDEVOP_irq_status_query', pirq: info.pirq });
    info.flags &= ~PIRQ_NEEDS_EOI;
    if (r.rc === 0 && r.needsEoi === true) info.flags |= PIRQ_NEEDS_EOI;
  }

  /** do_eoi_pirq() without the event_handler_exit() part (the fabric clears the pending bit when the event is taken). */
  private doEoiPirq(info: XenIrqInfo): void {
    if (info.evtchn === 0) return;
    if ((info.flags & PIRQ_NEEDS_EOI) !== 0) {
      const rc = this.xen.hypercall({ op: 'PHYSDEVOP_eoi', pirq: info.pirq }).rc;
      if (rc !== 0) this.k.warn('do_eoi_pirq', `PHYSDEVOP_eoi(${info.pirq}) = ${rc}`);
    }
  }

  /**
   * __startup_pirq(): bind an event channel to the pirq (Xen unmasks the machine interrupt),
   * then unmask it. A failing EVTCHNOP_bind_pirq is only logged: startup returns 0 either way,
   * so request_irq() succeeds with an irq that cannot fire.
   */
  private startupPirq(info: XenIrqInfo): void {
    if (info.evtchn === 0 && this.bindPirq(info) !== 0) {
      this.k.printk(`Failed to obtain physical IRQ ${info.irq}`);
      return;
    }
    this.doUnmask(info, EVT_MASK_REASON_EXPLICIT);
    this.doEoiPirq(info);
  }

  /** EVTCHNOP_bind_pirq and the port's mapping (the first half of __startup_pirq()). Returns 0 or the hypercall's error. */
  private bindPirq(info: XenIrqInfo): number {
    const r = this.xen.hypercall({ op: 'EVTCHNOP_bind_pirq', pirq: info.pirq, willShare: (info.flags & PIRQ_SHAREABLE) !== 0 });
    if (r.rc !== 0 || r.port === undefined) return r.rc !== 0 ? r.rc : -ENOENT;
    this.pirqQueryUnmask(info);
    this.evtchnToIrq.set(r.port, info.irq);
    info.evtchn = r.port;
    // bind_evtchn_to_cpu(info, 0, false)
    info.cpu = 0;
    return 0;
  }

  /** shutdown_pirq(): mask, forget the port, close it. */
  private shutdownPirq(info: XenIrqInfo): void {
    if (info.type !== 'IRQT_PIRQ') throw new KernelOops('shutdown_pirq', `kernel BUG: irq ${info.irq} is not a pirq`);
    const evtchn = info.evtchn;
    if (evtchn === 0) return;
    this.doMask(info, EVT_MASK_REASON_EXPLICIT);
    this.xenIrqInfoCleanup(info);
    this.xenEvtchnClose(evtchn);
  }

  /** xen_pirq_chip */
  private xenPirqChip(): IrqChip {
    const on = (site: string, d: IrqData): XenIrqInfo | null => {
      const info = this.infos.get(d.irq);
      if (info === undefined) return null;
      return this.k.heap.deref(site, info, 'irq_info');
    };
    // msi-fuzz's proposal: the event channel is bound where a failure can still fail request_irq()
    const requestResources = this.k.applied('msi-fuzz-xen-pirq-request-resources');
    return {
      name: 'xen-pirq',
      ...(requestResources
        ? {
            irqRequestResources: (_k: Kernel, d: IrqData): number => {
              const info = on('xen_pirq_request_resources', d);
              return info === null || info.evtchn !== 0 ? 0 : this.bindPirq(info);
            },
            irqReleaseResources: (_k: Kernel, d: IrqData): void => {
              const info = on('xen_pirq_release_resources', d);
              if (info !== null) this.shutdownPirq(info);
            },
          }
        : {}),
      irqStartup: (_k, d) => {
        const info = on('startup_pirq', d);
        if (info !== null) this.startupPirq(info);
      },
      irqShutdown: (_k, d) => {
        const info = on('shutdown_pirq', d);
        if (info !== null) this.shutdownPirq(info);
      },
      // disable_dynirq() / enable_dynirq()
      irqMask: (_k, d) => {
        const info = on('disable_dynirq', d);
        if (info !== null && info.evtchn !== 0) this.doMask(info, EVT_MASK_REASON_EXPLICIT);
      },
      irqUnmask: (_k, d) => {
        const info = on('enable_dynirq', d);
        if (info !== null && info.evtchn !== 0) this.doUnmask(info, EVT_MASK_REASON_EXPLICIT);
      },
      // eoi_pirq()
      irqEoi: (_k, d) => {
        const info = on('eoi_pirq', d);
        if (info !== null) this.doEoiPirq(info);
      },
    };
  }

  /** The irq an event channel raises (evtchn_to_info()), or -1. */
  irqOfPort(port: number): number {
    return this.evtchnToIrq.get(port) ?? -1;
  }

  /** Sanity view: every pirq irq_info, for the invariants. */
  pirqInfos(): XenIrqInfo[] {
    return [...this.infos.values()];
  }
}

