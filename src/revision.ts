// Resolves a revision argument to a patch set. A revision is a named state (`v6.18`,
// `sequencing-v1`) optionally followed by patches to add or drop: `v6.15+28026cf2dd84+1396e89e09f0`,
// `v6.16-713335b6ee29`. Every combination is checked against the patches' requires/conflicts.
import { CORE_PATCHES } from '../models/kernel/core-patches';
import { validatePatchSet, type NamedRevision, type Patch } from '../models/kernel/patches';
import type { PlatformModel } from '../models/platforms/platform';

export interface ResolvedRevision {
  /** As given (normalised): what repro headers and reports print. */
  readonly spec: string;
  readonly patches: readonly string[];
  /** The named state it starts from. */
  readonly base: NamedRevision;
}

export class RevisionError extends Error {}

export function patchPool(platform: PlatformModel): readonly Patch[] {
  return [...CORE_PATCHES, ...platform.patches];
}

export function resolveRevision(platform: PlatformModel, spec: string | undefined): ResolvedRevision {
  const text = spec === undefined || spec === '' || spec === 'current' ? platform.currentRevision : spec;
  const m = /^([A-Za-z0-9._]+(?:-[A-Za-z0-9._]+)*?)((?:[+-][0-9a-z]{8,12}(?:-v\d+)?)*)$/.exec(text);
  const baseName = m?.[1] ?? text;
  const base = platform.revisions.find((r) => r.name === baseName);
  if (base === undefined || m === null) {
    const names = platform.revisions.map((r) => r.name).join(', ');
    throw new RevisionError(`unknown revision '${text}' for platform ${platform.name} (named revisions: ${names})`);
  }
  const pool = patchPool(platform);
  const set = new Set(base.patches);
  for (const op of (m[2] ?? '').match(/[+-][0-9a-z]{8,12}(?:-v\d+)?/g) ?? []) {
    const id = op.slice(1);
    if (!pool.some((p) => p.id === id)) throw new RevisionError(`unknown patch '${id}' in revision '${text}' (see msi-fuzz list)`);
    if (op.startsWith('+')) set.add(id);
    else set.delete(id);
  }
  const patches = [...set].sort();
  const problems = validatePatchSet(pool, patches);
  if (problems.length > 0) throw new RevisionError(`revision '${text}' is not a coherent patch set: ${problems.join('; ')}`);
  return { spec: text, patches, base };
}
