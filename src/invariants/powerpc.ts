// powerpc invariants, reading the pseries (RTAS / spapr XIVE) and powernv (PHB msi_bmp, OPAL
// XIVE) models directly: hypervisor sources, RTAS MSI state and quota, the per-interrupt XIVE
// data, the PHB bitmap, and firmware error values. None of them looks at the revision.
import type { PciDev } from '../../models/kernel/device';
import { hex } from '../../models/kernel/heap';
import type { IrqDomain } from '../../models/kernel/irqdomain';
import type { Kernel } from '../../models/kernel/kernel';
import { msiGetDeviceDomain } from '../../models/kernel/msi';
import { MSI_DEFAULT_DOMAIN } from '../../models/kernel/msi-desc';
import { PowernvPlatform } from '../../models/platforms/powernv';
import { OPAL_XIVE_ANY_CHIP } from '../../models/platforms/powerpc-common/firmware-codes';
import { XiveIrqData } from '../../models/platforms/powerpc-common/xive-irq-data';
import { PseriesPlatform } from '../../models/platforms/pseries';
import { PseriesMsiDevice } from '../../models/platforms/pseries/msi';
import type { Invariant } from './invariant';

const H_RC_NAMES: Readonly<Record<number, string>> = { [-55]: 'H_P2', [-4]: 'H_PARAMETER', [-2]: 'H_FUNCTION', [-1]: 'H_HARDWARE' };

function pseriesOf(p: unknown): PseriesPlatform | null {
  return p instanceof PseriesPlatform ? p : null;
}

function powernvOf(p: unknown): PowernvPlatform | null {
  return p instanceof PowernvPlatform ? p : null;
}

function hasDeviceDomain(dev: PciDev): boolean {
  return msiGetDeviceDomain(dev, MSI_DEFAULT_DOMAIN) !== null;
}

export const pseriesSourceEnabled: Invariant = {
  id: 'pseries-source-enabled',
  platforms: ['pseries'],
  statement: 'no MSI allocation asks the hypervisor about a source the firmware has disabled (H_INT_GET_SOURCE_INFO never refused)',
  rule: 'the RTAS MSIs ibm,change-msi enabled at msi_prepare() stay enabled while the device MSI domain lives; they go at msi_teardown(), not after every free',
  check({ sim, record }) {
    const p = pseriesOf(sim.platform);
    if (p === null) return null;
    const r = p.hv.refusals.find((x) => x.step === record.step);
    if (r === undefined) return null;
    const rc = `${H_RC_NAMES[r.rc] ?? 'error'} (${r.rc})`;
    if (r.owner === null) return `H_INT_GET_SOURCE_INFO lisn=${hex(r.lisn)} refused with ${rc}: the LISN belongs to no function`;
    const dom = hasDeviceDomain(r.owner) ? 'while its device MSI domain lives' : 'with no device MSI domain';
    return `H_INT_GET_SOURCE_INFO lisn=${hex(r.lisn)} of ${r.owner.name} refused with ${rc}: the firmware has its MSIs disabled ${dom}`;
  },
};

export const pseriesRtasState: Invariant = {
  id: 'pseries-rtas-state',
  platforms: ['pseries'],
  statement: 'RTAS MSI state follows the device MSI domain: no MSIs left enabled in the firmware for a function without one, and msi_used <= msi_quota',
  rule: 'msi_teardown() runs rtas_disable_msi() and frees pseries_msi_device; pseries_irq_domain_alloc() never goes past the quota prepare got',
  check({ sim }) {
    const p = pseriesOf(sim.platform);
    if (p === null) return null;
    for (const o of sim.kernel.heap.liveObjects()) {
      if (o instanceof PseriesMsiDevice && o.msi_used > o.msi_quota) return `pseries_msi_device@${hex(o.addr)}: msi_used ${o.msi_used} > msi_quota ${o.msi_quota}`;
    }
    for (const phb of p.hv.phbs) {
      for (const slot of phb.slots) {
        if (slot.enabled === 0 || hasDeviceDomain(slot.dev)) continue;
        const why = slot.dev.removed ? 'removed' : 'without a device MSI domain';
        return `${slot.dev.name} (${why}): ${slot.enabled} ${slot.type ?? ''} source(s) still enabled by ibm,change-msi`.replace('  ', ' ');
      }
    }
    return null;
  },
};

/** The xive_irq_data each live irq's XIVE level holds, by object. */
function heldXiveData(k: Kernel, xiveDomain: IrqDomain): Map<XiveIrqData, number> {
  const held = new Map<XiveIrqData, number>();
  for (const desc of k.irqs.descs.values()) {
    for (let d = desc.irqData as typeof desc.irqData | null; d !== null; d = d.parentData) {
      if (d.domain === xiveDomain && d.chipData instanceof XiveIrqData) held.set(d.chipData, d.irq);
    }
  }
  return held;
}

/**
 * xive_irq_data seen held by an irq at an earlier check, per simulation: one that was never
 * held and is unheld when its command ends was allocated and dropped by that command's error
 * path. (One that was held and is later dropped is a free-path leak: object-audit.)
 */
const EVER_HELD = new WeakMap<object, WeakSet<XiveIrqData>>();

export const xiveIrqDataOwned: Invariant = {
  id: 'xive-irq-data-owned',
  platforms: ['pseries', 'powernv'],
  statement: 'every xive_irq_data a command allocates is held by the XIVE level of a live irq when it ends, and no irq holds a freed one',
  rule: 'xive_irq_domain_alloc() and the PHB levels\' error paths free exactly the parents they allocated, never fewer (a leak) nor more',
  check({ sim }) {
    const p = pseriesOf(sim.platform) ?? powernvOf(sim.platform);
    if (p === null) return null;
    const k = sim.kernel;
    let ever = EVER_HELD.get(sim);
    if (ever === undefined) EVER_HELD.set(sim, (ever = new WeakSet()));
    const held = heldXiveData(k, p.xiveDomain);
    for (const [xd, irq] of held) {
      if (xd.freed) return `irq ${irq}: XIVE chip_data is a freed xive_irq_data (hw ${hex(xd.hwIrq)})`;
      ever.add(xd);
    }
    for (const o of k.heap.liveObjects()) {
      if (o instanceof XiveIrqData && !held.has(o) && !ever.has(o)) return `xive_irq_data@${hex(o.addr)} of hw irq ${hex(o.hwIrq)} was allocated during this command and no irq holds it at its end (an error path or a free inside the command missed it)`;
    }
    return null;
  },
};

export const powernvMsiBitmap: Invariant = {
  id: 'powernv-msi-bitmap',
  platforms: ['powernv'],
  statement: 'each PHB\'s msi_bmp has exactly the bits of the MSIs live irqs hold on that PHB',
  rule: 'pnv_irq_domain_alloc()/free() and msi_bitmap_alloc/free_hwirqs(): every bit taken is given back, once, by whoever took it',
  check({ sim }) {
    const p = powernvOf(sim.platform);
    if (p === null) return null;
    for (const phb of p.phbs) {
      const held = new Map<number, number>();
      for (const desc of sim.kernel.irqs.descs.values()) {
        for (let d = desc.irqData as typeof desc.irqData | null; d !== null; d = d.parentData) {
          if (d.domain === phb.devDomain) held.set(d.hwirq, d.irq);
        }
      }
      const bits = phb.msiBmp.bitmap.setBits();
      for (const b of bits) if (!held.has(b)) return `PHB${phb.opalId} msi_bmp: MSI ${b} allocated but held by no irq (leaked)`;
      for (const [hw, irq] of held) if (!phb.msiBmp.bitmap.test(hw)) return `PHB${phb.opalId}: irq ${irq} holds MSI ${hw}, which is free in msi_bmp`;
    }
    return null;
  },
};

export const powernvOpalIrqValid: Invariant = {
  id: 'powernv-opal-irq-valid',
  platforms: ['powernv'],
  statement: 'no firmware error value becomes an interrupt number: every hw irq Linux got from OPAL_XIVE_ALLOCATE_IRQ is a source OPAL backs',
  rule: 'xive_native_alloc_irq_on_chip() returns 0 on any OPAL failure, including old skiboot\'s 32-bit 0xffffffff (6ccb4ac2bf8a)',
  check({ sim }) {
    const p = powernvOf(sim.platform);
    if (p === null) return null;
    const bad = p.xive.issued.find((e) => !p.fw.isValidSource(e.hwIrq));
    return bad === undefined ? null : `${bad.user} holds hw irq ${hex(bad.hwIrq)}, which OPAL never allocated (a firmware error value)`;
  },
};

export const powernvOpalSourceAgreement: Invariant = {
  id: 'powernv-opal-source-agreement',
  platforms: ['powernv'],
  statement: 'OPAL and Linux agree on the IPI sources: a source OPAL backs (valid IVE) is one it has allocated, and a source allocated on chip N is on chip N',
  rule: 'skiboot opal_xive_free_irq() invalidates the IVE it frees; OPAL_XIVE_ALLOCATE_IRQ(chip) allocates from that chip\'s block (xive_native_alloc_irq_on_chip(), per-CPU IPIs on the CPU\'s chip)',
  check({ sim }) {
    const p = powernvOf(sim.platform);
    if (p === null) return null;
    for (const girq of p.fw.validUnallocatedIpis()) return `OPAL still backs IPI ${hex(girq)} (valid IVE) that its allocator no longer holds`;
    for (const e of p.xive.issued) {
      if (e.chip === OPAL_XIVE_ANY_CHIP) continue;
      const on = p.fw.chipIdOf(e.hwIrq);
      if (on !== null && on !== e.chip) return `${e.user} asked OPAL for a source on chip ${e.chip} and got ${hex(e.hwIrq)} on chip ${on}`;
    }
    return null;
  },
};

export const POWERPC_INVARIANTS: readonly Invariant[] = [pseriesSourceEnabled, powernvOpalIrqValid, powernvOpalSourceAgreement, pseriesRtasState, xiveIrqDataOwned, powernvMsiBitmap];

