// struct irqaction (include/linux/interrupt.h): what request_irq() installs. The owner names
// the driver and vector that asked for it, so a handler run can be told apart from another's.
export class IrqAction {
  constructor(
    /** request_irq()'s devname argument. */
    readonly name: string,
    /** The device (harness name) and vector the driver requested it for. */
    readonly owner: { readonly dev: string; readonly vec: number },
  ) {}
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
