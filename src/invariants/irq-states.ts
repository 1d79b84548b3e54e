// Activation and state-machine invariants of the genirq core: the states kept per irq
// (activated, started, disabled, managed shutdown, in progress, the handler) are only ever the
// combinations kernel/irq/{chip,manage,irqdomain,cpuhotplug}.c can reach; an allocation from a
// domain with MSI_FLAG_ACTIVATE_EARLY activates every irq it returns (kernel/irq/msi.c:
// msi_init_virq); and an irq that is not activated holds nothing its levels take at activation.
import { Device } from '../../models/kernel/device';
import { IRQ_DOMAIN_FLAG_MSI, NO_IRQ_DOMAIN, type IrqData, type IrqDesc } from '../../models/kernel/irqdomain';
import type { Kernel } from '../../models/kernel/kernel';
import { hasFlag, MSI_FLAG_ACTIVATE_EARLY, MSI_FLAG_MUST_REACTIVATE, type MsiDomainInfo } from '../../models/kernel/msi-types';
import { ItsPlatform } from '../../models/platforms/gic-v3-its';
import { ItsDevice } from '../../models/platforms/gic-v3-its/its';
import { AmdIrData } from '../../models/platforms/x86/amd-ir';
import { IntelIrData } from '../../models/platforms/x86/intel-ir';
import { X86Platform } from '../../models/platforms/x86/instance';
import type { StepDirty } from '../../models/kernel/dirty';
import type { Simulation } from '../sim/simulation';
import type { CheckContext, Invariant } from './invariant';

/** The first violation `why` finds among the irqs the step touched. */
function overTouched(k: Kernel, touched: StepDirty, why: (desc: IrqDesc) => string | null): string | null {
  const at = (irq: number): string | null => {
    const desc = k.irqs.desc(irq);
    return desc === undefined ? null : why(desc);
  };
  // The dirty irqs, then every irq of a dirty device (an irq may be looked at twice: the checks
  // are cheap, a set of them would be built at every step)
  for (const irq of touched.irqs) {
    const w = at(irq);
    if (w !== null) return w;
  }
  for (const dev of touched.devices) {
    if (!(dev instanceof Device)) continue;
    for (const slot of dev.msiData?.domains ?? []) {
      for (const d of slot.store.values()) {
        for (let i = 0; d.irq !== 0 && i < d.nvecUsed; i++) {
          const w = at(d.irq + i);
          if (w !== null) return w;
        }
      }
    }
  }
  return null;
}

function overAll(k: Kernel, why: (desc: IrqDesc) => string | null): string | null {
  for (const desc of k.irqs.descs.values()) {
    const w = why(desc);
    if (w !== null) return w;
  }
  return null;
}

// --- the core's per-irq states ---

/** An irq's state bits against the transitions the kernel makes between them. */
function irqStates(k: Kernel, desc: IrqDesc): string | null {
  const top = desc.irqData;
  for (let d: IrqData | null = top; d !== null; d = d.parentData) {
    // irq_domain_insert_irq() publishes every level once the allocation succeeded, and
    // irq_domain_remove_irq() unpublishes them only when the irq is freed; an irq from
    // irq_alloc_descs() has no domain (irq_data.domain NULL) and no reverse map to be in
    if (!d.mapped && d.domain !== NO_IRQ_DOMAIN) return `irq ${desc.irq}: level ${d.domain.name} is allocated but not in its domain's reverse map`;
    // IRQD_ACTIVATED lives in irq_common_data: one bit for every level of the hierarchy
    if (d.activated !== top.activated) {
      return `irq ${desc.irq}: level ${d.domain.name} is ${d.activated ? '' : 'not '}activated, the irq is ${top.activated ? '' : 'not '}`;
    }
  }
  // __irq_startup() runs after irq_activate() (or the managed startup's activation), and
  // nothing deactivates an irq before irq_shutdown() has stopped it
  if (desc.started && !top.activated) return `irq ${desc.irq} is started but not activated`;
  // IRQD_IRQ_DISABLED is set from allocation on and by irq_shutdown(); only a startup clears it
  if (!desc.started && !desc.disabled) return `irq ${desc.irq} is not started but not disabled either`;
  // request_irq() starts the irq (or parks a managed one in managed shutdown); __free_irq() shuts
  // it down with the last action
  if (desc.action !== null && !desc.started && !desc.managedShutdown) return `irq ${desc.irq} has a handler but is neither started nor in managed shutdown`;
  if (desc.action === null && desc.started) return `irq ${desc.irq} is started with no handler`;
  // IRQD_MANAGED_SHUTDOWN: set for a managed irq with no online CPU, cleared by its startup
  if (desc.managedShutdown && !desc.affinityManaged) return `irq ${desc.irq} is in managed shutdown but not managed`;
  if (desc.managedShutdown && desc.started) return `irq ${desc.irq} is in managed shutdown and started`;
  // IRQD_IRQ_INPROGRESS: set by handle_irq_event() around the handler only
  if (desc.inProgress && !k.hardirq.some((f) => f !== null && f.desc === desc)) return `irq ${desc.irq} is IRQD_IRQ_INPROGRESS with no CPU in its handler`;
  return null;
}

export const irqStateMachine: Invariant = {
  id: 'irq-state-machine',
  statement: 'every irq\'s core state is one the kernel\'s transitions reach: every level published, one activation bit for all levels, started only when activated, disabled unless started, a handler only on a started or managed-shutdown irq, in progress only while a CPU runs its handler',
  rule: 'kernel/irq/chip.c irq_startup()/irq_shutdown()/irq_activate(), manage.c __setup_irq()/__free_irq(), irqdomain.c irq_domain_activate_irq()/irq_domain_deactivate_irq(), cpuhotplug.c migrate_one_irq(), handle_irq_event()',
  check: ({ sim }) => overAll(sim.kernel, (desc) => irqStates(sim.kernel, desc)),
  // The states change in the kernel code a command runs for its device's irqs (the device is
  // dirty then, and activation marks the irq dirty), in CPU hotplug and in a CPU entering or
  // leaving a handler, which name no device (their steps are checked in full); a deferred
  // command that runs when a wait ends marks its own device.
  checkTouched: ({ sim }, touched) => overTouched(sim.kernel, touched, (desc) => irqStates(sim.kernel, desc)),
};

// --- early activation ---

/**
 * msi_check_reservation_mode(): a PCI/MSI domain that must reactivate, whose first descriptor is
 * MSI-X or can mask (the model has no MSI mask bit, so MSI cannot), leaves its irqs only
 * reserve-activated, with IRQD_ACTIVATED cleared again.
 */
function reservationMode(info: MsiDomainInfo, desc: IrqDesc): boolean {
  switch (info.bus_token) {
    case 'PCI_MSI':
    case 'PCI_DEVICE_MSI':
    case 'PCI_DEVICE_MSIX':
      break;
    default:
      return false;
  }
  return hasFlag(info.flags, MSI_FLAG_MUST_REACTIVATE) && desc.msiDesc?.isMsix === true;
}

/** An irq allocated in `step` from an early-activating domain went through msi_init_virq(). */
function activatedEarly(step: number, desc: IrqDesc): string | null {
  if (desc.alloc?.cause?.step !== step || desc.msiDesc === null) return null;
  const top = desc.irqData;
  if ((top.domain.flags & IRQ_DOMAIN_FLAG_MSI) === 0) return null;
  const info = top.domain.hostData as MsiDomainInfo;
  if (!hasFlag(info.flags, MSI_FLAG_ACTIVATE_EARLY)) return null;
  if (top.activated || desc.managedShutdown || reservationMode(info, desc)) return null;
  return `irq ${desc.irq} was allocated from ${top.domain.name} (MSI_FLAG_ACTIVATE_EARLY) but is not activated`;
}

export const activateEarly: Invariant = {
  id: 'activate-early',
  statement: 'every irq an allocation from an MSI_FLAG_ACTIVATE_EARLY domain returns is activated (or reserve-activated in reservation mode, or in managed shutdown)',
  rule: 'kernel/irq/msi.c __msi_domain_alloc_irqs() -> msi_init_virq() for every irq of every descriptor: the card must never latch a random message',
  check: ({ sim, record }) => overAll(sim.kernel, (desc) => activatedEarly(record.step, desc)),
  // An irq allocated this step is dirty (irq_domain_alloc_descs marks it).
  checkTouched: ({ sim, record }, touched) => {
    for (const irq of touched.irqs) {
      const desc = sim.kernel.irqs.desc(irq);
      const w = desc === undefined ? null : activatedEarly(record.step, desc);
      if (w !== null) return w;
    }
    return null;
  },
};

// --- what activation takes, deactivation gives back ---

/** Something a level of `desc` still holds from an activation, though the irq is not activated. */
type ActivationProbe = (desc: IrqDesc, level: IrqData) => string | null;

function itsProbe(p: ItsPlatform): ActivationProbe {
  return (desc, d) => {
    if (d.domain !== p.itsDomain || !(d.chipData instanceof ItsDevice)) return null;
    const event = d.hwirq - d.chipData.lpiBase;
    // its_irq_domain_activate() MAPTIs the event; its_irq_domain_deactivate() DISCARDs it
    const ite = p.its.hwDeviceTable.get(d.chipData.deviceId)?.events.get(event);
    if (ite === undefined || ite.lpi !== d.hwirq) return null;
    return `irq ${desc.irq}: DeviceID ${d.chipData.deviceId.toString(16)} EventID ${event} still translates to LPI ${ite.lpi}`;
  };
}

function x86Probe(p: X86Platform): ActivationProbe {
  return (desc, d) => {
    const cd = d.chipData;
    if (cd instanceof IntelIrData) {
      // intel_irq_remapping_activate() makes the IRTE present, _deactivate() clears it
      const { iommu, irteIndex, subHandle } = cd.irq2iommu;
      const present = iommu.irTable.base.get(irteIndex + subHandle)?.present === true;
      return present ? `irq ${desc.irq}: IRTE ${irteIndex + subHandle} of ${iommu.drhd.name} still present` : null;
    }
    if (cd instanceof AmdIrData) {
      // irq_remapping_activate() validates the IRTE, irq_remapping_deactivate() invalidates it
      const e = cd.iommu.irqLookupTable.get(cd.devid)?.table[cd.index];
      return e?.valid === true ? `irq ${desc.irq}: AMD IRTE ${cd.index} of devid ${cd.devid.toString(16)} still valid` : null;
    }
    if (d.domain !== p.vectorDomain) return null;
    // x86_vector_activate() gives a reservation-mode or managed irq its real vector;
    // x86_vector_deactivate() takes it back (a regular fixed-assigned one keeps its own)
    const apicd = p.vec.chipDataOf(desc.irq);
    if (apicd === null || !(apicd.canReserve || apicd.isManaged)) return null;
    if (apicd.vector !== 0) return `irq ${desc.irq}: still holds vector ${apicd.vector} on CPU ${apicd.cpu}`;
    return apicd.prevVector !== 0 ? `irq ${desc.irq}: still holds its previous vector ${apicd.prevVector} on CPU ${apicd.prevCpu}` : null;
  };
}

function probeOf(sim: Simulation): ActivationProbe | null {
  const p = sim.platform;
  if (p instanceof ItsPlatform) return itsProbe(p);
  if (p instanceof X86Platform) return x86Probe(p);
  return null;
}

function releasedAtDeactivation(probe: ActivationProbe, desc: IrqDesc): string | null {
  if (desc.irqData.activated) return null;
  for (let d: IrqData | null = desc.irqData; d !== null; d = d.parentData) {
    const w = probe(desc, d);
    if (w !== null) return `${w}, though it is not activated`;
  }
  return null;
}

function activationCheck(ctx: CheckContext, touched: StepDirty | null): string | null {
  const probe = probeOf(ctx.sim);
  if (probe === null) return null;
  const why = (desc: IrqDesc): string | null => releasedAtDeactivation(probe, desc);
  return touched === null ? overAll(ctx.sim.kernel, why) : overTouched(ctx.sim.kernel, touched, why);
}

export const activationReleased: Invariant = {
  id: 'activation-released',
  statement: 'an irq that is not activated holds nothing its levels take at activation: no translation entry, no present or valid remapping entry, no vector taken for a reserved or managed irq',
  rule: 'irq_domain_deactivate_irq() calls every level\'s ->deactivate(), which undoes its ->activate() (its_irq_domain_deactivate, intel_irq_remapping_deactivate, irq_remapping_deactivate, x86_vector_deactivate)',
  check: (ctx) => activationCheck(ctx, null),
  // Activation state and the entries activation writes change for dirty irqs (activation and
  // deactivation mark the irq) or in steps that name no device (CPU hotplug, affinity of the
  // platform's own irqs), which are checked in full.
  checkTouched: (ctx, touched) => activationCheck(ctx, touched),
};
