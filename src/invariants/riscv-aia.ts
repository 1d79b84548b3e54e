// RISC-V IMSIC invariant, read from the IMSIC model's state (the matrix maps, the per-CPU vector
// tables and the IMSIC level of each live irq), never from the revision.
import { RiscvAiaPlatform } from '../../models/platforms/riscv-aia';
import { IMSIC_ID_NONE, IMSIC_IPI_ID, type ImsicVector } from '../../models/platforms/riscv-aia/imsic-state';
import type { Invariant } from './invariant';

function aiaOf(p: unknown): RiscvAiaPlatform | null {
  return p instanceof RiscvAiaPlatform ? p : null;
}

/** Who holds each allocated identity: a live irq's current vector, the old vector of a move, or a queued free. */
function identityHolders(p: RiscvAiaPlatform): string | null {
  const current = new Map<ImsicVector, number>();
  for (const d of p.baseDomain.revmap.values()) {
    const vec = d.chipData as ImsicVector | null;
    if (vec === null) return `irq ${d.irq} has no IMSIC vector`;
    const other = current.get(vec);
    if (other !== undefined) return `irqs ${other} and ${d.irq} both hold CPU ${vec.cpu} identity ${vec.localId}`;
    current.set(vec, d.irq);
    if (vec.irq !== d.irq) return `irq ${d.irq}'s vector CPU ${vec.cpu} identity ${vec.localId} names irq ${vec.irq}`;
    if (p.imsic.matrix.maps[vec.cpu]?.allocMap[vec.localId] !== 1) return `irq ${d.irq}'s vector CPU ${vec.cpu} identity ${vec.localId} is not allocated in the matrix`;
    if (p.imsic.lpriv[vec.cpu]?.vectors[vec.localId] !== vec) return `irq ${d.irq}'s vector is not its CPU's table slot`;
  }
  for (const [cpu, cm] of p.imsic.matrix.maps.entries()) {
    const lpriv = p.imsic.lpriv[cpu];
    if (lpriv === undefined) continue;
    for (let id = 0; id <= p.imsic.nrIds; id++) {
      if (id === IMSIC_ID_NONE || id === IMSIC_IPI_ID) {
        if (cm.allocMap[id] === 1) return `CPU ${cpu} reserved identity ${id} is allocated`;
        continue;
      }
      const vec = lpriv.vectors[id] as ImsicVector;
      const allocated = cm.allocMap[id] === 1;
      const live = current.has(vec);
      // an old vector whose move is in flight: the new vector still links back to it
      const moving = vec.moveNext !== null && vec.moveNext.movePrev === vec && current.has(vec.moveNext);
      const queued = vec.freeQueued;
      if (allocated && !live && !moving && !queued) {
        const dirty = lpriv.dirty.has(id);
        // the old vector of a move whose new vector was freed since: its CPU's sync frees it
        if (!(vec.moveNext !== null && dirty)) return `CPU ${cpu} identity ${id} is allocated in the matrix but no irq, move or queued free holds it`;
      }
      if (!allocated && (live || moving)) return `CPU ${cpu} identity ${id} is held (${live ? `irq ${current.get(vec)}` : 'an in-flight move'}) but free in the matrix`;
    }
  }
  return null;
}

export const imsicIdentityOwnership: Invariant = {
  id: 'imsic-identity-ownership',
  platforms: ['riscv-aia'],
  statement: 'every allocated IMSIC identity is held by exactly one live irq, by the old vector of a move its CPU has yet to sync, or by a queued free; every live irq\'s identity is allocated and names it',
  rule: 'irq-riscv-imsic-state.c: imsic_vector_alloc()/imsic_vector_free() pair with irq_matrix_alloc()/irq_matrix_free(); an old vector lives from imsic_vector_move() to its CPU\'s __imsic_local_sync()',
  check({ sim }) {
    const p = aiaOf(sim.platform);
    return p === null ? null : identityHolders(p);
  },
};

export const RISCV_AIA_INVARIANTS: readonly Invariant[] = [imsicIdentityOwnership];
