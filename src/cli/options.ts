// Parsing of option values that commander leaves as strings: durations, counts, fault classes.
import type { FaultClass } from '../sim/simulation';
import { isCommandKind } from '../commands/vocabulary';
import { clip, UsageError } from './errors';

/** The longest budget a duration flag takes: a year (a longer campaign is resumed, not planned). */
export const MAX_DURATION_MS = 366 * 24 * 3600 * 1000;

/** `--time 30s`: more than 0 and at most a year; a bare number is seconds. */
export function parseDuration(flag: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (m === null) throw new UsageError(`${flag}: expected a duration like 30s, 500ms, 10m or 1h, got '${clip(text)}'`);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  const ms = Math.round(n * (unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60000 : 3600000));
  if (!(ms <= MAX_DURATION_MS)) throw new UsageError(`${flag}: '${clip(text)}' is too large (at most ${MAX_DURATION_MS / 3600000}h)`);
  if (ms < 1) throw new UsageError(`${flag}: must be more than 0, got '${clip(text)}' (a budget of nothing would run nothing)`);
  return ms;
}

/** `--seed 3`: a whole number from `min` to `max` (both in the message when it is out of range). */
export function parseCount(flag: string, text: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^\d+$/.test(text.trim())) throw new UsageError(`${flag}: expected a whole number, got '${clip(text)}'`);
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n > max) throw new UsageError(`${flag}: '${clip(text)}' is too large (at most ${max})`);
  if (n < min) throw new UsageError(`${flag}: must be at least ${min}, got '${clip(text)}'`);
  return n;
}

/**
 * Upper bounds of the numeric flags: past them a run would never end or never fit in memory
 * (a command list of a million steps is shrunk and printed whole), and a seed stays a safe
 * integer after the campaign adds its rounds to it.
 */
export const MAX = {
  seed: 2 ** 48,
  runs: 1e12,
  maxSteps: 10_000,
  fromRun: 2 ** 48,
  seeds: 1_000_000,
  runsPerSeed: 1_000_000,
} as const;

const CLASSES: readonly FaultClass[] = ['resource', 'kmalloc', 'firmware'];

export function parseFaults(flag: string, text: string): FaultClass[] {
  if (text === 'none') return [];
  if (text === 'all') return [...CLASSES];
  const out: FaultClass[] = [];
  for (const part of text.split(',').map((p) => p.trim())) {
    if (!(CLASSES as readonly string[]).includes(part)) throw new UsageError(`${flag}: unknown fault class '${clip(part)}' (expected ${CLASSES.join(', ')}, all or none)`);
    out.push(part as FaultClass);
  }
  return out;
}

/** Default fault classes: failures that happen in the field (exhaustion, firmware errors), not kmalloc failures. */
export const DEFAULT_FAULTS: readonly FaultClass[] = ['resource', 'firmware'];

/** `--hunt k1,k2`: command kinds of the vocabulary (hidden ones are what it is for). */
export function parseHunt(text: string): string[] {
  const kinds = text.split(',').map((k) => k.trim()).filter((k) => k !== '');
  for (const k of kinds) if (!isCommandKind(k)) throw new UsageError(`--hunt: unknown command kind '${clip(k)}' (see msi-fuzz list)`);
  if (kinds.length === 0) throw new UsageError('--hunt: expected command kinds, comma-separated');
  return kinds;
}
