// Intel and AMD interrupt remapping: IRTE blocks and sub_handles, source-id validation,
// per-devid AMD tables shared by DMA aliases, aligned multi-MSI, and clean frees.
import { PciBridge } from '../../models/kernel/device';
import { PCI_IRQ_MSI, PCI_IRQ_MSIX, pciAllocIrqVectors, pciFreeIrqVectors, pciIrqVector } from '../../models/kernel/pci-msi';
import { x86AmdIrPlatform, x86IntelIrPlatform } from '../../models/platforms/x86';
import { IntelIrData } from '../../models/platforms/x86/intel-ir';
import { addPci, atBoot, bootX86, inUse, leak, liveVectors, routingFailures } from './x86-helpers';

describe('Intel interrupt remapping', () => {
  test('multi-MSI gets one aligned block; sub_handle i per irq; remapped format', () => {
    const { k, p } = bootX86(x86IntelIrPlatform, 'v6.18');
    const single = addPci(k, p, 'one', 0x0300, 0, 1);
    expect(pciAllocIrqVectors(k, single, 1, 1, PCI_IRQ_MSIX)).toBe(1);
    const dev = addPci(k, p, 'multi', 0x0301, 8, 0);
    expect(dev.msiParent?.name).toBe('INTEL-IR-1');
    expect(pciAllocIrqVectors(k, dev, 8, 8, PCI_IRQ_MSI)).toBe(8);
    const unit = p.iommus[1];
    if (unit === undefined) throw new Error('no unit');
    // IRTEs 0-14: the 15 ISA irqs setup_IO_APIC() put on the IOAPIC behind this unit
    const isa = Array.from({ length: 15 }, (_, i) => i);
    expect(unit.irTable.bitmap.setBits()).toEqual([...isa, 15, 16, 17, 18, 19, 20, 21, 22, 23]);
    const subs: number[] = [];
    for (let i = 0; i < 8; i++) {
      const d = k.irqs.getIrqData(unit.irDomain as NonNullable<typeof unit.irDomain>, pciIrqVector(dev, i));
      const ird = d?.chipData;
      if (!(ird instanceof IntelIrData)) throw new Error('no intel_ir_data');
      expect(ird.irq2iommu.irteIndex).toBe(16);
      expect(d?.hwirq).toBe((16 << 16) + i);
      subs.push(ird.irq2iommu.subHandle);
    }
    expect(subs).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const msgs = liveVectors(dev);
    expect(msgs.every((m) => (m.msg.addressLo & 0x18) === 0x18)).toBe(true);
    expect(routingFailures(p, dev)).toEqual([]);
    pciFreeIrqVectors(k, dev);
    expect(unit.irTable.bitmap.setBits()).toEqual([...isa, 15]);
    pciFreeIrqVectors(k, single);
    for (const r of p.resources()) expect([r.pool, r.inUse]).toEqual([r.pool, atBoot(p, r.pool)]);
    expect(k.reports).toEqual([]);
  });

  test('a 3-vector MSI takes a block of 4; the sub_handle 0 free releases it, the others do not', () => {
    const { k, p } = bootX86(x86IntelIrPlatform, 'v6.18');
    const dev = addPci(k, p, 'm', 0x0100, 4, 0);
    expect(dev.msiParent?.name).toBe('INTEL-IR-0');
    expect(pciAllocIrqVectors(k, dev, 3, 3, PCI_IRQ_MSI)).toBe(3);
    expect(inUse(p, 'IRTE')).toBe(4);
    expect(inUse(p, 'intel_ir_data')).toBe(3);
    // The generic free goes irq by irq, ascending: the owner first, then sub_handles 1 and 2,
    // whose clear_entries() must not release the (already released) block again
    pciFreeIrqVectors(k, dev);
    expect(inUse(p, 'IRTE')).toBe(0);
    expect(inUse(p, 'intel_ir_data')).toBe(0);
    expect(k.reports).toEqual([]);
  });

  test('an IRTE shortage fails the multi-MSI block; MSI retries with one vector', () => {
    const { k, p } = bootX86(x86IntelIrPlatform, 'v6.18');
    const unit = p.iommus[0];
    if (unit === undefined) throw new Error('no unit');
    const dev = addPci(k, p, 'm', 0x0100, 32, 0);
    expect(pciAllocIrqVectors(k, dev, 1, 32, PCI_IRQ_MSI)).toBe(32);
    pciFreeIrqVectors(k, dev);
    k.faults.arm('alloc_irte');
    expect(pciAllocIrqVectors(k, dev, 1, 32, PCI_IRQ_MSI)).toBe(1);
    expect(inUse(p, 'IRTE')).toBe(1);
    expect(routingFailures(p, dev)).toEqual([]);
  });

  test('source-id validation: another requester cannot use an IRTE', () => {
    const { k, p } = bootX86(x86IntelIrPlatform, 'v6.18');
    const a = addPci(k, p, 'a', 0x0300, 0, 2);
    const b = addPci(k, p, 'b', 0x0400, 0, 2);
    expect(pciAllocIrqVectors(k, a, 2, 2, PCI_IRQ_MSIX)).toBe(2);
    expect(pciAllocIrqVectors(k, b, 2, 2, PCI_IRQ_MSIX)).toBe(2);
    const stolen = liveVectors(a)[0];
    if (stolen === undefined) throw new Error('no vector');
    const got = p.deliver(b, stolen.msg);
    expect('blocked' in got && got.blocked).toContain('source-id check failed');
    // A device behind a PCIe-to-PCI bridge is verified by the bridge's requester ID
    const br = k.heap.kmalloc(new PciBridge('br', 0x0010));
    const c = addPci(k, p, 'c', 0x0500, 1, 0, null, br);
    expect(pciAllocIrqVectors(k, c, 1, 1, PCI_IRQ_MSI)).toBe(1);
    expect(routingFailures(p, c)).toEqual([]);
  });

  test('a deactivated irq has no present IRTE', () => {
    const { k, p } = bootX86(x86IntelIrPlatform, 'v6.18');
    const a = addPci(k, p, 'a', 0x0300, 0, 1);
    expect(pciAllocIrqVectors(k, a, 1, 1, PCI_IRQ_MSIX)).toBe(1);
    const v = liveVectors(a)[0];
    if (v === undefined) throw new Error('no vector');
    const top = k.irqs.desc(v.irq)?.irqData;
    if (top === undefined) throw new Error('no irq');
    k.irqs.deactivateIrq(top);
    const got = p.deliver(a, v.msg);
    expect('blocked' in got && got.blocked).toContain('not present');
  });
});

describe('AMD interrupt remapping', () => {
  test('functions behind one bridge share one remap table and one index space', () => {
    const { k, p } = bootX86(x86AmdIrPlatform, 'v6.18');
    const br = k.heap.kmalloc(new PciBridge('br', 0x0010));
    const a = addPci(k, p, 'a', 0x0100, 0, 2, null, br);
    const b = addPci(k, p, 'b', 0x0101, 0, 2, null, br);
    expect(a.msiParent?.name).toBe('AMD-IR-0');
    expect(pciAllocIrqVectors(k, a, 2, 2, PCI_IRQ_MSIX)).toBe(2);
    expect(pciAllocIrqVectors(k, b, 2, 2, PCI_IRQ_MSIX)).toBe(2);
    const amd = p.amd;
    if (amd === null) throw new Error('no AMD IOMMU');
    // The IOAPIC's table (devid 00:14.0, from boot) and the bridge's
    const table = amd.irqLookupTable.get(0x0010);
    expect(amd.tables()).toHaveLength(2);
    expect(table?.allocatedCount()).toBe(4);
    expect(liveVectors(b).map((v) => v.msg.data)).toEqual([2, 3]);
    expect(routingFailures(p, a)).toEqual([]);
    expect(routingFailures(p, b)).toEqual([]);
    pciFreeIrqVectors(k, a);
    pciFreeIrqVectors(k, b);
    // The table outlives its users (irq_lookup_table keeps it), its entries do not
    expect(amd.tables()).toHaveLength(2);
    for (const r of p.resources()) expect([r.pool, r.inUse]).toEqual([r.pool, atBoot(p, r.pool) + (r.pool === 'irq_remap_table' ? 1 : 0)]);
    expect(leak(k, p, [br])).toBeNull();
    expect(k.reports).toEqual([]);
  });

  test('multi-MSI is aligned to the rounded-up count', () => {
    const { k, p } = bootX86(x86AmdIrPlatform, 'v6.18');
    const dev = addPci(k, p, 'a', 0x0100, 4, 1);
    expect(pciAllocIrqVectors(k, dev, 1, 1, PCI_IRQ_MSIX)).toBe(1);
    pciFreeIrqVectors(k, dev);
    const other = addPci(k, p, 'b', 0x0100 + 0x10, 0, 1);
    void other;
    expect(pciAllocIrqVectors(k, dev, 1, 1, PCI_IRQ_MSIX)).toBe(1);
    const first = liveVectors(dev)[0]?.msg.data;
    expect(first).toBe(0);
    pciFreeIrqVectors(k, dev);
    // index 0 held by nobody now: a 3-vector MSI takes 0..2; after one more single, 4..7 aligned
    const m = addPci(k, p, 'm', 0x0200, 4, 0);
    const s = addPci(k, p, 's', 0x0201, 0, 1, 0x0200);
    expect(pciAllocIrqVectors(k, s, 1, 1, PCI_IRQ_MSIX)).toBe(1);
    expect(pciAllocIrqVectors(k, m, 3, 3, PCI_IRQ_MSI)).toBe(3);
    expect(liveVectors(m).map((v) => v.msg.data)).toEqual([4, 5, 6]);
    expect(routingFailures(p, m)).toEqual([]);
    expect(routingFailures(p, s)).toEqual([]);
    expect(k.reports).toEqual([]);
  });
});
