// The whole vocabulary, by kind.
import type { CommandKind } from '../command';
import type { AnySpec, CommandSpec } from '../spec';
import { deviceDel, deviceReleaseDriverCmd, pciBridgeAdd, pciDeviceAdd, platformDeviceAdd } from './devices';
import { DELIVERY_COMMANDS } from './delivery';
import { exhaustCmd, failNextCmd } from './faults';
import { vfioPciSetIrqsIoctlCmd } from './vfio';
import { pciMsixMaskCmd, pciMsixUnmaskCmd } from './msix-mask';
import { POWERPC_COMMANDS } from './powerpc';
import { X86_COMMANDS } from './x86';
import { AFFINITY_COMMANDS } from './affinity';
import { platformMsiAllocCmd, platformMsiFreeAllCmd } from './platform-msi';
import { pciAllocIrqVectorsCmd, pciFreeIrqVectorsCmd, pciMsixAllocIrqAtCmd, pciMsixFreeIrqCmd } from './vectors';

export const VOCABULARY: readonly AnySpec[] = [
  pciBridgeAdd,
  pciDeviceAdd,
  platformDeviceAdd,
  pciAllocIrqVectorsCmd,
  pciFreeIrqVectorsCmd,
  pciMsixAllocIrqAtCmd,
  pciMsixFreeIrqCmd,
  platformMsiAllocCmd,
  platformMsiFreeAllCmd,
  deviceReleaseDriverCmd,
  deviceDel,
  failNextCmd,
  exhaustCmd,
  ...DELIVERY_COMMANDS,
  vfioPciSetIrqsIoctlCmd,
  pciMsixMaskCmd,
  pciMsixUnmaskCmd,
  ...AFFINITY_COMMANDS,
  ...X86_COMMANDS,
  ...POWERPC_COMMANDS,
];

const BY_KIND = new Map<string, AnySpec>(VOCABULARY.map((s) => [s.kind, s]));

export function specOf<K extends CommandKind>(kind: K): CommandSpec<K> {
  const s = BY_KIND.get(kind);
  if (s === undefined) throw new Error(`no command ${kind}`);
  return s as unknown as CommandSpec<K>;
}

export function isCommandKind(name: string): name is CommandKind {
  return BY_KIND.has(name);
}
