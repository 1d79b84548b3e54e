// Runs one plan unit (src/engine/plan.ts) and returns plain data, so the same function runs
// inline or in a worker thread and a result crosses threads and files unchanged.
import { findPlatform } from '../platforms';
import { printRepro } from '../repro/print';
import { resolveRevision } from '../revision';
import { runCampaign } from './campaign';
import { matchKnownBug } from './triage';
import type { KnownBug } from '../known-bugs';
import { emptyCoverage, type Coverage } from './coverage';
import type { Unit } from './plan';

export interface UnitFinding {
  /** invariant|platform|revision|kind (known:ID or the last command's kind): one finding per signature (signatureOf). */
  readonly signature: string;
  readonly invariant: string;
  readonly platform: string;
  readonly revision: string;
  readonly lastKind: string;
  readonly length: number;
  readonly seed: number;
  /** The run of the unit's campaign that failed. */
  readonly run: number;
  readonly runs: number;
  readonly swarm: boolean;
  readonly faults: readonly string[];
  /** The fixed known bug triage recognised (src/engine/triage.ts matchKnownBug), or null: new. */
  readonly known: string | null;
  /** The revision is declared correct (not a known-bad intermediate state). */
  readonly revisionCorrect: boolean;
  readonly repro: string;
  readonly shrinkMs: number;
  /** The one command line that reproduces it alone. */
  readonly reproduce: string;
}

export interface UnitResult {
  readonly unit: Unit;
  readonly runs: number;
  readonly commands: number;
  readonly elapsedMs: number;
  readonly findings: readonly UnitFinding[];
  /** Open upstream issues hit and skipped (recognised by replay with their proposed fix). */
  readonly openIssues: Readonly<Record<string, number>>;
  readonly coverage: Coverage;
}

/**
 * The last command's kind as far as a signature cares: the ways a device's MSI state is torn
 * down (unbind, hot-remove, platform free-all, SR-IOV disable) end the same bugs, so one
 * shrunk repro ending in device_del and another ending in device_release_driver are one finding.
 */
export function signatureKind(kind: string): string {
  return ['device_del', 'device_release_driver', 'platform_device_msi_free_irqs_all', 'pci_disable_sriov'].includes(kind) ? 'teardown' : kind;
}

/**
 * A finding's signature: invariant|platform|revision|kind of the last command (signatureKind).
 * A finding triage recognised as a known bug takes the bug's own signature instead,
 * invariant|platform|revision of the bug|known:ID, so each known bug is filed once, whatever
 * command its shrunk repro ends in and wherever it was hit.
 */
export function signatureOf(invariant: string, platform: string, revision: string, lastKind: string, known: KnownBug | null = null): string {
  if (known !== null) return [known.invariant, known.platform, known.revision, `known:${known.id}`].join('|');
  return [invariant, platform, revision, signatureKind(lastKind)].join('|');
}

/** The command that replays run `run` of the unit alone (and finds what it found). */
export function reproduceCommand(u: Unit, run: number): string {
  const faults = u.faults.length === 0 ? 'none' : u.faults.join(',');
  const hunt = u.hunt !== undefined && u.hunt.length > 0 ? ` --hunt ${u.hunt.join(',')}` : '';
  return `msi-fuzz run --platform ${u.platform} --revision ${u.revision} --seed ${u.seed} --from-run ${run} --runs 1 --faults ${faults} --max-steps ${u.maxSteps}${u.swarm ? ' --swarm' : ''}${hunt}`;
}

/** Is the revision declared correct (a finding there matters more than on a known-bad state)? */
export function revisionCorrect(platform: string, revision: string): boolean {
  return findPlatform(platform)?.revisions.find((r) => r.name === revision)?.correct ?? true;
}

export function runUnit(u: Unit): UnitResult {
  const platform = findPlatform(u.platform);
  if (platform === undefined) throw new Error(`unknown platform ${u.platform}`);
  const config = { platform, revision: resolveRevision(platform, u.revision), faultClasses: u.faults, ...(u.hunt !== undefined ? { hunt: u.hunt } : {}) };
  const coverage = emptyCoverage(config);
  const r = runCampaign({ config, seed: u.seed, runs: u.runs, maxSteps: u.maxSteps, swarm: u.swarm, skipOpenIssues: true, continueAfterFinding: true, coverage });
  const findings = r.findings.map((f): UnitFinding => {
    const reproduce = reproduceCommand(u, f.finding.run);
    const cmds = f.repro.commands;
    const lastKind = cmds[cmds.length - 1]?.kind ?? 'none';
    const invariant = f.finding.violation.invariant;
    const known = matchKnownBug(config, cmds, invariant);
    const repro = { ...f.repro, about: [...(f.repro.about ?? []), `reproduce: ${reproduce}`] };
    return {
      signature: signatureOf(invariant, u.platform, u.revision, lastKind, known),
      invariant,
      platform: u.platform,
      revision: u.revision,
      lastKind,
      length: cmds.length,
      seed: u.seed,
      run: f.finding.run,
      runs: u.runs,
      swarm: u.swarm,
      faults: u.faults,
      known: known?.id ?? null,
      revisionCorrect: revisionCorrect(u.platform, u.revision),
      repro: printRepro(repro),
      shrinkMs: f.shrinkMs,
      reproduce,
    };
  });
  return { unit: u, runs: r.stats.runs, commands: r.stats.commands, elapsedMs: r.stats.elapsedMs, findings, openIssues: Object.fromEntries(r.openIssues), coverage };
}
