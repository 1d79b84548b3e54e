// Revisions as patch stacks. A Patch is one upstream commit (or one posted version of it
// that never landed); a revision is the set of patches applied on top of the oldest state
// the models know. Model code asks `k.applied('1396e89e09f0')` exactly where that commit
// changed the kernel code, so any subset of a series can be run, not only its end points.

export interface Patch {
  /** First 12 hex digits of the upstream commit, or `<commit>-v1` for an earlier posting. */
  readonly id: string;
  /** The commit's subject line. */
  readonly title: string;
  /** `core` for kernel/irq + drivers/pci/msi, otherwise the platform it belongs to. */
  readonly scope: string;
  /** First release tag containing it; absent for postings that never landed. */
  readonly release?: string;
  /** Set for a change nobody posted upstream: who proposes it (`msi-fuzz`). */
  readonly proposedBy?: string;
  /** Where it was posted or merged (lore message-id or tip-bot mail). */
  readonly link: string;
  /** Patches that must also be applied (code this one edits was introduced there). */
  readonly requires?: readonly string[];
  /** Patches that cannot be applied together with this one (two versions of one change). */
  readonly conflicts?: readonly string[];
  /** What the patch changes in the modelled code paths, in one line. */
  readonly summary: string;
}

/** A named whole-kernel state for one platform: a release, or a patch-series intermediate. */
export interface NamedRevision {
  readonly name: string;
  readonly description: string;
  readonly patches: readonly string[];
  /** True for states that shipped or were merged and are not known to break (the fuzzer must stay clean). */
  readonly correct: boolean;
}

export class PatchSet {
  private readonly ids: ReadonlySet<string>;

  constructor(ids: Iterable<string>) {
    this.ids = new Set(ids);
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  list(): string[] {
    return [...this.ids].sort();
  }
}

/** Release tags in order, so `release <= tag` can be decided without parsing versions ad hoc. */
export const RELEASES = ['v5.4', 'v5.10', 'v6.5', 'v6.10', 'v6.12', 'v6.15', 'v6.16', 'v6.17', 'v6.18', 'v6.19', 'v7.0', 'v7.1', 'v7.2'] as const;

export function releaseAtOrBefore(release: string | undefined, tag: string): boolean {
  if (release === undefined) return false;
  const a = RELEASES.indexOf(release as (typeof RELEASES)[number]);
  const b = RELEASES.indexOf(tag as (typeof RELEASES)[number]);
  return a >= 0 && b >= 0 && a <= b;
}

/** Every landed patch (of the given pool) up to and including `tag`. */
export function patchesUpTo(pool: readonly Patch[], tag: string): string[] {
  return pool.filter((p) => releaseAtOrBefore(p.release, tag)).map((p) => p.id);
}

/** Checks requires/conflicts; returns one problem per line, empty when the set is coherent. */
export function validatePatchSet(pool: readonly Patch[], ids: readonly string[]): string[] {
  const byId = new Map(pool.map((p) => [p.id, p]));
  const set = new Set(ids);
  const problems: string[] = [];
  for (const id of ids) {
    const p = byId.get(id);
    if (p === undefined) {
      problems.push(`unknown patch ${id}`);
      continue;
    }
    for (const r of p.requires ?? []) if (!set.has(r)) problems.push(`${id} requires ${r}`);
    for (const c of p.conflicts ?? []) if (set.has(c)) problems.push(`${id} conflicts with ${c}`);
  }
  return problems;
}
