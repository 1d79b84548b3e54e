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
