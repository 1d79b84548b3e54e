// x86-only commands (SR-IOV, DMAR/HPET MSI, CPU hotplug, affinity). Each spec checks ctx.platform.
import type { AnySpec } from '../spec';

export const X86_COMMANDS: readonly AnySpec[] = [];
