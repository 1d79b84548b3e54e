// A seeded random walk over the driver API and the firmware fault sites at the current
// revision of both powerpc platforms: no kernel report, no oops, the capacity oracle never
// promises what the allocation then refuses, and every pool is back to baseline at the end.
import type { PciDev } from '../../models/kernel/device';
import { deviceReleaseDriver, pciAllocIrqVectors, pciFreeIrqVectors, PCI_IRQ_MSI, PCI_IRQ_MSIX } from '../../models/kernel/pci-msi';
import type { PlatformInstance, PlatformModel } from '../../models/platforms/platform';
import { kvmXiveCreate, kvmXiveRelease, kvmXiveSetSource, PowernvPlatform, powernvPlatform } from '../../models/platforms/powernv';
import type { Kernel } from '../../models/kernel/kernel';
import { DEFAULT_PSERIES_CONFIG, PseriesPlatform, pseriesPlatform } from '../../models/platforms/pseries';
import { addPciDev, kernelAt, leak } from './ppc-helpers';

function lcg(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
}

const CAPS = [0, 1, 2, 4, 8, 32];
const TABLES = [0, 1, 3, 8, 16, 32, 65];

function walk(model: PlatformModel, revision: string, seed: number, steps: number, boot: (k: Kernel) => PlatformInstance = model.boot) {
  const k = kernelAt(model.revisions, revision);
  const plat: PlatformInstance = boot(k);
  const rnd = lcg(seed);
  const devs: PciDev[] = [];
  for (let i = 0; i < 5; i++) {
    let msi = CAPS[rnd(CAPS.length)] as number;
    const msix = TABLES[rnd(TABLES.length)] as number;
    if (msi === 0 && msix === 0) msi = 1;
    devs.push(addPciDev(k, plat, `d${i}`, (rnd(4) << 8) | (i << 3), msi, msix));
  }
  const sites = model.faultSites.map((f) => f.name);
  const kvm = plat instanceof PowernvPlatform ? [kvmXiveCreate(plat)] : [];
  for (let step = 1; step <= steps; step++) {
    k.beginStep(step);
    const dev = devs[rnd(devs.length)] as PciDev;
    const op = rnd(10);
    if (op < 4 && !dev.msiEnabled && !dev.msixEnabled) {
      const flags = [PCI_IRQ_MSIX, PCI_IRQ_MSI, PCI_IRQ_MSIX | PCI_IRQ_MSI][rnd(3)] as number;
      const max = 1 + rnd(40);
      const exact = rnd(2) === 0;
      const min = exact ? max : 1;
      // MSI-X first: the capacity oracle's count for it is what a clean call returns
      const room = dev.msixTableSize >= max ? plat.vectorRoom(dev, { path: 'msix', hwsize: dev.msixTableSize, nvec: max, managed: false }).sure : 0;
      const promised = exact && (flags & PCI_IRQ_MSIX) !== 0 && room >= max;
      const fired = k.faults.firedSites().length;
      const got = pciAllocIrqVectors(k, dev, min, max, flags);
      if (promised && k.faults.firedSites().length === fired) expect([step, got]).toEqual([step, max]);
    } else if (op < 7) {
      pciFreeIrqVectors(k, dev);
    } else if (op < 8) {
      deviceReleaseDriver(k, dev);
    } else if (op < 9) {
      k.faults.arm(sites[rnd(sites.length)] as string, rnd(3));
    } else if (plat instanceof PowernvPlatform && kvm[0] !== undefined) {
      if (rnd(4) === 0) {
        kvmXiveRelease(plat, kvm[0]);
        kvm[0] = kvmXiveCreate(plat);
      } else {
        kvmXiveSetSource(plat, kvm[0], 1 + rnd(20));
      }
    }
    expect(k.reports).toEqual([]);
    // no source the firmware disabled reached the hypervisor; no OPAL error became a hw irq
    if (plat instanceof PseriesPlatform) expect(plat.hv.refusals).toEqual([]);
    if (plat instanceof PowernvPlatform) for (const e of plat.xive.issued) expect(plat.fw.isValidSource(e.hwIrq)).toBe(true);
  }
  for (const d of devs) deviceReleaseDriver(k, d);
  if (plat instanceof PowernvPlatform) for (const x of [...plat.kvmDevices]) kvmXiveRelease(plat, x);
  expect(k.reports).toEqual([]);
  for (const r of plat.resources()) expect([r.pool, r.inUse]).toEqual([r.pool, r.baseline]);
  expect(leak(k, plat)).toBeNull();
}

describe.each([
  [pseriesPlatform, pseriesPlatform.revisions.filter((r) => r.correct).map((r) => r.name)],
  [powernvPlatform, powernvPlatform.revisions.filter((r) => r.correct).map((r) => r.name)],
] as const)('$name random walk', (model, revisions) => {
  test.each(revisions.flatMap((rev) => [1, 2, 3, 4, 5, 6, 7, 8].map((seed) => [rev, seed] as const)))('%s seed %i', (rev, seed) => {
    walk(model, rev, seed, 400);
  });
});

test.each([1, 2, 3, 4, 5, 6, 7, 8])('pseries (QEMU firmware) v6.18.y seed %i', (seed) => {
  walk(pseriesPlatform, 'v6.18.y', seed, 400, (k) => new PseriesPlatform(k, { ...DEFAULT_PSERIES_CONFIG, flavour: 'qemu' }));
});
