// The 8259's legacy irqs and the IOAPIC as vector users, path by path: the boot matrix
// (lapic_assign_system_vectors(), setup_IO_APIC(), vector_configure_legacy(), check_timer()),
// a GSI mapped and requested (acpi_register_gsi_ioapic() -> mp_map_gsi_to_irq() ->
// mp_irqdomain_alloc(), request_irq() -> mp_irqdomain_activate()), its affinity (deferred to the
// next interrupt, IRQCHIP_MOVE_DEFERRED), CPU hot-unplug, and the unmap that frees it.
import { IrqDesc } from '../../models/kernel/irqdomain';
import { x86AmdIrPlatform, x86IntelIrPlatform, x86NoIrPlatform } from '../../models/platforms/x86';
import { IntelIrData } from '../../models/platforms/x86/intel-ir';
import { IoApic, type IoApicRte } from '../../models/platforms/x86/ioapic';
import type { X86Platform } from '../../models/platforms/x86/instance';
import { decodeCompat, decodeRemappable } from '../../models/platforms/x86/msi-msg';
import { isaIrqVector } from '../../models/platforms/x86/vector';
import { atBoot, bootX86, inUse, leak } from './x86-helpers';

function ioapicOf(p: X86Platform): IoApic {
  if (p.ioapic === null) throw new Error('no IOAPIC');
  return p.ioapic;
}

function rteOf(p: X86Platform, pin: number): IoApicRte {
  const rte = ioapicOf(p).rtes[pin];
  if (rte === undefined) throw new Error(`no pin ${pin}`);
  return rte;
}

function descOf(p: X86Platform, irq: number): IrqDesc {
  const d = p.kernel.irqs.desc(irq);
  if (d === undefined) throw new Error(`no irq ${irq}`);
  return d;
}

/** Where the pin's RTE sends its interrupt, as a compatibility-format message names it. */
function rteTarget(p: X86Platform, pin: number): { cpu: number; vector: number } {
  const cfg = decodeCompat(IoApic.rteMessage(rteOf(p, pin)));
  return { cpu: cfg.destApicid, vector: cfg.vector };
}

/** Every activated pin's RTE reaches its own irq (x86-platform-msi-routing, as a list). */
function ioapicRouting(p: X86Platform): string[] {
  const out: string[] = [];
  for (const m of p.platformMessages()) {
    if (m.dev !== p.ioapicDev) continue;
    const got = p.deliver(m.dev, m.msg);
    if ('blocked' in got) out.push(`irq ${m.irq}: ${got.blocked}`);
    else if (got.irq !== m.irq) out.push(`irq ${m.irq} delivered to ${got.irq}`);
  }
  return out;
}

describe('x86 boot: the legacy irqs in the vector matrix', () => {
  test('the timer keeps ISA_IRQ_VECTOR(0) on CPU 0 through its IOAPIC pin; the other ISA irqs wait in reservation mode', () => {
    const { k, p } = bootX86(x86NoIrPlatform, 'v6.18');
    const io = ioapicOf(p);
    const m = p.vec.matrix;
    // early_irq_init(): descriptors 0-15; setup_IO_APIC_irqs(): all but the cascade on the IOAPIC
    for (let irq = 0; irq < 16; irq++) expect(k.irqs.desc(irq)).toBeDefined();
    expect(io.pinIrqs()).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15].map((pin) => ({ pin, irq: pin === 2 ? 0 : pin })));
    expect(descOf(p, 2).irqData.chip?.name).toBe('XT-PIC');
    expect(descOf(p, 2).irqData.parentData).toBeNull();
    // IRQ0 arrives at pin 2 (the MADT override), and kept its vector: it was requested on the
    // PIC (setup_default_timer_irq()) before the IOAPIC took it over
    const timer = p.vec.chipDataOf(0);
    expect(descOf(p, 0).irqData.chip?.name).toBe('IO-APIC');
    expect(descOf(p, 0).action?.name).toBe('timer');
    expect([timer?.cpu, timer?.vector, timer?.hasReserved]).toEqual([0, isaIrqVector(0), false]);
    expect(p.vec.vectorIrq[0]?.[isaIrqVector(0)]).toBe(0);
    // check_timer() wrote pin 2's RTE from it
    expect(rteTarget(p, 2)).toEqual({ cpu: 0, vector: 0x30 });
    expect(rteOf(p, 2).masked).toBe(false);
    // The other ISA vectors went back to the matrix; each irq holds a global reservation instead
    expect(m.maps[0]?.allocMap[isaIrqVector(0)]).toBe(1);
    for (let irq = 1; irq < 16; irq++) expect(m.maps[0]?.allocMap[isaIrqVector(irq)]).toBe(0);
    expect(m.globalReserved).toBe(14);
    for (const irq of [1, 3, 9, 15]) expect(p.vec.chipDataOf(irq)?.hasReserved).toBe(true);
    expect(m.maps.map((cm) => cm.allocated)).toEqual([1, 0, 0, 0]);
    // The level-triggered SCI pin is preconfigured masked; nothing is activated but the timer
    expect(rteOf(p, 9).masked).toBe(true);
    expect(io.chipDataOf(9)?.isLevel).toBe(true);
    // lapic_online(): the cascade is the only legacy irq left on the PIC, named on every CPU
    for (let cpu = 0; cpu < 4; cpu++) expect(p.vec.vectorIrq[cpu]?.[0x32]).toBe(2);
    for (let cpu = 1; cpu < 4; cpu++) expect(p.vec.vectorIrq[cpu]?.[0x31]).toBeLessThan(0);
    expect(p.matrixViolations()).toEqual([]);
    expect(p.vectorViolations()).toEqual([]);
    expect(ioapicRouting(p)).toEqual([]);
    expect(leak(k, p)).toBeNull();
  });

  test('a PCI GSI gets irq = GSI, dynamic irqs start above the IOAPIC (arch_dynirq_lower_bound)', () => {
    const { k, p } = bootX86(x86NoIrPlatform, 'v6.18');
    expect(p.acpiRegisterGsi(16)).toBe(0);
    expect(p.gsiIrqs.get(16)).toBe(16);
    // A GSI below 16 with no ISA irq (pin 0, left free by IRQ0's override) gets a dynamic number
    expect(p.acpiRegisterGsi(0)).toBe(0);
    expect(p.gsiIrqs.get(0)).toBe(24);
    expect(p.dmarSetInterrupt(0)).toBe(0);
    expect(p.iommus[0]?.irq).toBe(25);
    expect(ioapicRouting(p)).toEqual([]);
    expect(k.reports).toEqual([]);
  });
});

describe('x86 IOAPIC pins through the vector paths', () => {
  test('register -> RTE written at activation; affinity waits for the next interrupt; cpu_down moves it; unregister frees it', () => {
    const { k, p } = bootX86(x86NoIrPlatform, 'v6.18');
    const io = ioapicOf(p);
    // acpi_register_gsi(16): mp_map_gsi_to_irq(IOAPIC_MAP_ALLOC) -> mp_irqdomain_alloc(), then request_irq()
    expect(p.acpiRegisterGsi(16)).toBe(0);
    const irq = 16;
    const data = io.chipDataOf(irq);
    expect([data?.count, data?.isaIrq, data?.isLevel, data?.activeLow]).toEqual([1, false, true, true]);
    expect(data?.irq2pin.map((e) => e.pin)).toEqual([16]);
    expect(descOf(p, irq).irqData.hwirq).toBe(16);
    // activation took a real vector (reservation mode: activate_reserved()) and wrote the RTE;
    // irq_startup() unmasked it
    const apicd = p.vec.chipDataOf(irq);
    if (apicd === null) throw new Error('no apic_chip_data');
    expect(apicd.vector).toBeGreaterThan(0);
    expect(rteTarget(p, 16)).toEqual({ cpu: apicd.cpu, vector: apicd.vector });
    expect([rteOf(p, 16).isLevel, rteOf(p, 16).masked]).toEqual([true, false]);
    expect(inUse(p, 'vector')).toBe(1);
    // IRQCHIP_MOVE_DEFERRED: the write is recorded, nothing moves until the interrupt fires
    const old = { cpu: apicd.cpu, vector: apicd.vector };
    const target = old.cpu === 3 ? 2 : 3;
    expect(p.setAffinity(irq, [target])).toBe(0);
    expect(apicd.cpu).toBe(old.cpu);
    expect(descOf(p, irq).pendingMask).toEqual([target]);
    expect(p.raiseIrq(irq)).toBe(0);
    expect(apicd.cpu).toBe(target);
    expect(rteTarget(p, 16)).toEqual({ cpu: target, vector: apicd.vector });
    expect(ioapicRouting(p)).toEqual([]);
    // its old vector waits for the cleanup (the first interrupt on the new target)
    expect(apicd.prevVector).toBe(old.vector);
    expect(p.raiseIrq(irq)).toBe(0);
    expect(p.vectorCleanupTimer(old.cpu)).toBe(0);
    expect(apicd.prevVector).toBe(0);
    // cpu_down() of its CPU: migrate_one_irq() moves it at once, the RTE follows
    expect(p.cpuOffline(target)).toBe(0);
    expect(apicd.cpu).not.toBe(target);
    expect(rteTarget(p, 16)).toEqual({ cpu: apicd.cpu, vector: apicd.vector });
    expect(ioapicRouting(p)).toEqual([]);
    expect(p.matrixViolations()).toEqual([]);
    expect(p.vectorViolations()).toEqual([]);
    // acpi_unregister_gsi(16): free_irq() deactivates (masked RTE), mp_unmap_irq() frees the irq
    expect(p.acpiUnregisterGsi(16)).toBe(0);
    expect(k.irqs.desc(irq)).toBeUndefined();
    expect(io.irqOfPin(16)).toBe(0);
    expect(rteOf(p, 16).masked).toBe(true);
    for (let cpu = 0; cpu < 4; cpu++) p.vectorCleanupTimer(cpu);
    expect(p.cpuOnline(target)).toBe(0);
    for (const r of p.resources()) expect([r.pool, r.inUse]).toEqual([r.pool, atBoot(p, r.pool)]);
    expect(leak(k, p)).toBeNull();
    expect(k.reports).toEqual([]);
  });

  test('an ISA GSI finds its boot irq: request takes a vector from its reservation, unregister keeps the irq', () => {
    const { k, p } = bootX86(x86NoIrPlatform, 'v6.18');
    const io = ioapicOf(p);
    expect(p.acpiRegisterGsi(4)).toBe(0);
    expect(p.gsiIrqs.get(4)).toBe(4);
    expect(io.chipDataOf(4)?.count).toBe(2);
    expect(p.vec.matrix.globalReserved).toBe(13);
    expect(p.vec.chipDataOf(4)?.vector).toBeGreaterThan(0);
    expect(ioapicRouting(p)).toEqual([]);
    expect(p.acpiUnregisterGsi(4)).toBe(0);
    // mp_unmap_irq() never gives an ISA irq back; deactivation made the reservation again
    expect(k.irqs.desc(4)).toBeDefined();
    expect(io.chipDataOf(4)?.count).toBe(2);
    expect(p.vec.matrix.globalReserved).toBe(14);
    expect(rteOf(p, 4).masked).toBe(true);
    expect(leak(k, p)).toBeNull();
  });

  test('an allocation failure on the map path leaves nothing behind (mp_irqdomain_alloc, add_pin_to_irq_node, the vector level)', () => {
    for (const site of ['mp_irqdomain_alloc', 'add_pin_to_irq_node', 'alloc_apic_chip_data']) {
      const { k, p } = bootX86(x86IntelIrPlatform, 'v6.18');
      k.faults.arm(site);
      expect([site, p.acpiRegisterGsi(17)]).toEqual([site, -12]);
      expect(k.irqs.desc(17)).toBeUndefined();
      expect(ioapicOf(p).irqOfPin(17)).toBe(0);
      for (const r of p.resources()) expect([site, r.pool, r.inUse]).toEqual([site, r.pool, atBoot(p, r.pool)]);
      expect(leak(k, p)).toBeNull();
      expect(k.reports).toEqual([]);
    }
  });
});

describe('x86 IOAPIC under interrupt remapping', () => {
  test('VT-d: IR-IO-APIC, the RTE names the IRTE in remappable format; a move rewrites the IRTE, not the RTE', () => {
    const { k, p } = bootX86(x86IntelIrPlatform, 'v6.18');
    const unit = p.iommus[1];
    if (unit === undefined) throw new Error('no dmar1');
    expect(p.acpiRegisterGsi(18)).toBe(0);
    const top = descOf(p, 18).irqData;
    expect(top.chip?.name).toBe('IR-IO-APIC');
    expect(top.parentData?.domain).toBe(unit.irDomain);
    const ird = top.parentData?.chipData;
    if (!(ird instanceof IntelIrData)) throw new Error('no intel_ir_data');
    // set_ioapic_sid(): the IOAPIC's source id from dmar1's device scope, all 16 bits checked
    expect([ird.irte.sid, ird.irte.sq]).toEqual([0x00f7, 0]);
    const rte = rteOf(p, 18);
    expect(rte.irFormat).toBe(true);
    // the vector field carries the pin (the subhandle), the index field the IRTE
    expect(rte.vector).toBe(18);
    expect(decodeRemappable(IoApic.rteMessage(rte))).toBe(ird.irq2iommu.irteIndex);
    const before = { ...rte };
    const apicd = p.vec.chipDataOf(18);
    const target = apicd?.cpu === 3 ? 2 : 3;
    expect(p.setAffinity(18, [target])).toBe(0);
    expect(p.raiseIrq(18)).toBe(0);
    expect(apicd?.cpu).toBe(target);
    // intel_ir_set_affinity() says IRQ_SET_MASK_OK_DONE: the RTE stays, the IRTE follows
    expect(rteOf(p, 18)).toEqual(before);
    expect(ird.irte.destId).toBe(target);
    expect(ioapicRouting(p)).toEqual([]);
    expect(p.acpiUnregisterGsi(18)).toBe(0);
    expect(inUse(p, 'IRTE')).toBe(0);
    expect(leak(k, p)).toBeNull();
  });

  test('AMD-Vi: the IRTE index is the pin, in a table whose first 32 entries are kept for the IOAPIC', () => {
    const { k, p } = bootX86(x86AmdIrPlatform, 'v6.18');
    const amd = p.amd;
    if (amd === null) throw new Error('no AMD IOMMU');
    const table = amd.irqLookupTable.get(0x00a0);
    expect(table?.minIndex).toBe(32);
    expect(table?.table.slice(0, 32).every((e) => e.allocated)).toBe(true);
    expect(p.acpiRegisterGsi(19)).toBe(0);
    expect(descOf(p, 19).irqData.chip?.name).toBe('IR-IO-APIC');
    expect(rteOf(p, 19).vector).toBe(19);
    expect(table?.table[19]?.valid).toBe(true);
    expect(ioapicRouting(p)).toEqual([]);
    // The HPET shares the IOAPIC's requester ID: its channels go above the kept entries
    expect(p.hpetAssignIrq(0)).toBe(0);
    expect(p.platformMessages().find((m) => m.dev === p.hpetDev)?.msg.data).toBe(32);
    expect(p.acpiUnregisterGsi(19)).toBe(0);
    expect(table?.table[19]?.valid).toBe(false);
    expect(leak(k, p)).toBeNull();
    expect(k.reports).toEqual([]);
  });
});
