// Triage of a finding against the known bugs: an open upstream issue is recognised by
// replaying the failing commands with its proposed fix applied; if the failure goes away,
// the finding is that issue and not a new one.
import type { Command } from '../commands/command';
import { KNOWN_BUGS, type KnownBug } from '../known-bugs';
import { resolveRevision, type ResolvedRevision } from '../revision';
import type { SimulationConfig } from '../sim/simulation';
import { runCommands } from './runner';

/** The revision `spec` on the finding's platform, or null where that patch set cannot be built. */
function tryResolve(config: SimulationConfig, spec: string): ResolvedRevision | null {
  try {
    return resolveRevision(config.platform, spec);
  } catch {
    return null;
  }
}

/** Replayed leniently at `revision`, the failing commands no longer violate `invariant`. */
function curedAt(config: SimulationConfig, revision: ResolvedRevision, commands: readonly Command[], invariant: string): boolean {
  return runCommands({ ...config, revision }, commands, true).violation?.invariant !== invariant;
}

export function matchOpenIssue(config: SimulationConfig, commands: readonly Command[], invariant: string): KnownBug | null {
  const open = KNOWN_BUGS.filter(
    (bug) => bug.status === 'open' && bug.fixPatch !== undefined && (bug.platform === config.platform.name || (bug.alsoOn ?? []).includes(config.platform.name)),
  );
  const cured = (bugs: readonly KnownBug[]): boolean => {
    const revision = tryResolve(config, `${config.revision.spec}${bugs.map((b) => `+${b.fixPatch as string}`).join('')}`);
    return revision !== null && curedAt(config, revision, commands, invariant);
  };
  for (const bug of open) if (cured([bug])) return bug;
  // Two open issues in one run (an injected fault's leak after another's WARN): the finding is
  // known when their fixes together cure it; it is named after the first whose fix is needed
  if (open.length < 2 || !cured(open)) return null;
  return open.find((bug) => !cured(open.filter((b) => b !== bug))) ?? null;
}

/** The revision at which `bug` is gone: its revision with its fix applied, or the platform's current revision. */
export function fixedRevisionSpec(bug: KnownBug, currentRevision: string): string {
  if (bug.fixedBy !== undefined) return `${bug.revision}${bug.fixedBy}`;
  if (bug.fixPatch !== undefined) return `${bug.revision}+${bug.fixPatch}`;
  return currentRevision;
}

/**
 * The fixed known bug a finding is: one with this invariant whose fix makes the failing commands
 * pass (replayed leniently, as for open issues). At the bug's own platform and revision the fix
 * is `fixedBy` (or the current revision); elsewhere it is `fixedBy` applied to the finding's
 * revision, where that patch set exists and does not already hold the fix. So the same bug
 * reached through different last commands (the DMAR and the HPET paths of one missing callback),
 * or at another revision or platform that carries the same broken code, is one known bug; a
 * failure the fix does not cure is not that bug.
 */
export function matchKnownBug(config: SimulationConfig, commands: readonly Command[], invariant: string): KnownBug | null {
  const home = (b: KnownBug): boolean => b.platform === config.platform.name && b.revision === config.revision.spec;
  const candidates = KNOWN_BUGS.filter((b) => b.status === 'fixed' && b.invariant === invariant && (home(b) || b.fixedBy !== undefined));
  for (const bug of [...candidates.filter(home), ...candidates.filter((b) => !home(b))]) {
    const spec = home(bug) ? fixedRevisionSpec(bug, config.platform.currentRevision) : `${config.revision.spec}${bug.fixedBy as string}`;
    const revision = tryResolve(config, spec);
    // A revision that already holds the fix cannot tell this bug from another failure
    if (revision === null || revision.patches.join() === config.revision.patches.join()) continue;
    if (curedAt(config, revision, commands, invariant)) return bug;
  }
  return null;
}
