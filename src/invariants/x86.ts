// x86 invariants, reading the x86 model's state directly (never the revision): the vector
// matrix's counters against its bitmaps, vector ownership (every live vector is allocated and
// vector_irq[] points back at its irq), and the routing of the platform's own MSIs (DMAR fault
// events, HPET channels) and of the IOAPIC's route entries, which the generic message-routing
// invariant does not see because they belong to no device.
import { X86Platform } from '../../models/platforms/x86/instance';
import { X86_PLATFORM_CONFIGS } from '../../models/platforms/x86';
import type { IrqMatrix } from '../../models/platforms/x86/matrix';
import type { Invariant } from './invariant';

const X86 = [...X86_PLATFORM_CONFIGS.keys()];

function x86Of(p: unknown): X86Platform | null {
  return p instanceof X86Platform ? p : null;
}

/** What the invariant last saw of one CPU's map: enough to notice a managed change while offline. */
interface CpuSeen {
  online: boolean;
  initialized: boolean;
  managed: number;
  /** A managed slot was reserved or removed while the CPU was offline after its first online. */
  drifted: boolean;
}

const seenOf = new WeakMap<IrqMatrix, CpuSeen[]>();

/**
 * Watches each CPU from check to check for the one case in which matrix.c does not keep
 * `available` in step with the maps: irq_matrix_reserve_managed() and
 * irq_matrix_remove_managed() change `managed` on an offline CPU without touching its
 * `available` (only an online CPU's is charged), and irq_matrix_online() recomputes it from the
 * maps only at the CPU's first online. A CPU's allocation commands never change its online state
 * (hotplug is a command of its own), so a change of `managed` between two checks at either of
 * which the CPU was offline and initialized is such a change.
 */
function watchDrift(m: IrqMatrix): CpuSeen[] {
  let seen = seenOf.get(m);
  if (seen === undefined) {
    seen = m.maps.map((cm) => ({ online: cm.online, initialized: cm.initialized, managed: cm.managed, drifted: false }));
    seenOf.set(m, seen);
    return seen;
  }
  m.maps.forEach((cm, cpu) => {
    const was = (seen as CpuSeen[])[cpu] as CpuSeen;
    const offlineOnce = (was.initialized && !was.online) || (cm.initialized && !cm.online);
    if (was.initialized && offlineOnce && cm.managed !== was.managed) was.drifted = true;
    was.online = cm.online;
    was.initialized = cm.initialized;
    was.managed = cm.managed;
  });
  return seen;
}

/**
 * `available` and systembits_inalloc recomputed from the maps and the system vectors, not taken
 * as given: irq_matrix_assign_system() counts a system vector in systembits_inalloc only inside
 * [alloc_start, alloc_end); irq_matrix_online() starts a CPU with alloc_size less its managed
 * reservations and those system vectors; from then on irq_matrix_alloc()/irq_matrix_free() move
 * one regular vector and irq_matrix_reserve_managed()/irq_matrix_remove_managed() one managed
 * slot (on an online CPU) each, and irq_matrix_alloc_managed() nothing (charged at reservation).
 */
function matrixRecount(m: IrqMatrix): string | null {
  let inAlloc = 0;
  for (let b = m.allocStart; b < m.allocEnd; b++) inAlloc += m.systemMap[b] === 1 ? 1 : 0;
  if (m.systembitsInalloc !== inAlloc) return `systembits_inalloc=${m.systembitsInalloc} but ${inAlloc} system vectors lie in [${m.allocStart}, ${m.allocEnd})`;
  const seen = watchDrift(m);
  for (let cpu = 0; cpu < m.maps.length; cpu++) {
    const cm = m.maps[cpu];
    if (cm === undefined || !cm.initialized || seen[cpu]?.drifted === true) continue;
    let managed = 0;
    let regular = 0;
    for (let b = m.allocStart; b < m.allocEnd; b++) {
      if (cm.managedMap[b] === 1) managed++;
      else if (cm.allocMap[b] === 1) regular++;
    }
    const want = m.allocEnd - m.allocStart - inAlloc - managed - regular;
    if (cm.available !== want) return `CPU ${cpu}: available=${cm.available} but the maps leave ${want} (${m.allocEnd - m.allocStart} in the allocation range, ${inAlloc} system, ${managed} managed, ${regular} regular)`;
  }
  return null;
}

export const x86MatrixAccounting: Invariant = {
  id: 'x86-matrix-accounting',
  platforms: X86,
  statement: 'every vector-matrix counter (allocated, managed, managed_allocated, available, systembits_inalloc, global totals) equals what its maps and the system vectors give, and none is negative',
  rule: 'kernel/irq/matrix.c keeps its counters incrementally: each alloc/free/reserve adjusts exactly the bits it sets or clears; `available` is alloc_size less system, managed and regular vectors, except after a managed change on an offline CPU, which matrix.c does not charge',
  check({ sim }) {
    const p = x86Of(sim.platform);
    if (p === null) return null;
    const v = p.matrixViolations();
    if (v.length > 0) return v.join('; ');
    return matrixRecount(p.vec.matrix);
  },
};

export const x86VectorOwnership: Invariant = {
  id: 'x86-vector-ownership',
  platforms: X86,
  statement: 'every live (CPU, vector) of an irq, current or previous, is allocated in the matrix, held by that irq alone, and vector_irq[] points back at it; a managed irq\'s vector is a managed slot and a regular irq\'s is not',
  rule: 'arch/x86/kernel/apic/vector.c: apic_update_vector() and the cleanup of prev_vector keep vector_irq[] and the matrix in step; assign_managed_vector() takes irq_matrix_alloc_managed(), irq_matrix_alloc() skips managed_map',
  check({ sim }) {
    const p = x86Of(sim.platform);
    if (p === null) return null;
    const v = p.vectorViolations();
    return v.length === 0 ? null : v.join('; ');
  },
};

export const x86PlatformMsiRouting: Invariant = {
  id: 'x86-platform-msi-routing',
  platforms: X86,
  statement: 'every live DMAR fault-event and HPET channel message, and the route entry of every activated IOAPIC pin, reaches the irq that owns it',
  rule: 'DMAR-MSI (never remapped) and HPET-MSI (remapped when a unit claims the block) compose their messages at the right level; io_apic.c: mp_irqdomain_activate() and ioapic_set_affinity() write the RTE from the parent\'s message (ioapic_configure_entry()) whenever the vector or the IRTE it names changes',
  check({ sim }) {
    const p = x86Of(sim.platform);
    if (p === null) return null;
    for (const m of p.platformMessages()) {
      const got = p.deliver(m.dev, m.msg);
      if ('blocked' in got) return `${m.dev.name} (irq ${m.irq}): ${got.blocked}`;
      if (got.irq !== m.irq) return `${m.dev.name} belongs to irq ${m.irq} but is delivered to irq ${got.irq}`;
    }
    return null;
  },
};

export const X86_INVARIANTS: readonly Invariant[] = [x86MatrixAccounting, x86VectorOwnership, x86PlatformMsiRouting];
