// powernv: old skiboot's 0xffffffff becomes a KVM source's hw irq only when both Linux and
// skiboot predate their fixes; the PHB msi_bmp goes back to baseline; the i - 1 error path.
import { validatePatchSet } from '../../models/kernel/patches';
import { deviceReleaseDriver, pciAllocIrqVectors, pciFreeIrqVectors, pciIrqVector, PCI_IRQ_MSI, PCI_IRQ_MSIX } from '../../models/kernel/pci-msi';
import { KernelOops } from '../../models/kernel/report';
import { kvmXiveCreate, kvmXiveRelease, kvmXiveSetSource, PowernvPlatform, powernvPlatform } from '../../models/platforms/powernv';
import { POWERNV_PATCH_POOL } from '../../models/platforms/powernv/revisions';
import { addPciDev, dmesgHas, kernelAt, leak, pool } from './ppc-helpers';

const ALL = PCI_IRQ_MSIX | PCI_IRQ_MSI;

function boot(rev: string) {
  const k = kernelAt(powernvPlatform.revisions, rev);
  return { k, plat: new PowernvPlatform(k) };
}

describe('powernv revisions', () => {
  test.each(powernvPlatform.revisions.map((r) => r.name))('%s is a coherent patch set', (name) => {
    const rev = powernvPlatform.revisions.find((r) => r.name === name);
    expect(validatePatchSet(POWERNV_PATCH_POOL, rev?.patches ?? [])).toEqual([]);
  });
});

describe('powernv-opal-bogus-irq (seed 003)', () => {
  // 2 chips x 8 IPIs, 2 taken per chip at boot: chip 0 (the caller's) has 6 left.
  function exhaust(rev: string) {
    const { k, plat } = boot(rev);
    const xive = kvmXiveCreate(plat);
    const results: number[] = [];
    let oops: KernelOops | null = null;
    for (let src = 1; src <= 14 && oops === null; src++) {
      k.beginStep(src);
      try {
        results.push(kvmXiveSetSource(plat, xive, src));
      } catch (e) {
        if (!(e instanceof KernelOops)) throw e;
        oops = e;
      }
    }
    return { k, plat, xive, results, oops };
  }

  test('old Linux on old skiboot: 0xffffffff is taken as an irq number, then the ESB load oopses', () => {
    const { plat, oops } = exhaust('xive-opal-pre-v5.4');
    expect(plat.xive.issued.some((e) => e.hwIrq === 0xffffffff)).toBe(true);
    expect(oops?.site).toBe('xive_vm_esb_load');
    // the any-chip search stopped at chip 0 although chip 1 still had IPIs
    expect(plat.fw.chips[1]?.ipiAllocMap.weight()).toBe(2);
  });

  test.each(['v6.18.y', 'v6.18.y-old-skiboot', 'pre-v5.4-fixed-skiboot'])('%s: exhaustion is a clean -ENXIO', (rev) => {
    const { k, plat, xive, results, oops } = exhaust(rev);
    expect(oops).toBeNull();
    expect(results.every((r) => r === 0 || r === -6)).toBe(true);
    expect(results).toContain(-6);
    for (const e of plat.xive.issued) expect(plat.fw.isValidSource(e.hwIrq)).toBe(true);
    expect(dmesgHas(k, /OPAL failed to allocate IRQ/)).toBe(true);
    kvmXiveRelease(plat, xive);
    // what is left of OPAL's allocations is the boot IPIs
    expect(pool(plat, 'OPAL irq').inUse).toBe(pool(plat, 'OPAL irq').baseline);
    expect(leak(k, plat)).toBeNull();
    expect(k.reports).toEqual([]);
  });
});

describe('powernv PHB MSIs', () => {
  test('msi_bmp aligned allocations, delivery, and back to baseline (current)', () => {
    const { k, plat } = boot('v6.18.y');
    const a = addPciDev(k, plat, 'a', 0x0000, 4, 0);
    const b = addPciDev(k, plat, 'b', 0x0200, 1, 12);
    expect(pciAllocIrqVectors(k, b, 1, 1, ALL)).toBe(1); // bit 0
    expect(pciAllocIrqVectors(k, a, 3, 3, PCI_IRQ_MSI)).toBe(3); // 3 bits at offset 4
    const bits = plat.phbs[0]?.msiBmp.bitmap.setBits();
    expect(bits).toEqual([0, 4, 5, 6]);
    for (let v = 0; v < 3; v++) {
      const desc = a.msiData?.domains[0].store.get(0);
      const base = desc?.msg;
      expect(base).toBeDefined();
      if (base === undefined || base === null) continue;
      expect(plat.deliver(a, { ...base, data: base.data + v })).toEqual({ irq: pciIrqVector(a, v) });
    }
    pciFreeIrqVectors(k, b);
    expect(pciAllocIrqVectors(k, b, 1, 12, ALL)).toBe(12);
    deviceReleaseDriver(k, a);
    deviceReleaseDriver(k, b);
    expect(k.reports).toEqual([]);
    for (const r of plat.resources()) expect([r.pool, r.inUse]).toEqual([r.pool, r.baseline]);
    expect(leak(k, plat)).toBeNull();
  });

  test('v6.18 leaks the MSI xive_irq_data (wrong-level lookup), v6.18.y does not', () => {
    for (const [rev, leaked] of [
      ['v6.18', 4],
      ['v6.18.y', 0],
    ] as const) {
      const { k, plat } = boot(rev);
      const d = addPciDev(k, plat, 'd', 0x0100, 0, 4);
      expect(pciAllocIrqVectors(k, d, 4, 4, PCI_IRQ_MSIX)).toBe(4);
      pciFreeIrqVectors(k, d);
      expect(pool(plat, 'xive_irq_data').inUse).toBe(leaked);
    }
  });

  test('first parent fails: the v1 error path wraps, the fixed one frees nothing', () => {
    for (const [rev, lockup] of [
      ['pnv-v1-on-v6.16', true],
      ['v6.18.y', false],
    ] as const) {
      const { k, plat } = boot(rev);
      const d = addPciDev(k, plat, 'd', 0x0100, 0, 4);
      k.faults.arm('opal_xive_get_irq_info');
      k.beginStep(1);
      // the first MSI-X vector failing fails the whole request (msi_handle_pci_fail)
      expect(pciAllocIrqVectors(k, d, 1, 4, PCI_IRQ_MSIX)).toBe(-28);
      expect(k.reports.some((r) => r.kind === 'soft-lockup')).toBe(lockup);
      expect(plat.phbs[1]?.msiBmp.bitmap.weight()).toBe(0);
      expect(pciAllocIrqVectors(k, d, 1, 4, PCI_IRQ_MSIX)).toBe(4);
      pciFreeIrqVectors(k, d);
      expect(plat.phbs[1]?.msiBmp.bitmap.weight()).toBe(0);
    }
  });
});
