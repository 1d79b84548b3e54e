// The shapes of a state directory's files, checked on load with zod: a state directory is input
// like any other (copied between machines, merged from job arrays, possibly edited or crafted),
// and what it holds ends up in the summary, in new state files and in the HTML report. A file
// that does not match is refused with one line naming the file and the first field that is wrong.
// Unknown fields are dropped, so a newer file still loads and nothing unchecked is carried along.
import { z } from 'zod';
import { InputError, LIMITS, readBounded } from './files';

const count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const amount = z.number().nonnegative().finite();
/** Names (platforms, revisions, invariants, kinds): short, printable, one line. */
const name = z.string().min(1).max(200).regex(/^[^\s<>"'&]+$/, 'expected a name without spaces or markup');
const text = (max: number): z.ZodString => z.string().max(max);

export const planSchema = z.object({
  platform: name,
  revision: name.optional(),
  seed: count,
  runsPerUnit: count.min(1),
  swarm: z.boolean(),
  faults: z.array(z.enum(['resource', 'kmalloc', 'firmware'])),
  maxSteps: count.min(1),
  shard: z.object({ k: count.min(1), n: count.min(1) }).refine((s) => s.k <= s.n, 'expected K <= N').optional(),
  weighting: z.enum(['even', 'found-less']).optional(),
});

const configProgress = z.object({
  units: count,
  runs: count,
  commands: count,
  findings: count,
  found: z.record(text(1000), count).optional(),
});

export const progressSchema = z.object({
  done: z.array(count),
  runs: count,
  commands: count,
  unitMs: amount,
  coverage: z.record(text(200), count),
  openIssues: z.record(name, count),
  perConfig: z.record(text(400), configProgress),
  timeline: z.array(z.object({ t: amount, commands: count, states: count, findings: count })).optional(),
});

export const findingSchema = z.object({
  signature: text(1000).min(1),
  invariant: name,
  platform: name,
  revision: name,
  lastKind: name,
  length: count.min(1),
  seed: count,
  run: count,
  runs: count,
  swarm: z.boolean(),
  faults: z.array(name),
  known: name.nullable(),
  revisionCorrect: z.boolean(),
  repro: text(LIMITS.repro),
  shrinkMs: amount,
  reproduce: text(2000),
  unitIndex: count,
  hits: count.min(1),
});

export const STATE_FORMAT = 'msi-fuzz state';

/** state.json: the statistics and the findings, committed together after each unit. */
export const stateSchema = z.object({
  format: z.literal(STATE_FORMAT),
  version: z.literal(1),
  progress: progressSchema,
  findings: z.array(findingSchema),
});

/** `a.b[3].c` from a zod issue path. */
function fieldOf(p: readonly PropertyKey[]): string {
  return p.map((k, i) => (typeof k === 'number' ? `[${k}]` : `${i === 0 ? '' : '.'}${String(k).slice(0, 40)}`)).join('') || '(top level)';
}

/** Parses and checks a JSON file of a state directory, or throws an InputError naming the file and field. */
export function loadJson<T>(file: string, limit: number, schema: z.ZodType<T>): T {
  const raw = readBounded(file, limit, 'cannot load');
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (e) {
    throw new InputError(`${file}: not JSON (${(e as Error).message.slice(0, 80)})`);
  }
  const r = schema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new InputError(`${file}: ${issue === undefined ? '(top level)' : fieldOf(issue.path)}: ${issue?.message.slice(0, 120) ?? 'does not match'}`);
  }
  return r.data;
}
