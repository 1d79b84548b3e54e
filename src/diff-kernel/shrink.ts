// Shrinking a divergent sequence, re-running the real kernel for every candidate: drop chunks
// of ops (halves down to single ops), then simplify arguments towards the smallest values,
// then renumber the devices in order of appearance. A candidate counts when the guards allow
// it and the two traces still part at the same signature, so shrinking keeps the one
// disagreement it started from instead of wandering to another.
import { PCI_IRQ_MSI, PCI_IRQ_MSIX, type KernelOp } from '../../models/platforms/kunit-fake/ops';

export interface ShrinkOptions {
  /** Does this sequence still show the divergence (same signature)? Runs kernel and model. */
  readonly stillDiverges: (ops: readonly KernelOp[]) => Promise<boolean>;
  /** May the kernel run this sequence (guards.ts)? */
  readonly valid: (ops: readonly KernelOp[]) => boolean;
  /** Kernel runs at most. */
  readonly maxRuns: number;
}

export interface ShrinkResult {
  readonly ops: KernelOp[];
  readonly runs: number;
}

/** Smaller versions of one op, simplest first. */
function simpler(o: KernelOp): KernelOp[] {
  const out: KernelOp[] = [];
  const lower = (v: number): number[] => [0, 1, 2, Math.floor(v / 2), v - 1].filter((x, i, a) => x >= 0 && x < v && a.indexOf(x) === i);
  switch (o.op) {
    case 'dev_add':
      if (o.bus !== 'kunit') out.push({ ...o, bus: 'kunit' });
      if (o.parent !== 'its') out.push({ ...o, parent: 'its' });
      break;
    case 'msi_create_device_irq_domain':
      for (const h of [1, 2, 4, 8].filter((h) => h < o.hwsize)) out.push({ ...o, hwsize: h });
      break;
    case 'platform_device_msi_init_and_alloc_irqs':
      for (const n of lower(o.nvec)) out.push({ ...o, nvec: n });
      break;
    case 'msi_domain_alloc_irq_at':
      if (o.index !== 'any') for (const i of lower(o.index)) out.push({ ...o, index: i });
      break;
    case 'msi_domain_alloc_irqs_range':
    case 'msi_domain_free_irqs_range':
      for (const f of lower(o.first)) out.push({ ...o, first: f, last: Math.max(f, o.last - (o.first - f)) });
      if (o.last > o.first) out.push({ ...o, last: o.first });
      break;
    case 'pci_dev_add':
      if (o.parent !== 'its') out.push({ ...o, parent: 'its' });
      for (const n of lower(o.msi)) out.push({ ...o, msi: n });
      for (const n of lower(o.msix)) out.push({ ...o, msix: n });
      break;
    case 'pci_alloc_irq_vectors':
      if (o.min > 1) out.push({ ...o, min: 1 });
      for (const n of lower(o.max).filter((n) => n >= o.min)) out.push({ ...o, max: n });
      if (o.flags === (PCI_IRQ_MSI | PCI_IRQ_MSIX)) out.push({ ...o, flags: PCI_IRQ_MSIX }, { ...o, flags: PCI_IRQ_MSI });
      break;
    case 'pci_msix_alloc_irq_at':
      if (o.index !== 'any') for (const i of lower(o.index)) out.push({ ...o, index: i });
      break;
    case 'pci_msix_free_irq':
      for (const i of lower(o.index)) out.push({ ...o, index: i });
      break;
    default:
      break;
  }
  if ('domid' in o && o.domid > 0) out.push({ ...o, domid: 0 });
  return out;
}

/** Devices renamed dev0, dev1, ... in order of appearance. */
function renumber(ops: readonly KernelOp[]): KernelOp[] {
  const map = new Map<number, number>();
  return ops.map((o) => {
    if (!map.has(o.dev)) map.set(o.dev, map.size);
    return { ...o, dev: map.get(o.dev) as number };
  });
}

export async function shrinkSequence(start: readonly KernelOp[], o: ShrinkOptions): Promise<ShrinkResult> {
  let best = [...start];
  let runs = 0;
  const attempt = async (cand: KernelOp[]): Promise<boolean> => {
    if (runs >= o.maxRuns || !o.valid(cand)) return false;
    runs++;
    if (!(await o.stillDiverges(cand))) return false;
    best = cand;
    return true;
  };
  for (let progress = true; progress && runs < o.maxRuns; ) {
    const before = best.length + JSON.stringify(best).length;
    // Chunks, largest first; after a success the same size is tried again at the same place
    for (let size = Math.max(1, Math.floor(best.length / 2)); size >= 1; size = Math.floor(size / 2)) {
      for (let at = 0; at + size <= best.length; ) {
        if (!(await attempt([...best.slice(0, at), ...best.slice(at + size)]))) at += size;
      }
    }
    for (let i = 0; i < best.length; i++) {
      for (const s of simpler(best[i] as KernelOp)) {
        if (await attempt([...best.slice(0, i), s, ...best.slice(i + 1)])) break;
      }
    }
    progress = best.length + JSON.stringify(best).length < before;
  }
  const renamed = renumber(best);
  if (JSON.stringify(renamed) !== JSON.stringify(best)) await attempt(renamed);
  return { ops: best, runs };
}
