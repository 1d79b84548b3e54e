// The RISC-V AIA model walked step by step along the kernel's paths: an IMSIC identity per
// vector and its message, an affinity move that keeps the old identity until its CPU syncs
// (forwarding what is pending there), the deferred move of PCI/MSI (IRQCHIP_MOVE_DEFERRED, v7.2),
// CPU hotplug through imsic_dying_cpu()/imsic_starting_cpu(), and APLIC wires mapped through the
// wire-to-MSI domain into the APLIC's target registers.
import { PciDev, PlatformDevice } from '../../models/kernel/device';
import { pciIrqVector } from '../../models/kernel/pci-msi';
import { msiGetDeviceDomain, msiStore } from '../../models/kernel/msi';
import { RiscvAiaPlatform } from '../../models/platforms/riscv-aia';
import type { ImsicVector } from '../../models/platforms/riscv-aia/imsic-state';
import type { Command } from '../../src/commands/command';
import { runCommands } from '../../src/engine/runner';
import { findPlatform } from '../../src/platforms';
import { resolveRevision } from '../../src/revision';
import type { Simulation } from '../../src/sim/simulation';

const platform = findPlatform('riscv-aia');

function run(revision: string, commands: Command[]): { sim: Simulation; violation: string | null } {
  if (platform === undefined) throw new Error('riscv-aia not registered');
  const r = runCommands({ platform, revision: resolveRevision(platform, revision), faultClasses: ['resource', 'kmalloc', 'firmware'] }, commands);
  expect(r.invalidAt).toBeNull();
  return { sim: r.sim, violation: r.violation === null ? null : `${r.violation.invariant}: ${r.violation.message}` };
}

const aia = (sim: Simulation): RiscvAiaPlatform => sim.platform as RiscvAiaPlatform;

/** The IMSIC-level vector of a PCI device's vector `vec`. */
function vectorOf(sim: Simulation, dev: string, vec: number): ImsicVector {
  const irq = pciIrqVector(sim.device(dev) as PciDev, vec);
  const p = aia(sim);
  const d = p.baseDomain.revmap.get(irq);
  if (d === undefined) throw new Error(`irq ${irq} has no IMSIC level`);
  return d.chipData as ImsicVector;
}

const MSIX: Command[] = [
  { kind: 'pci_device_add', dev: 'dev0', rid: 0x100, msi: 0, msix: 4 },
  { kind: 'pci_alloc_irq_vectors', dev: 'dev0', min: 1, max: 4, flags: 4 },
];

describe('IMSIC: identities and messages (imsic_irq_domain_alloc, imsic_irq_compose_msg)', () => {
  test('each vector is one identity of the least loaded CPU, hwirq == virq; its MSI-X entry holds that CPU\'s page and the local ID', () => {
    const { sim, violation } = run('v7.2', MSIX);
    expect(violation).toBeNull();
    const dev = sim.device('dev0') as PciDev;
    // matrix_find_best_cpu(): the most available CPU, the first on a tie: CPUs 0, 1, 2, 3
    expect([0, 1, 2, 3].map((v) => vectorOf(sim, 'dev0', v).cpu)).toEqual([0, 1, 2, 3]);
    for (let v = 0; v < 4; v++) {
      const vec = vectorOf(sim, 'dev0', v);
      // identities 0 (never implemented) and 1 (IPIs) are system bits
      expect(vec.localId).toBe(2);
      expect(vec.irq).toBe(pciIrqVector(dev, v));
      const entry = dev.msixTable[v];
      expect(entry?.data).toBe(2);
      expect(entry?.addressLo).toBe(aia(sim).imsic.files[vec.cpu]?.msiPa);
    }
  });

  test('the identity is enabled in its hart\'s file only once that hart syncs (request_irq -> unmask -> __imsic_remote_sync)', () => {
    const { sim } = run('v7.2', [...MSIX, { kind: 'request_irq', dev: 'dev0', vec: 2 }]);
    const vec = vectorOf(sim, 'dev0', 2);
    const p = aia(sim);
    expect(vec.enable).toBe(true);
    // CPU 2's enable bit waits for its lazy timer: the driver thread runs on CPU 0
    expect(p.imsic.files[2]?.eie[vec.localId]).toBe(false);
    expect(p.imsic.lpriv[2]?.timerPending).toBe(true);
    p.localTimerCallback(2);
    expect(p.imsic.files[2]?.eie[vec.localId]).toBe(true);
  });
});

describe('IMSIC: affinity moves (imsic_irq_set_affinity, imsic_vector_move, __imsic_local_sync)', () => {
  // A wired APLIC interrupt moves in process context at every revision
  const WIRE: Command[] = [
    { kind: 'wired_bridge_add', bridge: 'aplic0' },
    { kind: 'irq_create_fwspec_mapping', bridge: 'aplic0', hwirq: 5, type: 4 },
    { kind: 'request_irq', dev: 'aplic0', vec: 5 },
    { kind: 'irq_set_affinity', target: 'aplic0', vec: 5, cpus: 0x2 },
    { kind: 'imsic_local_timer_callback', cpu: 1 },
  ];

  test('the old identity is kept, linked to the new one, until its CPU syncs; that sync forwards what is pending there and frees it', () => {
    const { sim, violation } = run('v7.2', [...WIRE, { kind: 'irq_set_affinity', target: 'aplic0', vec: 5, cpus: 0x4 }]);
    expect(violation).toBeNull();
    const p = aia(sim);
    const old = p.imsic.lpriv[1]?.vectors[2] as ImsicVector;
    const now = p.imsic.lpriv[2]?.vectors[2] as ImsicVector;
    expect(old.moveNext).toBe(now);
    expect(now.movePrev).toBe(old);
    expect(p.imsic.matrix.maps[1]?.allocMap[2]).toBe(1);
    // a device write to the old identity meanwhile latches there
    p.fabric.latch(1, 2, [{ dev: 'aplic0', vec: 5, step: 0 }]);
    p.localTimerCallback(1);
    expect(old.moveNext).toBeNull();
    expect(p.imsic.matrix.maps[1]?.allocMap[2]).toBe(0);
    expect(p.imsic.files[1]?.eip.has(2)).toBe(false);
    expect(p.imsic.files[2]?.eip.has(2)).toBe(true);
  });

  test('a second move before the new CPU synced is refused with -EBUSY (imsic_vector_get_move)', () => {
    const { sim } = run('v7.2', WIRE.slice(0, 4));
    const r = runCommandOn(sim, { kind: 'irq_set_affinity', target: 'aplic0', vec: 5, cpus: 0x4 });
    expect(r).toBe(-16);
  });

  test('v7.2: a PCI/MSI-X affinity write is only recorded (IRQCHIP_MOVE_DEFERRED); the next interrupt moves it (irq_move_irq)', () => {
    const { sim } = run('v7.2', [...MSIX, { kind: 'request_irq', dev: 'dev0', vec: 0 }, { kind: 'irq_set_affinity', target: 'dev0', vec: 0, cpus: 0x8 }]);
    const irq = pciIrqVector(sim.device('dev0') as PciDev, 0);
    expect(sim.kernel.irqs.desc(irq)?.pendingMask).toEqual([3]);
    expect(vectorOf(sim, 'dev0', 0).cpu).toBe(0);
    runCommandOn(sim, { kind: 'msi_raise', dev: 'dev0', vec: 0 });
    expect(vectorOf(sim, 'dev0', 0).cpu).toBe(0);
    // CPU 0 takes it: handle_edge_irq() -> irq_ack -> imsic_irq_ack() -> irq_move_irq(), masked
    runCommandOn(sim, { kind: 'cpu_handle_irq', cpu: 0 });
    expect(vectorOf(sim, 'dev0', 0).cpu).toBe(3);
    expect(sim.kernel.irqs.desc(irq)?.pendingMask).toBeNull();
  });

  test('v6.12: the same write moves the PCI vector at once', () => {
    const { sim } = run('v6.12', [...MSIX, { kind: 'request_irq', dev: 'dev0', vec: 0 }, { kind: 'irq_set_affinity', target: 'dev0', vec: 0, cpus: 0x8 }]);
    expect(vectorOf(sim, 'dev0', 0).cpu).toBe(3);
  });
});

describe('IMSIC: CPU hotplug (imsic_dying_cpu, imsic_starting_cpu)', () => {
  test('cpu_down moves the CPU\'s irqs away and its last sync frees their old identities; cpu_up re-enables delivery', () => {
    const { sim, violation } = run('v7.2', [...MSIX, { kind: 'request_irq', dev: 'dev0', vec: 1 }, { kind: 'cpu_down', cpu: 1 }]);
    expect(violation).toBeNull();
    const p = aia(sim);
    expect(vectorOf(sim, 'dev0', 1).cpu).not.toBe(1);
    expect(p.imsic.matrix.maps[1]?.allocated).toBe(0);
    expect(p.imsic.matrix.maps[1]?.online).toBe(false);
    runCommandOn(sim, { kind: 'cpu_up', cpu: 1 });
    expect(p.imsic.matrix.maps[1]?.online).toBe(true);
    expect(p.imsic.files[1]?.delivery).toBe(true);
  });
});

describe('APLIC in MSI mode (aplic_msi_setup, msi_device_domain_alloc_wired, aplic_msi_write_msg)', () => {
  test('a mapped wire is one MSI of the APLIC\'s wire-to-MSI domain at the next free index, and its target register holds the identity', () => {
    const { sim, violation } = run('v7.2', [
      { kind: 'wired_bridge_add', bridge: 'aplic0' },
      { kind: 'irq_create_fwspec_mapping', bridge: 'aplic0', hwirq: 7, type: 4 },
      { kind: 'irq_create_fwspec_mapping', bridge: 'aplic0', hwirq: 3, type: 1 },
      { kind: 'request_irq', dev: 'aplic0', vec: 3 },
    ]);
    expect(violation).toBeNull();
    const dev = sim.device('aplic0') as PlatformDevice;
    const domain = msiGetDeviceDomain(dev, 0);
    expect(domain?.busToken).toBe('WIRED_TO_MSI');
    const store = msiStore(dev, 0) as Map<number, { icookie: number; irq: number }>;
    // MSI_ANY_INDEX: index 0 for the first wire, 1 for the second; the cookie holds type << 32 | hwirq
    expect(store.get(0)?.icookie).toBe(4 * 2 ** 32 + 7);
    expect(store.get(1)?.icookie).toBe(1 * 2 ** 32 + 3);
    const priv = aia(sim).aplics.get(dev);
    const src = priv?.sources[3];
    // requested: sourcecfg set from the trigger type, enabled, target = the identity's hart and EIID
    expect(src?.mode).toBe(1);
    expect(src?.ie).toBe(true);
    const irq = domain?.revmap.get(3)?.irq ?? 0;
    const vec = aia(sim).baseDomain.revmap.get(irq)?.chipData as ImsicVector;
    expect(src?.target).toEqual({ cpu: vec.cpu, eiid: vec.localId });
    // the unrequested wire's source is inactive: its input is ignored
    expect(priv?.sources[7]?.mode).toBe(0);
  });

  test('the wire asserting is forwarded as its MSI and handled by its consumer', () => {
    const { sim, violation } = run('v7.2', [
      { kind: 'wired_bridge_add', bridge: 'aplic0' },
      { kind: 'irq_create_fwspec_mapping', bridge: 'aplic0', hwirq: 3, type: 4 },
      { kind: 'request_irq', dev: 'aplic0', vec: 3 },
      { kind: 'msi_raise', dev: 'aplic0', vec: 3 },
      { kind: 'cpu_handle_irq', cpu: 0 },
    ]);
    expect(violation).toBeNull();
    expect(sim.kernel.irqEvents.some((e) => e.ranFor?.dev === 'aplic0' && e.ranFor.vec === 3)).toBe(true);
  });

  test('irq_dispose_mapping() frees the irq but leaves its descriptor (no MSI_FLAG_FREE_MSI_DESCS for WIRED_TO_MSI); msi-fuzz\'s proposal frees it', () => {
    const cmds: Command[] = [
      { kind: 'wired_bridge_add', bridge: 'aplic0' },
      { kind: 'irq_create_fwspec_mapping', bridge: 'aplic0', hwirq: 3, type: 4 },
      { kind: 'irq_dispose_mapping', bridge: 'aplic0', hwirq: 3 },
    ];
    const left = run('v7.2', cmds).sim;
    expect(msiStore(left.device('aplic0'), 0)?.size).toBe(1);
    const fixed = run('v7.2+msi-fuzz-wired-free-descs', cmds).sim;
    expect(msiStore(fixed.device('aplic0'), 0)?.size).toBe(0);
  });
});

function runCommandOn(sim: Simulation, c: Command): number | null {
  return sim.execute(c).outcome?.ret ?? null;
}
