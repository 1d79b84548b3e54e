// Seeded, stratified sampling of mutants. Each stratum (the kernel core, each platform family)
// gets a floor of MIN_PER_GROUP (less if the sample is too small for that), the rest of the sample is shared in proportion to the strata's
// sizes (largest remainder). Within a stratum the mutants with the smallest hash of
// (seed, identity) are taken: the same seed on the same tree gives the same mutants, and a
// mutant in code nobody edited keeps its rank when other code changes (its identity holds no
// line number), so a sample before and after a fix elsewhere mostly overlaps.
import * as crypto from 'node:crypto';

export const MIN_PER_GROUP = 15;

export interface Sampleable {
  readonly identity: string;
  readonly group: string;
}

/** How many mutants each group gets out of `total`. */
export function quotas(sizes: ReadonlyMap<string, number>, total: number): Map<string, number> {
  const groups = [...sizes.keys()].sort();
  const out = new Map<string, number>();
  // A small sample still spreads over every group: the floor shrinks to what the total allows.
  const floor = Math.min(MIN_PER_GROUP, Math.floor(total / Math.max(1, groups.length)));
  let left = total;
  for (const g of groups) {
    const n = Math.min(sizes.get(g) ?? 0, floor, Math.max(0, left));
    out.set(g, n);
    left -= n;
  }
  const rest = new Map(groups.map((g) => [g, (sizes.get(g) ?? 0) - (out.get(g) ?? 0)]));
  const restTotal = [...rest.values()].reduce((a, b) => a + b, 0);
  if (left <= 0 || restTotal === 0) return out;
  const share = Math.min(left, restTotal);
  const exact = groups.map((g) => ({ g, x: ((rest.get(g) ?? 0) * share) / restTotal }));
  let given = 0;
  for (const e of exact) {
    const n = Math.floor(e.x);
    out.set(e.g, (out.get(e.g) ?? 0) + n);
    given += n;
  }
  // Largest remainder first; ties by group name, so the split is a function of the sizes alone.
  const byRemainder = [...exact].sort((a, b) => b.x - Math.floor(b.x) - (a.x - Math.floor(a.x)) || a.g.localeCompare(b.g));
  for (const e of byRemainder) {
    if (given >= share) break;
    if ((out.get(e.g) ?? 0) >= (sizes.get(e.g) ?? 0)) continue;
    out.set(e.g, (out.get(e.g) ?? 0) + 1);
    given++;
  }
  return out;
}

export function sampleRank(seed: number, identity: string): string {
  return crypto.createHash('sha256').update(`${seed}\0${identity}`).digest('hex');
}

/** `total` mutants (or all, if fewer), stratified by group, in group then rank order. */
export function sampleMutants<M extends Sampleable>(mutants: readonly M[], total: number, seed: number): M[] {
  const byGroup = new Map<string, { m: M; rank: string }[]>();
  for (const m of mutants) {
    const list = byGroup.get(m.group) ?? [];
    list.push({ m, rank: sampleRank(seed, m.identity) });
    byGroup.set(m.group, list);
  }
  const q = quotas(new Map([...byGroup].map(([g, l]) => [g, l.length])), total);
  const out: M[] = [];
  for (const g of [...byGroup.keys()].sort()) {
    const list = (byGroup.get(g) ?? []).sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : 0));
    out.push(...list.slice(0, q.get(g) ?? 0).map((e) => e.m));
  }
  return out;
}
