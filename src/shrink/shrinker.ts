// Shrinks a failing command list to a minimal one that still violates the same invariant.
// fast-check and random runs stop at local minima; this pass finishes the job the way
// syzkaller's repro minimiser does: drop chunks, drop single commands, simplify arguments,
// rename devices, and repeat until nothing smaller fails.
import type { Command } from '../commands/command';
import { specOf } from '../commands/vocabulary';
import { runCommands } from '../engine/runner';
import type { SimulationConfig } from '../sim/simulation';

export interface ShrinkResult {
  readonly commands: Command[];
  /** How many candidate lists were executed. */
  readonly attempts: number;
}

export function failsWith(config: SimulationConfig, commands: readonly Command[], invariant: string): boolean {
  const r = runCommands(config, commands);
  return r.invalidAt === null && r.violation?.invariant === invariant;
}

export function shrink(config: SimulationConfig, start: readonly Command[], invariant: string, budget = 4000): ShrinkResult {
  let attempts = 0;
  const fails = (cands: readonly Command[]): boolean => {
    attempts++;
    return failsWith(config, cands, invariant);
  };
  let best = [...start];
  let progress = true;
  while (progress && attempts < budget) {
    progress = false;
    // 1. Remove chunks, largest first (delta debugging), then single commands.
    for (let size = Math.max(1, Math.floor(best.length / 2)); size >= 1 && attempts < budget; size = Math.floor(size / 2)) {
      for (let at = 0; at + size <= best.length && attempts < budget; ) {
        const cand = [...best.slice(0, at), ...best.slice(at + size)];
        if (cand.length > 0 && fails(cand)) {
          best = cand;
          progress = true;
        } else {
          at += size;
        }
      }
      if (size === 1) break;
    }
    // 2. Simplify arguments, one command at a time.
    for (let i = 0; i < best.length && attempts < budget; i++) {
      const cmd = best[i] as Command;
      for (const simpler of (specOf(cmd.kind).simplify as (c: Command) => Command[])(cmd)) {
        const cand = [...best.slice(0, i), simpler, ...best.slice(i + 1)];
        if (fails(cand)) {
          best = cand;
          progress = true;
          break;
        }
      }
    }
  }
  const renamed = canonicalNames(best);
  if (fails(renamed)) best = renamed;
  return { commands: best, attempts };
}

/** Renames devices and bridges to dev0, dev1, ... / br0, ... in order of first appearance. */
export function canonicalNames(commands: readonly Command[]): Command[] {
  const map = new Map<string, string>();
  let nDev = 0;
  let nBr = 0;
  const name = (n: string, isBridge: boolean): string => {
    let m = map.get(n);
    if (m === undefined) {
      m = isBridge ? `br${nBr++}` : n.startsWith('pdev') ? `pdev${nDev++}` : `dev${nDev++}`;
      map.set(n, m);
    }
    return m;
  };
  return commands.map((c) => {
    const out: Record<string, unknown> = { ...c };
    if ('bridge' in c && c.bridge !== undefined) out['bridge'] = name(c.bridge, true);
    if ('dev' in c) out['dev'] = name(c.dev, false);
    return out as Command;
  });
}
