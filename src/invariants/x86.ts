// x86 invariants, reading the x86 model's state directly (never the revision): the vector
// matrix's counters against its bitmaps, vector ownership (every live vector is allocated and
// vector_irq[] points back at its irq), and the routing of the platform's own MSIs (DMAR fault
// events, HPET channels), which the generic message-routing invariant does not see because
// they belong to no device.
import { X86Platform } from '../../models/platforms/x86/instance';
import { X86_PLATFORM_CONFIGS } from '../../models/platforms/x86';
import type { Invariant } from './invariant';

const X86 = [...X86_PLATFORM_CONFIGS.keys()];

function x86Of(p: unknown): X86Platform | null {
  return p instanceof X86Platform ? p : null;
}

export const x86MatrixAccounting: Invariant = {
  id: 'x86-matrix-accounting',
  platforms: X86,
  statement: 'every vector-matrix counter (allocated, managed, managed_allocated, available, global totals) equals the popcount of its maps and none is negative',
  rule: 'kernel/irq/matrix.c keeps its counters incrementally: each alloc/free/reserve adjusts exactly the bits it sets or clears',
  check({ sim }) {
    const p = x86Of(sim.platform);
    if (p === null) return null;
    const v = p.matrixViolations();
    return v.length === 0 ? null : v.join('; ');
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
  statement: 'every live DMAR fault-event and HPET channel message reaches the irq that owns it',
  rule: 'DMAR-MSI (never remapped) and HPET-MSI (remapped when a unit claims the block) compose their messages at the right level',
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
