// Shared set-up for the powerpc model tests: a kernel at a named revision, booted with a
// platform, and PCI functions added under it the way the harness adds them.
import { PciDev } from '../../models/kernel/device';
import { Kernel } from '../../models/kernel/kernel';
import { PatchSet, type NamedRevision } from '../../models/kernel/patches';
import type { PlatformInstance } from '../../models/platforms/platform';
import { PseriesMsiDevice } from '../../models/platforms/pseries/msi';
import { auditLeak } from '../../src/invariants/object-audit';

export function kernelAt(revisions: readonly NamedRevision[], name: string): Kernel {
  const rev = revisions.find((r) => r.name === name);
  if (rev === undefined) throw new Error(`no revision ${name}`);
  return new Kernel(new PatchSet(rev.patches));
}

/** device_add() of a PCI function: the platform picks its MSI parent. */
export function addPciDev(k: Kernel, plat: PlatformInstance, name: string, rid: number, msiCap: number, msixTableSize: number): PciDev {
  const dev = k.heap.kmalloc(new PciDev(name, rid, msiCap, msixTableSize, null, null));
  dev.msiParent = plat.msiParentFor(dev);
  k.addDevice(dev);
  return dev;
}

export function dmesgHas(k: Kernel, re: RegExp): boolean {
  return k.dmesg.some((l) => re.test(l));
}

/** MSIs in use by every pseries_msi_device (the c0215e2d72de quota accounting). */
export function msiUsed(k: Kernel): number {
  let n = 0;
  for (const o of k.heap.liveObjects()) if (o instanceof PseriesMsiDevice) n += o.msi_used;
  return n;
}

/** The object audit's verdict on a machine with no PCI bridges. */
export function leak(k: Kernel, plat: PlatformInstance): string | null {
  return auditLeak({ kernel: k, platform: plat, bridges: () => [] });
}

export function pool(plat: PlatformInstance, name: string): { inUse: number; baseline: number } {
  const p = plat.resources().find((r) => r.pool === name);
  if (p === undefined) throw new Error(`no pool ${name}`);
  return p;
}
