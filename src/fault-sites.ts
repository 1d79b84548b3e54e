// Every fault site and pool a platform's runs can reach: the core's (genirq, MSI, PCI/MSI) and
// the platform's own. The list, the vocabulary, coverage and the docs table all read these.
import { CORE_FAULT_SITES, CORE_POOLS } from '../models/kernel/fault-sites';
import type { FaultSite, PoolSpec } from '../models/kernel/faults';
import type { PlatformModel } from '../models/platforms/platform';

/** The core's fault sites, then the platform's (a platform entry with a core name is dropped). */
export function faultSitesOf(platform: PlatformModel): readonly FaultSite[] {
  const core = new Set(CORE_FAULT_SITES.map((f) => f.name));
  return [...CORE_FAULT_SITES, ...platform.faultSites.filter((f) => !core.has(f.name))];
}

/** The core's pools, then the platform's. */
export function poolsOf(platform: PlatformModel): readonly PoolSpec[] {
  return [...CORE_POOLS, ...(platform.pools ?? [])];
}

export { CORE_FAULT_SITES, CORE_POOLS };

/**
 * The reference list of every fault site and pool, as docs/reference/fault-injection.md carries
 * it between its `<!-- fault-sites -->` markers (test/harness/fault-docs.test.ts checks it).
 */
export function faultSiteMarkdown(platforms: readonly PlatformModel[]): string {
  const where = <T extends { name: string }>(of: (p: PlatformModel) => readonly T[]): Map<string, { item: T; on: string[] }> => {
    const out = new Map<string, { item: T; on: string[] }>();
    for (const p of platforms) {
      for (const item of of(p)) {
        const seen = out.get(item.name) ?? { item, on: [] };
        seen.on.push(p.name);
        out.set(item.name, seen);
      }
    }
    return out;
  };
  const on = (names: string[]): string => (names.length === platforms.length ? 'every platform' : names.join(', '));
  const cap = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);
  const lines: string[] = ['Fault sites, `fail_next(site, nth=K)`:', ''];
  for (const { item: f, on: ps } of where(faultSitesOf).values()) {
    lines.push(`- \`${f.name}\` (${f.class}; ${on(ps)}): \`${f.kernel ?? '?'}\`. ${cap(f.description)}.`);
  }
  lines.push('', 'Pools, `exhaust(pool)` or `exhaust(pool, cpu=N)`:', '');
  for (const { item: p, on: ps } of where(poolsOf).values()) {
    lines.push(`- \`${p.name}\` (${p.perCpu ? 'per CPU' : 'whole pool'}; ${on(ps)}): \`${p.kernel ?? '?'}\`. ${cap(p.description)}.`);
  }
  return lines.join('\n');
}
