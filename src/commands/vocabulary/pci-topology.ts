// Which PCI buses sit behind which PCIe-to-PCI bridge. Bus numbers are fixed by the topology:
// a bridge has one secondary bus (never the bus it sits on), and a bus is either behind that
// bridge or not, for the whole run. Remapping units (x86) key their tables on requester IDs,
// so a function that reappears on the same bus with a different upstream path would alias
// state no real machine can reach. Likewise a quirk DMA alias belongs to the card in the slot:
// a function reappearing at a RID comes back with the alias it had (the same card re-plugged).
// Enforced on the x86 platforms, where it matters.
import type { AbstractState } from '../../abstract/state';
import type { CommandOf } from '../command';
import type { VocabContext } from '../spec';

const KEY = 'pci-bus-upstream';
const ALIAS_KEY = 'pci-rid-alias';

function busMap(s: AbstractState): Map<number, string> {
  let m = s.extra.get(KEY) as Map<number, string> | undefined;
  if (m === undefined) s.extra.set(KEY, (m = new Map()));
  return m;
}

export function pciTopologyConsistent(c: CommandOf<'pci_device_add'>, s: AbstractState, ctx: VocabContext): boolean {
  return pciTopologyProblem(c, s, ctx) === null;
}

/** What in `c` contradicts the topology this run already fixed (x86 only), or null. */
export function pciTopologyProblem(c: CommandOf<'pci_device_add'>, s: AbstractState, ctx: VocabContext): string | null {
  if (!ctx.platform.startsWith('x86')) return null;
  const bus = (c.rid >> 8) & 0xff;
  const up = c.bridge ?? '';
  const where = (u: string): string => (u === '' ? 'on the root bus side' : `behind ${u}`);
  const m = s.extra.get(KEY) as Map<number, string> | undefined;
  const known = m?.get(bus);
  if (known !== undefined && known !== up) return `bus ${bus.toString(16)} is ${where(known)} in this run, not ${where(up)} (the topology is fixed)`;
  const aliases = s.extra.get(ALIAS_KEY) as Map<number, number> | undefined;
  const shape = aliases?.get(c.rid);
  if (shape !== undefined && shape !== (c.alias ?? -1)) return 'the function at this requester ID had another DMA alias (the same card comes back the same)';
  if (c.bridge !== undefined) {
    const brRid = s.bridges.get(c.bridge);
    if (brRid === undefined) return `no bridge ${c.bridge}`;
    if (((brRid >> 8) & 0xff) === bus) return `bridge ${c.bridge} sits on bus ${bus.toString(16)}; the bus behind it is another`;
    for (const [b, u] of m ?? []) if (u === c.bridge && b !== bus) return `bridge ${c.bridge} already leads to bus ${b.toString(16)}`;
  }
  return null;
}

/** Records the bus of an added function (every platform; only x86 enforces it). */
export function recordPciTopology(c: CommandOf<'pci_device_add'>, s: AbstractState): void {
  const m = busMap(s);
  const bus = (c.rid >> 8) & 0xff;
  if (!m.has(bus)) m.set(bus, c.bridge ?? '');
  let aliases = s.extra.get(ALIAS_KEY) as Map<number, number> | undefined;
  if (aliases === undefined) s.extra.set(ALIAS_KEY, (aliases = new Map()));
  if (!aliases.has(c.rid)) aliases.set(c.rid, c.alias ?? -1);
}

/** Can a function without alias or bridge (an SR-IOV VF) appear at `rid`? */
export function plainFunctionAllowed(s: AbstractState, rid: number): boolean {
  const bus = (rid >> 8) & 0xff;
  const up = (s.extra.get(KEY) as Map<number, string> | undefined)?.get(bus);
  const shape = (s.extra.get(ALIAS_KEY) as Map<number, number> | undefined)?.get(rid);
  return (up === undefined || up === '') && (shape === undefined || shape === -1);
}

/** Records a function without alias or bridge (a VF) at `rid`. */
export function recordPlainFunction(s: AbstractState, rid: number): void {
  recordPciTopology({ kind: 'pci_device_add', dev: '', rid, msi: 0, msix: 0 }, s);
}
