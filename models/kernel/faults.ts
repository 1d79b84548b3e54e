// Fault injection, as the kernel's own fault-injection framework does it (failslab,
// fail_page_alloc) but aimed: a command arms "the n-th call of site S from now fails",
// and the model asks shouldFail(S) exactly where the kernel code can see that failure.

export interface FaultSite {
  /** Kernel-style name, e.g. `its_lpi_alloc` or `itt_alloc_pool`. */
  readonly name: string;
  readonly description: string;
  /** 'resource' faults are exhaustion the platform can hit in the field; 'kmalloc' faults are memory allocation failures. */
  readonly class: 'resource' | 'kmalloc' | 'firmware';
}

export class FaultInjector {
  /** site -> remaining calls before the failing one (0 = the next call fails). */
  private readonly armed = new Map<string, number>();
  private readonly fired: string[] = [];

  arm(site: string, nth = 0): void {
    this.armed.set(site, nth);
  }

  isArmed(site?: string): boolean {
    return site === undefined ? this.armed.size > 0 : this.armed.has(site);
  }

  /** Called by the model at the point where the kernel would see the failure. */
  shouldFail(site: string): boolean {
    const left = this.armed.get(site);
    if (left === undefined) return false;
    if (left > 0) {
      this.armed.set(site, left - 1);
      return false;
    }
    this.armed.delete(site);
    this.fired.push(site);
    return true;
  }

  firedSites(): readonly string[] {
    return this.fired;
  }
}
