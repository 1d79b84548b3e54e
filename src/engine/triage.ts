// Triage of a finding against the known bugs: an open upstream issue is recognised by
// replaying the failing commands with its proposed fix applied; if the failure goes away,
// the finding is that issue and not a new one.
import type { Command } from '../commands/command';
import { KNOWN_BUGS, type KnownBug } from '../known-bugs';
import { resolveRevision } from '../revision';
import type { SimulationConfig } from '../sim/simulation';
import { runCommands } from './runner';

export function matchOpenIssue(config: SimulationConfig, commands: readonly Command[], invariant: string): KnownBug | null {
  for (const bug of KNOWN_BUGS) {
    if (bug.status !== 'open' || bug.fixPatch === undefined || bug.platform !== config.platform.name) continue;
    let revision;
    try {
      revision = resolveRevision(config.platform, `${config.revision.spec}+${bug.fixPatch}`);
    } catch {
      continue;
    }
    const r = runCommands({ ...config, revision }, commands, true);
    if (r.violation?.invariant !== invariant) return bug;
  }
  return null;
}

/** The revision at which `bug` is gone: its revision with its fix applied, or the platform's current revision. */
export function fixedRevisionSpec(bug: KnownBug, currentRevision: string): string {
  if (bug.fixedBy !== undefined) return `${bug.revision}${bug.fixedBy}`;
  if (bug.fixPatch !== undefined) return `${bug.revision}+${bug.fixPatch}`;
  return currentRevision;
}

/**
 * The fixed known bug a finding is: one living at this platform and revision with this
 * invariant whose fix makes the failing commands pass (replayed leniently, as for open issues).
 * The same bug reached through different last commands (the DMAR and the HPET paths of one
 * missing callback) is then one finding; a failure the fix does not cure is not that bug.
 */
export function matchKnownBug(config: SimulationConfig, commands: readonly Command[], invariant: string): KnownBug | null {
  for (const bug of KNOWN_BUGS) {
    if (bug.status !== 'fixed' || bug.platform !== config.platform.name || bug.revision !== config.revision.spec || bug.invariant !== invariant) continue;
    let revision;
    try {
      revision = resolveRevision(config.platform, fixedRevisionSpec(bug, config.platform.currentRevision));
    } catch {
      continue;
    }
    const r = runCommands({ ...config, revision }, commands, true);
    if (r.violation?.invariant !== invariant) return bug;
  }
  return null;
}
