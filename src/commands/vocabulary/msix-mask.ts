// pci_msix_mask() / pci_msix_unmask() (drivers/pci/msi/msi.h): the Vector Control mask bit of
// one MSI-X entry. While masked the device latches what it raises in the Pending Bit Array;
// unmasking sends it. The driver's masked entries live in s.extra under 'msix-masked'.
import { PciDev } from '../../../models/kernel/device';
import { EINVAL } from '../../../models/kernel/errno';
import { pciMsixMaskEntry, pciMsixUnmaskEntry } from '../../../models/kernel/pci-msi-signal';
import type { AbstractState } from '../../abstract/state';
import { checkArgs, deviceName, positional, requiredInt } from '../args';
import type { Arg, CommandSpec } from '../spec';
import { heldVectors, pickHeldVector } from './delivery';
import { noDevice } from './common';

function maskedOf(s: AbstractState, dev: string): Set<number> {
  let m = s.extra.get('msix-masked') as Map<string, Set<number>> | undefined;
  if (m === undefined) {
    m = new Map();
    s.extra.set('msix-masked', m);
  }
  let v = m.get(dev);
  if (v === undefined) {
    v = new Set();
    m.set(dev, v);
  }
  return v;
}

function msixHeld(s: AbstractState, dev: string, vec: number): boolean {
  const d = s.devices.get(dev);
  return d !== undefined && d.mode === 'msix' && heldVectors(d).includes(vec);
}

/** Why `vec` of `dev` is not an MSI-X vector the driver holds, or null. */
function msixHeldProblem(s: AbstractState, dev: string, vec: number): string | null {
  const d = s.devices.get(dev);
  if (d === undefined) return noDevice(dev);
  if (d.mode !== 'msix') return `MSI-X is not enabled on ${dev}`;
  return heldVectors(d).includes(vec) ? null : `the driver holds no MSI-X vector ${vec} on ${dev}`;
}

function devVec(args: readonly Arg[]): { dev: string; vec: number } {
  checkArgs(args, 1, ['vec']);
  const vec = requiredInt(args, 'vec');
  return { dev: deviceName(positional(args, 0, 'device', 1)), vec };
}

export const pciMsixMaskCmd: CommandSpec<'pci_msix_mask'> = {
  kind: 'pci_msix_mask',
  summary: 'pci_msix_mask(dev, vec=N): set the MSI-X entry\'s mask bit; what the device raises meanwhile waits in its Pending Bit',
  weight: 1,
  valid: (c, s) => msixHeld(s, c.dev, c.vec) && !maskedOf(s, c.dev).has(c.vec),
  invalid: (c, s) => msixHeldProblem(s, c.dev, c.vec) ?? (maskedOf(s, c.dev).has(c.vec) ? `vector ${c.vec} of ${c.dev} is already masked` : null),
  generate(s, rng) {
    const picked = pickHeldVector(s, rng, (d, v) => d.mode === 'msix' && !maskedOf(s, d.name).has(v));
    return picked === null ? null : { kind: 'pci_msix_mask', ...picked };
  },
  expect: () => ({ kind: 'none' }),
  run(c, sim) {
    const d = sim.device(c.dev);
    if (!(d instanceof PciDev)) return { ret: -EINVAL };
    pciMsixMaskEntry(d, c.vec);
    return { ret: null };
  },
  update(c, _o, s) {
    maskedOf(s, c.dev).add(c.vec);
  },
  format: (c) => [c.dev, `vec=${c.vec}`],
  parse: (args) => ({ kind: 'pci_msix_mask', ...devVec(args) }),
  simplify: (c) => (c.vec > 0 ? [{ ...c, vec: 0 }] : []),
};

export const pciMsixUnmaskCmd: CommandSpec<'pci_msix_unmask'> = {
  kind: 'pci_msix_unmask',
  summary: 'pci_msix_unmask(dev, vec=N): clear the mask bit; a set Pending Bit sends the message now',
  weight: 1,
  valid: (c, s) => msixHeld(s, c.dev, c.vec) && maskedOf(s, c.dev).has(c.vec),
  invalid: (c, s) => msixHeldProblem(s, c.dev, c.vec) ?? (maskedOf(s, c.dev).has(c.vec) ? null : `vector ${c.vec} of ${c.dev} is not masked`),
  generate(s, rng) {
    const picked = pickHeldVector(s, rng, (d, v) => d.mode === 'msix' && maskedOf(s, d.name).has(v));
    return picked === null ? null : { kind: 'pci_msix_unmask', ...picked };
  },
  expect: () => ({ kind: 'none' }),
  run(c, sim) {
    const d = sim.device(c.dev);
    if (!(d instanceof PciDev)) return { ret: -EINVAL };
    const pending = d.msixPending.has(c.vec);
    pciMsixUnmaskEntry(sim.kernel, d, c.vec);
    if (pending) sim.note(`${c.dev}: Pending Bit of entry ${c.vec} set: the message goes out now`);
    return { ret: null };
  },
  update(c, _o, s) {
    maskedOf(s, c.dev).delete(c.vec);
  },
  format: (c) => [c.dev, `vec=${c.vec}`],
  parse: (args) => ({ kind: 'pci_msix_unmask', ...devVec(args) }),
  simplify: (c) => (c.vec > 0 ? [{ ...c, vec: 0 }] : []),
};
