// Shared set-up for the powerpc model tests: a kernel at a named revision, booted with a
// platform, and PCI functions added under it the way the harness adds them.
import { PciDev } from '../../models/kernel/device';
import { Kernel } from '../../models/kernel/kernel';
import { PatchSet, type NamedRevision } from '../../models/kernel/patches';
import type { PlatformInstance } from '../../models/platforms/platform';

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

export function pool(plat: PlatformInstance, name: string): { inUse: number; baseline: number } {
  const p = plat.resources().find((r) => r.pool === name);
  if (p === undefined) throw new Error(`no pool ${name}`);
  return p;
}
