// RISC-V AIA owners for the object audit: an IMSIC identity whose release is queued on its own
// hart. The enable bits are that hart's CSRs, so imsic_vector_move() leaves the old vector
// linked to the new one (move_next) and marked in its CPU's dirty bitmap, and the hart's
// __imsic_local_sync() frees it later (from the lazy per-CPU timer, or from
// imsic_starting_cpu() when an offline CPU comes back). Until then the identity stays
// allocated in the matrix even if the irq is gone; it is accepted only while that sync is
// still to come: the bit is dirty, the vector is linked (or queued by msi-fuzz's free-vector
// proposal), and the timer is armed or the CPU is offline.
import type { RiscvAiaPlatform } from '../../../models/platforms/riscv-aia';
import { vectorUnit } from '../../../models/platforms/x86/matrix';
import type { AuditMachine, Justified } from './justified';

export function justifyRiscvAia(m: AuditMachine, p: RiscvAiaPlatform, j: Justified): void {
  for (const lpriv of p.imsic.lpriv) {
    const syncComing = lpriv.timerPending || !m.kernel.cpuIsOnline(lpriv.cpu);
    if (!syncComing) continue;
    for (const id of lpriv.dirty) {
      const vec = lpriv.vectors[id];
      if (vec === undefined || (vec.moveNext === null && !vec.freeQueued)) continue;
      j.unit('vector', vectorUnit(vec.cpu, vec.localId), `CPU ${vec.cpu}'s pending __imsic_local_sync() frees local ID ${vec.localId} (dirty, ${vec.freeQueued ? 'queued' : 'moved'})`);
    }
  }
}
