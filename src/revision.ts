// Resolves a revision argument to a patch set. A revision is a named state (`v6.18`,
// `sequencing-v1`) optionally followed by patches to add or drop: `v6.15+28026cf2dd84+1396e89e09f0`,
// `v6.16-713335b6ee29`. Every combination is checked against the patches' requires/conflicts.
import { CORE_PATCHES } from '../models/kernel/core-patches';
import { validatePatchSet, type NamedRevision, type Patch } from '../models/kernel/patches';
import type { PlatformModel } from '../models/platforms/platform';
import { clip } from './text';

export interface ResolvedRevision {
  /** As given (normalised): what repro headers and reports print. */
  readonly spec: string;
  readonly patches: readonly string[];
  /** The named state it starts from. */
  readonly base: NamedRevision;
}

export class RevisionError extends Error {}

/** What resolving a revision needs of a platform (the differential's fake-parent machine has no more). */
export type RevisionSource = Pick<PlatformModel, 'name' | 'revisions' | 'currentRevision' | 'patches'>;

export function patchPool(platform: RevisionSource): readonly Patch[] {
  return [...CORE_PATCHES, ...platform.patches];
}

export function resolveRevision(platform: RevisionSource, spec: string | undefined): ResolvedRevision {
  const text = spec === undefined || spec === '' || spec === 'current' ? platform.currentRevision : spec;
  const pool = patchPool(platform);
  // The longest named revision that prefixes the text, followed by +id / -id of known patches.
  const parsed = platform.revisions
    .filter((r) => text.startsWith(r.name))
    .sort((a, b) => b.name.length - a.name.length)
    .map((base) => ({ base, ops: splitPatchOps(text.slice(base.name.length), pool) }))
    .find((x) => x.ops !== null);
  if (parsed === undefined) {
    const names = platform.revisions.map((r) => r.name).join(', ');
    const op = /[+-]([0-9a-z-]+)$/.exec(text);
    const hint = op !== null && platform.revisions.some((r) => text.startsWith(r.name)) ? ` (unknown patch '${op[1]}'? see msi-fuzz list)` : '';
    throw new RevisionError(`unknown revision '${clip(text)}' for platform ${platform.name}${hint} (named revisions: ${names})`);
  }
  const set = new Set(parsed.base.patches);
  for (const op of parsed.ops as string[]) {
    if (op.startsWith('+')) set.add(op.slice(1));
    else set.delete(op.slice(1));
  }
  const base = parsed.base;
  const patches = [...set].sort();
  const problems = validatePatchSet(pool, patches);
  if (problems.length > 0) throw new RevisionError(`revision '${clip(text)}' is not a coherent patch set: ${problems.join('; ')}`);
  return { spec: text, patches, base };
}

/** Splits "+id1-id2" into ["+id1", "-id2"] using the known patch ids; null if it does not split. */
function splitPatchOps(rest: string, pool: readonly Patch[]): string[] | null {
  if (rest === '') return [];
  const sign = rest[0];
  if (sign !== '+' && sign !== '-') return null;
  const ids = pool.map((p) => p.id).sort((a, b) => b.length - a.length);
  for (const id of ids) {
    if (!rest.startsWith(id, 1)) continue;
    const tail = splitPatchOps(rest.slice(1 + id.length), pool);
    if (tail !== null) return [`${sign}${id}`, ...tail];
  }
  return null;
}
