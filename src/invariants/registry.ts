// The invariant registry, in the order they are checked: the first one violated after a
// step is the finding. Root causes come before their consequences.
import type { CheckContext, Invariant, Violation } from './invariant';
import { itsDeviceLifetime, itsDeviceSizing, itsLpiAccounting } from './gic-v3-its';
import { hwirqUnique, kernelListsLive, msiDescAssociation, prepareTeardownPairing } from './msi-core';
import { requesterIdIdentity } from './identity';
import { driverOutcome, messageRouting, resourcesBaseline } from './platform';
import { objectAudit } from './object-audit';
import { activateEarly, activationReleased, irqStateMachine } from './irq-states';
import { POWERPC_INVARIANTS } from './powerpc';
import { DELIVERY_INVARIANTS } from './delivery';
import { msixMaskHonoured, noSpuriousDelivery } from './delivery-laws';
import { X86_INVARIANTS } from './x86';
import { RISCV_AIA_INVARIANTS } from './riscv-aia';
import { ARM64_GIC_INVARIANTS } from './arm64-gic';
import { noDoubleFree, noKernelOops, noKernelWarning, noSoftLockup, noUseAfterFree, scratchpadUnionAliasing } from './reports';

export const INVARIANTS: readonly Invariant[] = [
  scratchpadUnionAliasing,
  noKernelOops,
  noUseAfterFree,
  noDoubleFree,
  noSoftLockup,
  noKernelWarning,
  prepareTeardownPairing,
  msiDescAssociation,
  hwirqUnique,
  requesterIdIdentity,
  // the core's per-irq states, then what activation took: a wrong state is the cause of a stale
  // translation, and both come before the routing and leak invariants they would break
  irqStateMachine,
  activateEarly,
  activationReleased,
  itsLpiAccounting,
  itsDeviceLifetime,
  itsDeviceSizing,
  ...X86_INVARIANTS,
  ...POWERPC_INVARIANTS,
  // a parent's own bookkeeping before the routing that depends on it
  ...RISCV_AIA_INVARIANTS,
  ...ARM64_GIC_INVARIANTS,
  messageRouting,
  driverOutcome,
  // a device that ignores its mask bit, before what it then delivers
  msixMaskHonoured,
  ...DELIVERY_INVARIANTS,
  noSpuriousDelivery,
  kernelListsLive,
  // the general net last: a specific invariant names the cause of a leak (a vector left behind
  // by CPU offline, an its_device freed too early) at the step it happens
  objectAudit,
  // what the parents report beyond the kernel's heap (hypervisor and firmware state: Xen pirqs,
  // a Hyper-V host's interrupt entries), after the audit of the kernel's own objects
  resourcesBaseline,
];

export function findInvariant(id: string): Invariant | undefined {
  return INVARIANTS.find((i) => i.id === id);
}

export function invariantsFor(platform: string): Invariant[] {
  return INVARIANTS.filter((i) => i.platforms === undefined || i.platforms.includes(platform));
}

/** Checks every invariant that applies; returns the first violation. */
export function checkStep(ctx: CheckContext, invariants: readonly Invariant[]): Violation | null {
  const touched = ctx.touched;
  for (const inv of invariants) {
    const msg = touched !== null && inv.checkTouched !== undefined ? inv.checkTouched(ctx, touched) : inv.check(ctx);
    if (msg !== null) return { invariant: inv.id, message: msg, step: ctx.record.step };
  }
  return null;
}
