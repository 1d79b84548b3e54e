// An invariant: a statement about the modelled machine that must hold after every command.
// Invariants only read state (the kernel, the platform's views, the step record); none of
// them knows which revision is running.
import type { KernelReport } from '../../models/kernel/report';
import type { Simulation, StepRecord } from '../sim/simulation';

export interface CheckContext {
  readonly sim: Simulation;
  readonly record: StepRecord;
  /** Reports the kernel made during this step. */
  readonly reports: readonly KernelReport[];
}

export interface Invariant {
  readonly id: string;
  /** One-line statement, printed in repro headers. */
  readonly statement: string;
  /** The kernel rule behind it, for `msi-fuzz list`. */
  readonly rule: string;
  /** Platforms it applies to; absent = every platform. */
  readonly platforms?: readonly string[];
  /** Returns a description of the violation, or null. */
  check(ctx: CheckContext): string | null;
}

export interface Violation {
  readonly invariant: string;
  readonly message: string;
  readonly step: number;
}
