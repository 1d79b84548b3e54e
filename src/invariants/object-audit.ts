// The object audit, kmemleak for the models: once no device holds MSI state, every live heap
// object and every resource unit a pool has handed out is a boot allocation or is kept by an
// owner the audit checks (audit/justified.ts and the platform owner files); anything else is a
// leak, reported with its kind, its address or unit, and where and by which command it was
// allocated. It runs on every platform: each parent that keeps something on purpose has its owner
// file (audit/owners-*.ts), and a parent that keeps nothing once no device holds MSI state
// (pseries, Xen, GICv5) needs none.
import { describeStamp, hex, type KObject } from '../../models/kernel/heap';
import { ItsPlatform } from '../../models/platforms/gic-v3-its';
import { ItsServerPlatform } from '../../models/platforms/gic-v3-its-server';
import { PowernvPlatform } from '../../models/platforms/powernv';
import { RiscvAiaPlatform } from '../../models/platforms/riscv-aia';
import { X86Platform } from '../../models/platforms/x86/instance';
import { X86VmdPlatform } from '../../models/platforms/x86/vmd-platform';
import type { Invariant } from './invariant';
import { justifyCore, Justified, referencedObjects, someDeviceHoldsMsiState, type AuditMachine } from './audit/justified';
import { justifyItsServer } from './audit/owners-arm64-servers';
import { justifyHyperV } from './audit/owners-hyperv';
import { justifyIts } from './audit/owners-its';
import { justifyPowernv } from './audit/owners-powerpc';
import { justifyRiscvAia } from './audit/owners-riscv';
import { justifyVmd } from './audit/owners-vmd';
import { justifyX86 } from './audit/owners-x86';

/** Everything kept on purpose on this machine now. */
function justified(m: AuditMachine): Justified {
  const j = new Justified();
  justifyCore(m, j);
  const p = m.platform;
  if (p instanceof ItsPlatform) justifyIts(m, p, j);
  else if (p instanceof ItsServerPlatform) justifyItsServer(m, p, j);
  else if (p instanceof X86Platform) {
    justifyX86(m, p, j);
    justifyHyperV(m, p, j);
    if (p instanceof X86VmdPlatform) justifyVmd(m, p, j);
  }
  else if (p instanceof PowernvPlatform) justifyPowernv(m, p, j);
  else if (p instanceof RiscvAiaPlatform) justifyRiscvAia(m, p, j);
  return j;
}

/** How many of the other leaked objects a report names. */
const MORE_NAMED = 4;

function isBoot(o: KObject): boolean {
  return o.alloc !== null && o.alloc.cause === null;
}

/**
 * The leaked heap object to name, or null: of the objects neither boot allocations nor kept, the
 * first that no other leaked object points at (the one the others hang off, as an its_device
 * holds its ITT), else (a cycle) the oldest, with how many more there are.
 */
function heapLeak(m: AuditMachine, j: Justified): string | null {
  const leaked: KObject[] = [];
  for (const o of m.kernel.heap.liveObjects()) if (!isBoot(o) && !j.objects.has(o)) leaked.push(o);
  if (leaked.length === 0) return null;
  const pointedAt = new Set<KObject>();
  for (const o of leaked) for (const r of referencedObjects(o)) if (r !== o) pointedAt.add(r);
  const root = leaked.find((o) => !pointedAt.has(o)) ?? (leaked[0] as KObject);
  const others = leaked.filter((o) => o !== root);
  const named = others.slice(0, MORE_NAMED).map((o) => `${o.kind}@${hex(o.addr)}`);
  if (others.length > MORE_NAMED) named.push('...');
  const more = others.length > 0 ? ` (and ${others.length} more: ${named.join(', ')})` : '';
  return `${root.kind}@${hex(root.addr)} leaked, ${describeStamp(root.alloc)}${more}`;
}

/** The first unit a pool has handed out that is neither a boot allocation nor kept, or null. */
function unitLeak(m: AuditMachine, j: Justified): string | null {
  for (const pool of m.kernel.audit.pools()) {
    if (pool.count() === 0) continue;
    for (const u of pool.units()) {
      if (u.stamp !== null && u.stamp.cause === null) continue;
      if (j.take(pool.name, u.id)) continue;
      return `${pool.name}: ${u.id} leaked, ${describeStamp(u.stamp)}`;
    }
  }
  return null;
}

/**
 * The audit of a machine: the first leaked object or unit (with where it was allocated), or
 * null; null too while a device holds MSI state (the audit speaks only at quiescence).
 */
export function auditLeak(m: AuditMachine): string | null {
  if (someDeviceHoldsMsiState(m.kernel)) return null;
  const j = justified(m);
  return heapLeak(m, j) ?? unitLeak(m, j);
}

export const objectAudit: Invariant = {
  id: 'object-audit',
  statement: 'once no device holds MSI state, every live kernel object and resource unit is a boot allocation or kept by a live owner',
  rule: 'kmemleak for the models: everything msi_prepare(), alloc and activation took, teardown, free and deactivation give back; what the kernel keeps on purpose (system domains, platform interrupts, AMD-Vi remap tables, shared its_devices, vPCI buses, a bound VMD\'s vectors, a VM\'s vPEs, IMSIC identities whose hart has still to sync) has an owner that is still there',
  check({ sim }) {
    return auditLeak({ kernel: sim.kernel, platform: sim.platform, bridges: () => sim.bridges.values() });
  },
};
