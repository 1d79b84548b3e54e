// Fault injection, as the kernel's own fault-injection framework does it (failslab,
// fail_page_alloc, /proc/self/task/<tid>/fail-nth) but aimed, and scoped to one driver-level
// command the way syzkaller scopes fail-nth to one system call:
//
// - fail_next(S, nth=K) arms site S for the next command: the K-th call of S within that
//   command (0 = the first) fails, where the kernel code sees that failure. A fault that did
//   not fire by the end of its command is disarmed (syzkaller writes fail-nth before a call
//   and reads it back after: a positive value means the call never got that far, and the
//   fault is dropped). Calls are counted per site, not across all sites as fail-nth does.
// - exhaust(P[, cpu=N]) drains pool P (or CPU N's share of it) for the next command: from the
//   start of that command to its end, P has no free unit except what the command frees itself.
//   The pool's owner implements that (a filler that holds every free unit, or a per-CPU mark its
//   allocator reads), so every kernel reader of the pool sees one consistent exhaustion.
//
// The model asks shouldFail(S) exactly where the kernel checks the failure, and follows the
// kernel's error path from there.

export type FaultClass = 'resource' | 'kmalloc' | 'firmware';

export interface FaultSite {
  /** Kernel-style name, e.g. `its_lpi_alloc` or `itt_alloc_pool`. */
  readonly name: string;
  readonly description: string;
  /** 'resource' faults are exhaustion the platform can hit in the field; 'kmalloc' faults are memory allocation failures. */
  readonly class: FaultClass;
  /** The kernel function that fails and the caller that checks it, `file: function()`. */
  readonly kernel?: string;
}

/** A resource pool exhaust() can drain, per CPU or as a whole. */
export interface PoolSpec {
  /** The pool's name, as resources() reports it where it does (`vector`, `LPI`, `IRTE`). */
  readonly name: string;
  readonly description: string;
  /** Drained one CPU at a time (exhaust(pool, cpu=N)); otherwise as a whole. */
  readonly perCpu: boolean;
  /** The allocator whose failure the exhaustion makes happen, `file: function()`. */
  readonly kernel?: string;
}

/**
 * Drains the pool (for `cpu` where per CPU) until the returned release runs at the end of the
 * command; the release gives back exactly what the drain took.
 */
export type PoolDrain = (cpu: number | null) => () => void;

/** A fault armed for the next command, as the driver-outcome oracle and the generator read it. */
export interface ArmedFault {
  readonly kind: 'fail' | 'exhaust';
  /** The fault site (fail) or the pool (exhaust). */
  readonly site: string;
  /** fail: which call of the site in the command fails (0 = the first). */
  readonly nth: number;
  /** exhaust: the CPU whose share is drained, or null for the whole pool. */
  readonly cpu: number | null;
}

/** A fault that fired: the site, the call index within its command, and the step. */
export interface FiredFault {
  readonly kind: 'fail' | 'exhaust';
  readonly site: string;
  /** fail: the index of the failing call within the command; exhaust: the CPU, -1 for the whole pool. */
  readonly nth: number;
  readonly step: number;
}

interface LiveFault {
  readonly site: string;
  readonly nth: number;
  calls: number;
}

interface LiveDrain {
  readonly pool: string;
  readonly cpu: number | null;
  release: (() => void) | null;
}

export class FaultInjector {
  /** site -> fault armed for the next command (or running in the current one). */
  private readonly armedFaults = new Map<string, LiveFault>();
  private readonly drains: LiveDrain[] = [];
  private readonly pools = new Map<string, PoolDrain>();
  private readonly firedLog: FiredFault[] = [];
  private readonly missedLog: ArmedFault[] = [];
  /** Calls of each site in the current command. */
  private readonly callsNow = new Map<string, number>();
  /** The most calls of each site any one command has made (generation aims at the last one). */
  private readonly maxCalls = new Map<string, number>();
  /** Calls of each site made by a driver entry point run at boot, by the kernel function's name. */
  private readonly bootEntries = new Map<string, Map<string, number>>();
  /** Inside a command (beginCommand() ran, endCommand() not yet). */
  private inCommand = false;
  private step = 0;

  /** Arms `site` for the next command: its `nth` call there fails. */
  arm(site: string, nth = 0): void {
    this.armedFaults.set(site, { site, nth, calls: 0 });
  }

  /** Drains `pool` (CPU `cpu`'s share of it, for a per-CPU pool) during the next command. */
  exhaust(pool: string, cpu: number | null): void {
    this.drains.push({ pool, cpu, release: null });
  }

  /** The pool's owner says how to drain it (at boot); exhaust() of an unregistered pool does nothing. */
  registerPool(pool: string, drain: PoolDrain): void {
    this.pools.set(pool, drain);
  }

  registeredPools(): string[] {
    return [...this.pools.keys()];
  }

  isArmed(site?: string): boolean {
    if (site === undefined) return this.armedFaults.size > 0 || this.drains.length > 0;
    return this.armedFaults.has(site) || this.drains.some((d) => d.pool === site);
  }

  /** What is armed for the next command (or the current one, during it). Read-only. */
  armed(): readonly ArmedFault[] {
    const out: ArmedFault[] = [];
    for (const f of this.armedFaults.values()) out.push({ kind: 'fail', site: f.site, nth: f.nth, cpu: null });
    for (const d of this.drains) out.push({ kind: 'exhaust', site: d.pool, nth: 0, cpu: d.cpu });
    return out;
  }

  /** A driver-level command starts: armed faults count its calls, drains take effect. */
  beginCommand(step: number): void {
    this.inCommand = true;
    this.step = step;
    this.callsNow.clear();
    for (const d of this.drains) {
      const drain = this.pools.get(d.pool);
      if (drain !== undefined) d.release = drain(d.cpu);
    }
  }

  /**
   * The command is over: drained pools get their units back, and a fault that did not fire
   * is disarmed. Returns the faults that did not fire.
   */
  endCommand(): readonly ArmedFault[] {
    const missed: ArmedFault[] = [];
    for (const f of this.armedFaults.values()) missed.push({ kind: 'fail', site: f.site, nth: f.nth, cpu: null });
    this.armedFaults.clear();
    // Give back in reverse order of taking, as an unwind does
    for (const d of this.drains.splice(0).reverse()) d.release?.();
    for (const [site, n] of this.callsNow) if (n > (this.maxCalls.get(site) ?? 0)) this.maxCalls.set(site, n);
    this.inCommand = false;
    this.missedLog.push(...missed);
    return missed;
  }

  /** Called by the model at the point where the kernel would see the failure. */
  shouldFail(site: string): boolean {
    const index = this.callsNow.get(site) ?? 0;
    this.callsNow.set(site, index + 1);
    const f = this.armedFaults.get(site);
    if (f === undefined) return false;
    // Outside a command (models driven directly by tests) the count runs from arming.
    const call = this.inCommand ? index : f.calls++;
    if (call !== f.nth) return false;
    this.armedFaults.delete(site);
    this.firedLog.push({ kind: 'fail', site, nth: f.nth, step: this.step });
    return true;
  }

  /** Is `pool` (or `cpu`'s share of it) drained in this command? For allocators that read a per-CPU mark. */
  exhausted(pool: string, cpu: number | null = null): boolean {
    if (!this.inCommand) return false;
    return this.drains.some((d) => d.pool === pool && (d.cpu === null || cpu === null || d.cpu === cpu));
  }

  /** An allocation failed, or went elsewhere, because `pool` was drained: the exhaustion fired. */
  refused(pool: string, cpu: number | null = null): void {
    if (this.firedLog.some((f) => f.kind === 'exhaust' && f.site === pool && f.step === this.step)) return;
    this.firedLog.push({ kind: 'exhaust', site: pool, nth: cpu ?? -1, step: this.step });
  }

  /** Every fault that fired, oldest first. */
  fired(): readonly FiredFault[] {
    return this.firedLog;
  }

  firedSites(): readonly string[] {
    return this.firedLog.map((f) => f.site);
  }

  /** Faults whose command ended before they fired, oldest first. */
  missed(): readonly ArmedFault[] {
    return this.missedLog;
  }

  /** The most calls of `site` one command has made so far (0: never called). */
  mostCalls(site: string): number {
    return this.maxCalls.get(site) ?? 0;
  }

  /** Calls of `site` in the current command. */
  callsInCommand(site: string): number {
    return this.callsNow.get(site) ?? 0;
  }

  /**
   * Boot runs `fn` (a driver entry point such as vmd_probe()) before any command: the sites it
   * calls are recorded under its name, so a later command of the same kernel function is known
   * to reach them before it first runs (fault generation aims there instead of anywhere).
   */
  atBoot<T>(fn: string, work: () => T): T {
    const before = new Map(this.callsNow);
    const ret = work();
    const calls = new Map<string, number>();
    for (const [site, n] of this.callsNow) if (n > (before.get(site) ?? 0)) calls.set(site, n - (before.get(site) ?? 0));
    this.bootEntries.set(fn, calls);
    return ret;
  }

  /** The sites each boot-time entry point called (atBoot()), by kernel function. */
  bootCalls(): ReadonlyMap<string, ReadonlyMap<string, number>> {
    return this.bootEntries;
  }

  /** Every site the current (or last) command called, with its number of calls. */
  commandCalls(): ReadonlyMap<string, number> {
    return this.callsNow;
  }
}
