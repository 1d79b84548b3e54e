// Coverage counters: how often each command kind ran and how often a run reached a state that
// matters, so a campaign shows what it did not reach. Counted from the abstract state and the
// step record only, after the fact; counting never changes what is generated.
import { sharesRequesterId, type AbstractState } from '../abstract/state';
import type { Command } from '../commands/command';
import type { Simulation, SimulationConfig, StepRecord } from '../sim/simulation';
import { faultSitesOf, poolsOf } from '../fault-sites';

/**
 * Counters by key: `cmd:<kind>` (commands run), `state:<state>` (steps that reached it),
 * `site:<site>` (faults that fired at a site) and `site:<site>#<k>` (at its k-th call of a
 * command), `pool:<pool>` (exhaustions that refused an allocation) and `pool:<pool>@<cpu|all>`,
 * `missed:<site>` (faults whose command never reached the call they aimed at).
 */
export type Coverage = Record<string, number>;

/** The states a campaign should reach; reported with 0 when it did not. */
export const STATES = [
  'error-return',
  'short-allocation',
  'fault-fired',
  'shared-requester-id',
  'domain-switch',
  'kernel-oops',
  'irq-move',
  'cpu-offline',
  'unbind-with-vectors',
] as const;

/** Every state at 0, and every fault site and pool of `config` (when given) at 0: unreached ones show. */
export function emptyCoverage(config?: SimulationConfig): Coverage {
  const c: Coverage = {};
  for (const s of STATES) c[`state:${s}`] = 0;
  if (config === undefined) return c;
  for (const f of faultSitesOf(config.platform)) if (config.faultClasses.includes(f.class)) c[`site:${f.name}`] = 0;
  if (config.faultClasses.includes('resource')) for (const p of poolsOf(config.platform)) c[`pool:${p.name}`] = 0;
  return c;
}

function bump(cov: Coverage, key: string): void {
  cov[key] = (cov[key] ?? 0) + 1;
}

export interface BeforeStep {
  readonly mode: string | null;
  readonly lastMode: string | null;
  readonly shared: boolean;
  readonly fired: number;
  readonly missed: number;
  readonly nvec: number;
}

/** What coverage needs to know about the state just before `cmd` runs. */
export function beforeStep(sim: Simulation, cmd: Command, lastModes: Map<string, string>): BeforeStep {
  const s: AbstractState = sim.state;
  const d = 'dev' in cmd ? s.devices.get(cmd.dev) : undefined;
  return {
    mode: d?.mode ?? null,
    lastMode: d !== undefined ? (lastModes.get(d.name) ?? null) : null,
    shared: d !== undefined && sharesRequesterId(s, d),
    fired: sim.kernel.faults.fired().length,
    missed: sim.kernel.faults.missed().length,
    nvec: d?.nvec ?? 0,
  };
}

export function noteStep(cov: Coverage, sim: Simulation, cmd: Command, before: BeforeStep, record: StepRecord, lastModes: Map<string, string>): void {
  bump(cov, `cmd:${cmd.kind}`);
  const ret = record.outcome?.ret ?? null;
  if (ret !== null && ret < 0) bump(cov, 'state:error-return');
  if (record.oops !== null) bump(cov, 'state:kernel-oops');
  noteFaults(cov, sim, before);
  if (cmd.kind === 'pci_alloc_irq_vectors') {
    if (ret !== null && ret > 0 && ret < cmd.max) bump(cov, 'state:short-allocation');
    if (before.shared) bump(cov, 'state:shared-requester-id');
    const d = sim.state.devices.get(cmd.dev);
    const mode = d?.mode ?? 'none';
    if (mode !== 'none') {
      if (before.lastMode !== null && before.lastMode !== mode) bump(cov, 'state:domain-switch');
      lastModes.set(cmd.dev, mode);
    }
  }
  if (cmd.kind === 'irq_set_affinity') bump(cov, 'state:irq-move');
  if (cmd.kind === 'cpu_down' && record.outcome !== null) bump(cov, 'state:cpu-offline');
  if ((cmd.kind === 'device_release_driver' || cmd.kind === 'device_del') && before.nvec > 0) bump(cov, 'state:unbind-with-vectors');
}

/** The faults that fired (site and call index, pool and CPU) and missed in the step. */
function noteFaults(cov: Coverage, sim: Simulation, before: BeforeStep): void {
  const fired = sim.kernel.faults.fired();
  if (fired.length > before.fired) bump(cov, 'state:fault-fired');
  for (const f of fired.slice(before.fired)) {
    if (f.kind === 'fail') {
      bump(cov, `site:${f.site}`);
      bump(cov, `site:${f.site}#${f.nth}`);
    } else {
      bump(cov, `pool:${f.site}`);
      bump(cov, `pool:${f.site}@${f.nth < 0 ? 'all' : `cpu${f.nth}`}`);
    }
  }
  for (const m of sim.kernel.faults.missed().slice(before.missed)) bump(cov, `missed:${m.site}`);
}

export function mergeCoverage(into: Coverage, from: Coverage): Coverage {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
  return into;
}
