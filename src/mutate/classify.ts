// What one `msi-fuzz run` of the instrumented build says about the mutant it ran with.
// Killed: an invariant violation (exit 1 with violations in the JSON line), a crash (any
// other ending: an exception, a signal, no JSON line), or a timeout (the hit limit or the
// wall-clock backstop). Survived: exit 0 and a JSON line without violations.

/** Exit status of a process stopped by the hit limit (as coreutils timeout(1)). */
export const HIT_LIMIT_EXIT = 124;

/** What the instrumented process leaves in MSI_MUTATE_RESULT when it exits (src/mutate/runtime.ts). */
export interface RuntimeResult {
  /** Times the active mutant's switch was taken. */
  readonly hits: number;
  readonly hitLimitReached: boolean;
  /** Switch id to the times the original code it guards ran (baseline runs only). */
  readonly coverage: Record<string, number> | null;
}

/** How a child process ended, as the executor saw it. */
export interface ChildOutcome {
  readonly exitCode: number | null;
  readonly signal: string | null;
  /** Killed by the wall-clock backstop. */
  readonly wallTimeout: boolean;
  /** The last non-empty stdout line (msi-fuzz run --json prints its object there). */
  readonly lastLine: string | null;
  /** The first non-empty stderr line, for a crash's reason. */
  readonly firstErrorLine: string | null;
  readonly runtime: RuntimeResult | null;
}

export type Verdict =
  | { readonly status: 'killed'; readonly by: 'violation'; readonly detail: string; readonly commands: number | null; readonly runs: number | null }
  | { readonly status: 'killed'; readonly by: 'crash' | 'timeout'; readonly detail: string }
  | { readonly status: 'survived'; readonly commands: number; readonly hits: number | null };

interface RunJson {
  readonly runs?: unknown;
  readonly commands?: unknown;
  readonly violations?: unknown;
}

function parseJson(line: string | null): RunJson | null {
  if (line === null) return null;
  try {
    const v: unknown = JSON.parse(line);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as RunJson) : null;
  } catch {
    return null;
  }
}

export function classify(o: ChildOutcome): Verdict {
  if (o.wallTimeout) return { status: 'killed', by: 'timeout', detail: 'wall-clock backstop' };
  if (o.runtime?.hitLimitReached === true || o.exitCode === HIT_LIMIT_EXIT) {
    return { status: 'killed', by: 'timeout', detail: `hit limit (${o.runtime?.hits ?? '?'} hits)` };
  }
  const json = parseJson(o.lastLine);
  const violations = Array.isArray(json?.violations) ? (json?.violations as { invariant?: unknown; length?: unknown }[]) : null;
  const commands = typeof json?.commands === 'number' ? json.commands : null;
  if (o.exitCode === 1 && violations !== null && violations.length > 0) {
    const v = violations[0] as { invariant?: unknown; length?: unknown };
    const detail = `${String(v.invariant)}${typeof v.length === 'number' ? ` (repro of ${v.length} commands)` : ''}`;
    return { status: 'killed', by: 'violation', detail, commands, runs: typeof json?.runs === 'number' ? json.runs : null };
  }
  if (o.exitCode === 0 && violations !== null && violations.length === 0 && commands !== null) {
    return { status: 'survived', commands, hits: o.runtime?.hits ?? null };
  }
  const how = o.signal !== null ? `signal ${o.signal}` : `exit ${String(o.exitCode)}`;
  return { status: 'killed', by: 'crash', detail: `${how}${o.firstErrorLine !== null ? `: ${o.firstErrorLine.slice(0, 160)}` : ''}` };
}
