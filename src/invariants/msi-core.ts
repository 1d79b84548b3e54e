// Invariants of the genirq/MSI core: prepare/teardown pairing per device domain, descriptor
// association, and hwirq uniqueness per domain.
import type { MsiDomainInfo } from '../../models/kernel/msi-types';
import type { Invariant } from './invariant';

export const prepareTeardownPairing: Invariant = {
  id: 'prepare-teardown-pairing',
  statement: 'a device MSI domain whose template was prepared is torn down exactly once, at removal',
  rule: 'msi_prepare() once at creation, msi_teardown() once at msi_remove_device_irq_domain() (I1)',
  check({ sim }) {
    const k = sim.kernel;
    for (const b of k.msiDomains) {
      if (b.templatePrepares > 1) return `${b.name}: template prepared ${b.templatePrepares} times`;
      if (b.teardowns > 0) return `${b.name}: torn down while still installed`;
    }
    for (const b of k.retiredMsiDomains) {
      const prepared = b.templatePrepares - (b.templatePrepareFailed ? 1 : 0);
      if (b.teardowns !== prepared) return `${b.name} removed: ${prepared} prepare(s) of its template, ${b.teardowns} teardown(s)`;
    }
    return null;
  },
};

export const msiDescAssociation: Invariant = {
  id: 'msi-desc-association',
  statement: 'desc->irq is set exactly when its irqs are allocated and point back at the descriptor, and msi_index < hwsize',
  rule: 'msi_desc association (I10) and index bounds (I11)',
  check({ sim }) {
    const k = sim.kernel;
    for (const dev of k.devices) {
      const md = dev.msiData;
      if (md === null) continue;
      for (const [domid, slot] of md.domains.entries()) {
        const hwsize = slot.domain === null ? Infinity : (slot.domain.hostData as MsiDomainInfo).hwsize;
        for (const [idx, desc] of slot.store) {
          if (idx >= hwsize) return `${dev.name} domain ${domid}: descriptor index ${idx} >= hwsize ${hwsize}`;
          if (desc.irq === 0) continue;
          for (let i = 0; i < desc.nvecUsed; i++) {
            const d = k.irqs.desc(desc.irq + i);
            if (d === undefined) return `${dev.name}: descriptor ${idx} claims irq ${desc.irq + i}, which is not allocated`;
            if (d.msiDesc !== desc) return `${dev.name}: irq ${desc.irq + i} does not point back at descriptor ${idx}`;
          }
        }
      }
    }
    for (const d of k.irqs.descs.values()) {
      const desc = d.msiDesc;
      if (desc !== null && (desc.irq === 0 || d.irq < desc.irq || d.irq >= desc.irq + desc.nvecUsed)) {
        return `irq ${d.irq} points at an MSI descriptor (index ${desc.msiIndex}) that does not own it`;
      }
    }
    return null;
  },
};

export const hwirqUnique: Invariant = {
  id: 'hwirq-unique',
  statement: 'within a domain, every live irq has its own hwirq and the reverse map agrees',
  rule: 'hardware IDs are unique per domain: device hwirq = msi_index, ITS events, LPIs, vectors, IRTEs (I9)',
  check({ sim }) {
    const k = sim.kernel;
    const seen = new Map<object, Map<number, number>>();
    for (const desc of k.irqs.descs.values()) {
      for (let data = desc.irqData as typeof desc.irqData | null; data !== null; data = data.parentData) {
        // Domains whose driver knowingly repeats hwirqs (AMD-IR: (devid << 16) + i per allocation) are exempt
        if (!data.mapped || data.domain.sharedHwirqs) continue;
        let m = seen.get(data.domain);
        if (m === undefined) seen.set(data.domain, (m = new Map()));
        const other = m.get(data.hwirq);
        if (other !== undefined) return `${data.domain.name}: hwirq ${data.hwirq} used by irq ${other} and irq ${data.irq}`;
        m.set(data.hwirq, data.irq);
        if (data.domain.revmap.get(data.hwirq) !== data) return `${data.domain.name}: reverse map of hwirq ${data.hwirq} does not point at irq ${data.irq}`;
      }
    }
    return null;
  },
};
