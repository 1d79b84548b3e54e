// The x86 invariants fire when what they guard is broken by hand on a healthy machine.
import { PciDev } from '../../models/kernel/device';
import { AmdIrData } from '../../models/platforms/x86/amd-ir';
import { IntelIrData } from '../../models/platforms/x86/intel-ir';
import { X86Platform } from '../../models/platforms/x86/instance';
import type { Command } from '../../src/commands/command';
import type { Simulation, StepRecord } from '../../src/sim/simulation';
import { healthyOn, verdict } from './helpers';

function healthy(commands: Command[], platform = 'x86-intel-ir'): { sim: Simulation; record: StepRecord; x86: X86Platform } {
  const { sim, record } = healthyOn(platform, 'v6.18', commands);
  return { sim, record, x86: sim.platform as X86Platform };
}

const DEVICE: Command[] = [
  { kind: 'pci_device_add', dev: 'dev0', rid: 0x100, msi: 0, msix: 4 },
  { kind: 'pci_alloc_irq_vectors', dev: 'dev0', min: 1, max: 4, flags: 4 },
];

const TWO: Command[] = [
  ...DEVICE,
  { kind: 'pci_device_add', dev: 'dev1', rid: 0x200, msi: 0, msix: 2 },
  { kind: 'pci_alloc_irq_vectors', dev: 'dev1', min: 1, max: 2, flags: 4 },
];

/** The AMD-IR level's data of `dev`'s vector `vec`. */
function amdLevel(sim: Simulation, dev: string, vec: number): AmdIrData {
  const irq = sim.device(dev).msiData?.domains[0].store.get(vec)?.irq ?? 0;
  for (let l = sim.kernel.irqs.desc(irq)?.irqData ?? null; l !== null; l = l.parentData) if (l.chipData instanceof AmdIrData) return l.chipData;
  throw new Error(`${dev} vec ${vec} has no AMD-IR level`);
}

describe('x86 invariants fire when broken', () => {
  test('hwirq-unique: two irqs programmed into one AMD-Vi IRTE (the hwirqs repeat by design, the IRTE may not)', () => {
    const { sim, record } = healthy(DEVICE, 'x86-amd-ir');
    expect(verdict('hwirq-unique', sim, record)).toBeNull();
    amdLevel(sim, 'dev0', 1).index = amdLevel(sim, 'dev0', 0).index;
    expect(verdict('hwirq-unique', sim, record)).toMatch(/AMD-IR-0: IRTE \d+ of the remap table at 0x[0-9a-f]+ used by irq \d+ and irq \d+/);
  });

  test('requester-id-identity: one AMD-Vi remap table reached by two unrelated requester IDs', () => {
    const { sim, record, x86 } = healthy(TWO, 'x86-amd-ir');
    expect(verdict('requester-id-identity', sim, record)).toBeNull();
    const amd = x86.amd;
    if (amd === null) throw new Error('no AMD-Vi');
    const table0 = amd.irqLookupTable.get(0x100);
    if (table0 === undefined) throw new Error('no table for dev0');
    // dev1's DTE pointed at dev0's table: dev1's entries are in it, and both IDs reach it
    amd.irqLookupTable.set(0x200, table0);
    expect(verdict('requester-id-identity', sim, record)).toMatch(/dev0 \(requester ID 100\) and dev1 \(requester ID 200\) share the remap table of devid/);
  });

  test('requester-id-identity: a VT-d IRTE whose source-id is another function\'s', () => {
    const { sim, record } = healthy(TWO);
    expect(verdict('requester-id-identity', sim, record)).toBeNull();
    const irq = sim.device('dev1').msiData?.domains[0].store.get(0)?.irq ?? 0;
    for (let l = sim.kernel.irqs.desc(irq)?.irqData ?? null; l !== null; l = l.parentData) if (l.chipData instanceof IntelIrData) l.chipData.irte.sid = 0x100;
    expect(verdict('requester-id-identity', sim, record)).toMatch(/dev1 irq \d+: IRTE \d+ of .* is not found by requester ID 200/);
  });

  test('x86-matrix-accounting: a counter that no longer matches its map', () => {
    const { sim, record, x86 } = healthy(DEVICE);
    expect(verdict('x86-matrix-accounting', sim, record)).toBeNull();
    const cm = x86.vec.matrix.maps[0];
    if (cm === undefined) throw new Error('no CPU 0 map');
    cm.allocated += 1;
    expect(verdict('x86-matrix-accounting', sim, record)).not.toBeNull();
  });

  test('x86-matrix-accounting: systembits_inalloc counting a system vector outside the allocation range', () => {
    const { sim, record, x86 } = healthy(DEVICE);
    const m = x86.vec.matrix;
    // what irq_matrix_assign_system() without its range check would have counted at boot
    m.systembitsInalloc += 1;
    expect(verdict('x86-matrix-accounting', sim, record)).toMatch(/systembits_inalloc=\d+ but \d+ system vectors lie in/);
  });

  test('x86-matrix-accounting: available that the maps and the system vectors do not give', () => {
    const { sim, record, x86 } = healthy(DEVICE);
    const m = x86.vec.matrix;
    const cm = m.maps[0];
    if (cm === undefined) throw new Error('no CPU 0 map');
    // global_available moved with it, so only the recount can tell
    cm.available -= 1;
    m.globalAvailable -= 1;
    expect(verdict('x86-matrix-accounting', sim, record)).toMatch(/CPU 0: available=\d+ but the maps leave \d+/);
  });

  test('x86-matrix-accounting: a managed slot reserved on an offline CPU leaves its available uncharged, as matrix.c does', () => {
    const { sim, record, x86 } = healthy([
      { kind: 'pci_device_add', dev: 'dev0', rid: 0x100, msi: 0, msix: 4 },
      { kind: 'cpu_down', cpu: 1 },
      { kind: 'pci_alloc_irq_vectors', dev: 'dev0', min: 1, max: 4, flags: 4 | 8 },
      { kind: 'cpu_up', cpu: 1 },
    ]);
    const m = x86.vec.matrix;
    const cm = m.maps[1];
    if (cm === undefined) throw new Error('no CPU 1 map');
    let inAlloc = 0;
    for (let b = m.allocStart; b < m.allocEnd; b++) inAlloc += m.systemMap[b] as number;
    let used = 0;
    for (let b = m.allocStart; b < m.allocEnd; b++) used += cm.managedMap[b] === 1 || cm.allocMap[b] === 1 ? 1 : 0;
    // the kernel's counter is one above the recount: the exemption is needed and checked
    expect(cm.managed).toBeGreaterThan(0);
    expect(cm.available).toBe(m.allocEnd - m.allocStart - inAlloc - used + cm.managed);
    expect(verdict('x86-matrix-accounting', sim, record)).toBeNull();
    // CPU 0 stayed online throughout, and its count is still judged
    const cm0 = m.maps[0] as (typeof m.maps)[0];
    cm0.available += 1;
    m.globalAvailable += 1;
    expect(verdict('x86-matrix-accounting', sim, record)).toMatch(/CPU 0: available/);
  });

  test('x86-vector-ownership: vector_irq[] pointing at the wrong irq', () => {
    const { sim, record, x86 } = healthy(DEVICE);
    expect(verdict('x86-vector-ownership', sim, record)).toBeNull();
    for (const table of x86.vec.vectorIrq) {
      // an MSI's slot (the legacy PIC's cascade irq 2 sits at its ISA vector on every CPU, no vector of its own)
      const i = table.findIndex((irq) => irq >= 16);
      if (i >= 0) {
        table[i] = (table[i] as number) + 1000;
        break;
      }
    }
    expect(verdict('x86-vector-ownership', sim, record)).not.toBeNull();
  });

  test('x86-vector-ownership: a managed irq on a regular vector, a regular irq on a managed slot', () => {
    const managed: Command[] = [
      { kind: 'pci_device_add', dev: 'dev0', rid: 0x100, msi: 0, msix: 4 },
      { kind: 'pci_alloc_irq_vectors', dev: 'dev0', min: 1, max: 4, flags: 4 | 8 },
    ];
    const m = healthy(managed);
    expect(verdict('x86-vector-ownership', m.sim, m.record)).toBeNull();
    const managedIrq = [...m.sim.kernel.irqs.descs.values()].find((d) => d.affinityManaged && (m.x86.vec.chipDataOf(d.irq)?.vector ?? 0) !== 0);
    if (managedIrq === undefined) throw new Error('no managed irq with a vector');
    const a = m.x86.vec.chipDataOf(managedIrq.irq);
    if (a === null) throw new Error('no apic data');
    const cm = m.x86.vec.matrix.maps[a.cpu];
    if (cm === undefined) throw new Error('no map');
    cm.managedMap[a.vector] = 0;
    expect(verdict('x86-vector-ownership', m.sim, m.record)).toMatch(/\(managed\): CPU \d+ vector \d+ is not a managed slot/);

    const r = healthy(DEVICE);
    const irq = [...r.sim.kernel.irqs.descs.values()].find((d) => !d.affinityManaged && (r.x86.vec.chipDataOf(d.irq)?.vector ?? 0) !== 0 && d.msiDesc !== null);
    const b = irq === undefined ? null : r.x86.vec.chipDataOf(irq.irq);
    if (b === null) throw new Error('no regular irq with a vector');
    const cm2 = r.x86.vec.matrix.maps[b.cpu];
    if (cm2 === undefined) throw new Error('no map');
    cm2.managedMap[b.vector] = 1;
    expect(verdict('x86-vector-ownership', r.sim, r.record)).toMatch(/\(not managed\): CPU \d+ vector \d+ is a managed slot/);
  });

  test('x86-platform-msi-routing: a DMAR fault-event message with the wrong vector', () => {
    const { sim, record, x86 } = healthy([{ kind: 'dmar_set_interrupt', unit: 0 }]);
    expect(verdict('x86-platform-msi-routing', sim, record)).toBeNull();
    const unit = x86.iommus[0];
    if (unit === undefined || unit.faultEventMsg === null) throw new Error('no DMAR fault-event message');
    unit.faultEventMsg = { ...unit.faultEventMsg, data: unit.faultEventMsg.data ^ 0x1 };
    expect(verdict('x86-platform-msi-routing', sim, record)).not.toBeNull();
  });

  // The RTE of an activated pin left on the vector it had before a move (ioapic_set_affinity()
  // without ioapic_configure_entry()): the line's interrupts land on a vector nobody owns
  test('x86-platform-msi-routing: an IOAPIC route entry behind its irq\'s vector', () => {
    const { sim, record, x86 } = healthy([{ kind: 'acpi_register_gsi', gsi: 16 }], 'x86-noir');
    expect(verdict('x86-platform-msi-routing', sim, record)).toBeNull();
    const rte = x86.ioapic?.rtes[16];
    if (rte === undefined) throw new Error('no pin 16');
    rte.vector ^= 0x1;
    expect(verdict('x86-platform-msi-routing', sim, record)).toMatch(/^ioapic0 \(irq 16\): No irq handler for \d\.\d+$/);
  });

  test('x86-platform-msi-routing: the timer\'s route entry (irq 0, from boot) pointing at another CPU', () => {
    const { sim, record, x86 } = healthy([{ kind: 'pci_device_add', dev: 'dev0', rid: 0x100, msi: 0, msix: 1 }], 'x86-noir');
    expect(verdict('x86-platform-msi-routing', sim, record)).toBeNull();
    const rte = x86.ioapic?.rtes[2];
    if (rte === undefined) throw new Error('no pin 2');
    rte.irIndex0to14 = 1 << 7; // destination APIC id 1
    expect(verdict('x86-platform-msi-routing', sim, record)).toMatch(/^ioapic0 \(irq 0\): No irq handler for 1\.48$/);
  });
});

// activation-released on x86: what the remapping levels and the vector domain take at
// activation must be gone once free_irq() has deactivated the irq.
describe('activation-released on x86', () => {
  const DEACTIVATED: Command[] = [...DEVICE, { kind: 'request_irq', dev: 'dev0', vec: 0 }, { kind: 'free_irq', dev: 'dev0', vec: 0 }];

  function deactivated(platform: string): { sim: Simulation; record: StepRecord; x86: X86Platform; irq: number } {
    const { sim, record } = healthyOn(platform, 'v6.18', DEACTIVATED);
    const irq = (sim.device('dev0') as PciDev).msiData?.domains[0].store.get(0)?.irq ?? 0;
    expect(sim.kernel.irqs.desc(irq)?.irqData.activated).toBe(false);
    expect(verdict('activation-released', sim, record)).toBeNull();
    return { sim, record, x86: sim.platform as X86Platform, irq };
  }

  const levelData = (sim: Simulation, irq: number, cls: abstract new (...a: never[]) => object): unknown => {
    for (let d = sim.kernel.irqs.desc(irq)?.irqData ?? null; d !== null; d = d.parentData) if (d.chipData instanceof cls) return d.chipData;
    throw new Error('no such level');
  };

  test('an IRTE still present', () => {
    const { sim, record, irq } = deactivated('x86-intel-ir');
    const ird = levelData(sim, irq, IntelIrData) as IntelIrData;
    const { iommu, irteIndex, subHandle } = ird.irq2iommu;
    iommu.irTable.base.set(irteIndex + subHandle, { ...ird.irte, present: true });
    expect(verdict('activation-released', sim, record)).toMatch(/IRTE \d+ of .* still present, though it is not activated/);
  });

  test('an AMD IRTE still valid', () => {
    const { sim, record, irq } = deactivated('x86-amd-ir');
    const data = levelData(sim, irq, AmdIrData) as AmdIrData;
    const e = data.iommu.irqLookupTable.get(data.devid)?.table[data.index];
    if (e === undefined) throw new Error('no IRTE');
    e.valid = true;
    expect(verdict('activation-released', sim, record)).toMatch(/AMD IRTE \d+ of devid 100 still valid, though it is not activated/);
  });

  test('a reservation-mode irq that kept its real vector', () => {
    const { sim, record, x86, irq } = deactivated('x86-noir');
    const apicd = x86.vec.chipDataOf(irq);
    if (apicd === null) throw new Error('no apic_chip_data');
    expect(apicd.canReserve).toBe(true);
    apicd.vector = 0x40;
    expect(verdict('activation-released', sim, record)).toMatch(/still holds vector 64 on CPU \d+, though it is not activated/);
    // a regular fixed-assigned irq keeps its vector by design (x86_vector_deactivate())
    apicd.canReserve = false;
    expect(verdict('activation-released', sim, record)).toBeNull();
  });
});

// The object audit on x86: the platform's own irqs (DMAR fault events, HPET channels) live as
// long as the machine, wherever irq_set_affinity moved them, with every vector they hold; a
// vector no irq holds is a leak, on an online CPU or left behind on an offline one.
describe('object-audit on x86: platform irqs, moves and what offline left behind', () => {
  const MOVED_DMAR: Command[] = [
    { kind: 'dmar_set_interrupt', unit: 0 },
    { kind: 'dmar_set_interrupt', unit: 1 },
    { kind: 'irq_set_affinity', target: 'dmar', vec: 1, cpus: 0x1 },
  ];

  function movedDmar(): { sim: Simulation; record: StepRecord; x86: X86Platform; irq: number } {
    const { sim, record } = healthyOn('x86-noir', 'v6.18', MOVED_DMAR);
    const x86 = sim.platform as X86Platform;
    const irq = x86.iommus[1]?.irq ?? 0;
    return { sim, record, x86, irq };
  }

  test('a DMAR irq with its move in flight holds two vectors: not a leak', () => {
    const { sim, record, x86, irq } = movedDmar();
    const apicd = x86.vec.chipDataOf(irq);
    expect(apicd?.moveInProgress).toBe(true);
    // unit 0's irq went to CPU 1, unit 1's to CPU 2 (CPU 0 holds the timer's ISA vector)
    expect(apicd?.prevCpu).toBe(2);
    expect(verdict('object-audit', sim, record)).toBeNull();
  });

  test('a vector allocated on an online CPU that nobody holds is a leak', () => {
    const { sim, record, x86 } = movedDmar();
    const cm = x86.vec.matrix.maps[2];
    if (cm === undefined) throw new Error('no CPU 2');
    expect(cm.allocMap[0x60]).toBe(0);
    cm.allocMap[0x60] = 1;
    expect(verdict('object-audit', sim, record)).toMatch(/vector: CPU 2 vector 0x60 leaked, allocation not recorded/);
  });

  test('the old vector of a moved DMAR irq forgotten on an offline CPU: a leak, and left behind', () => {
    const { sim, record, x86, irq } = movedDmar();
    const apicd = x86.vec.chipDataOf(irq);
    if (apicd === null) throw new Error('no apic_chip_data');
    const old = apicd.prevVector;
    const cpu = apicd.prevCpu;
    // The old CPU offline with the move still in flight, then __send_cleanup_vector() as at
    // v5.10: prev_cpu offline, so prev_vector = 0 and the vector stays allocated there
    x86.vec.online[cpu] = false;
    apicd.moveInProgress = false;
    apicd.prevVector = 0;
    expect(verdict('object-audit', sim, record)).toMatch(new RegExp(`vector: CPU ${cpu} vector 0x${old.toString(16)} leaked, allocated in irq_matrix_alloc, step 2: dmar_set_interrupt\\(unit=1\\)`));
    expect(verdict('nothing-left-behind', sim, record)).toMatch(new RegExp(`CPU ${cpu} is offline with vector \\d+ still allocated and no irq holding it`));
  });
});
