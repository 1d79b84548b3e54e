// One modelled machine being driven: the kernel at a revision, the platform booted into it,
// the devices by name, and the driver's abstract view. Engines, the shrinker and replay all
// execute commands through Simulation.execute(), so a repro replays exactly as it was found.
import { PciBridge, PciDev, type Device } from '../../models/kernel/device';
import { pciIrqVector } from '../../models/kernel/pci-msi';
import { Kernel } from '../../models/kernel/kernel';
import { PatchSet } from '../../models/kernel/patches';
import { KernelOops } from '../../models/kernel/report';
import { pciImsPresent } from '../../models/kernel/pci-ims';
import { MSI_FLAG_MULTI_PCI_MSI, MSI_FLAG_PCI_MSIX_ALLOC_DYN, type MsiDomainInfo } from '../../models/kernel/msi-types';
import type { PlatformInstance, PlatformModel } from '../../models/platforms/platform';
import { newAbstractState, type AbstractState } from '../abstract/state';
import type { Command, Outcome } from '../commands/command';
import { formatCommand, type Expectation } from '../commands/spec';
import { specOf } from '../commands/vocabulary';
import { targetEffectiveCpu } from '../commands/vocabulary/affinity';
import type { ResolvedRevision } from '../revision';
import { GenericFabric } from '../../models/kernel/irq-fabric';
import { effectiveCpuOf } from '../../models/kernel/affinity';
import { cpuHandleIrq, cpuIrqExit, type IrqEvent, type IrqExit } from '../../models/kernel/irq-flow';
import { originName } from '../../models/kernel/irq-action';
import type { KernelWait } from '../../models/kernel/manage';
import { DeliveryLedger } from './delivery-ledger';
import type { StepDirty } from '../../models/kernel/dirty';
import type { FaultClass } from '../../models/kernel/faults';
import { faultSitesOf, poolsOf } from '../fault-sites';
import { isFaultCommand } from '../commands/vocabulary/faults';

export type { FaultClass } from '../../models/kernel/faults';

export interface SimulationConfig {
  readonly platform: PlatformModel;
  readonly revision: ResolvedRevision;
  /** Which fault sites commands may arm (and the generator may pick). */
  readonly faultClasses: readonly FaultClass[];
  /** Command kinds hidden by default that this run may generate (a known bug's hunt). */
  readonly hunt?: readonly string[];
}

export interface StepRecord {
  readonly step: number;
  readonly command: Command;
  readonly outcome: Outcome | null;
  readonly expectation: Expectation;
  readonly oops: KernelOops | null;
  /** Index into kernel.reports where this step's reports start. */
  readonly firstReport: number;
  /** Fault sites whose armed failure fired during this step (the call saw it fail). */
  readonly faultsFired: readonly string[];
  /** What each actor did during the step, in order (`cpu1: ...`, `dev0: ...`), for the repro. */
  readonly notes: readonly string[];
}

export class Simulation {
  readonly kernel: Kernel;
  readonly platform: PlatformInstance;
  readonly state: AbstractState;
  readonly devices = new Map<string, Device>();
  readonly bridges = new Map<string, PciBridge>();
  /** The fault sites commands may arm under the run's fault classes (the core's and the platform's). */
  readonly faultSites: readonly string[];
  /** The pools exhaust() may drain (resource faults only), and whether per CPU. */
  readonly pools: readonly { readonly name: string; readonly perCpu: boolean }[];
  /**
   * Per command kind, the calls of each fault site the last command of that kind that called
   * it made: what generation aims a fault at (the n-1-th call), an observer's view like
   * MachineView.
   */
  readonly siteCallsByKind = new Map<string, Map<string, number>>();
  step = 0;
  dead = false;
  /** Interrupts raised that the drivers are owed (delivery invariants). */
  readonly ledger = new DeliveryLedger();
  /** The driver thread's kernel wait (free_irq in __synchronize_irq), if it is stuck in one. */
  blocked: KernelWait | null = null;
  /** Driver commands issued while the driver thread waits: they run when the wait ends. */
  private readonly deferred: Command[] = [];
  private notes: string[] = [];
  /** MachineView.inFlight() as of step inFlightAt (-1: never asked). */
  private inFlightAt = -1;
  private inFlightCache: { dev: string; vec: number; cpu: number }[] = [];
  /** The step ran a command that names no device: its effects are not scoped (see touched()). */
  private unscoped = false;

  constructor(readonly config: SimulationConfig) {
    this.kernel = new Kernel(new PatchSet(config.revision.patches));
    this.platform = config.platform.boot(this.kernel);
    const k = this.kernel;
    // A driver entry point boot already ran counts as the command named after it: a fault
    // aimed at that command's first run picks among the sites it calls
    for (const [fn, calls] of k.faults.bootCalls()) this.siteCallsByKind.set(fn, new Map(calls));
    const view = {
      descOf: (irq: number) => k.irqs.desc(irq),
      cpuIsOnline: (cpu: number) => k.cpuIsOnline(cpu),
      targetOf: (irq: number) => {
        const top = k.irqs.desc(irq)?.irqData;
        return top === undefined ? -1 : effectiveCpuOf(top);
      },
    };
    k.fabric = this.platform.interruptFabric?.() ?? new GenericFabric((d, m) => this.platform.deliver(d, m), view, k.nrCpus);
    this.faultSites = faultSitesOf(config.platform)
      .filter((f) => config.faultClasses.includes(f.class))
      .map((f) => f.name);
    this.pools = config.faultClasses.includes('resource') ? poolsOf(config.platform).map((p) => ({ name: p.name, perCpu: p.perCpu })) : [];
    this.state = newAbstractState(this.probeCaps());
    this.state.machine = {
      effectiveCpu: (target, vec) => targetEffectiveCpu(this, target, vec),
      inFlight: () => {
        // Generation asks several times between two steps: the answer only changes in execute()
        if (this.inFlightAt !== this.step) {
          this.inFlightAt = this.step;
          this.inFlightCache = [];
          for (const f of k.fabric?.inFlight() ?? []) if (f.origin !== null) this.inFlightCache.push({ dev: f.origin.dev, vec: f.origin.vec, cpu: f.cpu });
        }
        return this.inFlightCache;
      },
      faultCalls: (kind, site) => (kind === null ? k.faults.mostCalls(site) : (this.siteCallsByKind.get(kind)?.get(site) ?? 0)),
      faultCallers: (site) => [...this.siteCallsByKind.values()].filter((calls) => (calls.get(site) ?? 0) > 0).length,
    };
  }

  /** What a driver can learn about the MSI parent (pci_msi_domain_supports and friends). */
  private probeCaps(): AbstractState['caps'] {
    const probe = this.config.platform.capabilities;
    // The parents exist from boot; ask the first MSI parent what it supports.
    const parent = this.platform.defaultPciMsiParent?.() ?? this.kernel.irqs.domains.find((d) => d.msiParentOps !== null) ?? null;
    // pci_msi_domain_supports(): a global PCI/MSI domain's own info flags are authoritative
    const flags = parent === null ? 0 : parent.isMsiParent() ? (parent.msiParentOps?.supported_flags ?? 0) : ((parent.hostData as MsiDomainInfo | null)?.flags ?? 0);
    return {
      multiMsi: (flags & MSI_FLAG_MULTI_PCI_MSI) !== 0,
      dynMsix: (flags & MSI_FLAG_PCI_MSIX_ALLOC_DYN) !== 0,
      platformMsi: probe.platformMsi,
      affinity: probe.affinity === true,
      // the kernel has pci_create_ims_domain() (v6.2..v6.9)
      ...(pciImsPresent(this.kernel) ? { ims: true } : {}),
      // PCI domains beyond 0 (a VMD's): its lifetime commands apply
      ...((probe.pciSegments?.length ?? 0) > 0 ? { pciSegments: true } : {}),
      ...(probe.pciSegmentCount !== undefined ? { pciSegmentCount: probe.pciSegmentCount } : {}),
    };
  }

  /** Runs one command: predicts, executes, folds the outcome into the abstract state. */
  execute(command: Command): StepRecord {
    const spec = specOf(command.kind);
    const step = this.step++;
    this.kernel.beginStep(step, () => formatCommand(spec, command));
    this.unscoped = false;
    this.notes = [];
    const firstReport = this.kernel.reports.length;
    const firstFault = this.kernel.faults.firedSites().length;
    const expectation = spec.expect(command as never, this.state, this);
    let outcome: Outcome | null = null;
    let oops: KernelOops | null = null;
    if (this.blocked !== null && spec.concurrent !== true) {
      this.deferred.push(command);
      this.note(`cpu0: still waiting in ${this.blocked.what}; ${command.kind} runs when it returns`);
    } else {
      if (spec.concurrent !== true) this.driverIrqEnable();
      const r = this.runOne(command);
      outcome = r.outcome;
      oops = r.oops;
      if (spec.concurrent !== true) this.driverIrqEnable();
    }
    if (!this.dead) this.pollBlocked();
    const faultsFired = this.kernel.faults.firedSites().slice(firstFault);
    return { step, command, outcome, expectation, oops, firstReport, faultsFired, notes: this.notes };
  }

  private runOne(command: Command): { outcome: Outcome | null; oops: KernelOops | null } {
    const spec = specOf(command.kind);
    this.scope(command);
    const faults = this.kernel.faults;
    // Armed faults and drained pools belong to the next command that is not itself a fault
    const scoped = !isFaultCommand(command.kind);
    if (scoped) faults.beginCommand(this.kernel.step);
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
    if (scoped) this.endFaultScope(command);
    if (outcome !== null) {
      spec.update(command as never, outcome, this.state, this);
    }
    return { outcome, oops };
  }

  /** The command's faults are over: unfired ones are disarmed (the driver sees none armed any more). */
  private endFaultScope(command: Command): void {
    const faults = this.kernel.faults;
    faults.endCommand();
    this.state.armed.clear();
    let seen = this.siteCallsByKind.get(command.kind);
    for (const [site, n] of faults.commandCalls()) {
      if (seen === undefined) this.siteCallsByKind.set(command.kind, (seen = new Map()));
      if (n > 0) seen.set(site, n);
    }
  }

  /**
   * The device a command names is dirty whatever the model records (a mask bit, an affinity):
   * a command naming none (CPU hotplug, fault arming, platform sources, a CPU taking an
   * interrupt) makes its step unscoped.
   */
  private scope(command: Command): void {
    const name = 'dev' in command ? command.dev : 'target' in command ? command.target : null;
    const dev = name === null ? undefined : this.devices.get(name);
    if (dev === undefined) this.unscoped = true;
    else this.kernel.touchDevice(dev);
  }

  /** What the current step touched (the kernel's dirty sets), or null if it must be checked in full. */
  touched(): StepDirty | null {
    return this.unscoped ? null : this.kernel.dirty;
  }

  /** The driver thread waits in the kernel from now on (a command's run() calls this). */
  block(wait: KernelWait): void {
    this.blocked = wait;
    this.state.driverBlocked = true;
    this.note(`cpu${wait.cpu}: waits in ${wait.what}`);
  }

  /** A line of the interleaving: `cpuN: ...` or `devN: ...`. */
  note(line: string): void {
    this.notes.push(line);
  }

  // The waiting CPU re-checks its condition; when it returns, the driver's deferred calls run.
  private pollBlocked(): void {
    while (this.blocked !== null && !this.dead) {
      if (!this.blocked.resume()) return;
      this.note(`cpu${this.blocked.cpu}: ${this.blocked.done}`);
      this.blocked = null;
      this.state.driverBlocked = false;
      this.driverIrqEnable();
      while (this.blocked === null && this.deferred.length > 0 && !this.dead) {
        const next = this.deferred.shift() as Command;
        this.note(`cpu0: ${next.kind} (issued earlier) runs now`);
        this.runOne(next);
        this.driverIrqEnable();
      }
    }
  }

  /**
   * The driver thread runs on CPU 0 with interrupts enabled between (and while spinning in)
   * kernel calls: CPU 0 takes what is presented to it at once.
   */
  private driverIrqEnable(): void {
    if (!this.dead) this.takePendingIrqs(0);
  }

  /** The CPU takes what is presented to it, up to 16 interrupts, each noted in the interleaving. */
  takePendingIrqs(cpu: number): void {
    const fabric = this.kernel.fabric;
    if (fabric === null) return;
    for (let n = 0; n < 16; n++) {
      const ev = cpuHandleIrq(this.kernel, fabric, cpu);
      if (ev === null) return;
      this.noteIrq(ev);
    }
  }

  /**
   * A managed irq shut down with the last CPU of its mask owes nothing: the driver of a managed
   * queue (blk-mq) quiesces it before its CPUs go, and the device's raises meanwhile are dropped.
   */
  releaseManagedShutdown(): void {
    for (const o of this.ledger.outstanding()) {
      const dev = this.devices.get(o.dev);
      const irq = dev instanceof PciDev ? pciIrqVector(dev, o.vec) : -1;
      if (irq > 0 && this.kernel.irqs.desc(irq)?.managedShutdown === true) this.ledger.released(o.dev, o.vec);
    }
  }

  /** The handler `cpu` is inside (cpu_irq_enter) returns, as cpu_irq_exit does; nothing if it is in none. */
  leaveHandler(cpu: number): void {
    const fabric = this.kernel.fabric;
    const ex = fabric === null ? null : cpuIrqExit(this.kernel, fabric, cpu);
    if (ex !== null) this.noteIrqExit(cpu, ex);
  }

  /** Records a handled interrupt in the ledger and the interleaving. */
  noteIrq(ev: IrqEvent): void {
    if (ev.ranFor !== null) this.ledger.handled(ev.ranFor.dev, ev.ranFor.vec);
    this.note(`cpu${ev.cpu}: takes irq ${ev.irq} (raised by ${originName(ev.origin)}): ${ev.what}`);
  }

  /** A CPU returned from a handler: the line, and the handler runs repeated for what arrived meanwhile. */
  noteIrqExit(cpu: number, ex: IrqExit): void {
    this.note(`cpu${cpu}: ${ex.what}`);
    for (const ev of ex.reruns) {
      if (ev.ranFor !== null) this.ledger.handled(ev.ranFor.dev, ev.ranFor.vec);
      this.note(`cpu${cpu}: ${ev.what} (raised by ${originName(ev.origin)})`);
    }
  }

  /** Did a fault fire at `site` during the current step? (What an oracle may know: it injected it.) */
  firedThisStep(site: string): boolean {
    return this.kernel.faults.fired().some((f) => f.site === site && f.step === this.kernel.step);
  }

  device(name: string): Device {
    const d = this.devices.get(name);
    if (d === undefined) throw new Error(`no device ${name}`);
    return d;
  }
}

export { PciBridge };
