// One modelled machine being driven: the kernel at a revision, the platform booted into it,
// the devices by name, and the driver's abstract view. Engines, the shrinker and replay all
// execute commands through Simulation.execute(), so a repro replays exactly as it was found.
import { PciBridge, type Device } from '../../models/kernel/device';
import { Kernel } from '../../models/kernel/kernel';
import { PatchSet } from '../../models/kernel/patches';
import { KernelOops } from '../../models/kernel/report';
import { MSI_FLAG_MULTI_PCI_MSI, MSI_FLAG_PCI_MSIX_ALLOC_DYN } from '../../models/kernel/msi-types';
import type { PlatformInstance, PlatformModel } from '../../models/platforms/platform';
import { newAbstractState, type AbstractState } from '../abstract/state';
import type { Command, Outcome } from '../commands/command';
import type { Expectation } from '../commands/spec';
import { specOf } from '../commands/vocabulary';
import type { ResolvedRevision } from '../revision';

export type FaultClass = 'resource' | 'kmalloc' | 'firmware';

export interface SimulationConfig {
  readonly platform: PlatformModel;
  readonly revision: ResolvedRevision;
  /** Which fault sites commands may arm (and the generator may pick). */
  readonly faultClasses: readonly FaultClass[];
}

export interface StepRecord {
  readonly step: number;
  readonly command: Command;
  readonly outcome: Outcome | null;
  readonly expectation: Expectation;
  readonly oops: KernelOops | null;
  /** Index into kernel.reports where this step's reports start. */
  readonly firstReport: number;
}

export class Simulation {
  readonly kernel: Kernel;
  readonly platform: PlatformInstance;
  readonly state: AbstractState;
  readonly devices = new Map<string, Device>();
  readonly bridges = new Map<string, PciBridge>();
  readonly faultSites: readonly string[];
  step = 0;
  dead = false;

  constructor(readonly config: SimulationConfig) {
    this.kernel = new Kernel(new PatchSet(config.revision.patches));
    this.platform = config.platform.boot(this.kernel);
    this.faultSites = config.platform.faultSites.filter((f) => config.faultClasses.includes(f.class)).map((f) => f.name);
    this.state = newAbstractState(this.probeCaps());
  }

  /** What a driver can learn about the MSI parent (pci_msi_domain_supports and friends). */
  private probeCaps(): AbstractState['caps'] {
    const probe = this.config.platform.capabilities;
    // The parents exist from boot; ask the first MSI parent what it supports.
    const pops = this.platform.defaultPciMsiParent?.()?.msiParentOps ?? this.kernel.irqs.domains.find((d) => d.msiParentOps !== null)?.msiParentOps ?? null;
    const flags = pops?.supported_flags ?? 0;
    return {
      multiMsi: (flags & MSI_FLAG_MULTI_PCI_MSI) !== 0,
      dynMsix: (flags & MSI_FLAG_PCI_MSIX_ALLOC_DYN) !== 0,
      platformMsi: probe.platformMsi,
    };
  }

  /** Runs one command: predicts, executes, folds the outcome into the abstract state. */
  execute(command: Command): StepRecord {
    const spec = specOf(command.kind);
    const step = this.step++;
    this.kernel.beginStep(step);
    const firstReport = this.kernel.reports.length;
    const fired = this.kernel.faults.firedSites().length;
    const expectation = spec.expect(command as never, this.state, this);
    let outcome: Outcome | null = null;
    let oops: KernelOops | null = null;
    try {
      outcome = spec.run(command as never, this);
    } catch (e) {
      if (!(e instanceof KernelOops)) throw e;
      oops = e;
      this.dead = true;
      this.kernel.report('oops', e.site, e.detail);
    }
    if (outcome !== null) {
      if (this.kernel.faults.firedSites().length > fired) this.markDegraded(command);
      spec.update(command as never, outcome, this.state, this);
    }
    return { step, command, outcome, expectation, oops, firstReport };
  }

  private markDegraded(command: Command): void {
    if ('dev' in command) {
      const d = this.state.devices.get(command.dev);
      if (d !== undefined) d.degraded = true;
    }
    for (const site of [...this.state.armed]) if (!this.kernel.faults.isArmed(site)) this.state.armed.delete(site);
  }

  device(name: string): Device {
    const d = this.devices.get(name);
    if (d === undefined) throw new Error(`no device ${name}`);
    return d;
  }
}

export { PciBridge };
