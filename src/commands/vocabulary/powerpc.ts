// powerpc-only commands (KVM XIVE devices, OPAL XIVE allocation). Each spec checks ctx.platform.
import type { AnySpec } from '../spec';

export const POWERPC_COMMANDS: readonly AnySpec[] = [];
