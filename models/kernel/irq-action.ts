// struct irqaction (include/linux/interrupt.h): what request_irq() installs. request_threaded_irq()
// kzalloc()s it and free_irq() kfree()s it once __free_irq() has returned, so it is a heap
// object: a CPU still running the handler after that reads freed memory (KASAN). The owner
// names the driver and vector that asked for it, so a handler run can be told apart from another's.
import { KObject } from './heap';

export class IrqAction extends KObject {
  readonly kind = 'irqaction';
  constructor(
    /** request_irq()'s devname argument. */
    readonly name: string,
    /** The device (harness name) and vector the driver requested it for. */
    readonly owner: { readonly dev: string; readonly vec: number },
  ) {
    super();
  }
}

/** Where an interrupt came from: which device raised which vector, at which step (model bookkeeping, invisible to kernel code). */
export interface IrqOrigin {
  readonly dev: string;
  readonly vec: number;
  readonly step: number;
}

export function originName(o: IrqOrigin | null): string {
  return o === null ? 'unknown' : `${o.dev} vec ${o.vec} (step ${o.step + 1})`;
}
