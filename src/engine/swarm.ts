// Swarm testing (Groce et al., 2012): each run switches off a random subset of command kinds,
// so runs explore corners that the full mix dilutes (many frees without any unbind, many
// allocations without a hotplug...). The subset comes from its own seeded stream.
import type { AnySpec } from '../commands/spec';
import { VOCABULARY } from '../commands/vocabulary';
import seedrandom from 'seedrandom';

/** Kinds never switched off: without a device nothing else can happen. */
const ALWAYS = new Set<string>(['pci_device_add', 'platform_device_add']);

/** The command kinds run `runSeedText` may draw from when swarm testing (each other kind off with probability 1/3). */
export function swarmVocabulary(runSeedText: string): AnySpec[] {
  const prng = seedrandom(`${runSeedText}:swarm`);
  return VOCABULARY.filter((sp) => ALWAYS.has(sp.kind) || Math.floor(prng() * 3) !== 0);
}
