// The vector domain and its matrix: accounting against the maps, reservation mode, affinity
// moves with deferred cleanup, CPU hotplug, managed interrupts, and the sanitizer reports.
import type { IrqData } from '../../models/kernel/irqdomain';
import { MsiAllocInfo } from '../../models/kernel/msi-alloc-info';
import { freeIrq, requestIrq } from '../../models/kernel/manage';
import { PCI_IRQ_MSI, PCI_IRQ_MSIX, pciAllocIrqVectors, pciFreeIrqVectors, pciIrqVector } from '../../models/kernel/pci-msi';
import { x86IntelIrPlatform, x86NoIrPlatform } from '../../models/platforms/x86';
import { initIrqAllocInfo } from '../../models/platforms/x86/alloc-info';
import { VECTOR_SHUTDOWN } from '../../models/platforms/x86/vector';
import { addPci, atBoot, bootX86, inUse, routingFailures } from './x86-helpers';

function top(k: { irqs: { desc(irq: number): { irqData: IrqData } | undefined } }, irq: number): IrqData {
  const d = k.irqs.desc(irq)?.irqData;
  if (d === undefined) throw new Error(`no irq ${irq}`);
  return d;
}

/** The ISA irqs 1 and 3-15: on the IOAPIC since boot, each holding a global reservation. */
const ISA_RESERVED = 14;

describe('x86 vector matrix', () => {
  test('counters equal the maps through alloc and free, and return to baseline', () => {
    const { k, p } = bootX86(x86NoIrPlatform, 'v6.18');
    const m = p.vec.matrix;
    const baseline = m.globalAvailable;
    expect(m.systembitsInalloc).toBe(2);
    // the system vectors in the allocation range (0x80, the cascade's 0x32), and the timer's
    // ISA vector 0x30 on CPU 0 (the other ISA irqs gave theirs back for reservations)
    expect(baseline).toBe(4 * (0xec - 0x20 - 2) - 1);
    expect(m.globalReserved).toBe(ISA_RESERVED);
    const a = addPci(k, p, 'a', 0x0100, 1, 16);
    const b = addPci(k, p, 'b', 0x0200, 4, 0);
    expect(pciAllocIrqVectors(k, a, 1, 16, PCI_IRQ_MSIX)).toBe(16);
    // No multi-MSI without remapping: one vector
    expect(pciAllocIrqVectors(k, b, 1, 4, PCI_IRQ_MSI)).toBe(1);
    expect(p.matrixViolations()).toEqual([]);
    expect(p.vectorViolations()).toEqual([]);
    expect(inUse(p, 'vector')).toBe(17);
    expect(m.globalAvailable).toBe(baseline - 17);
    // Spread over the CPUs: the best CPU is the one with the most available vectors
    expect(m.maps.map((cm) => cm.allocated).sort()).toEqual([4, 4, 5, 5]);
    expect(routingFailures(p, a)).toEqual([]);
    expect(routingFailures(p, b)).toEqual([]);
    pciFreeIrqVectors(k, a);
    pciFreeIrqVectors(k, b);
    expect(p.matrixViolations()).toEqual([]);
    for (const r of p.resources()) expect([r.pool, r.inUse]).toEqual([r.pool, atBoot(p, r.pool)]);
    expect(m.globalAvailable).toBe(baseline);
    expect(m.globalReserved).toBe(ISA_RESERVED);
    expect(k.reports).toEqual([]);
  });

  test('reservation mode: deactivation gives the vector back for a global reservation', () => {
    const { k, p } = bootX86(x86NoIrPlatform, 'v6.18');
    const dev = addPci(k, p, 'a', 0x0100, 0, 2);
    expect(pciAllocIrqVectors(k, dev, 2, 2, PCI_IRQ_MSIX)).toBe(2);
    const irq = pciIrqVector(dev, 0);
    const apicd = p.vec.chipDataOf(irq);
    if (apicd === null) throw new Error('no apicd');
    const { cpu, vector } = apicd;
    expect(apicd.canReserve).toBe(true);
    expect(apicd.hasReserved).toBe(false);
    k.irqs.deactivateIrq(top(k, irq));
    expect(apicd.vector).toBe(0);
    expect(apicd.hasReserved).toBe(true);
    expect(p.vec.matrix.globalReserved).toBe(ISA_RESERVED + 1);
    expect(p.vec.vectorIrq[cpu]?.[vector]).toBe(VECTOR_SHUTDOWN);
    expect(apicd.cfg.vector).toBe(0xef);
    expect(k.irqs.activateIrq(top(k, irq), false)).toBe(0);
    expect(p.vec.matrix.globalReserved).toBe(ISA_RESERVED);
    expect(routingFailures(p, dev)).toEqual([]);
    expect(p.matrixViolations()).toEqual([]);
  });

  test('affinity change keeps the old vector until the first interrupt and the cleanup timer', () => {
    const { k, p } = bootX86(x86NoIrPlatform, 'v6.18');
    const dev = addPci(k, p, 'a', 0x0100, 0, 1);
    expect(pciAllocIrqVectors(k, dev, 1, 1, PCI_IRQ_MSIX)).toBe(1);
    const irq = pciIrqVector(dev, 0);
    const apicd = p.vec.chipDataOf(irq);
    if (apicd === null) throw new Error('no apicd');
    const old = { cpu: apicd.cpu, vector: apicd.vector };
    const target = old.cpu === 2 ? 3 : 2;
    expect(p.setAffinity(irq, [target])).toBe(0);
    expect(apicd.cpu).toBe(target);
    expect(apicd.moveInProgress).toBe(true);
    expect(inUse(p, 'vector')).toBe(2);
    expect(p.vec.vectorIrq[old.cpu]?.[old.vector]).toBe(irq);
    // The message follows at once (non-remapped MSI)
    expect(routingFailures(p, dev)).toEqual([]);
    // A second move before cleanup is refused
    expect(p.setAffinity(irq, [1])).toBe(-16);
    expect(p.raiseIrq(irq)).toBe(0);
    expect(apicd.moveInProgress).toBe(false);
    expect(p.vec.cleanup[old.cpu]).toContain(apicd);
    expect(p.vectorCleanupTimer(old.cpu)).toBe(0);
    expect(inUse(p, 'vector')).toBe(1);
    expect(apicd.prevVector).toBe(0);
    expect(p.matrixViolations()).toEqual([]);
    expect(p.vectorViolations()).toEqual([]);
    pciFreeIrqVectors(k, dev);
    expect(inUse(p, 'vector')).toBe(0);
    expect(k.reports).toEqual([]);
  });

  test('freeing during a pending move releases both vectors', () => {
    const { k, p } = bootX86(x86IntelIrPlatform, 'v6.18');
    const dev = addPci(k, p, 'a', 0x0100, 0, 4);
    expect(pciAllocIrqVectors(k, dev, 4, 4, PCI_IRQ_MSIX)).toBe(4);
    for (let i = 0; i < 4; i++) expect(p.setAffinity(pciIrqVector(dev, i), [(i % 3) + 1])).toBe(0);
    // Remapped: the IRTE switched, cleanup is already queued
    expect(routingFailures(p, dev)).toEqual([]);
    pciFreeIrqVectors(k, dev);
    for (const r of p.resources()) expect([r.pool, r.inUse]).toEqual([r.pool, atBoot(p, r.pool)]);
    for (let cpu = 0; cpu < 4; cpu++) p.vectorCleanupTimer(cpu);
    expect(p.matrixViolations()).toEqual([]);
    expect(k.reports).toEqual([]);
  });

  test('CPU offline migrates every interrupt, online brings the CPU back', () => {
    const { k, p } = bootX86(x86IntelIrPlatform, 'v6.18');
    const dev = addPci(k, p, 'a', 0x0100, 0, 32);
    expect(pciAllocIrqVectors(k, dev, 32, 32, PCI_IRQ_MSIX)).toBe(32);
    expect(p.cpuOffline(0)).toBe(-16);
    expect(p.cpuOffline(3)).toBe(0);
    expect(p.vec.matrix.maps[3]?.allocated).toBe(0);
    expect(routingFailures(p, dev)).toEqual([]);
    expect(p.cpuOffline(2)).toBe(0);
    expect(p.cpuOffline(1)).toBe(0);
    expect(p.cpuOffline(0)).toBe(-16);
    // and the timer's ISA vector
    expect(p.vec.matrix.maps[0]?.allocated).toBe(33);
    expect(routingFailures(p, dev)).toEqual([]);
    expect(p.matrixViolations()).toEqual([]);
    expect(p.cpuOnline(2)).toBe(0);
    expect(p.cpuOnline(2)).toBe(-22);
    expect(p.setAffinity(pciIrqVector(dev, 0), [2])).toBe(0);
    expect(routingFailures(p, dev)).toEqual([]);
    expect(p.vectorViolations()).toEqual([]);
    pciFreeIrqVectors(k, dev);
    for (const r of p.resources()) expect([r.pool, r.inUse]).toEqual([r.pool, atBoot(p, r.pool)]);
    expect(k.reports).toEqual([]);
  });

  test('managed interrupts reserve on every CPU of the mask and shut down with it', () => {
    const { k, p } = bootX86(x86NoIrPlatform, 'v6.18');
    const arg = new MsiAllocInfo();
    initIrqAllocInfo(arg);
    const mask = { mask: [1, 2], isManaged: true };
    const virq = k.irqs.allocIrqs(p.vectorDomain, 2, arg, [mask, mask]);
    expect(virq).toBeGreaterThan(0);
    const m = p.vec.matrix;
    expect(m.maps.map((cm) => cm.managed)).toEqual([0, 2, 2, 0]);
    expect(p.matrixViolations()).toEqual([]);
    // request_irq(): activation, then the managed startup inside the mask
    for (const irq of [virq, virq + 1]) expect(requestIrq(k, irq, `t${irq}`, { dev: 't', vec: irq })).toBe(0);
    expect(m.maps[1]?.managedAllocated ?? 0).toBeGreaterThan(0);
    expect(p.setAffinity(virq, [1])).toBe(-5);
    expect(p.cpuOffline(1)).toBe(0);
    expect(p.cpuOffline(2)).toBe(0);
    const apicd = p.vec.chipDataOf(virq);
    expect(apicd?.managedShutdown).toBe(true);
    expect(apicd?.vector).toBe(0);
    expect(p.cpuOnline(2)).toBe(0);
    expect(apicd?.managedShutdown).toBe(false);
    expect(apicd?.cpu).toBe(2);
    expect(p.cpuOnline(1)).toBe(0);
    for (const irq of [virq, virq + 1]) freeIrq(k, irq, { dev: 't', vec: irq }, 0);
    k.irqs.freeIrqs('test', virq, 2);
    expect(m.maps.map((cm) => cm.managed)).toEqual([0, 0, 0, 0]);
    expect(p.matrixViolations()).toEqual([]);
    expect(k.reports).toEqual([]);
  });

  test('assign_irq_vector_any_locked falls back to any online CPU after a failed attempt', () => {
    const { k, p } = bootX86(x86NoIrPlatform, 'v6.18');
    const dev = addPci(k, p, 'a', 0x0100, 0, 8);
    k.faults.arm('irq_matrix_alloc', 3);
    expect(pciAllocIrqVectors(k, dev, 8, 8, PCI_IRQ_MSIX)).toBe(8);
    expect(k.faults.firedSites()).toEqual(['irq_matrix_alloc']);
    expect(p.matrixViolations()).toEqual([]);
    expect(routingFailures(p, dev)).toEqual([]);
  });

  test('an allocation failure in x86_vector_alloc_irqs unwinds cleanly', () => {
    const { k, p } = bootX86(x86IntelIrPlatform, 'v6.18');
    const dev = addPci(k, p, 'a', 0x0100, 0, 8);
    k.faults.arm('alloc_apic_chip_data', 3);
    expect(pciAllocIrqVectors(k, dev, 8, 8, PCI_IRQ_MSIX)).toBeLessThan(0);
    expect(p.matrixViolations()).toEqual([]);
    for (const r of p.resources()) expect([r.pool, r.inUse]).toEqual([r.pool, atBoot(p, r.pool)]);
    expect(k.reports).toEqual([]);
  });

  test('a double free in the matrix is reported, not absorbed', () => {
    const { k, p } = bootX86(x86NoIrPlatform, 'v6.18');
    const r = p.vec.matrix.alloc([1], false);
    p.vec.matrix.free(r.cpu, r.ret, false);
    p.vec.matrix.free(r.cpu, r.ret, false);
    // one more than the ISA irqs' reservations
    for (let i = 0; i <= ISA_RESERVED; i++) p.vec.matrix.removeReserved();
    expect(k.reports.map((x) => [x.kind, x.site])).toEqual([
      ['double-free', 'irq_matrix_free'],
      ['double-free', 'irq_matrix_remove_reserved'],
    ]);
    expect(p.matrixViolations()).toEqual(['global_reserved is negative (-1)']);
  });
});
