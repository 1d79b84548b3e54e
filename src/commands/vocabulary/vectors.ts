// PCI vector commands: pci_alloc_irq_vectors / pci_free_irq_vectors and dynamic MSI-X
// (pci_msix_alloc_irq_at / pci_msix_free_irq), with the outcome the driver can expect.
import { PciDev } from '../../../models/kernel/device';
import { MSI_ANY_INDEX } from '../../../models/kernel/msi-desc';
import { pciAllocIrqVectors, pciFreeIrqVectors, pciIrqVector, pciMsixAllocIrqAt, pciMsixFreeIrq } from '../../../models/kernel/pci-msi';
import { count, devCaps, hasHandlers, type AbstractDevice, type AbstractState } from '../../abstract/state';
import type { VectorRequest } from '../../../models/platforms/platform';
import type { Simulation } from '../../sim/simulation';
import { checkArgs, deviceName, formatIrqFlags, int, irqFlags, positional } from '../args';
import { PCI_IRQ_AFFINITY, PCI_IRQ_MSI, PCI_IRQ_MSIX, type CommandOf } from '../command';
import { NR_CPUS } from '../../abstract/state';
import { EBUSY, ENOMEM, ENOSPC } from '../../../models/kernel/errno';
import { chance, pick } from '../rng';
import type { CommandSpec, Expectation } from '../spec';
import { deviceOnlySyntax, forgetVectors, noDevice } from './common';

function pciDev(s: AbstractState, name: string): AbstractDevice | undefined {
  const d = s.devices.get(name);
  return d?.bus === 'pci' ? d : undefined;
}

/** What one allocation path ends with: a count it surely gives, a failure, or either within bounds. */
type PathOutcome = { readonly kind: 'gives'; readonly n: number } | { readonly kind: 'fails' } | { readonly kind: 'maybe'; readonly lo: number; readonly hi: number; readonly orError: boolean };

/**
 * One path of pci_alloc_irq_vectors() (MSI-X or MSI) asking for `n` vectors of `dev`, at least
 * `min`: the parent's room (PlatformInstance.vectorRoom) says how many it hands out; fewer than
 * `min` fails the path (__pci_enable_msix_range() / __pci_enable_msi_range()).
 */
function pathOutcome(sim: Simulation, dev: string, req: VectorRequest, min: number): PathOutcome {
  const room = sim.platform.vectorRoom(sim.device(dev), req);
  const lo = Math.min(req.nvec, room.sure);
  const hi = Math.min(req.nvec, room.most);
  if (hi < min) return { kind: 'fails' };
  if (lo >= min && lo === hi) return { kind: 'gives', n: lo };
  return { kind: 'maybe', lo: Math.max(min, lo), hi, orError: lo < min };
}

/**
 * Devices a driver would ask for vectors now: idle PCI functions, except one whose last request
 * failed for want of vectors or memory (-ENOSPC, -ENOMEM): its probe fails and the driver core
 * unbinds it before it asks again. (After -EINVAL a driver tries other flags.) Generation only:
 * a parsed repro may retry at once.
 */
function canProbe(d: AbstractDevice): boolean {
  return d.bus === 'pci' && d.mode === 'none' && d.outOfVectors !== true;
}

/**
 * pci_alloc_irq_vectors() as a driver reads its documentation, MSI-X first, then MSI, each
 * path giving what the parent has room for (a fixed count where firmware quotas or free
 * resources decide it); only where the parent's state cannot be predicted is the promise a
 * range, and an injected failure firing in the call excuses an error or a fallback count.
 */
function expectAlloc(c: CommandOf<'pci_alloc_irq_vectors'>, s: AbstractState, sim: Simulation): Expectation {
  const d = pciDev(s, c.dev);
  if (d === undefined) return { kind: 'none' };
  // What each mode can give; MSI is the fallback when MSI-X is absent or fails.
  // PCI_IRQ_AFFINITY: no more vectors than possible CPUs (irq_calc_affinity_vectors)
  const managed = (c.flags & PCI_IRQ_AFFINITY) !== 0;
  const cap = managed ? NR_CPUS : Infinity;
  const msixN = Math.min(c.max, d.msixSize, cap);
  const msix = (c.flags & PCI_IRQ_MSIX) !== 0 && d.msixSize > 0 && msixN >= c.min ? msixN : 0;
  const multi = devCaps(s, d).multiMsi;
  const msiN = multi ? Math.min(c.max, d.msiCap, cap) : Math.min(1, d.msiCap);
  const msi = (c.flags & PCI_IRQ_MSI) !== 0 && d.msiCap > 0 && msiN >= c.min ? msiN : 0;
  if (msix === 0 && msi === 0) return { kind: 'error', why: 'no mode can provide min vectors' };
  const underFault = { min: c.min, max: Math.max(msix, msi) };
  const paths: { what: string; out: PathOutcome }[] = [];
  if (msix > 0) paths.push({ what: `MSI-X table of ${d.msixSize}`, out: pathOutcome(sim, c.dev, { path: 'msix', hwsize: d.msixSize, nvec: msix, managed }, c.min) });
  if (msi > 0) {
    const what = multi ? `MSI capability of ${d.msiCap}` : 'single MSI (the parent has no multi-MSI)';
    paths.push({ what, out: pathOutcome(sim, c.dev, { path: 'msi', hwsize: d.msiCap, nvec: msi, managed }, c.min) });
  }
  // The first path that does not surely fail decides, unless it may fail too
  let lo = Infinity;
  let hi = 0;
  const tried: string[] = [];
  // A path that may fail may also have used up what the next one needs before failing (a Xen
  // HVM guest keeps the pirqs a failed MSI-X attempt took): the fallback's room is then no promise
  let mayHaveFailed = false;
  for (const p of paths) {
    tried.push(p.what);
    if (p.out.kind === 'fails') continue;
    if (p.out.kind === 'gives' && lo === Infinity) return { kind: 'exact', ret: p.out.n, why: `${p.what}, room for ${p.out.n}`, underFault };
    if (p.out.kind === 'gives') return { kind: 'range', min: Math.min(lo, p.out.n), max: Math.max(hi, p.out.n), orError: mayHaveFailed, why: `${tried.join(', then ')}: capacity not guaranteed`, underFault };
    lo = Math.min(lo, p.out.lo);
    hi = Math.max(hi, p.out.hi);
    mayHaveFailed = mayHaveFailed || p.out.orError;
    if (!p.out.orError) return { kind: 'range', min: lo, max: hi, orError: false, why: `${tried.join(', then ')}: capacity not guaranteed`, underFault };
  }
  if (lo === Infinity) return { kind: 'error', why: `${tried.join(', then ')}: no room for ${c.min}` };
  return { kind: 'range', min: lo, max: hi, orError: true, why: `${tried.join(', then ')}: capacity not guaranteed`, underFault };
}

export const pciAllocIrqVectorsCmd: CommandSpec<'pci_alloc_irq_vectors'> = {
  kind: 'pci_alloc_irq_vectors',
  summary: 'pci_alloc_irq_vectors(dev, min, max, flags): MSI-X, else MSI; returns the vector count',
  weight: 10,
  choices: (s) => count(s, canProbe),
  valid(c, s) {
    const d = pciDev(s, c.dev);
    return d !== undefined && d.mode === 'none' && c.min >= 1 && c.max >= c.min && c.max <= 4096 && (c.flags & (PCI_IRQ_MSI | PCI_IRQ_MSIX)) !== 0;
  },
  invalid(c, s) {
    const d = s.devices.get(c.dev);
    if (d === undefined) return noDevice(c.dev);
    if (d.bus !== 'pci') return `${c.dev} is not a PCI function`;
    if (d.mode !== 'none') return `${c.dev} already holds ${d.mode === 'platform' ? 'platform MSI' : d.mode === 'msix' ? 'MSI-X' : 'MSI'} vectors: pci_free_irq_vectors() first`;
    if (c.min < 1) return `min_vecs=${c.min}: at least 1`;
    if (c.max < c.min) return `max_vecs=${c.max} is less than min_vecs=${c.min}`;
    if (c.max > 4096) return `max_vecs=${c.max}: more than 4096 vectors`;
    if ((c.flags & (PCI_IRQ_MSI | PCI_IRQ_MSIX)) === 0) return 'flags name neither PCI_IRQ_MSI nor PCI_IRQ_MSIX';
    return null;
  },
  generate(s, rng) {
    const idle = [...s.devices.values()].filter(canProbe);
    if (idle.length === 0) return null;
    const d = pick(rng, idle);
    const cap = Math.max(d.msixSize, d.msiCap, 1);
    const min = pick(rng, [1, 1, 1, 2, cap]);
    const max = Math.max(min, pick(rng, [1, cap, cap, 3, cap + 1, 2 * cap]));
    const flags = pick(rng, [PCI_IRQ_MSI | PCI_IRQ_MSIX, PCI_IRQ_MSI | PCI_IRQ_MSIX, PCI_IRQ_MSIX, PCI_IRQ_MSI]);
    // Managed vectors (a block driver's queues), only where the parent moves interrupts (the
    // extra draw happens there only, so other platforms draw what they drew before)
    const affinity = s.caps.affinity && chance(rng, 25) ? PCI_IRQ_AFFINITY : 0;
    return { kind: 'pci_alloc_irq_vectors', dev: d.name, min, max, flags: flags | affinity };
  },
  expect: expectAlloc,
  run(c, sim) {
    return { ret: pciAllocIrqVectors(sim.kernel, sim.device(c.dev) as PciDev, c.min, c.max, c.flags) };
  },
  update(c, o, s, sim) {
    const d = s.devices.get(c.dev);
    if (d === undefined) return;
    // Even a failed call has set up the device's MSI data (pci_setup_msi_context)
    d.msiData = true;
    d.outOfVectors = o.ret === -ENOSPC || o.ret === -ENOMEM;
    if (o.ret === null || o.ret <= 0) return;
    const dev = sim.device(c.dev) as PciDev;
    d.mode = dev.msixEnabled ? 'msix' : 'msi';
    d.nvec = o.ret;
    // Without their masks (an injected allocation failure) the vectors are not managed
    d.managed = (c.flags & PCI_IRQ_AFFINITY) !== 0 && !sim.firedThisStep('irq_create_affinity_masks');
  },
  format: (c) => [c.dev, String(c.min), String(c.max), formatIrqFlags(c.flags)],
  parse(args) {
    checkArgs(args, 4, []);
    return {
      kind: 'pci_alloc_irq_vectors',
      dev: deviceName(positional(args, 0, 'device', 1)),
      min: int(positional(args, 1, 'min_vecs', 1), 'min_vecs'),
      max: int(positional(args, 2, 'max_vecs', 1), 'max_vecs'),
      flags: irqFlags(positional(args, 3, 'flags', 1)),
    };
  },
  simplify(c) {
    const out: CommandOf<'pci_alloc_irq_vectors'>[] = [];
    if (c.min > 1) out.push({ ...c, min: 1 });
    if (c.max > c.min) out.push({ ...c, max: c.min });
    if (c.max > 1 && c.min === 1) out.push({ ...c, max: Math.ceil(c.max / 2) });
    const aff = c.flags & PCI_IRQ_AFFINITY;
    if (aff !== 0) out.push({ ...c, flags: c.flags & ~PCI_IRQ_AFFINITY });
    if ((c.flags & ~PCI_IRQ_AFFINITY) === (PCI_IRQ_MSI | PCI_IRQ_MSIX)) out.push({ ...c, flags: PCI_IRQ_MSIX | aff }, { ...c, flags: PCI_IRQ_MSI | aff });
    return out;
  },
};

export const pciFreeIrqVectorsCmd: CommandSpec<'pci_free_irq_vectors'> = {
  kind: 'pci_free_irq_vectors',
  summary: 'pci_free_irq_vectors(dev): disable MSI/MSI-X and free every vector; the device domain stays',
  weight: 6,
  choices: (s) => count(s, (d) => d.bus === 'pci' && d.mode !== 'none' && !hasHandlers(s, d.name)),
  // a driver frees its irqs (free_irq) before its vectors
  valid: (c, s) => pciDev(s, c.dev) !== undefined && !hasHandlers(s, c.dev),
  invalid: (c, s) => (pciDev(s, c.dev) === undefined ? (s.devices.has(c.dev) ? `${c.dev} is not a PCI function` : noDevice(c.dev)) : hasHandlers(s, c.dev) ? `${c.dev} still has handlers: free_irq() them before freeing its vectors` : null),
  generate(s, rng) {
    const holding = [...s.devices.values()].filter((d) => d.bus === 'pci' && d.mode !== 'none' && !hasHandlers(s, d.name));
    return holding.length === 0 ? null : { kind: 'pci_free_irq_vectors', dev: pick(rng, holding).name };
  },
  expect: () => ({ kind: 'none' }),
  run(c, sim) {
    pciFreeIrqVectors(sim.kernel, sim.device(c.dev) as PciDev);
    return { ret: null };
  },
  update(c, _o, s) {
    forgetVectors(s, c.dev);
  },
  ...deviceOnlySyntax('pci_free_irq_vectors'),
  simplify: () => [],
};

function usedMsixIndices(d: AbstractDevice): Set<number> {
  const used = new Set(d.dynamic);
  for (let i = 0; i < d.nvec; i++) used.add(i);
  return used;
}

export const pciMsixAllocIrqAtCmd: CommandSpec<'pci_msix_alloc_irq_at'> = {
  kind: 'pci_msix_alloc_irq_at',
  summary: 'pci_msix_alloc_irq_at(dev, index|any): one more MSI-X vector while MSI-X is enabled (parents with PCI_MSIX_ALLOC_DYN)',
  weight: 5,
  choices: (s) => (s.caps.dynMsix ? count(s, (d) => d.bus === 'pci' && d.mode === 'msix' && devCaps(s, d).dynMsix && usedMsixIndices(d).size < d.msixSize) : 0),
  valid(c, s) {
    const d = pciDev(s, c.dev);
    if (d === undefined || !devCaps(s, d).dynMsix || d.mode !== 'msix') return false;
    // an index already in use is legal to ask for: msi_insert_desc() answers -EBUSY (xa_insert)
    return c.index === 'any' || (c.index >= 0 && c.index < d.msixSize);
  },
  invalid(c, s) {
    const d = s.devices.get(c.dev);
    if (d === undefined) return noDevice(c.dev);
    if (d.bus !== 'pci') return `${c.dev} is not a PCI function`;
    if (!devCaps(s, d).dynMsix) return `the MSI parent of ${c.dev} cannot allocate MSI-X vectors one by one (no MSI_FLAG_PCI_MSIX_ALLOC_DYN)`;
    if (d.mode !== 'msix') return `MSI-X is not enabled on ${c.dev}`;
    if (c.index === 'any') return null;
    if (c.index < 0 || c.index >= d.msixSize) return `index ${c.index} is outside the MSI-X table of ${d.msixSize} entries (table size)`;
    return null;
  },
  generate(s, rng) {
    if (!s.caps.dynMsix) return null;
    const cands = [...s.devices.values()].filter((d) => d.bus === 'pci' && d.mode === 'msix' && devCaps(s, d).dynMsix && usedMsixIndices(d).size < d.msixSize);
    if (cands.length === 0) return null;
    const d = pick(rng, cands);
    // The first and the last free index (the used set built once: tables have up to 2048 entries).
    const used = usedMsixIndices(d);
    let first = 0;
    while (first < d.msixSize && used.has(first)) first++;
    let last = d.msixSize - 1;
    while (last >= 0 && used.has(last)) last--;
    // Now and then an index the driver already holds: the core must refuse it (-EBUSY) and
    // leave the descriptor in place untouched
    if (used.size > 0 && chance(rng, 10)) return { kind: 'pci_msix_alloc_irq_at', dev: d.name, index: pick(rng, [...used]) };
    const index = pick(rng, ['any' as const, 'any' as const, first < d.msixSize ? first : 0, last >= 0 ? last : 0]);
    return { kind: 'pci_msix_alloc_irq_at', dev: d.name, index };
  },
  expect(c, s, sim) {
    const d = pciDev(s, c.dev);
    if (d === undefined) return { kind: 'none' };
    const used = usedMsixIndices(d);
    if (c.index !== 'any' && used.has(c.index)) return { kind: 'exact', ret: -EBUSY, why: `MSI-X index ${c.index} is in use (msi_insert_desc: xa_insert)` };
    const want = c.index === 'any' ? [...Array(d.msixSize).keys()].find((i) => !used.has(i)) : c.index;
    if (want === undefined) return { kind: 'error', why: 'MSI-X table full' };
    const room = sim.platform.vectorRoom(sim.device(c.dev), { path: 'msix', hwsize: d.msixSize, nvec: 1, managed: false });
    if (room.sure >= 1) return { kind: 'exact', ret: want, why: `first free MSI-X index ${want}` };
    return { kind: 'none' };
  },
  run(c, sim) {
    const map = pciMsixAllocIrqAt(sim.kernel, sim.device(c.dev) as PciDev, c.index === 'any' ? MSI_ANY_INDEX : c.index);
    return { ret: map.index, virq: map.virq };
  },
  update(c, o, s) {
    if (o.ret !== null && o.ret >= 0) s.devices.get(c.dev)?.dynamic.add(o.ret);
  },
  format: (c) => [c.dev, c.index === 'any' ? 'MSI_ANY_INDEX' : String(c.index)],
  parse(args) {
    checkArgs(args, 2, []);
    const idx = positional(args, 1, 'index', 1);
    return {
      kind: 'pci_msix_alloc_irq_at',
      dev: deviceName(positional(args, 0, 'device', 1)),
      index: idx.value === 'MSI_ANY_INDEX' ? 'any' : int(idx, 'index'),
    };
  },
  simplify: (c) => (c.index === 'any' ? [] : [{ ...c, index: 'any' }]),
};

export const pciMsixFreeIrqCmd: CommandSpec<'pci_msix_free_irq'> = {
  kind: 'pci_msix_free_irq',
  summary: 'pci_msix_free_irq(dev, index): free one dynamically allocated MSI-X vector; MSI-X stays enabled',
  weight: 4,
  choices: (s) => count(s, (d) => [...d.dynamic].some((i) => !(s.handlers.get(d.name)?.has(i) ?? false))),
  valid: (c, s) => pciDev(s, c.dev)?.dynamic.has(c.index) === true && !(s.handlers.get(c.dev)?.has(c.index) ?? false),
  invalid(c, s) {
    const d = s.devices.get(c.dev);
    if (d === undefined) return noDevice(c.dev);
    if (d.bus !== 'pci') return `${c.dev} is not a PCI function`;
    if (!d.dynamic.has(c.index)) return `MSI-X index ${c.index} of ${c.dev} was not allocated by pci_msix_alloc_irq_at()`;
    if (s.handlers.get(c.dev)?.has(c.index) ?? false) return `vector ${c.index} of ${c.dev} still has a handler: free_irq() first`;
    return null;
  },
  generate(s, rng) {
    const free = (d: AbstractDevice): number[] => [...d.dynamic].filter((i) => !(s.handlers.get(d.name)?.has(i) ?? false));
    const cands = [...s.devices.values()].filter((d) => free(d).length > 0);
    if (cands.length === 0) return null;
    const d = pick(rng, cands);
    return { kind: 'pci_msix_free_irq', dev: d.name, index: pick(rng, free(d)) };
  },
  expect: () => ({ kind: 'none' }),
  run(c, sim) {
    const dev = sim.device(c.dev) as PciDev;
    pciMsixFreeIrq(sim.kernel, dev, { index: c.index, virq: pciIrqVector(dev, c.index) });
    return { ret: null };
  },
  update(c, _o, s) {
    s.devices.get(c.dev)?.dynamic.delete(c.index);
  },
  format: (c) => [c.dev, String(c.index)],
  parse(args) {
    checkArgs(args, 2, []);
    return { kind: 'pci_msix_free_irq', dev: deviceName(positional(args, 0, 'device', 1)), index: int(positional(args, 1, 'index', 1), 'index') };
  },
  simplify: () => [],
};

