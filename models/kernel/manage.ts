// kernel/irq/manage.c and chip.c: request_irq() / free_irq() with irq_startup() and
// irq_shutdown(), and __synchronize_irq(), which since 62e0468650c3 also polls the interrupt
// controller (irq_get_irqchip_state(IRQCHIP_STATE_ACTIVE)) until no interrupt is in flight.
// A wait is returned to the caller as a KernelWait: the CPU running free_irq() spins there
// while other CPUs run, and the harness re-polls it after every step.
import { chipCall, irqGetIrqchipStateActive } from './chip-call';
import { EBUSY, EINVAL } from './errno';
import { IrqAction } from './irq-action';
import type { IrqDesc } from './irqdomain';
import type { Kernel } from './kernel';

/** A kernel thread spinning on a condition (free_irq() in __synchronize_irq()). */
export interface KernelWait {
  readonly cpu: number;
  /** What it waits for, for repro annotations. */
  readonly what: string;
  /** What happens when the wait ends (`free_irq() returns`). */
  readonly done: string;
  /** Re-checks the condition; when it holds, finishes the operation and returns true. */
  resume(): boolean;
}

// irq_startup(): chip->irq_startup, else irq_enable() (unmask); the desc is enabled and started
export function irqStartup(k: Kernel, desc: IrqDesc): void {
  desc.disabled = false;
  desc.started = true;
  if (!chipCall(k, desc.irqData, 'irqStartup')) chipCall(k, desc.irqData, 'irqUnmask');
}

// irq_shutdown(): chip->irq_shutdown, else mask; the desc is disabled
export function irqShutdown(k: Kernel, desc: IrqDesc): void {
  if (!desc.started) return;
  desc.started = false;
  desc.disabled = true;
  if (!chipCall(k, desc.irqData, 'irqShutdown')) chipCall(k, desc.irqData, 'irqMask');
}

// request_irq() -> request_threaded_irq() -> __setup_irq(): no sharing (MSIs are exclusive);
// the first action starts the interrupt (irq_activate_and_startup; MSIs are activated early)
export function requestIrq(k: Kernel, irq: number, name: string, owner: { dev: string; vec: number }): number {
  const desc = k.irqs.desc(irq);
  if (desc === undefined) return -EINVAL;
  if (desc.action !== null) return -EBUSY;
  desc.action = new IrqAction(name, owner);
  desc.pendingReplay = false;
  irqStartup(k, desc);
  return 0;
}

// __synchronize_hardirq(desc, sync_chip = true): handlers run to completion in the model, so
// only the chip state can be in progress; true = still in flight
function syncHardirqInProgress(k: Kernel, desc: IrqDesc): boolean {
  return irqGetIrqchipStateActive(k, desc.irqData) === true;
}

// free_irq() -> __free_irq(): remove the action, shut the line down, then __synchronize_irq()
// before the action is freed. Returns the wait when an interrupt is still in flight.
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
  // __synchronize_irq(desc)
  if (!syncHardirqInProgress(k, desc)) return { ret: 0, wait: null };
  const wait: KernelWait = {
    cpu,
    what: `__synchronize_irq(${irq}): irq_get_irqchip_state(IRQCHIP_STATE_ACTIVE) says in flight`,
    done: `__synchronize_irq(${irq}) done, free_irq() returns`,
    resume: () => {
      const d = k.irqs.desc(irq);
      return d === undefined || !syncHardirqInProgress(k, d);
    },
  };
  return { ret: 0, wait };
}
