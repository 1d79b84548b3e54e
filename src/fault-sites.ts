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
