// Parsing of option values that commander leaves as strings: durations, counts, fault classes.
import type { FaultClass } from '../sim/simulation';
import { isCommandKind } from '../commands/vocabulary';
import { UsageError } from './errors';

export function parseDuration(flag: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (m === null) throw new UsageError(`${flag}: expected a duration like 30s, 500ms, 10m or 1h, got '${text}'`);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return Math.round(n * (unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60000 : 3600000));
}

export function parseCount(flag: string, text: string, min = 0): number {
  if (!/^\d+$/.test(text.trim())) throw new UsageError(`${flag}: expected a whole number, got '${text}'`);
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`${flag}: must be at least ${min}, got '${text}'`);
  return n;
}

const CLASSES: readonly FaultClass[] = ['resource', 'kmalloc', 'firmware'];

export function parseFaults(flag: string, text: string): FaultClass[] {
  if (text === 'none') return [];
  if (text === 'all') return [...CLASSES];
  const out: FaultClass[] = [];
  for (const part of text.split(',').map((p) => p.trim())) {
    if (!(CLASSES as readonly string[]).includes(part)) throw new UsageError(`${flag}: unknown fault class '${part}' (expected ${CLASSES.join(', ')}, all or none)`);
    out.push(part as FaultClass);
  }
  return out;
}

/** Default fault classes: failures that happen in the field (exhaustion, firmware errors), not kmalloc failures. */
export const DEFAULT_FAULTS: readonly FaultClass[] = ['resource', 'firmware'];

/** `--hunt k1,k2`: command kinds of the vocabulary (hidden ones are what it is for). */
export function parseHunt(text: string): string[] {
  const kinds = text.split(',').map((k) => k.trim()).filter((k) => k !== '');
  for (const k of kinds) if (!isCommandKind(k)) throw new UsageError(`--hunt: unknown command kind '${k}' (see msi-fuzz list)`);
  if (kinds.length === 0) throw new UsageError('--hunt: expected command kinds, comma-separated');
  return kinds;
}
