// kernel/irq/manage.c and chip.c: request_irq() / free_irq() with irq_activate(), irq_startup()
// and irq_shutdown(); __synchronize_irq() -> __synchronize_hardirq(), which waits until no CPU
// runs the handler (IRQD_IRQ_INPROGRESS) and, since 62e0468650c3, also polls the interrupt
// controller (irq_get_irqchip_state(IRQCHIP_STATE_ACTIVE)) until no interrupt is in flight;
// then __free_irq() deactivates the irq (irq_domain_deactivate_irq) and free_irq() kfree()s the
// irqaction. A wait is returned to the caller as a KernelWait: the CPU running free_irq()
// spins there while other CPUs run, and the harness re-polls it after every step.
import { chipCall, chipStartup, irqGetIrqchipStateActive } from './chip-call';
import { irqDoSetAffinity, irqSetupAffinity } from './affinity';
import { EBUSY, EINVAL, ENOMEM } from './errno';
import { IrqAction } from './irq-action';
import type { IrqDesc } from './irqdomain';
import type { Kernel } from './kernel';

/** A kernel thread spinning on a condition (free_irq() in __synchronize_irq()). */
export interface KernelWait {
  readonly cpu: number;
  /** What it waits for now, for repro annotations. */
  readonly what: string;
  /** What happens when the wait ends (`free_irq() returns`). */
  readonly done: string;
  /** Re-checks the condition; when it holds, finishes the operation and returns true. */
  resume(): boolean;
}

// __irq_startup(): activate, then chip->irq_startup, else irq_enable() (unmask); the irq counts
// as started whatever the chip returned, and so does its result
function irqStartupChip(k: Kernel, desc: IrqDesc): number {
  if (!desc.irqData.activated) {
    const ret = k.irqs.activateIrq(desc.irqData, false);
    if (ret !== 0) return ret;
  }
  desc.disabled = false;
  desc.started = true;
  return chipStartup(k, desc.irqData);
}

// irq_startup() with __irq_startup_managed(): a managed irq none of whose CPUs is online is not
// started (IRQ_STARTUP_ABORT, managed shutdown until one comes up); a managed one is routed
// inside its mask before it starts, any other one after (irq_setup_affinity)
export function irqStartup(k: Kernel, desc: IrqDesc): number {
  if (desc.started) {
    desc.disabled = false;
    return 0;
  }
  if (desc.affinityManaged) {
    desc.managedShutdown = false;
    if (!desc.affinity.some((c) => k.cpuIsOnline(c))) {
      desc.managedShutdown = true;
      return 0;
    }
    if (k.irqs.activateIrq(desc.irqData, false) !== 0) {
      k.warn('__irq_startup_managed', `irq ${desc.irq}: irq_domain_activate_irq() failed`);
      desc.managedShutdown = true;
      return 0;
    }
    irqDoSetAffinity(k, desc, desc.affinity, false);
    return irqStartupChip(k, desc);
  }
  // IRQCHIP_AFFINITY_PRE_STARTUP: irq_setup_affinity() before __irq_startup()
  if (desc.irqData.chip?.affinityPreStartup === true) {
    irqSetupAffinity(k, desc);
    return irqStartupChip(k, desc);
  }
  const ret = irqStartupChip(k, desc);
  irqSetupAffinity(k, desc);
  return ret;
}

// irq_shutdown(): chip->irq_shutdown, else mask; the desc is disabled
export function irqShutdown(k: Kernel, desc: IrqDesc): void {
  if (!desc.started) return;
  desc.started = false;
  desc.disabled = true;
  if (!chipCall(k, desc.irqData, 'irqShutdown')) chipCall(k, desc.irqData, 'irqMask');
}

// irq_shutdown_and_deactivate(): what CPU hotplug does to a managed irq that lost its last CPU
export function irqShutdownAndDeactivate(k: Kernel, desc: IrqDesc): void {
  irqShutdown(k, desc);
  k.irqs.deactivateIrq(desc.irqData);
}

// request_irq() -> request_threaded_irq(): kzalloc the irqaction; __setup_irq(): no sharing
// (MSIs are exclusive), irq_activate() (irq_domain_activate_irq(); a no-op for an irq activated
// early at allocation, MSI_FLAG_ACTIVATE_EARLY, and needed again after free_irq() deactivated
// it), then irq_startup()
export function requestIrq(k: Kernel, irq: number, name: string, owner: { dev: string; vec: number }): number {
  const desc = k.irqs.desc(irq);
  if (desc === undefined) return -EINVAL;
  // kzalloc of the irqaction, before __setup_irq() looks at the line
  if (k.faults.shouldFail('request_threaded_irq')) return -ENOMEM;
  if (desc.action !== null) return -EBUSY;
  const action = k.heap.kmalloc(new IrqAction(name, owner), 'request_threaded_irq');
  // __setup_irq(): the first action requests the chip's resources (irq_request_resources())
  const chip = desc.irqData.chip;
  let ret = chip?.irqRequestResources?.(k, desc.irqData) ?? 0;
  if (ret !== 0) {
    k.printk(`Failed to request resources for ${name} (irq ${irq}) on irqchip ${chip?.name ?? '?'}`);
    k.heap.kfree('request_threaded_irq', action);
    return ret;
  }
  // irq_activate(): managed irqs are activated by the managed startup instead
  ret = desc.affinityManaged ? 0 : k.irqs.activateIrq(desc.irqData, false);
  if (ret !== 0) {
    chip?.irqReleaseResources?.(k, desc.irqData);
    k.heap.kfree('request_threaded_irq', action);
    return ret;
  }
  desc.action = action;
  desc.pendingReplay = false;
  // __setup_irq() ignores what irq_startup() returns: the handler is installed, the line may
  // be dead. msi-fuzz's proposal fails the request instead: the chip undid its own startup,
  // the line is left not started and deactivated, the action freed.
  const sret = irqStartup(k, desc);
  if (sret < 0 && k.applied('msi-fuzz-startup-error')) {
    desc.action = null;
    desc.started = false;
    desc.disabled = true;
    k.irqs.deactivateIrq(desc.irqData);
    chip?.irqReleaseResources?.(k, desc.irqData);
    k.heap.kfree('request_threaded_irq', action);
    return sret;
  }
  return 0;
}

/** The CPU whose handler has the irq in progress, or -1. */
function inProgressOn(k: Kernel, desc: IrqDesc): number {
  if (!desc.inProgress) return -1;
  return k.hardirq.findIndex((f) => f !== null && f.desc === desc);
}

// __synchronize_hardirq(desc, sync_chip = true): first IRQD_IRQ_INPROGRESS (a handler running
// on another CPU), then the chip's view; why it must still wait, or null
function syncHardirqWhy(k: Kernel, desc: IrqDesc): string | null {
  if (desc.inProgress) return `__synchronize_hardirq(${desc.irq}): IRQD_IRQ_INPROGRESS, CPU ${inProgressOn(k, desc)} runs the handler`;
  if (irqGetIrqchipStateActive(k, desc.irqData) === true) return `__synchronize_irq(${desc.irq}): irq_get_irqchip_state(IRQCHIP_STATE_ACTIVE) says in flight`;
  return null;
}

// free_irq() -> __free_irq(): remove the action, shut the line down, then __synchronize_irq();
// once nothing is in flight the last action's irq is deactivated, and free_irq() kfree()s the
// action. Returns the wait when a handler runs or an interrupt is still in flight.
export function freeIrq(k: Kernel, irq: number, owner: { dev: string; vec: number }, cpu: number): { ret: number; wait: KernelWait | null } {
  const desc = k.irqs.desc(irq);
  if (desc === undefined) {
    k.warn('__free_irq', `Trying to free already-free IRQ ${irq}`);
    return { ret: -EINVAL, wait: null };
  }
  const action = desc.action;
  if (action === null || action.owner.dev !== owner.dev || action.owner.vec !== owner.vec) {
    k.warn('__free_irq', `Trying to free already-free IRQ ${irq}`);
    return { ret: -EINVAL, wait: null };
  }
  desc.action = null;
  // If this was the last handler, shut down the IRQ line (deactivation after synchronize)
  irqShutdown(k, desc);
  // after __synchronize_irq(): "There is no interrupt on the fly anymore. Deactivate it
  // completely." (no sharing: this was the last action); then free_irq()'s kfree(action)
  const finish = (d: IrqDesc | undefined): void => {
    if (d !== undefined && d.action === null) {
      k.irqs.deactivateIrq(d.irqData);
      // irq_release_resources() once the last action is gone
      d.irqData.chip?.irqReleaseResources?.(k, d.irqData);
    }
    k.heap.kfree('free_irq', action);
  };
  const first = syncHardirqWhy(k, desc);
  if (first === null) {
    finish(desc);
    return { ret: 0, wait: null };
  }
  let why = first;
  const wait: KernelWait = {
    cpu,
    get what() {
      return why;
    },
    done: `__synchronize_irq(${irq}) done, free_irq() returns`,
    resume: () => {
      const d = k.irqs.desc(irq);
      const now = d === undefined ? null : syncHardirqWhy(k, d);
      if (now !== null) {
        why = now;
        return false;
      }
      finish(d);
      return true;
    },
  };
  return { ret: 0, wait };
}
