// Seed 001 on the x86 models: both failures must come out of the old code paths, and the
// fixed and current states must be clean.
import { KernelOops } from '../../models/kernel/report';
import { PCI_IRQ_MSIX, pciAllocIrqVectors, pciFreeIrqVectors } from '../../models/kernel/pci-msi';
import { x86AmdIrPlatform, x86IntelIrPlatform, x86NoIrPlatform } from '../../models/platforms/x86';
import { addPci, bootX86, inUse, leak, liveVectors, routingFailures } from './x86-helpers';

describe('x86-dmar-null-callback (9006c133a422, fixed by d27e623ace6a)', () => {
  test.each(['tip-x86-irq-generic-ops', 'next-2020-09-25'])('dmar_alloc_hwirq oopses through NULL get_hwirq at %s', (rev) => {
    const { p } = bootX86(x86IntelIrPlatform, rev);
    expect(() => p.enableDrhdFaultHandling()).toThrow(KernelOops);
    let oops: unknown = null;
    try {
      p.dmarSetInterrupt(1);
    } catch (e) {
      oops = e;
    }
    expect(oops).toBeInstanceOf(KernelOops);
    expect((oops as KernelOops).site).toBe('msi_domain_alloc');
    expect((oops as KernelOops).detail).toContain('msi_domain_ops::get_hwirq');
  });

  test('hpet_assign_irq oopses the same way, on every x86 variant', () => {
    for (const model of [x86IntelIrPlatform, x86AmdIrPlatform, x86NoIrPlatform]) {
      const { p } = bootX86(model, 'tip-x86-irq-generic-ops');
      expect(() => p.hpetAssignIrq(0)).toThrow(/get_hwirq/);
    }
  });

  test.each(['v5.9', 'v5.10-rc1', 'v5.10', 'v6.18'])('DMAR fault and HPET interrupts work at %s', (rev) => {
    const { k, p } = bootX86(x86IntelIrPlatform, rev);
    expect(p.enableDrhdFaultHandling()).toBe(0);
    expect(p.hpetAssignIrq(0)).toBe(0);
    expect(p.hpetAssignIrq(1)).toBe(0);
    // the two VT-d units, the two HPET channels, and the timer's IOAPIC pin from boot
    const msgs = p.platformMessages();
    expect(msgs).toHaveLength(5);
    for (const m of msgs) expect(p.deliver(m.dev, m.msg)).toEqual({ irq: m.irq, cpu: expect.any(Number) });
    // The HPET sits behind dmar1: its messages are remapped; DMAR fault events never are
    expect(msgs.filter((m) => (m.msg.addressLo & 0x10) !== 0)).toHaveLength(3);
    // The platform's own irqs hold a vector each and the HPET ones an IRTE each: kept by their
    // owners (the VT-d units and the HPET channels), so not leaks
    expect(inUse(p, 'vector')).toBe(4);
    expect(inUse(p, 'IRTE')).toBe(2);
    expect(leak(k, p)).toBeNull();
    expect(p.dmarFreeInterrupt(0)).toBe(0);
    expect(p.hpetFreeIrq(0)).toBe(0);
    expect(p.matrixViolations()).toEqual([]);
    expect(k.reports).toEqual([]);
  });
});

describe('x86-vf-compat-format (85a8dfc57a0b, fixed by ff828729be44)', () => {
  function vfScenario(rev: string): { blocked: string[]; pfOk: string[]; parent: string | undefined; under: string | undefined } {
    const { k, p } = bootX86(x86IntelIrPlatform, rev);
    const pf = addPci(k, p, 'mlx5', 0x4200, 0, 16);
    const { ret, vfs } = p.sriovEnable(pf, 2);
    expect(ret).toBe(0);
    const vf = vfs[0];
    if (vf === undefined) throw new Error('no VF');
    expect(vf.rid).toBe(0x4202);
    expect(pciAllocIrqVectors(k, pf, 1, 4, PCI_IRQ_MSIX)).toBe(4);
    expect(pciAllocIrqVectors(k, vf, 1, 4, PCI_IRQ_MSIX)).toBe(4);
    expect(liveVectors(vf)).toHaveLength(4);
    // Before v6.2 the device domain is a global PCI/MSI domain on top of the MSI parent
    const out = { blocked: routingFailures(p, vf), pfOk: routingFailures(p, pf), parent: vf.msiParent?.name, under: vf.msiParent?.parent?.name };
    expect(k.reports).toEqual([]);
    return out;
  }

  test('at v5.10-rc1 the VF sits on the vector domain\'s global PCI-MSI domain and its compatibility-format MSIs are blocked', () => {
    const r = vfScenario('v5.10-rc1');
    expect([r.parent, r.under]).toEqual(['PCI-MSI', 'VECTOR']);
    expect(r.pfOk).toEqual([]);
    expect(r.blocked).toHaveLength(4);
    expect(r.blocked[0]).toContain('compatibility format interrupt blocked by interrupt remapping');
  });

  test.each([
    ['v5.9', 'IR-PCI-MSI-1', 'INTEL-IR-1'],
    ['v5.10-rc4', 'IR-PCI-MSI-1', 'INTEL-IR-1'],
    ['v5.10', 'IR-PCI-MSI-1', 'INTEL-IR-1'],
    ['v6.18', 'INTEL-IR-1', 'VECTOR'],
  ])('at %s the VF inherits the PF\'s remapping domain (%s on %s)', (rev, parent, under) => {
    const r = vfScenario(rev);
    expect([r.parent, r.under]).toEqual([parent, under]);
    expect(r.blocked).toEqual([]);
    expect(r.pfOk).toEqual([]);
  });

  test('AMD and no-remapping variants are not affected at v5.10-rc1', () => {
    for (const model of [x86AmdIrPlatform, x86NoIrPlatform]) {
      const { k, p } = bootX86(model, 'v5.10-rc1');
      const pf = addPci(k, p, 'pf', 0x4200, 0, 8);
      const vf = p.sriovEnable(pf, 1).vfs[0];
      if (vf === undefined) throw new Error('no VF');
      expect(pciAllocIrqVectors(k, vf, 1, 2, PCI_IRQ_MSIX)).toBe(2);
      expect(routingFailures(p, vf)).toEqual([]);
    }
  });

  test('sriov_disable frees the VFs\' vectors and removes them', () => {
    const { k, p } = bootX86(x86IntelIrPlatform, 'v6.18');
    const pf = addPci(k, p, 'pf', 0x4200, 0, 8);
    const vfs = p.sriovEnable(pf, 3).vfs;
    for (const vf of vfs) expect(pciAllocIrqVectors(k, vf, 1, 8, PCI_IRQ_MSIX)).toBe(8);
    expect(k.devices).toHaveLength(4);
    expect(p.sriovDisable(pf)).toBe(0);
    expect(k.devices).toEqual([pf]);
    expect(vfs.every((v) => v.removed)).toBe(true);
    pciFreeIrqVectors(k, pf);
    for (const r of p.resources()) expect([r.pool, r.inUse]).toEqual([r.pool, r.baseline]);
    expect(leak(k, p)).toBeNull();
    expect(k.reports).toEqual([]);
  });
});
