// One irq's source swapped for the plainest one: a PCI function with an MSI-X table, allocated
// by pci_alloc_irq_vectors(). A random run reaches an irq through whatever source the
// generator offered first (an SR-IOV VF behind its PF, an HPET channel, a DMAR unit, an MSI
// device whose vector lands on a CPU only because another source took one first), and the
// source's own setup then counts against the length: deleting commands one at a time cannot
// turn one source into another. These candidates do it in one step, the shrinker pairing each
// with deletions and keeping it only when the result is shorter and still fails.
import { PCI_IRQ_MSIX, type Command } from '../commands/command';
import { pfOfVfName } from '../commands/vocabulary/x86';

/** An irq as the commands name it: a device (or `hpet`/`dmar`) and its vector (channel, unit). */
export interface IrqRef {
  readonly source: string;
  readonly vec: number;
}

/** The irq a command names, if any. */
export function irqOf(cmd: Command): IrqRef | null {
  switch (cmd.kind) {
    case 'hpet_assign_irq':
    case 'hpet_free_irq':
      return { source: 'hpet', vec: cmd.channel };
    case 'dmar_set_interrupt':
    case 'dmar_free_interrupt':
      return { source: 'dmar', vec: cmd.unit };
    case 'acpi_register_gsi':
    case 'acpi_unregister_gsi':
      return { source: 'gsi', vec: cmd.gsi };
    case 'irq_set_affinity':
    case 'generic_handle_irq':
      return { source: cmd.target, vec: cmd.vec };
    case 'request_irq':
    case 'free_irq':
    case 'msi_raise':
    case 'pci_msix_mask':
    case 'pci_msix_unmask':
      return { source: cmd.dev, vec: cmd.vec };
    default:
      return null;
  }
}

/** Commands that give a platform irq its vector (their irq's source exists through them alone). */
const CREATES_IRQ = new Set(['hpet_assign_irq', 'dmar_set_interrupt', 'acpi_register_gsi']);
/** Commands that give a platform irq back. */
const FREES_IRQ = new Set(['hpet_free_irq', 'dmar_free_interrupt', 'acpi_unregister_gsi']);
/** A device's own setup, which the new function's add and allocation replace. */
const SETS_UP = new Set(['pci_device_add', 'pci_alloc_irq_vectors', 'platform_device_add', 'platform_device_msi_init_and_alloc_irqs']);
/** A device's teardown, which the new function does the same way. */
const TEARS_DOWN = new Set(['pci_free_irq_vectors', 'platform_device_msi_free_irqs_all', 'device_release_driver', 'device_del']);

/** The device a command names without naming one of its vectors. */
function deviceNamed(cmd: Command): string | null {
  if (irqOf(cmd) !== null) return null;
  return 'dev' in cmd ? cmd.dev : null;
}

/** Largest MSI-X table the new function gets: one vector per CPU is enough to reach any CPU. */
export const SUBSTITUTE_MAX_VECTORS = 4;

/** An irq and the vector of the new function it becomes. */
export interface Move {
  readonly ref: IrqRef;
  readonly w: number;
}

/**
 * The list with the irqs of `moves` moved onto a new PCI function `name` (MSI-X table of `n`,
 * `pci_alloc_irq_vectors(name, 1, n, PCI_IRQ_MSIX)`, each irq becoming its vector `w`), or null
 * when a source cannot go (a device with other irqs in use, or commands this swap does not
 * know). The new function is added where the first source first appears; a source's setup
 * goes, its teardown becomes the new function's. The vectors of `requested` get a handler
 * (request_irq) right after the allocation, as a driver that requests every vector in turn.
 */
export function substitute(list: readonly Command[], moves: readonly Move[], name: string, rid: number, n: number, requested: readonly number[] = []): Command[] | null {
  const platformIrq = (ref: IrqRef): boolean => list.some((c) => CREATES_IRQ.has(c.kind) && sameIrq(irqOf(c), ref));
  const devices = new Set(moves.filter((m) => !platformIrq(m.ref)).map((m) => m.ref.source));
  const vfOfGoing = (dev: string): boolean => {
    const pf = pfOfVfName(dev);
    return pf !== null && devices.has(pf);
  };
  const out: Command[] = [];
  let placed = false;
  const place = (): void => {
    if (placed) return;
    placed = true;
    out.push({ kind: 'pci_device_add', dev: name, rid, msi: 0, msix: n }, { kind: 'pci_alloc_irq_vectors', dev: name, min: 1, max: n, flags: PCI_IRQ_MSIX });
    for (const vec of requested) out.push({ kind: 'request_irq', dev: name, vec });
  };
  for (const c of list) {
    const irq = irqOf(c);
    const move = irq === null ? undefined : moves.find((m) => sameIrq(irq, m.ref));
    if (move !== undefined) {
      if (CREATES_IRQ.has(c.kind)) place();
      else if (FREES_IRQ.has(c.kind)) out.push({ kind: 'pci_free_irq_vectors', dev: name });
      else {
        place();
        out.push(renamed(c, name, move.w));
      }
      continue;
    }
    // another irq of a device that goes, or of one of its VFs: its vectors are not independent of the moved one's
    if (irq !== null && (devices.has(irq.source) || vfOfGoing(irq.source))) return null;
    const dev = deviceNamed(c);
    if (dev !== null && devices.has(dev)) {
      if (SETS_UP.has(c.kind)) place();
      else if (TEARS_DOWN.has(c.kind)) out.push({ ...c, dev: name } as Command);
      // The PF goes with its VFs (below): the new function has no SR-IOV capability
      else if (c.kind !== 'pci_enable_sriov' && c.kind !== 'pci_disable_sriov') return null;
      continue;
    }
    // A VF of a PF that goes goes too; what its vectors did to the placement of the moved irq,
    // a vector w of the new function's table stands for.
    if (dev !== null && vfOfGoing(dev)) continue;
    out.push(c);
  }
  return placed ? out : null;
}

function sameIrq(a: IrqRef | null, b: IrqRef): boolean {
  return a !== null && a.source === b.source && a.vec === b.vec;
}

/** `c` (which names an irq by device or target and vector) naming vector `vec` of `dev` instead. */
function renamed(c: Command, dev: string, vec: number): Command {
  if ('target' in c) return { ...c, target: dev, vec } as Command;
  return { ...c, dev, vec } as Command;
}

/** The irqs the list names, in order of first appearance. */
function irqsNamed(list: readonly Command[]): IrqRef[] {
  const out: IrqRef[] = [];
  for (const c of list) {
    const r = irqOf(c);
    if (r !== null && !out.some((o) => sameIrq(r, o))) out.push(r);
  }
  return out;
}

/** A device name no command of the list uses. */
function freshName(list: readonly Command[]): string {
  const used = new Set(list.flatMap((c) => ('dev' in c ? [c.dev] : 'target' in c ? [c.target] : [])));
  let k = 0;
  while (used.has(`dev${k}`)) k++;
  return `dev${k}`;
}

/** A requester ID (bus N, device 0, function 0) no added function or bridge of the list holds, except the moved sources' own. */
function freshRid(list: readonly Command[], refs: readonly IrqRef[]): number {
  const goes = (dev: string): boolean => refs.some((r) => r.source === dev);
  const used = new Set(list.flatMap((c) => (c.kind === 'pci_device_add' && !goes(c.dev) ? [c.rid] : c.kind === 'pci_bridge_add' ? [c.rid] : [])));
  let bus = 1;
  while (used.has(bus << 8)) bus++;
  return bus << 8;
}

/**
 * Every list with one irq's source swapped for a new PCI function with an MSI-X table of 1 to
 * SUBSTITUTE_MAX_VECTORS vectors, the irq being any one of them (which vector it is decides the
 * CPU the allocator puts it on). A source that already is such a function gets another
 * table size and vector: one more vector may stand for a device that only took the first.
 * Where the irq is not the first vector, the function also comes with every vector below it
 * requested first: a parent that picks a target when a handler starts the irq (XIVE's
 * round-robin on startup) places it by the handlers started before it, which a random run
 * reaches by a detour (a CPU taken down and brought back, a handler freed and requested again).
 */
export function substitutions(list: readonly Command[]): Command[][] {
  const out: Command[][] = [];
  const name = freshName(list);
  for (const ref of irqsNamed(list)) {
    const rid = freshRid(list, [ref]);
    for (let n = 1; n <= SUBSTITUTE_MAX_VECTORS; n++) {
      for (let w = 0; w < n; w++) {
        const alt = substitute(list, [{ ref, w }], name, rid, n);
        if (alt !== null) out.push(alt);
      }
    }
    for (let n = 2; n <= SUBSTITUTE_MAX_VECTORS; n++) {
      for (let w = 1; w < n; w++) {
        const below = Array.from({ length: w }, (_, v) => v);
        const alt = substitute(list, [{ ref, w }], name, rid, n, below);
        if (alt !== null) out.push(alt);
      }
    }
  }
  return out;
}

/**
 * Every list with the irqs of two different sources gathered as two vectors of one new PCI
 * function (MSI-X table of 2 to SUBSTITUTE_MAX_VECTORS, the irqs any two distinct vectors of
 * it): two single-vector devices, or a device and a platform irq, become one device.
 */
export function merges(list: readonly Command[]): Command[][] {
  const out: Command[][] = [];
  const name = freshName(list);
  const irqs = irqsNamed(list);
  for (let a = 0; a < irqs.length; a++) {
    for (let b = a + 1; b < irqs.length; b++) {
      const ra = irqs[a] as IrqRef;
      const rb = irqs[b] as IrqRef;
      if (ra.source === rb.source) continue;
      const rid = freshRid(list, [ra, rb]);
      for (let n = 2; n <= SUBSTITUTE_MAX_VECTORS; n++) {
        for (let wa = 0; wa < n; wa++) {
          for (let wb = 0; wb < n; wb++) {
            if (wa === wb) continue;
            const alt = substitute(list, [{ ref: ra, w: wa }, { ref: rb, w: wb }], name, rid, n);
            if (alt !== null) out.push(alt);
          }
        }
      }
    }
  }
  return out;
}

/**
 * Every list where one irq's handler, freed (free_irq) and requested again later, lives its two
 * lives on two vectors of one new PCI function instead: the commands naming the irq up to the
 * free go to vector `wa`, the later ones to `wb`, and the free goes (the first handler stays).
 * What a second request_irq of one vector changes (a target picked again round-robin, a fresh
 * descriptor) then comes from the second vector's first request.
 */
export function splits(list: readonly Command[]): Command[][] {
  const out: Command[][] = [];
  const name = freshName(list);
  for (const ref of irqsNamed(list)) {
    for (let f = 0; f < list.length; f++) {
      const c = list[f] as Command;
      if (c.kind !== 'free_irq' || !sameIrq(irqOf(c), ref)) continue;
      if (!list.slice(f + 1).some((d) => sameIrq(irqOf(d), ref))) continue;
      // the first life as an irq of a source of its own, the free dropped
      const early: IrqRef = { source: `${ref.source}\u0000early`, vec: ref.vec };
      const parted = list.flatMap((d, x): Command[] => {
        if (x === f) return [];
        if (x > f || !sameIrq(irqOf(d), ref)) return [d];
        return [renamed(d, early.source, ref.vec)];
      });
      const rid = freshRid(list, [ref]);
      for (let n = 2; n <= SUBSTITUTE_MAX_VECTORS; n++) {
        for (let wa = 0; wa < n; wa++) {
          for (let wb = 0; wb < n; wb++) {
            if (wa === wb) continue;
            const alt = substitute(parted, [{ ref: early, w: wa }, { ref, w: wb }], name, rid, n);
            if (alt !== null) out.push(alt);
          }
        }
      }
    }
  }
  return out;
}
