// What the driver is owed: every interrupt a device raised on a vector its driver holds a
// handler for, until a handler run for that vector follows it (edge MSIs coalesce: one run
// answers every raise before it). Freeing the handler releases the debt.
export interface OwedIrq {
  readonly dev: string;
  readonly vec: number;
  /** Step of the earliest raise not answered yet. */
  readonly step: number;
}

export class DeliveryLedger {
  private readonly owed = new Map<string, OwedIrq>();

  raised(dev: string, vec: number, step: number): void {
    const key = `${dev}:${vec}`;
    if (!this.owed.has(key)) this.owed.set(key, { dev, vec, step });
  }

  handled(dev: string, vec: number): void {
    this.owed.delete(`${dev}:${vec}`);
  }

  /** free_irq() by the driver, or the device is gone. */
  released(dev: string, vec?: number): void {
    for (const [key, o] of this.owed) if (o.dev === dev && (vec === undefined || o.vec === vec)) this.owed.delete(key);
  }

  outstanding(): OwedIrq[] {
    return [...this.owed.values()];
  }
}
