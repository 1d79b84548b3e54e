// pseries: the seed-000 nvme failure and the i - 1 underflow emerge at the revisions that had
// them and not at the current one; RTAS MSI state and quota accounting go back to baseline.
import { validatePatchSet } from '../../models/kernel/patches';
import { deviceReleaseDriver, pciAllocIrqVectors, pciFreeIrqVectors, pciIrqVector, PCI_IRQ_MSI, PCI_IRQ_MSIX } from '../../models/kernel/pci-msi';
import { DEFAULT_PSERIES_CONFIG, PseriesPlatform, pseriesPlatform } from '../../models/platforms/pseries';
import { PSERIES_PATCH_POOL } from '../../models/platforms/pseries/revisions';
import { addPciDev, dmesgHas, kernelAt, leak, msiUsed, pool } from './ppc-helpers';

const ALL = PCI_IRQ_MSIX | PCI_IRQ_MSI;

function boot(rev: string) {
  const k = kernelAt(pseriesPlatform.revisions, rev);
  const plat = new PseriesPlatform(k);
  return { k, plat };
}

describe('pseries revisions', () => {
  test.each(pseriesPlatform.revisions.map((r) => r.name))('%s is a coherent patch set', (name) => {
    const rev = pseriesPlatform.revisions.find((r) => r.name === name);
    expect(validatePatchSet(PSERIES_PATCH_POOL, rev?.patches ?? [])).toEqual([]);
  });
});

describe('pseries-nvme-post-free (seed 000)', () => {
  function nvmeProbe(rev: string) {
    const { k, plat } = boot(rev);
    const nvme = addPciDev(k, plat, 'nvme0', 0x0100, 1, 32);
    k.beginStep(1);
    const first = pciAllocIrqVectors(k, nvme, 1, 1, ALL);
    k.beginStep(2);
    pciFreeIrqVectors(k, nvme);
    k.beginStep(3);
    const second = pciAllocIrqVectors(k, nvme, 1, 32, ALL);
    return { k, plat, nvme, first, second };
  }

  test('at the v1 conversion: H_P2 from the hypervisor, then the i - 1 wrap', () => {
    const { k, plat, first, second } = nvmeProbe('pseries-v1-on-v6.16');
    expect(first).toBe(1);
    expect(dmesgHas(k, /H_INT_GET_SOURCE_INFO lisn=0x[0-9a-f]+ failed -55/)).toBe(true);
    expect(k.reports.some((r) => r.kind === 'soft-lockup' && r.site === 'irq_domain_free_irqs_hierarchy' && r.step === 3)).toBe(true);
    // MSI-X failed; the PCI core fell back to MSI (one vector), far from the 32 asked for
    expect(second).toBe(1);
    expect(plat.hv.refusals.length).toBeGreaterThan(0);
  });

  test('at v6.18.y: alloc 1 / free / alloc 32 just works', () => {
    const { k, plat, nvme, first, second } = nvmeProbe('v6.18.y');
    expect(first).toBe(1);
    expect(second).toBe(32);
    expect(k.reports).toEqual([]);
    expect(plat.hv.refusals).toEqual([]);
    expect(pciIrqVector(nvme, 31)).toBeGreaterThan(0);
    // every vector's message reaches its irq
    for (let v = 0; v < 32; v++) {
      const e = nvme.msixTable[v];
      expect(e).not.toBeNull();
      if (e === null || e === undefined) continue;
      expect(plat.deliver(nvme, e)).toEqual({ irq: pciIrqVector(nvme, v) });
    }
    expect(msiUsed(k)).toBe(32);
    deviceReleaseDriver(k, nvme);
    expect(k.reports).toEqual([]);
    for (const r of plat.resources()) expect([r.pool, r.inUse]).toEqual([r.pool, r.baseline]);
    expect(leak(k, plat)).toBeNull();
  });
});

describe('pseries-alloc-error-underflow', () => {
  test('first parent fails: UINT_MAX parents freed before the fix, none after', () => {
    for (const [rev, lockup] of [
      ['pseries-v1-on-v6.16', true],
      ['v6.18.y', false],
    ] as const) {
      const { k, plat } = boot(rev);
      const dev = addPciDev(k, plat, 'eth0', 0x0200, 4, 0);
      k.faults.arm('plpar_hcall');
      k.beginStep(1);
      // The failed multi-MSI block is retried with one vector (msi_handle_pci_fail). At the v1
      // conversion the cleanup's post_free has disabled the MSIs by then, so the retry fails too.
      const ret = pciAllocIrqVectors(k, dev, 1, 4, PCI_IRQ_MSI);
      if (lockup) expect(ret).toBeLessThan(0);
      else expect(ret).toBe(1);
      expect(k.reports.some((r) => r.kind === 'soft-lockup')).toBe(lockup);
      expect(dmesgHas(k, /H_INT_GET_SOURCE_INFO lisn=0x[0-9a-f]+ failed -1/)).toBe(true);
    }
  });

  test('second parent of a multi-MSI fails: one xive_irq_data leaks before the fix', () => {
    for (const [rev, leaked] of [
      ['pseries-v1-on-v6.16', 1],
      ['v6.18.y', 0],
    ] as const) {
      const { k, plat } = boot(rev);
      const dev = addPciDev(k, plat, 'eth0', 0x0200, 4, 0);
      k.faults.arm('xive_irq_alloc_data', 1);
      expect(pciAllocIrqVectors(k, dev, 4, 4, PCI_IRQ_MSI)).toBeLessThan(0);
      expect(pool(plat, 'xive_irq_data').inUse).toBe(leaked);
    }
  });
});

describe('pseries firmware accounting', () => {
  test('RTAS MSI state and quota back to baseline after unbind (current)', () => {
    const { k, plat } = boot('v6.18.y');
    const a = addPciDev(k, plat, 'a', 0x0100, 8, 16);
    const b = addPciDev(k, plat, 'b', 0x0300, 4, 0);
    expect(pciAllocIrqVectors(k, a, 1, 16, ALL)).toBe(16);
    expect(pciAllocIrqVectors(k, b, 4, 4, PCI_IRQ_MSI)).toBe(4);
    expect(pool(plat, 'RTAS MSI').inUse).toBe(20);
    expect(msiUsed(k)).toBe(20);
    pciFreeIrqVectors(k, b);
    expect(msiUsed(k)).toBe(16);
    deviceReleaseDriver(k, a);
    deviceReleaseDriver(k, b);
    expect(k.reports).toEqual([]);
    for (const r of plat.resources()) expect([r.pool, r.inUse]).toEqual([r.pool, r.baseline]);
    expect(leak(k, plat)).toBeNull();
  });

  test('a quota below hwsize: v6.18 fails domain creation, v6.18.y grants the quota', () => {
    for (const [rev, expected] of [
      ['v6.18', false],
      ['v6.18.y', true],
    ] as const) {
      const { k, plat } = boot(rev);
      // three functions on one PHB of 64: quota 21 + spare for the one asking 32
      const devs = [0, 2, 4].map((bus, i) => addPciDev(k, plat, `d${i}`, bus << 8, 0, 32));
      const got = pciAllocIrqVectors(k, devs[0]!, 1, 32, PCI_IRQ_MSIX);
      expect(got > 0).toBe(expected);
      if (got > 0) expect(got).toBeLessThan(32);
    }
  });

  test('multi-MSI msi_used: counted once before 35e4f2a17eb4, so teardown WARNs', () => {
    const { k, plat } = boot('v6.18-quota-fix');
    const dev = addPciDev(k, plat, 'm', 0x0100, 4, 0);
    expect(pciAllocIrqVectors(k, dev, 4, 4, PCI_IRQ_MSI)).toBe(4);
    deviceReleaseDriver(k, dev);
    expect(k.reports.some((r) => r.kind === 'warn' && r.site === 'pseries_msi_ops_teardown')).toBe(true);
    void plat;
  });

  test('v6.18-rc1 teardown dereferences the template desc', () => {
    const { k, plat } = boot('v6.18-rc1');
    const dev = addPciDev(k, plat, 'lpfc', 0x0100, 1, 8);
    expect(pciAllocIrqVectors(k, dev, 1, 8, ALL)).toBe(8);
    expect(() => deviceReleaseDriver(k, dev)).toThrow(/msi_desc_to_pci_dev/);
  });
});

describe('pseries under QEMU firmware', () => {
  test('v1 nvme: the disabled function has no LISN to query, so the failure is the query (-1)', () => {
    const k = kernelAt(pseriesPlatform.revisions, 'pseries-v1-on-v6.16');
    const plat = new PseriesPlatform(k, { ...DEFAULT_PSERIES_CONFIG, flavour: 'qemu' });
    const nvme = addPciDev(k, plat, 'nvme0', 0x0100, 1, 32);
    expect(pciAllocIrqVectors(k, nvme, 1, 1, ALL)).toBe(1);
    pciFreeIrqVectors(k, nvme);
    k.beginStep(3);
    pciAllocIrqVectors(k, nvme, 1, 32, PCI_IRQ_MSIX);
    expect(dmesgHas(k, /error \(-1\) querying source number/)).toBe(true);
    expect(k.reports.some((r) => r.kind === 'soft-lockup')).toBe(false);
  });

  test('v6.18.y: alloc / free / alloc and unbind leave nothing behind', () => {
    const k = kernelAt(pseriesPlatform.revisions, 'v6.18.y');
    const plat = new PseriesPlatform(k, { ...DEFAULT_PSERIES_CONFIG, flavour: 'qemu' });
    const nvme = addPciDev(k, plat, 'nvme0', 0x0100, 1, 32);
    expect(pciAllocIrqVectors(k, nvme, 1, 1, ALL)).toBe(1);
    pciFreeIrqVectors(k, nvme);
    expect(pciAllocIrqVectors(k, nvme, 1, 32, ALL)).toBe(32);
    deviceReleaseDriver(k, nvme);
    expect(k.reports).toEqual([]);
    for (const r of plat.resources()) expect([r.pool, r.inUse]).toEqual([r.pool, r.baseline]);
    expect(leak(k, plat)).toBeNull();
  });
});
