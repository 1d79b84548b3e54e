// Two delivery laws beyond "nothing is lost": a masked MSI-X entry sends nothing, and nothing is
// delivered that was not raised. Read from the devices' MSI-X tables and Pending Bits, the
// kernel's MSI descriptors, what waits in the interrupt controller, and the interrupts CPUs took
// (each names the raise it came from).
import { PciDev } from '../../models/kernel/device';
import { originName } from '../../models/kernel/irq-action';
import type { IrqEvent } from '../../models/kernel/irq-flow';
import { MSI_DEFAULT_DOMAIN } from '../../models/kernel/msi-desc';
import { msiStore } from '../../models/kernel/msi';
import { MSI_FLAG_NO_MASK } from '../../models/kernel/msi-types';
import { pciMsiDomainSupports } from '../../models/kernel/pci-msi';
import type { Simulation } from '../sim/simulation';
import type { Invariant } from './invariant';

/** What is wrong with `dev`'s MSI-X masking, or null. */
function msixMaskProblem(dev: PciDev): string | null {
  // msix_prepare_msi_desc(): can_mask unless the domain says MSI_FLAG_NO_MASK (Xen); then the
  // kernel's writes of Vector Control are skipped, the hypervisor owns the mask bit, and the
  // law says nothing about the entry
  if (pciMsiDomainSupports(dev, MSI_FLAG_NO_MASK)) return null;
  if (dev.msixEnabled) {
    for (const desc of msiStore(dev, MSI_DEFAULT_DOMAIN)?.values() ?? []) {
      if (!desc.isMsix || !desc.msixCtrlMasked) continue;
      const e = dev.msixTable[desc.msiIndex];
      if (e !== null && e !== undefined && !e.masked) {
        return `${dev.name} MSI-X entry ${desc.msiIndex} (irq ${desc.irq}): the kernel masked it (msix_ctrl has the mask bit) but the entry's Vector Control mask bit is clear`;
      }
    }
  }
  for (const [vec, origin] of dev.msixPending) {
    const e = dev.msixTable[vec];
    if (dev.msixEnabled && e !== null && e !== undefined && !e.masked) {
      return `${dev.name} MSI-X entry ${vec} is unmasked with its Pending Bit set (raised by ${origin.dev} at step ${origin.step + 1}): the message was never sent`;
    }
  }
  return null;
}

/** A raise of this step that reached the controller from a masked entry, or null. */
function maskedRaiseSent(sim: Simulation, step: number): string | null {
  for (const f of sim.kernel.fabric?.inFlight() ?? []) {
    const o = f.origin;
    if (o === null || o.step !== step) continue;
    const dev = sim.devices.get(o.dev);
    if (!(dev instanceof PciDev) || !dev.msixEnabled || pciMsiDomainSupports(dev, MSI_FLAG_NO_MASK)) continue;
    if (dev.msixTable[o.vec]?.masked === true) return `${dev.name} MSI-X entry ${o.vec} is masked, yet its raise at step ${step + 1} reached the controller (${f.where})`;
  }
  return null;
}

export const msixMaskHonoured: Invariant = {
  id: 'msix-mask-honoured',
  statement: 'a masked MSI-X entry sends nothing: its raise waits in the Pending Bit, which unmasking sends',
  rule: 'pci_msix_mask()/pci_msix_unmask() (drivers/pci/msi/msi.h) keep the Vector Control mask bit and desc->pci.msix_ctrl together wherever the entry can be masked; the PCI spec (MSI-X Vector Control, Pending Bit Array): while masked the function sends no message and sets the Pending Bit, and sends it when unmasked',
  check({ sim, record }) {
    for (const dev of sim.devices.values()) {
      if (!(dev instanceof PciDev) || dev.msixTable.length === 0) continue;
      const why = msixMaskProblem(dev);
      if (why !== null) return why;
    }
    return maskedRaiseSent(sim, record.step);
  },
};

/** A raise whose interrupt ran a handler twice (a raise is one interrupt: coalesced, it runs none). */
function raiseHandledTwice(sim: Simulation, step: number): string | null {
  // Events are appended in step order and every earlier step was checked: without a handler
  // run in this step there is no new pair
  const events = sim.kernel.irqEvents;
  if (events.length === 0 || (events[events.length - 1] as IrqEvent).step !== step) return null;
  const handled = new Map<string, number>();
  for (const ev of events) {
    const o = ev.origin;
    if (o === null || ev.ranFor === null) continue;
    // one command per step, one raise per command: (device, vector, step) names the raise
    const key = `${o.dev}|${o.vec}|${o.step}`;
    const first = handled.get(key);
    if (first !== undefined) return `the interrupt ${originName(o)} raised ran a handler twice: at step ${first + 1} and again at step ${ev.step + 1} on CPU ${ev.cpu} (irq ${ev.irq})`;
    handled.set(key, ev.step);
  }
  return null;
}

/** Two entries of one irq where the hardware sends one per source until EOI (XIVE: the P bit). */
function coalescingBroken(sim: Simulation): string | null {
  const seen = new Map<number, string>();
  for (const f of sim.kernel.fabric?.inFlight() ?? []) {
    if (f.oncePerSource !== true || f.irq <= 0) continue;
    const other = seen.get(f.irq);
    if (other !== undefined) return `irq ${f.irq} waits in the ${other} and again in the ${f.where}: a second interrupt was sent before the first was EOIed`;
    seen.set(f.irq, f.where);
  }
  return null;
}

export const noSpuriousDelivery: Invariant = {
  id: 'no-spurious-delivery',
  statement: 'no interrupt is delivered that was not raised: each raise runs a handler at most once, and a source with an interrupt outstanding sends no second one before its EOI',
  rule: 'XIVE: a trigger with P set only sets Q, which fires once on EOI (xive_do_source_eoi()); the local APIC IRR and the LPI pending table hold one bit per vector or LPI; IRQS_PENDING (handle_fasteoi_irq(), check_irq_resend() in kernel/irq/resend.c) and irq_retrigger resend an interrupt that was raised and held back, once',
  check({ sim, record }) {
    return raiseHandledTwice(sim, record.step) ?? coalescingBroken(sim);
  },
};
