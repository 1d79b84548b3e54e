// An invariant: a statement about the modelled machine that must hold after every command.
// Invariants only read state (the kernel, the platform's views, the step record); none of
// them knows which revision is running.
import type { StepDirty } from '../../models/kernel/dirty';
import type { KernelReport } from '../../models/kernel/report';
import type { Simulation, StepRecord } from '../sim/simulation';

export interface CheckContext {
  readonly sim: Simulation;
  readonly record: StepRecord;
  /** Reports the kernel made during this step. */
  readonly reports: readonly KernelReport[];
  /**
   * What the step touched, as the model recorded it (irqs, devices, freed or changed objects)
   * plus the devices the command named; null when the step must be checked in full (a command
   * that names no device, the periodic and end-of-run safety nets, or a caller asking for it).
   */
  readonly touched: StepDirty | null;
}

export interface Invariant {
  readonly id: string;
  /** One-line statement, printed in repro headers. */
  readonly statement: string;
  /** The kernel rule behind it, for `msi-fuzz list`. */
  readonly rule: string;
  /** Platforms it applies to; absent = every platform. */
  readonly platforms?: readonly string[];
  /** Returns a description of the violation, or null: the full check, over the whole state. */
  check(ctx: CheckContext): string | null;
  /**
   * Incremental invariants (the ones whose full scan grows with the machine) also check only
   * what the step touched; it must find every violation `check` finds that the step could
   * have caused through what it touched. Used when ctx.touched is not null.
   */
  checkTouched?(ctx: CheckContext, touched: StepDirty): string | null;
}

export interface Violation {
  readonly invariant: string;
  readonly message: string;
  readonly step: number;
}
