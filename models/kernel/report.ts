// What the modelled kernel says about itself: the equivalent of dmesg lines that matter
// (WARN splats, KASAN reports, oopses) plus sanitizer findings that real hardware would
// only show later as corruption (a double release of a bitmap region, an LPI range freed twice).
//
// Reports are facts about the run; the invariants in src/ decide which of them are violations.

export type ReportKind =
  | 'warn' // WARN_ON()/WARN_ONCE() fired
  | 'oops' // NULL dereference, call through a NULL function pointer, wild pointer
  | 'kasan-use-after-free' // access to an object after kfree()
  | 'double-free' // a resource released that was not held (bitmap bits, LPI range, virq)
  | 'union-confusion' // a union read through a member other than the one last written
  | 'soft-lockup'; // a loop that would spin for seconds with a lock held

export interface KernelReport {
  readonly kind: ReportKind;
  /** The kernel function in which it happened, e.g. `its_irq_domain_alloc`. */
  readonly site: string;
  readonly message: string;
  /** Index of the driver-level command during which it happened (set by the harness). */
  readonly step: number;
}

/** Thrown when the modelled kernel cannot continue (an oops): the command is cut short. */
export class KernelOops extends Error {
  constructor(
    readonly site: string,
    readonly detail: string,
  ) {
    super(`Oops in ${site}: ${detail}`);
    this.name = 'KernelOops';
  }
}
