// PCI segments beyond 0: the platform declares the emulated domains it boots with
// (PlatformCapabilities.pciSegments, an Intel VMD's 0x10000); a command that tears such a
// domain down (vmd_remove) takes it away until it comes back (vmd_probe). Requester IDs stay
// unique across segments in generated runs (the abstract model keys devices by RID).
import type { AbstractState } from '../../abstract/state';
import { findPlatform } from '../../platforms';
import type { VocabContext } from '../spec';

const DOWN_KEY = 'pci-segments-down';

function down(s: AbstractState): Set<number> {
  let d = s.extra.get(DOWN_KEY) as Set<number> | undefined;
  if (d === undefined) s.extra.set(DOWN_KEY, (d = new Set()));
  return d;
}

/** The segments other than 0 a function may be added to now. */
export function pciSegments(s: AbstractState, ctx: VocabContext): number[] {
  const all = findPlatform(ctx.platform)?.capabilities.pciSegments ?? [];
  if (all.length === 0) return [];
  const gone = s.extra.get(DOWN_KEY) as Set<number> | undefined;
  return gone === undefined ? [...all] : all.filter((seg) => !gone.has(seg));
}

/** The segment's host bridge is gone (its functions were removed with it). */
export function pciSegmentDown(s: AbstractState, seg: number): void {
  down(s).add(seg);
}

/** The segment's host bridge is back. */
export function pciSegmentUp(s: AbstractState, seg: number): void {
  down(s).delete(seg);
}
