// The bench's blind fast-check harness: model-based testing as fast-check's documentation
// teaches it, over the same model and invariants. One fc.Command per command kind; its
// arguments come from arbitraries that do not look at the state (a fixed pool of device names,
// CPUs, vector indices and the values the vocabulary uses); check() asks the abstract model
// whether a driver could issue the command now (CommandSpec.valid, as the shrinker and replay
// do) and fast-check drops the commands it refuses; run() executes on the model and checks the
// invariants after the step. Only executed commands count. It shows what msi-fuzz's state-aware
// generation buys over drawing blind and filtering, in speed and in bugs found.
import fc from 'fast-check';
import type { Command, CommandKind } from '../commands/command';
import { PCI_IRQ_AFFINITY, PCI_IRQ_MSI, PCI_IRQ_MSIX } from '../commands/command';
import type { VocabContext } from '../commands/spec';
import { specOf } from '../commands/vocabulary';
import { RID_POOL } from '../commands/vocabulary/devices';
import { checkRecord, finalCheck } from '../engine/runner';
import type { Invariant } from '../invariants/invariant';
import { invariantsFor } from '../invariants/registry';
import { Simulation, type SimulationConfig, type StepRecord } from '../sim/simulation';

/** The fixed pools a hand-written harness draws from: names the vocabulary gives devices, CPUs, small indices. */
const DEVS = ['dev0', 'dev1', 'dev2', 'dev3', 'dev4', 'dev5', 'dev0vf0', 'dev0vf1'] as const;
const PDEVS = ['pdev0', 'pdev1', 'pdev2'] as const;
const dev = fc.constantFrom(...DEVS, ...PDEVS);
const pciDev = fc.constantFrom(...DEVS);
const cpu = fc.nat({ max: 3 });
const vec = fc.nat({ max: 7 });
const target = fc.constantFrom(...DEVS, 'hpet', 'dmar');
const FLAGS = [PCI_IRQ_MSI, PCI_IRQ_MSIX, PCI_IRQ_MSI | PCI_IRQ_MSIX, PCI_IRQ_MSIX | PCI_IRQ_AFFINITY, PCI_IRQ_MSI | PCI_IRQ_AFFINITY];

const cmd = <K extends CommandKind>(kind: K, fields: { [F in keyof Extract<Command, { kind: K }>]?: fc.Arbitrary<unknown> }): fc.Arbitrary<Command> =>
  fc.record(fields as Record<string, fc.Arbitrary<unknown>>).map((f) => ({ kind, ...f }) as unknown as Command);

/** An arbitrary per kind, blind to the state. */
function arbitraries(faultSites: readonly string[]): Partial<Record<CommandKind, fc.Arbitrary<Command>>> {
  return {
    pci_bridge_add: cmd('pci_bridge_add', { bridge: fc.constantFrom('br0', 'br1'), rid: fc.constantFrom(0x10, 0x18) }),
    pci_device_add: cmd('pci_device_add', { dev: fc.constantFrom('dev0', 'dev1', 'dev2', 'dev3', 'dev4', 'dev5'), rid: fc.constantFrom(...RID_POOL), msi: fc.constantFrom(0, 1, 2, 4, 8, 32), msix: fc.constantFrom(0, 1, 2, 3, 8, 32, 64, 2048) }),
    platform_device_add: cmd('platform_device_add', { dev: fc.constantFrom(...PDEVS), devid: fc.constantFrom(0xf000, 0xf001, 0xf002) }),
    pci_alloc_irq_vectors: cmd('pci_alloc_irq_vectors', { dev: pciDev, min: fc.integer({ min: 1, max: 4 }), max: fc.constantFrom(1, 2, 3, 4, 8, 32), flags: fc.constantFrom(...FLAGS) }),
    pci_free_irq_vectors: cmd('pci_free_irq_vectors', { dev: pciDev }),
    pci_msix_alloc_irq_at: cmd('pci_msix_alloc_irq_at', { dev: pciDev, index: fc.oneof(fc.constant('any' as const), vec) }),
    pci_msix_free_irq: cmd('pci_msix_free_irq', { dev: pciDev, index: vec }),
    platform_device_msi_init_and_alloc_irqs: cmd('platform_device_msi_init_and_alloc_irqs', { dev: fc.constantFrom(...PDEVS), nvec: fc.constantFrom(1, 2, 4, 33, 64) }),
    platform_device_msi_free_irqs_all: cmd('platform_device_msi_free_irqs_all', { dev: fc.constantFrom(...PDEVS) }),
    device_release_driver: cmd('device_release_driver', { dev }),
    device_del: cmd('device_del', { dev }),
    ...(faultSites.length > 0 ? { fail_next: cmd('fail_next', { site: fc.constantFrom(...faultSites), nth: fc.nat({ max: 2 }) }) } : {}),
    request_irq: cmd('request_irq', { dev, vec }),
    free_irq: cmd('free_irq', { dev, vec }),
    msi_raise: cmd('msi_raise', { dev, vec }),
    cpu_handle_irq: cmd('cpu_handle_irq', { cpu }),
    cpu_irq_enter: cmd('cpu_irq_enter', { cpu }),
    cpu_irq_exit: cmd('cpu_irq_exit', { cpu }),
    pci_msix_mask: cmd('pci_msix_mask', { dev: pciDev, vec }),
    pci_msix_unmask: cmd('pci_msix_unmask', { dev: pciDev, vec }),
    kvm_xive_create: cmd('kvm_xive_create', { kvm: fc.constantFrom('kvm0', 'kvm1') }),
    kvm_xive_set_source: cmd('kvm_xive_set_source', { kvm: fc.constantFrom('kvm0', 'kvm1'), irq: fc.constantFrom(0, 1, 2, 4095) }),
    kvm_xive_release: cmd('kvm_xive_release', { kvm: fc.constantFrom('kvm0', 'kvm1') }),
    xive_native_alloc_irq: cmd('xive_native_alloc_irq', { hw: fc.constantFrom('hw0', 'hw1', 'hw2', 'hw3') }),
    xive_native_free_irq: cmd('xive_native_free_irq', { hw: fc.constantFrom('hw0', 'hw1', 'hw2', 'hw3') }),
    pci_enable_sriov: cmd('pci_enable_sriov', { dev: pciDev, numVfs: fc.integer({ min: 1, max: 4 }) }),
    pci_disable_sriov: cmd('pci_disable_sriov', { dev: pciDev }),
    dmar_set_interrupt: cmd('dmar_set_interrupt', { unit: fc.nat({ max: 1 }) }),
    dmar_free_interrupt: cmd('dmar_free_interrupt', { unit: fc.nat({ max: 1 }) }),
    hpet_assign_irq: cmd('hpet_assign_irq', { channel: fc.nat({ max: 2 }) }),
    hpet_free_irq: cmd('hpet_free_irq', { channel: fc.nat({ max: 2 }) }),
    cpu_down: cmd('cpu_down', { cpu }),
    cpu_up: cmd('cpu_up', { cpu }),
    irq_set_affinity: cmd('irq_set_affinity', { target, vec, cpus: fc.integer({ min: 1, max: 15 }) }),
    generic_handle_irq: cmd('generic_handle_irq', { target, vec }),
    vector_cleanup_callback: cmd('vector_cleanup_callback', { cpu }),
  };
}

interface Model {
  readonly sim: Simulation;
}

interface Real {
  executed: number;
  last?: StepRecord;
  /** The first violation; it ends the run's useful work, as in the other two loops. */
  broken: string | null;
}

class KindCommand implements fc.Command<Model, Real> {
  constructor(
    private readonly command: Command,
    private readonly ctx: VocabContext,
    private readonly invariants: readonly Invariant[],
  ) {}

  check(m: Readonly<Model>): boolean {
    return !m.sim.dead && specOf(this.command.kind).valid(this.command as never, m.sim.state, this.ctx);
  }

  run(m: Model, r: Real): void {
    if (r.broken !== null) return;
    const record = m.sim.execute(this.command);
    r.executed++;
    r.last = record;
    r.broken = checkRecord(m.sim, record, this.invariants)?.invariant ?? null;
  }

  toString(): string {
    return this.command.kind;
  }
}

export interface BlindResult {
  readonly commands: number;
  readonly ms: number;
  /** CPU ms until a run first broke `target`, if one did. */
  readonly detectedMs: number | null;
}

/**
 * Runs the idiomatic harness over `config` for about `timeMs` of `cpu` time (batches of
 * fc.assert with seeds `seed`, `seed + 1`, ...), or until a run breaks `target`. `kinds`: the
 * kinds a run on this platform generates (a hand-written harness lists the commands of the
 * platform it tests). Returns the executed commands and, with a target, when it broke.
 */
export function blindFc(config: SimulationConfig, kinds: ReadonlySet<CommandKind>, o: { timeMs: number; seed: number; cpu: () => number; target?: string }): BlindResult {
  const probe = new Simulation(config);
  const ctx: VocabContext = { faultSites: probe.faultSites, platform: config.platform.name };
  const all = arbitraries(probe.faultSites);
  const invariants = invariantsFor(config.platform.name);
  const arbs = [...kinds].map((k) => all[k]).filter((a): a is fc.Arbitrary<Command> => a !== undefined).map((a) => a.map((c) => new KindCommand(c, ctx, invariants)));
  const commandsArb = fc.commands(arbs, { maxCommands: 40, size: 'max' });
  let commands = 0;
  let batch = 0;
  let detectedMs: number | null = null;
  const t0 = o.cpu();
  while (detectedMs === null && o.cpu() - t0 < o.timeMs) {
    fc.assert(
      fc.property(commandsArb, (cmds) => {
        if (detectedMs !== null) return;
        const real: Real = { executed: 0, broken: null };
        const sim = new Simulation(config);
        fc.modelRun(() => ({ model: { sim }, real }), cmds);
        if (real.broken === null && !sim.dead) real.broken = finalCheck(sim, real.last, invariants)?.invariant ?? null;
        commands += real.executed;
        if (o.target !== undefined && real.broken === o.target) detectedMs = o.cpu() - t0;
      }),
      { seed: o.seed + batch++, numRuns: 20 },
    );
  }
  return { commands, ms: o.cpu() - t0, detectedMs };
}
