// x86 invariants (vector matrix accounting, vector ownership, DMAR/HPET routing).
import type { Invariant } from './invariant';

export const X86_INVARIANTS: readonly Invariant[] = [];
