// What every command kind provides to the engines, the shrinker and the repro format.
import type { AbstractState } from '../abstract/state';
import type { Simulation } from '../sim/simulation';
import type { Command, CommandKind, CommandOf, Outcome } from './command';
import type { Rng } from './rng';

/**
 * What the abstract model predicts a command returns. An 'exact' or 'range' promise holds
 * unless an injected failure fires during the call (the kernel saw the allocation or firmware call fail):
 * then the call may return an error, or, with `underFault`, a count the API's fallbacks give
 * (pci_alloc_irq_vectors() falling back from MSI-X to MSI, or to fewer vectors).
 */
export type Expectation =
  | { readonly kind: 'exact'; readonly ret: number; readonly why: string; readonly underFault?: { readonly min: number; readonly max: number } }
  | { readonly kind: 'range'; readonly min: number; readonly max: number; readonly orError: boolean; readonly why: string; readonly underFault?: { readonly min: number; readonly max: number } }
  | { readonly kind: 'error'; readonly why: string }
  | { readonly kind: 'none' };

/** A parsed argument: positional (`dev0`, `4`, `PCI_IRQ_MSI|PCI_IRQ_MSIX`) or named (`rid=01:00.0`). */
export interface Arg {
  readonly name: string | null;
  readonly value: string;
  /** 1-based column of the argument in its line, for error messages. */
  readonly col: number;
}

export class ArgError extends Error {
  constructor(
    message: string,
    readonly col: number,
  ) {
    super(message);
  }
}

export interface VocabContext {
  readonly faultSites: readonly string[];
  /** The pools exhaust() may drain (none unless resource faults are on). */
  readonly pools?: readonly { readonly name: string; readonly perCpu: boolean }[];
  /** The platform being fuzzed: platform-specific commands only apply to theirs. */
  readonly platform: string;
  /** Kinds this run hunts: hidden ones (weight 0) are generated with their huntWeight, others weigh HUNT_BOOST times more (src/engine/generate.ts). */
  readonly hunt?: ReadonlySet<string>;
}

export interface CommandSpec<K extends CommandKind> {
  readonly kind: K;
  /** One line for `msi-fuzz list` and docs/reference/commands.md. */
  readonly summary: string;
  /** Relative weight when generating; 0 hides the kind from generation (still parses). */
  readonly weight: number;
  /**
   * Not the driver thread: a device or another CPU acts (msi_raise, cpu_handle_irq). Only such
   * commands are generated while the driver thread waits in the kernel; a driver command
   * replayed then runs when the wait ends.
   */
  readonly concurrent?: boolean;
  /**
   * A factor on the weight for what the current state offers this kind beyond being valid
   * (cpu_down: a CPU an irq just moved to or from); kinds without it count as 1.
   */
  boost?(s: AbstractState): number;
  /** Weight when a hunt enables a kind whose default weight is 0 (see KnownBug.commands). */
  readonly huntWeight?: number;
  /**
   * How many devices this kind could act on in the current state (0: nothing to offer, so it is
   * not even tried). Generation weighs the kind by it (src/engine/generate.ts); kinds without it
   * count as one.
   */
  choices?(s: AbstractState): number;
  /**
   * Whether the kind applies under `ctx` at all (exhaust: only where pools can be drained;
   * platform-specific kinds: only on their platforms); a kind that is not offered never enters
   * generation, so adding one does not change what other platforms' seeds draw. Kinds without
   * it always are.
   */
  offered?(ctx: VocabContext): boolean;
  /** Could a driver issue this command now? */
  valid(cmd: CommandOf<K>, s: AbstractState, ctx: VocabContext): boolean;
  /**
   * Why not, when `valid` is false: the rule the command breaks in this state, in a few words
   * (replay prints it at the command's FILE:LINE:COL); null when it is valid. It restates
   * `valid` rule by rule, so the two must agree (test/repro/invalid.test.ts checks them on
   * generated runs); `valid` stays the fast test the engines call at every step.
   */
  invalid?(cmd: CommandOf<K>, s: AbstractState, ctx: VocabContext): string | null;
  /** A random command of this kind that is valid now, or null. */
  generate(s: AbstractState, rng: Rng, ctx: VocabContext): CommandOf<K> | null;
  /** What the abstract model says the kernel should answer. */
  expect(cmd: CommandOf<K>, s: AbstractState, sim: Simulation): Expectation;
  run(cmd: CommandOf<K>, sim: Simulation): Outcome;
  /** Folds the real outcome into the abstract state. */
  update(cmd: CommandOf<K>, outcome: Outcome, s: AbstractState, sim: Simulation): void;
  /** Arguments as printed in a repro, in order. */
  format(cmd: CommandOf<K>): string[];
  parse(args: readonly Arg[]): CommandOf<K>;
  /** Simpler variants, simplest first (for the shrinker). */
  simplify(cmd: CommandOf<K>): CommandOf<K>[];
  /**
   * For the shrinker: this kind's command that may do the job of `other`, a command of another
   * kind, in a shorter list (x86 generic_handle_irq: the vector's interrupt arriving at once,
   * for the msi_raise that raised it or the request_irq that let a latched one through), or null.
   */
  standIn?(other: Command): CommandOf<K> | null;
}

export type AnySpec = { [K in CommandKind]: CommandSpec<K> }[CommandKind];

export function formatCommand(spec: CommandSpec<CommandKind>, cmd: Command): string {
  return `${cmd.kind}(${(spec.format as (c: Command) => string[])(cmd).join(', ')})`;
}
