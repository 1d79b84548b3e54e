// drivers/irqchip/irq-riscv-imsic-early.c: how a hart takes interrupts from its interrupt file
// (imsic_handle_irq(), the chained handler of the hart's external interrupt), and what the
// IMSIC does when a CPU comes up or goes down (imsic_starting_cpu() / imsic_dying_cpu()).
//
// The interrupt file is hardware: a device's write of an identity to a hart's page sets the
// EIP bit of that identity whether or not the hart is online or the identity enabled; the hart
// takes the lowest-numbered identity that is pending and enabled (TOPEI) while delivery is on,
// and taking it clears the pending bit (csr_swap(CSR_TOPEI, 0)). Nothing clears a pending bit
// when an identity is freed or handed to another irq.
import type { Device } from '../../kernel/device';
import type { IrqOrigin } from '../../kernel/irq-action';
import type { InFlight, InterruptFabric, TakenIrq } from '../../kernel/irq-fabric';
import type { IrqDomain, MsiMsg } from '../../kernel/irqdomain';
import type { Kernel } from '../../kernel/kernel';
import type { ArchCpuHotplug } from '../../kernel/cpuhotplug';
import { IMSIC_ID_NONE, IMSIC_IPI_ID, imsicLocalSyncAll, imsicLocalTimerCallback, imsicStateOffline, imsicStateOnline, type ImsicFile } from './imsic-state';
import { imsicIrqForceCompleteMove, imsicIrqSetAffinity, imsicLevelOf, vecOf, type ImsicDriver } from './imsic-platform';
import { ENOSPC } from '../../kernel/errno';

/** Runs `fn` as code on `cpu` (smp_processor_id()). */
export function onCpu<T>(k: Kernel, cpu: number, fn: () => T): T {
  const prev = k.currentCpu;
  k.currentCpu = cpu;
  try {
    return fn();
  } finally {
    k.currentCpu = prev;
  }
}

export class ImsicFabric implements InterruptFabric {
  readonly name = 'imsic';

  constructor(
    private readonly drv: ImsicDriver,
    /** The IMSIC base domain, for the pre-0bd55080ba9e translation. */
    private readonly baseDomain: () => IrqDomain,
  ) {}

  get nrCpus(): number {
    return this.drv.k.nrCpus;
  }

  private file(cpu: number): ImsicFile | undefined {
    return this.drv.imsic.files[cpu];
  }

  /** A write of `id` to CPU `cpu`'s interrupt file sets its EIP bit (repeats coalesce). */
  latch(cpu: number, id: number, origins: readonly IrqOrigin[]): string {
    const file = this.file(cpu);
    if (file === undefined) return `blocked: no interrupt file for CPU ${cpu}`;
    if (id === IMSIC_ID_NONE || id > this.drv.imsic.nrIds) return `blocked: identity ${id} is not implemented in CPU ${cpu}'s interrupt file`;
    const irq = (this.drv.imsic.lpriv[cpu]?.vectors[id]?.irq ?? 0) as number;
    const desc = irq > 0 ? this.drv.k.irqs.desc(irq) : undefined;
    const old = file.eip.get(id);
    this.drv.k.dirty.objects.add(file);
    // One bit per identity: a write while it is set merges with it (the hart takes one
    // interrupt for every raise that merged); a bit left by an owner since freed counts for
    // the identity's new owner
    if (old !== undefined && (old.desc === desc || desc === undefined)) {
      const merged = [...old.origins];
      for (const o of origins) if (!merged.some((m) => m.dev === o.dev && m.vec === o.vec)) merged.push(o);
      file.eip.set(id, { ...old, origins: merged });
      return `CPU ${cpu} identity ${id} already pending (coalesced)`;
    }
    file.eip.set(id, { origins: [...(old?.origins ?? []), ...origins], irq, desc });
    return `CPU ${cpu} identity ${id} pending${irq > 0 ? ` (irq ${irq})` : ' (no irq holds it)'}`;
  }

  signal(_dev: Device, msg: MsiMsg, origin: IrqOrigin): string {
    const addr = msg.addressHi * 2 ** 32 + msg.addressLo;
    const cpu = this.drv.imsic.cpuOfAddress(addr);
    if (cpu < 0) return `blocked: ${addr.toString(16)} is no interrupt file`;
    return this.latch(cpu, msg.data, [origin]);
  }

  /** TOPEI: the lowest pending and enabled identity, or 0. */
  private topei(file: ImsicFile): number {
    let best = 0;
    for (const id of file.eip.keys()) if (id !== IMSIC_ID_NONE && file.eie[id] === true && (best === 0 || id < best)) best = id;
    return best;
  }

  /**
   * imsic_handle_irq(): process the pending local synchronization first, then claim TOPEI and
   * hand the identity's irq to generic_handle_irq() (before 0bd55080ba9e: look vec->hwirq up in
   * the base domain); an identity no irq holds is dropped
   */
  takeNext(cpu: number): TakenIrq | null {
    const { k } = this.drv;
    const file = this.file(cpu);
    if (file === undefined || !k.cpuIsOnline(cpu) || !file.delivery) return null;
    // The hart's external interrupt is asserted only while an identity is pending and enabled
    if (this.topei(file) === 0) return null;
    onCpu(k, cpu, () => imsicLocalSyncAll(this.drv, cpu, false));
    for (;;) {
      const id = this.topei(file);
      if (id === 0) return null;
      const e = file.eip.get(id);
      file.eip.delete(id);
      k.dirty.objects.add(file);
      if (id === IMSIC_IPI_ID) continue;
      const vec = this.drv.imsic.lpriv[cpu]?.vectors[id];
      let irq = vec?.irq ?? 0;
      if (!k.applied('0bd55080ba9e')) {
        // generic_handle_domain_irq(imsic->base_domain, vec->hwirq)
        irq = irq === 0 ? 0 : k.irqs.findMapping(this.baseDomain(), irq);
        if (irq === 0) k.printk(`riscv-imsic: hwirq mapping not found for local ID ${id} on CPU ${cpu}`);
      }
      if (irq === 0) continue;
      return { irq, origin: e?.origins[0] ?? null };
    }
  }

  idleReason(cpu: number): string {
    const file = this.file(cpu);
    if (!this.drv.k.cpuIsOnline(cpu)) return `CPU ${cpu} is offline`;
    if (file === undefined || !file.delivery) return `CPU ${cpu}: interrupt delivery off`;
    const masked = [...file.eip.keys()].filter((id) => file.eie[id] !== true);
    return masked.length > 0 ? `CPU ${cpu}: identities ${masked.join(',')} pending but not enabled` : `nothing pending in CPU ${cpu}'s interrupt file`;
  }

  // The IMSIC claims on TOPEI: nothing to EOI
  afterFlow(): void {}

  /**
   * Pending bits a CPU will take as the irq they were raised for: enabled in its file, or
   * enabled in the vector with the hart's lazy sync armed to apply it (the timer fires within
   * a jiffy), or on the old vector of a move whose sync is armed to forward it to the new one.
   */
  inFlight(): InFlight[] {
    const { k } = this.drv;
    const out: InFlight[] = [];
    this.drv.imsic.files.forEach((file, cpu) => {
      const lpriv = this.drv.imsic.lpriv[cpu];
      if (!k.cpuIsOnline(cpu) || !file.delivery || lpriv === undefined) return;
      for (const [id, e] of file.eip) {
        const vec = lpriv.vectors[id];
        const synced = lpriv.dirty.has(id) && lpriv.timerPending;
        const willEnable = vec?.enable === true && synced;
        const willForward = vec?.moveNext !== null && vec?.moveNext !== undefined && synced;
        if ((file.eie[id] !== true && !willEnable && !willForward) || e.irq === 0) continue;
        const irq = vec?.irq ?? 0;
        if (irq !== e.irq || k.irqs.desc(irq) === undefined || k.irqs.desc(irq) !== e.desc) continue;
        const where = `CPU ${cpu} identity ${id}${willForward ? ' (forwarded at its sync)' : ''}`;
        for (const origin of e.origins.length > 0 ? e.origins : [null]) out.push({ irq, cpu, origin, where });
      }
    });
    return out;
  }

  priorityRaised(): string | null {
    return null;
  }

  /** An interrupt of a live irq pending in the interrupt file of an offline CPU. */
  leftBehind(): string[] {
    const { k } = this.drv;
    const out: string[] = [];
    this.drv.imsic.files.forEach((file, cpu) => {
      if (k.cpuIsOnline(cpu)) return;
      for (const [id, e] of file.eip) {
        // an irq shut down (managed, or freed by its driver) is not owed the interrupt
        const o = e.origins[0];
        if (o === undefined || e.irq === 0 || k.irqs.desc(e.irq) !== e.desc || e.desc === undefined) continue;
        if (k.irqs.desc(e.irq)?.irqData.activated !== true) continue;
        out.push(`irq ${e.irq} (raised by ${o.dev} vec ${o.vec}) pending at identity ${id} of offline CPU ${cpu}`);
      }
    });
    return out;
  }
}

/**
 * msi-fuzz's proposal: can every irq whose identity is on `cpu` get one elsewhere? A greedy
 * placement over the other online CPUs' free identities, managed irqs (within their masks) first.
 */
function imsicCanUnplugCpu(drv: ImsicDriver, base: IrqDomain, cpu: number): string | null {
  const { k, imsic } = drv;
  const free = new Map<number, number>();
  for (const c of k.onlineCpus()) if (c !== cpu) free.set(c, imsic.matrix.availableAt(c));
  const irqs = [...base.revmap.values()].filter((d) => vecOf(d)?.cpu === cpu).map((d) => k.irqs.desc(d.irq)).filter((d) => d !== undefined);
  irqs.sort((a, b) => Number(b.affinityManaged) - Number(a.affinityManaged));
  for (const desc of irqs) {
    const cands = [...free.keys()].filter((c) => !desc.affinityManaged || desc.affinity.includes(c));
    let best = -1;
    for (const c of cands) if ((free.get(c) ?? 0) > 0 && (best < 0 || (free.get(c) ?? 0) > (free.get(best) ?? 0))) best = c;
    // a managed irq none of whose other CPUs is online is shut down, not moved
    if (best < 0 && desc.affinityManaged && cands.length === 0) continue;
    if (best < 0) return `irq ${desc.irq} finds no free identity on ${desc.affinityManaged ? 'the CPUs of its mask' : 'the other CPUs'}`;
    free.set(best, (free.get(best) ?? 0) - 1);
  }
  return null;
}

/**
 * Every armed lazy timer of an online CPU fires on its CPU (imsic_local_timer_callback()), again
 * while a sync that had to wait for another CPU re-armed one (a few jiffies at most).
 */
function expireTimers(drv: ImsicDriver): number {
  for (let pass = 0; pass <= drv.k.nrCpus; pass++) {
    const armed = drv.k.onlineCpus().filter((cpu) => drv.imsic.lpriv[cpu]?.timerPending === true);
    if (armed.length === 0) break;
    for (const cpu of armed) onCpu(drv.k, cpu, () => imsicLocalTimerCallback(drv, cpu));
  }
  return 0;
}

/** imsic_hw_states_init(): IPIs, a sync of every identity, then delivery on */
function imsicHwStatesInit(drv: ImsicDriver, cpu: number): void {
  imsicLocalSyncAll(drv, cpu, true);
  (drv.imsic.files[cpu] as ImsicFile).delivery = true;
}

/** imsic_starting_cpu(): on the CPU coming up, before it is marked online */
export function imsicStartingCpu(drv: ImsicDriver, cpu: number): void {
  onCpu(drv.k, cpu, () => {
    imsicStateOnline(drv.imsic, cpu);
    imsicHwStatesInit(drv, cpu);
  });
}

/**
 * imsic_dying_cpu(): on the CPU going down, after its irqs were migrated: a last sync, then the
 * matrix map goes offline
 */
function imsicDyingCpu(drv: ImsicDriver, cpu: number): void {
  imsicLocalSyncAll(drv, cpu, false);
  imsicStateOffline(drv.imsic, cpu);
}

/**
 * The IMSIC's part of CPU hotplug. take_cpu_down() runs on the outgoing CPU: the migration
 * (irq_migrate_all_off_this_cpu(), with irq_force_complete_move() from 51611130d57d) and then
 * the CPUHP_AP_IRQ_RISCV_IMSIC_STARTING teardown. imsic_starting_cpu() runs on the incoming CPU.
 */
export function imsicCpuHotplug(drv: ImsicDriver, baseDomain: () => IrqDomain): ArchCpuHotplug {
  let saved = 0;
  const hp: ArchCpuHotplug = {
    /**
     * Timing, not code: a CPU hotplug runs the hotplug state machine for milliseconds before
     * take_cpu_down() (or the new CPU's bringup), so every online CPU's lazy IMSIC timer (armed
     * for jiffies + 1) has fired by then. The model's timers fire only when a command says so;
     * here they catch up.
     */
    canDisable: () => expireTimers(drv),
    dying(cpu) {
      saved = drv.k.currentCpu;
      drv.k.currentCpu = cpu;
    },
    afterMigrate: (cpu) => imsicDyingCpu(drv, cpu),
    offline() {
      drv.k.currentCpu = saved;
    },
    online(cpu) {
      expireTimers(drv);
      imsicStartingCpu(drv, cpu);
    },
  };
  const proposal = drv.k.applied('msi-fuzz-imsic-hotplug');
  if (drv.k.applied('51611130d57d') || proposal) {
    hp.forceCompleteMove = (desc, cpu) => {
      const d = imsicLevelOf(desc, baseDomain());
      if (d === null) return;
      imsicIrqForceCompleteMove(drv, d, cpu);
      // msi-fuzz's proposal: an irq that is not started keeps an identity too; move it off
      if (proposal && !desc.irqData.activated && vecOf(d)?.cpu === cpu) imsicIrqSetAffinity(drv, d, drv.k.onlineCpus());
    };
  }
  if (proposal) {
    // msi-fuzz's proposal, as lapic_can_unplug_cpu(): refuse the unplug when the other CPUs
    // cannot take this one's identities (a managed irq only within its mask: the IMSIC has no
    // managed reservations); then no allocation of the migration can fail
    hp.canDisable = (cpu) => {
      expireTimers(drv);
      const why = imsicCanUnplugCpu(drv, baseDomain(), cpu);
      if (why !== null) {
        drv.k.printk(`CPU ${cpu}: ${why}. Cannot disable CPU`);
        return -ENOSPC;
      }
      drv.imsic.matrix.roomGuaranteed = true;
      return 0;
    };
    const dying = hp.afterMigrate;
    hp.afterMigrate = (cpu) => {
      drv.imsic.matrix.roomGuaranteed = false;
      dying?.(cpu);
    };
  }
  return hp;
}
