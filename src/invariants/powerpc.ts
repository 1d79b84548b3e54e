// powerpc invariants (hypervisor sources, RTAS state, firmware error values).
import type { Invariant } from './invariant';

export const POWERPC_INVARIANTS: readonly Invariant[] = [];
