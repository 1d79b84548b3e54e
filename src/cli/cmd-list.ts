// msi-fuzz list: platforms, patches, named revisions, invariants, known bugs, commands.
import { CORE_PATCHES } from '../../models/kernel/core-patches';
import { VOCABULARY } from '../commands/vocabulary';
import { INVARIANTS } from '../invariants/registry';
import { KNOWN_BUGS } from '../known-bugs';
import { allPlatforms } from '../platforms';
import { printJson } from './output';
import { faultSitesOf, poolsOf } from '../fault-sites';
import type { FaultSite, PoolSpec } from '../../models/kernel/faults';
import type { PlatformModel } from '../../models/platforms/platform';

/** Every fault site (or pool) of every platform, once, with the platforms that have it. */
function everySite<T extends FaultSite | PoolSpec>(platforms: readonly PlatformModel[], of: (p: PlatformModel) => readonly T[]): (T & { platforms: string[] })[] {
  const out = new Map<string, T & { platforms: string[] }>();
  for (const p of platforms) {
    for (const f of of(p)) {
      const seen = out.get(f.name) ?? { ...f, platforms: [] };
      seen.platforms.push(p.name);
      out.set(f.name, seen);
    }
  }
  return [...out.values()];
}

export function listing(): Record<string, unknown> {
  const platforms = allPlatforms();
  return {
    platforms: platforms.map((p) => ({
      name: p.name,
      title: p.title,
      currentRevision: p.currentRevision,
      revisions: p.revisions.map((r) => ({ name: r.name, description: r.description, correct: r.correct, patches: r.patches })),
      faultSites: faultSitesOf(p).map((f) => ({ name: f.name, class: f.class, description: f.description })),
      pools: poolsOf(p).map((f) => ({ name: f.name, perCpu: f.perCpu, description: f.description })),
    })),
    faultSites: everySite(platforms, faultSitesOf).map((f) => ({ name: f.name, class: f.class, kernel: f.kernel ?? null, description: f.description, platforms: f.platforms })),
    pools: everySite(platforms, poolsOf).map((f) => ({ name: f.name, perCpu: f.perCpu, kernel: f.kernel ?? null, description: f.description, platforms: f.platforms })),
    patches: [...CORE_PATCHES, ...platforms.flatMap((p) => p.patches)]
      .filter((p, i, all) => all.findIndex((q) => q.id === p.id) === i)
      .map((p) => ({ id: p.id, title: p.title, scope: p.scope, release: p.release ?? null, ...(p.proposedBy !== undefined ? { proposedBy: p.proposedBy } : {}), link: p.link, summary: p.summary, requires: p.requires ?? [], conflicts: p.conflicts ?? [] })),
    invariants: INVARIANTS.map((i) => ({ id: i.id, statement: i.statement, rule: i.rule, platforms: i.platforms ?? 'all' })),
    knownBugs: KNOWN_BUGS.map((b) => ({ id: b.id, platform: b.platform, ...(b.alsoOn !== undefined ? { alsoOn: b.alsoOn } : {}), revision: b.revision, invariant: b.invariant, minimalLength: b.minimalLength, source: b.source, status: b.status, faults: b.faults })),
    commands: VOCABULARY.map((c) => ({ name: c.kind, summary: c.summary })),
  };
}

export function cmdList(json: boolean): number {
  const l = listing() as ReturnType<typeof listing> & Record<string, never[]>;
  if (json) {
    printJson(l);
    return 0;
  }
  const out: string[] = [];
  const platforms = allPlatforms();
  // the platform column as wide as the longest name
  const pw = Math.max(...platforms.map((p) => p.name.length));
  out.push('Platforms:');
  for (const p of platforms) out.push(`  ${p.name.padEnd(pw)} ${p.title} (current: ${p.currentRevision})`);
  out.push('', 'Patches (core and per platform):');
  for (const p of l['patches'] as { id: string; scope: string; release: string | null; proposedBy?: string; title: string }[]) out.push(`  ${p.id.padEnd(16)} ${p.scope.padEnd(12)} ${(p.release ?? p.proposedBy ?? 'posted').padEnd(7)} ${p.title}`);
  out.push('', 'Named revisions:');
  for (const p of platforms) {
    for (const r of p.revisions) out.push(`  ${p.name.padEnd(pw)} ${r.name.padEnd(30)} ${r.correct ? 'correct ' : 'KNOWN-BAD'} ${r.description}`);
  }
  out.push('', 'Invariants:');
  for (const i of INVARIANTS) out.push(`  ${i.id.padEnd(28)} ${i.statement}${i.platforms !== undefined ? ` [${i.platforms.join(', ')}]` : ''}`);
  out.push('', 'Known bugs:');
  for (const b of KNOWN_BUGS) out.push(`  ${b.id.padEnd(30)} ${b.platform}@${b.revision} ${b.invariant} (min ${b.minimalLength})${b.status === 'open' ? ' OPEN upstream' : ''}${b.alsoOn !== undefined ? ` (also ${b.alsoOn.join(', ')})` : ''}`);
  out.push('', 'Fault sites (fail_next(site, nth=K)):');
  for (const f of everySite(platforms, faultSitesOf)) out.push(`  ${f.name.padEnd(30)} ${f.class.padEnd(8)} ${f.platforms.length === platforms.length ? 'all platforms' : f.platforms.join(', ')}: ${f.description}`);
  out.push('', 'Pools (exhaust(pool[, cpu=N])):');
  for (const f of everySite(platforms, poolsOf)) out.push(`  ${f.name.padEnd(30)} ${f.perCpu ? 'per CPU ' : 'whole   '} ${f.platforms.length === platforms.length ? 'all platforms' : f.platforms.join(', ')}: ${f.description}`);
  out.push('', 'Commands:');
  for (const c of VOCABULARY) out.push(`  ${c.kind.padEnd(42)} ${c.summary}`);
  process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}
