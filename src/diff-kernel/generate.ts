// Random op sequences for the differential. Sequence i of seed S is drawn from its own
// seedrandom stream, so any sequence replays from (S, i) alone. Each op is drawn against the
// model's state as the sequence grows (guards.ts keeps the kernel alive), with arguments that
// favour the edges: ranges overlapping what is allocated, past hwsize, reversed; domain ids
// the core does not have; hwsize 0 (the whole index space) and above the limit.
import seedrandom from 'seedrandom';
import { FakeMachine } from '../../models/platforms/kunit-fake/machine';
import { MAX_DEVS, PARENTS, PCI_IRQ_MSI, PCI_IRQ_MSIX, type KernelOp } from '../../models/platforms/kunit-fake/ops';
import type { MsiDomainInfo } from '../../models/kernel/msi-types';
import { chance, pick, type Rng } from '../commands/rng';
import { guardOp } from './guards';

export interface GenerateOptions {
  readonly seed: number;
  readonly index: number;
  /** Ops per sequence at most (the length is drawn from 1..maxOps). */
  readonly maxOps: number;
  /** The model revision's patches (the guards read the model's state). */
  readonly patches: readonly string[];
  /** The kernel can add fake PCI functions (kunit/mf_pci.c needs CONFIG_UML_PCI). */
  readonly pci: boolean;
}

class SeededRng implements Rng {
  private readonly prng: seedrandom.PRNG;
  constructor(key: string) {
    this.prng = seedrandom(key);
  }
  below(n: number): number {
    return n <= 1 ? 0 : Math.floor(this.prng() * n);
  }
}

const HWSIZES = [0, 1, 2, 3, 4, 4, 8, 8, 16, 65536, 65537];
const NVECS = [0, 1, 1, 2, 3, 4, 4, 8, 16];

/** The hwsize of dev's installed domain (or 8 to draw indices against), and its used indices. */
function view(m: FakeMachine, dev: number, domid: number): { size: number; used: number[] } {
  const slot = m.devices.get(dev)?.dev.msiData?.domains[domid];
  const info = slot?.domain?.hostData as MsiDomainInfo | undefined;
  const size = info === undefined ? 8 : Math.min(info.hwsize, 32);
  return { size, used: slot === undefined ? [] : [...slot.store.keys()] };
}

/** An index: mostly inside the domain, sometimes a used one, its edge, or far out. */
function index(rng: Rng, size: number, used: readonly number[]): number {
  const r = rng.below(100);
  if (r < 60) return rng.below(size);
  if (r < 80 && used.length > 0) return pick(rng, used);
  if (r < 92) return size + rng.below(3) - 1;
  return pick(rng, [65535, 65536, 0xffff_fffe]);
}

const PCI_MSI_CAPS = [0, 1, 2, 4, 8, 32];
const PCI_MSIX_SIZES = [0, 1, 4, 8, 32];
const PCI_FLAGS = [PCI_IRQ_MSI, PCI_IRQ_MSIX, PCI_IRQ_MSI | PCI_IRQ_MSIX];

function drawOp(rng: Rng, m: FakeMachine, nextDev: number, pci: boolean): KernelOp | null {
  const all = [...m.devices.keys()];
  const pcis = all.filter((d) => m.devices.get(d)?.bus === 'pci');
  const live = all.filter((d) => m.devices.get(d)?.bus !== 'pci');
  const withData = live.filter((d) => m.devices.get(d)?.dev.msiData !== null);
  const domid = (): number => (chance(rng, 8) ? 1 : 0);
  const adding = all.length < 3 && nextDev < MAX_DEVS;
  const kinds: [KernelOp['op'], number][] = [
    ['dev_add', adding ? (all.length === 0 ? (pci ? 60 : 100) : 8) : 0],
    ['pci_dev_add', adding && pci ? (all.length === 0 ? 40 : 5) : 0],
    ['dev_del', all.length > 0 ? 3 : 0],
    ['pci_alloc_irq_vectors', pcis.length > 0 ? 14 : 0],
    ['pci_free_irq_vectors', pcis.length > 0 ? 8 : 0],
    ['pci_msix_alloc_irq_at', pcis.length > 0 ? 8 : 0],
    ['pci_msix_free_irq', pcis.length > 0 ? 5 : 0],
    ['msi_create_device_irq_domain', live.length > 0 ? 12 : 0],
    ['msi_remove_device_irq_domain', withData.length > 0 ? 5 : 0],
    ['msi_domain_alloc_irqs_range', withData.length > 0 ? 18 : 0],
    ['msi_domain_free_irqs_range', withData.length > 0 ? 11 : 0],
    ['msi_domain_alloc_irq_at', withData.length > 0 ? 14 : 0],
    ['msi_domain_free_irqs_all', withData.length > 0 ? 5 : 0],
    ['platform_device_msi_init_and_alloc_irqs', live.length > 0 ? 7 : 0],
    ['platform_device_msi_free_irqs_all', withData.length > 0 ? 4 : 0],
  ];
  const total = kinds.reduce((n, [, w]) => n + w, 0);
  if (total === 0) return null;
  let r = rng.below(total);
  let kind: KernelOp['op'] = 'dev_add';
  for (const [k, w] of kinds) {
    if (r < w) {
      kind = k;
      break;
    }
    r -= w;
  }
  switch (kind) {
    case 'dev_add':
      return { op: kind, dev: nextDev, bus: chance(rng, 50) ? 'kunit' : 'platform', parent: pick(rng, PARENTS) };
    case 'dev_del':
      return { op: kind, dev: pick(rng, all) };
    case 'pci_dev_add':
      return { op: kind, dev: nextDev, msi: pick(rng, PCI_MSI_CAPS), msix: pick(rng, PCI_MSIX_SIZES), parent: pick(rng, PARENTS) };
    case 'pci_alloc_irq_vectors': {
      const min = pick(rng, [1, 1, 2, 4]);
      return { op: kind, dev: pick(rng, pcis), min, max: chance(rng, 10) ? min - 1 : min + pick(rng, [0, 1, 3, 7, 31]), flags: pick(rng, PCI_FLAGS) };
    }
    case 'pci_free_irq_vectors':
      return { op: kind, dev: pick(rng, pcis) };
    case 'pci_msix_alloc_irq_at': {
      const dev = pick(rng, pcis);
      const size = (m.devices.get(dev)?.dev as { msixTableSize?: number } | undefined)?.msixTableSize ?? 4;
      return { op: kind, dev, index: chance(rng, 50) ? 'any' : rng.below(size + 2) };
    }
    case 'pci_msix_free_irq': {
      const dev = pick(rng, pcis);
      const size = (m.devices.get(dev)?.dev as { msixTableSize?: number } | undefined)?.msixTableSize ?? 4;
      return { op: kind, dev, index: rng.below(size + 1) };
    }
    case 'msi_create_device_irq_domain':
      return { op: kind, dev: pick(rng, live), domid: domid(), hwsize: pick(rng, HWSIZES) };
    case 'platform_device_msi_init_and_alloc_irqs':
      return { op: kind, dev: pick(rng, live), nvec: pick(rng, NVECS) };
    case 'platform_device_msi_free_irqs_all':
      return { op: kind, dev: pick(rng, withData) };
    case 'msi_remove_device_irq_domain':
    case 'msi_domain_free_irqs_all':
      return { op: kind, dev: pick(rng, withData), domid: domid() };
    case 'msi_domain_alloc_irq_at': {
      const dev = pick(rng, withData);
      const id = domid();
      const v = view(m, dev, id);
      return { op: kind, dev, domid: id, index: chance(rng, 40) ? 'any' : index(rng, v.size, v.used) };
    }
    case 'msi_domain_alloc_irqs_range':
    case 'msi_domain_free_irqs_range': {
      const dev = pick(rng, withData);
      const id = domid();
      const v = view(m, dev, id);
      const first = index(rng, v.size, v.used);
      // Mostly a short range from first; sometimes reversed
      const last = chance(rng, 6) ? Math.max(0, first - 1 - rng.below(2)) : Math.min(0xffff_ffff, first + rng.below(Math.max(1, Math.min(v.size, 6))));
      return { op: kind, dev, domid: id, first, last };
    }
  }
}

/** Sequence `index` of `seed`. */
export function generateSequence(o: GenerateOptions): KernelOp[] {
  const rng = new SeededRng(`diff-kernel:${o.seed}:${o.index}`);
  const m = new FakeMachine(o.patches);
  const length = 1 + rng.below(o.maxOps);
  const ops: KernelOp[] = [];
  let nextDev = 0;
  for (let tries = 0; ops.length < length && tries < length * 8; tries++) {
    const op = drawOp(rng, m, nextDev, o.pci);
    if (op === null) break;
    if (!guardOp(m, op).ok) continue;
    ops.push(op);
    if (op.op === 'dev_add' || op.op === 'pci_dev_add') nextDev++;
    m.run(op);
    if (m.dead) break;
  }
  return ops;
}
