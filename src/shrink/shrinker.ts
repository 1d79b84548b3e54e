// Shrinks a failing command list to a minimal one that still violates the same invariant.
// fast-check and random runs stop at local minima; this pass finishes the job the way
// syzkaller's repro minimiser does: drop chunks, drop every command of one device, drop
// pairs, simplify arguments, try a simpler command (or one of another kind standing in for
// it, CommandSpec.standIn) together with one deletion, move a
// device's or another CPU's action to another point of the interleaving together with one
// deletion, renumber a vector in every command naming it together with one deletion, give an
// irq another source (a plain PCI MSI-X function for an HPET channel, a VF, an MSI device)
// together with up to two deletions, gather two sources' irqs onto one function, put a handler
// freed and requested again on two vectors, and repeat until nothing smaller fails.
import type { Command } from '../commands/command';
import { specOf, VOCABULARY } from '../commands/vocabulary';
import { pfOfVfName } from '../commands/vocabulary/x86';
import { runCommands } from '../engine/runner';
import { merges, splits, substitutions } from './substitute';
import type { SimulationConfig } from '../sim/simulation';

export interface ShrinkResult {
  readonly commands: Command[];
  /** How many candidate lists were executed. */
  readonly attempts: number;
}

/** Extra condition a candidate must meet (e.g. "is not a known open issue"). */
export type SameBug = (commands: readonly Command[]) => boolean;

export function failsWith(config: SimulationConfig, commands: readonly Command[], invariant: string): boolean {
  const r = runCommands(config, commands);
  return r.invalidAt === null && r.violation?.invariant === invariant;
}

/** The command's own simplifications (its spec's simplify()), simplest first. */
function simplifications(cmd: Command): Command[] {
  return (specOf(cmd.kind).simplify as (c: Command) => Command[])(cmd);
}

/** Commands of other kinds that may do this one's job (their spec's standIn()). */
const STAND_INS = VOCABULARY.filter((sp) => sp.standIn !== undefined);

/**
 * Simpler stand-ins for a command: its own simplifications, then unbinding or removing its
 * device, then the commands of other kinds that may do its job (an interrupt arriving at once
 * for the raise, or the request_irq, that delivered it).
 */
function simpler(cmd: Command): Command[] {
  const out = simplifications(cmd);
  if ('dev' in cmd && !cmd.kind.endsWith('_add') && cmd.kind !== 'device_del') {
    out.push({ kind: 'device_del', dev: cmd.dev }, { kind: 'device_release_driver', dev: cmd.dev });
  }
  for (const sp of STAND_INS) {
    const alt = (sp.standIn as (o: Command) => Command | null)(cmd);
    if (alt !== null) out.push(alt);
  }
  return out;
}

/** The device (or bridge, or target) a command names, if any. */
function deviceOf(cmd: Command): string | null {
  return 'dev' in cmd ? cmd.dev : 'bridge' in cmd && cmd.kind === 'pci_bridge_add' ? cmd.bridge : 'target' in cmd ? cmd.target : null;
}

/** The devices the list names, in order of first appearance. */
function deviceNames(list: readonly Command[]): string[] {
  const out: string[] = [];
  for (const c of list) {
    const d = deviceOf(c);
    if (d !== null && !out.includes(d)) out.push(d);
  }
  return out;
}

export function shrink(config: SimulationConfig, start: readonly Command[], invariant: string, budget = 4000, sameBug?: SameBug): ShrinkResult {
  let attempts = 0;
  const failsAsIs = (cands: readonly Command[]): boolean => {
    attempts++;
    return cands.length > 0 && failsWith(config, cands, invariant) && (sameBug === undefined || sameBug(cands));
  };
  // A deletion can move an interrupt's target (XIVE picks CPUs round-robin): the CPU of the
  // last cpu_handle_irq is a free variable, so a candidate also fails when it fails with that
  // CPU re-chosen. `retargeted` holds the list that did.
  let retargeted: Command[] | null = null;
  const fails = (cands: readonly Command[]): boolean => {
    retargeted = null;
    if (failsAsIs(cands)) return true;
    let last = -1;
    for (let x = cands.length - 1; x >= 0; x--) if (TAKES_IRQ.has((cands[x] as Command).kind)) { last = x; break; }
    if (last < 0) return false;
    for (const alt of rechosen(cands, last)) {
      if (failsAsIs(alt)) {
        retargeted = alt;
        return true;
      }
    }
    return false;
  };
  /** The list a successful fails() stands for. */
  const taken = (cands: Command[]): Command[] => retargeted ?? cands;
  const without = (list: readonly Command[], ...drop: number[]): Command[] => list.filter((_c, x) => !drop.includes(x));
  /** The first list that still fails with two commands deleted (never those at `keep`), or null. */
  const deletePair = (list: readonly Command[], keep: readonly number[]): Command[] | null => {
    for (let j = 0; j < list.length && attempts < budget; j++) {
      for (let l = j + 1; l < list.length && attempts < budget; l++) {
        if (keep.includes(j) || keep.includes(l)) continue;
        const cand = without(list, j, l);
        if (fails(cand)) return taken(cand);
      }
    }
    return null;
  };
  let best = [...start];
  /** Takes the first of `cands` (only those shorter than best, if `shorter`) that still fails, within the budget. */
  const firstFailing = (cands: readonly Command[][], shorter: boolean): boolean => {
    for (const alt of cands) {
      if (attempts >= budget) return false;
      if ((!shorter || alt.length < best.length) && fails(alt)) {
        best = taken(alt);
        return true;
      }
    }
    return false;
  };
  let progress = true;
  while (progress && attempts < budget) {
    progress = false;
    // 1. Remove chunks, largest first (delta debugging), down to single commands.
    for (let size = Math.max(1, Math.floor(best.length / 2)); size >= 1 && attempts < budget; size = Math.floor(size / 2)) {
      for (let at = 0; at + size <= best.length && attempts < budget; ) {
        const cand = [...best.slice(0, at), ...best.slice(at + size)];
        if (fails(cand)) {
          best = taken(cand);
          progress = true;
        } else {
          at += size;
        }
      }
      if (size === 1) break;
    }
    if (progress) continue;
    // 1b. Remove a whole device: every command that names it (its add, allocations, handlers,
    // teardown), which are spread over the list where no chunk or pair covers them.
    for (const name of deviceNames(best)) {
      if (attempts >= budget) break;
      const cand = best.filter((c) => deviceOf(c) !== name);
      if (cand.length < best.length && fails(cand)) {
        best = taken(cand);
        progress = true;
      }
    }
    if (progress) continue;
    // 2. Remove pairs (a device add with its last use, a fault with its trigger...).
    if (best.length <= 24) {
      const cand = deletePair(best, []);
      if (cand !== null) {
        best = cand;
        progress = true;
      }
    }
    if (progress) continue;
    // 2a. A lower number for one device vector in every command naming it (same length, simpler
    //     text): a vector several commands name is out of reach of one command's
    //     simplifications. Before 2b, whose candidates grow with the highest vector named.
    progress = firstFailing(renumbered(best, true), false);
    if (progress) continue;
    // 2b. Renumber a vector together with one deletion: the deletion shifts which of a
    //     device's vectors lands on the CPU that matters (vectors are spread over CPUs in
    //     allocation order), and every command naming that vector must follow. Before the
    //     argument simplifications, which would otherwise pin the vector on the deleted
    //     command's account (a shorter list beats a simpler one).
    if (best.length <= 12) {
      renumber: for (const alt of renumbered(best)) {
        for (let j = 0; j < alt.length && attempts < budget; j++) {
          const cand = without(alt, j);
          if (fails(cand)) {
            best = taken(cand);
            progress = true;
            break renumber;
          }
        }
      }
    }
    if (progress) continue;
    // 3. Simplify arguments, one command at a time (same length, simpler text).
    for (let i = 0; i < best.length && attempts < budget; i++) {
      for (const s of simplifications(best[i] as Command)) {
        const cand = [...best.slice(0, i), s, ...best.slice(i + 1)];
        if (fails(cand)) {
          best = taken(cand);
          progress = true;
          break;
        }
      }
    }
    if (progress) continue;
    // 4. A simpler command (or unbinding its device) at i, together with one deletion elsewhere.
    if (best.length <= 16) {
      combos: for (let i = 0; i < best.length && attempts < budget; i++) {
        for (const s of simpler(best[i] as Command)) {
          for (let j = 0; j < best.length && attempts < budget; j++) {
            if (j === i) continue;
            const replaced = [...best.slice(0, i), s, ...best.slice(i + 1)];
            const cand = without(replaced, j);
            if (fails(cand)) {
              best = taken(cand);
              progress = true;
              break combos;
            }
          }
        }
      }
    }
    if (progress) continue;
    // 5. A simpler command together with a pair deletion (a device moved to another bus with a
    //    request/free pair that only served to steer an interrupt target).
    if (best.length <= 10) {
      triples: for (let i = 0; i < best.length && attempts < budget; i++) {
        for (const s of simplifications(best[i] as Command)) {
          const cand = deletePair([...best.slice(0, i), s, ...best.slice(i + 1)], [i]);
          if (cand !== null) {
            best = cand;
            progress = true;
            break triples;
          }
        }
      }
    }
    if (progress) continue;
    // 6. The same with the CPU (or device) of a concurrent command re-chosen: deleting a pair
    //    can move an interrupt's target, and the CPU that takes it must follow.
    if (best.length <= 10) {
      retarget: for (let k = 0; k < best.length && attempts < budget; k++) {
        if (specOf((best[k] as Command).kind).concurrent !== true) continue;
        for (const alt of rechosen(best, k)) {
          for (let i = 0; i < best.length && attempts < budget; i++) {
            if (i === k) continue;
            for (const s of simplifications(best[i] as Command)) {
              const cand = deletePair(alt.map((c, x) => (x === i ? s : c)), [i, k]);
              if (cand !== null) {
                best = cand;
                progress = true;
                break retarget;
              }
            }
          }
        }
      }
    }
    if (progress) continue;
    // 7. The interleaving: move what a device or another CPU did (a concurrent command) to
    //    another point of the driver's sequence, together with one deletion.
    if (best.length <= 12) {
      moves: for (let i = 0; i < best.length && attempts < budget; i++) {
        if (specOf((best[i] as Command).kind).concurrent !== true) continue;
        const rest = without(best, i);
        for (let at = 0; at <= rest.length && attempts < budget; at++) {
          if (at === i) continue;
          const moved = [...rest.slice(0, at), best[i] as Command, ...rest.slice(at)];
          for (let j = 0; j < moved.length && attempts < budget; j++) {
            if (j === at) continue;
            const cand = without(moved, j);
            if (fails(cand)) {
              best = taken(cand);
              progress = true;
              break moves;
            }
          }
        }
      }
    }
    if (progress) continue;
    // 8. Another source for one irq: a plain PCI function's MSI-X vector in place of an HPET
    //    channel, a DMAR unit, a VF behind its PF or an MSI device (src/shrink/substitute.ts),
    //    together with up to two deletions (the source's own setup, a detour that only served
    //    to bring the irq to a CPU the new function's vector starts on), never of the new
    //    function's add, allocation and the handlers it comes with. Only a shorter list counts.
    if (best.length <= 10) {
      subst: for (const alt of substitutions(best)) {
        // The new function's add, allocation and the handlers it comes with are not deleted
        const added = alt.findIndex((c, x) => c.kind === 'pci_device_add' && !best.includes(c) && alt[x + 1]?.kind === 'pci_alloc_irq_vectors');
        let placedEnd = added + 2;
        while (alt[placedEnd]?.kind === 'request_irq' && !best.includes(alt[placedEnd] as Command)) placedEnd++;
        for (const drop of deletions(alt.length, 2)) {
          if (attempts >= budget) break subst;
          if (alt.length - drop.length >= best.length || drop.some((x) => x >= added && x < placedEnd)) continue;
          const cand = without(alt, ...drop);
          if (fails(cand)) {
            best = taken(cand);
            progress = true;
            break subst;
          }
        }
      }
    }
    if (progress) continue;
    // 9. Two sources gathered into one: the irqs of two devices (or of a device and a platform
    //    irq) become two vectors of one new PCI function, whose single add and allocation
    //    replace the two sources' setup.
    if (best.length <= 12) progress = firstFailing(merges(best), true);
    if (progress) continue;
    // 10. A handler freed and requested again: its two lives on two vectors of one new
    //     function, the free_irq between them gone.
    if (best.length <= 12) progress = firstFailing(splits(best), true);
  }
  const renamed = canonicalNames(best);
  if (fails(renamed)) best = taken(renamed);
  return { commands: best, attempts };
}

/** Every vector number a list uses, per device the list adds (a platform irq's number is its channel or unit). */
function vectorsByDevice(list: readonly Command[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  const added = new Set(list.filter((c) => c.kind.endsWith('_add')).map(deviceOf));
  for (const c of list) {
    const d = deviceOf(c);
    if (d === null || !added.has(d) || !('vec' in c) || typeof c.vec !== 'number') continue;
    const vs = out.get(d) ?? [];
    if (!vs.includes(c.vec)) vs.push(c.vec);
    out.set(d, vs);
  }
  return out;
}

/**
 * The list with one device's vector `vec=v` renumbered to another `w` in every command that
 * names it (w from 0 up to the device's highest used vector + 1, or only below v when `lower`),
 * never onto a vector the list already uses for that device.
 */
export function renumbered(list: readonly Command[], lower = false): Command[][] {
  const out: Command[][] = [];
  for (const [dev, vs] of vectorsByDevice(list)) {
    const top = Math.max(...vs) + 1;
    for (const v of vs) {
      for (let w = 0; w <= (lower ? v - 1 : top); w++) {
        if (vs.includes(w)) continue;
        const moved = list.map((c) => (deviceOf(c) === dev && 'vec' in c && c.vec === v ? ({ ...c, vec: w } as Command) : c));
        out.push(moved);
      }
    }
  }
  return out;
}

/** Every set of at most `most` indices below `n` (as sorted lists), fewest first. */
export function deletions(n: number, most: number): number[][] {
  let level: number[][] = [[]];
  const out: number[][] = [[]];
  for (let k = 1; k <= most; k++) {
    const next: number[][] = [];
    for (const d of level) for (let x = (d.length === 0 ? -1 : (d[d.length - 1] as number)) + 1; x < n; x++) next.push([...d, x]);
    out.push(...next);
    level = next;
  }
  return out;
}

/** The commands whose CPU takes an interrupt: the CPU is a free variable of the shrinker. */
const TAKES_IRQ = new Set(['cpu_handle_irq', 'cpu_irq_enter']);

/**
 * The list with the CPU of the command at `k` re-chosen: every other CPU for cpu_handle_irq;
 * for cpu_irq_enter every other handler CPU (1-3), its cpu_irq_exit (the next one on the old
 * CPU) following it; where the new CPU is inside a handler already the list is invalid and not taken.
 */
function rechosen(list: readonly Command[], k: number): Command[][] {
  const cmd = list[k] as Command;
  if (cmd.kind === 'cpu_handle_irq') return [0, 1, 2, 3].filter((c) => c !== cmd.cpu).map((cpu) => list.map((c, x) => (x === k ? { ...cmd, cpu } : c)));
  if (cmd.kind !== 'cpu_irq_enter') return [];
  let exit = -1;
  for (let x = k + 1; x < list.length; x++) {
    const c = list[x] as Command;
    if (c.kind === 'cpu_irq_exit' && c.cpu === cmd.cpu) {
      exit = x;
      break;
    }
  }
  const out: Command[][] = [];
  for (const cpu of [1, 2, 3]) {
    if (cpu === cmd.cpu) continue;
    out.push(list.map((c, x) => (x === k ? { ...cmd, cpu } : x === exit ? { kind: 'cpu_irq_exit', cpu } : c)));
  }
  return out;
}

/**
 * Renames devices and bridges to dev0, dev1, ... / br0, ... in order of first appearance, in
 * every command naming them (an irq_set_affinity or generic_handle_irq target too; `hpet` and
 * `dmar` are not devices). A VF keeps its PF's name with its own suffix (pci_enable_sriov
 * names it `PFvfN`).
 */
export function canonicalNames(commands: readonly Command[]): Command[] {
  const map = new Map<string, string>();
  const pfs = new Set(commands.filter((c) => c.kind === 'pci_enable_sriov').map((c) => ('dev' in c ? c.dev : '')));
  let nDev = 0;
  let nBr = 0;
  const name = (n: string, isBridge: boolean): string => {
    let m = map.get(n);
    if (m === undefined) {
      const pf = pfOfVfName(n);
      if (!isBridge && pf !== null && pfs.has(pf)) m = `${name(pf, false)}${n.slice(pf.length)}`;
      else m = isBridge ? `br${nBr++}` : n.startsWith('pdev') ? `pdev${nDev++}` : `dev${nDev++}`;
      map.set(n, m);
    }
    return m;
  };
  const devices = new Set(commands.flatMap((c) => ('dev' in c ? [c.dev] : [])));
  return commands.map((c) => {
    const out: Record<string, unknown> = { ...c };
    if ('bridge' in c && c.bridge !== undefined) out['bridge'] = name(c.bridge, true);
    if ('dev' in c) out['dev'] = name(c.dev, false);
    if ('target' in c && devices.has(c.target)) out['target'] = name(c.target, false);
    return out as Command;
  });
}
