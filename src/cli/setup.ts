// Turns user-facing names (platform, revision, known bug) into a SimulationConfig, or a UsageError.
import type { PlatformModel } from '../../models/platforms/platform';
import { findKnownBug, type KnownBug } from '../known-bugs';
import { allPlatforms, findPlatform } from '../platforms';
import { resolveRevision, RevisionError } from '../revision';
import type { FaultClass, SimulationConfig } from '../sim/simulation';
import { clip, UsageError } from './errors';

export function platformOrFail(flag: string, name: string): PlatformModel {
  const p = findPlatform(name);
  if (p === undefined) throw new UsageError(`${flag}: unknown platform '${clip(name)}' (known: ${allPlatforms().map((x) => x.name).join(', ')})`);
  return p;
}

export function knownBugOrFail(id: string): KnownBug {
  const b = findKnownBug(id);
  if (b === undefined) throw new UsageError(`--known-bug: unknown bug '${clip(id)}' (see msi-fuzz list)`);
  return b;
}

export function configFor(platform: PlatformModel, revision: string | undefined, faults: readonly FaultClass[], flag = '--revision'): SimulationConfig {
  try {
    return { platform, revision: resolveRevision(platform, revision), faultClasses: faults };
  } catch (e) {
    if (e instanceof RevisionError) throw new UsageError(`${flag}: ${e.message}`);
    throw e;
  }
}
