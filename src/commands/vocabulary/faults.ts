// Fault commands: they arm the kernel's fault injection for the next command that is not itself
// a fault command (models/kernel/faults.ts), and are disarmed when that command ends.
//   fail_next(site[, nth=K])   the K-th call (0 = the first) of the site within the next command fails
//   exhaust(pool[, cpu=N])     the pool (CPU N's share of a per-CPU pool) has nothing free during it
import type { AbstractState } from '../../abstract/state';
import { checkArgs, int, named, positional } from '../args';
import type { Command, CommandKind, CommandOf } from '../command';
import { ArgError, type CommandSpec, type VocabContext } from '../spec';
import { chance, pick, type Rng } from '../rng';
import { NR_CPUS } from '../../abstract/state';
import { clip } from '../../text';

/** The highest call index fail_next accepts. */
export const MAX_NTH = 64;

/** Fault commands arm the next command; every other kind is one a fault can be aimed at. */
export function isFaultCommand(kind: CommandKind): boolean {
  return kind === 'fail_next' || kind === 'exhaust';
}

/**
 * The call index a fault aims at when a command of `kind` (null: any kind) has made at most `n`
 * calls of the site: the first call most often, the second, and the last one (the n-1-th:
 * the tail of a multi-irq loop, where unwinds that handle the first iteration get the rest
 * wrong). Unknown n (never called yet): 0 or 1.
 */
export function pickNth(rng: Rng, n: number): number {
  const last = Math.max(0, Math.min(MAX_NTH, n - 1));
  return pick(rng, [0, 0, 1, last]);
}

/** The sites a command of `kind` called before (by the machine's count), else every site. */
function sitesFor(s: AbstractState, ctx: VocabContext, kind: CommandKind | null): string[] {
  const free = ctx.faultSites.filter((x) => !s.armed.has(x));
  if (kind === null || s.machine?.faultCalls === undefined) return free;
  const seen = free.filter((x) => (s.machine?.faultCalls?.(kind, x) ?? 0) > 0);
  return seen.length > 0 ? seen : free;
}

/**
 * Of the sites `kind` calls, those no other kind was seen to call: its own (a driver entry
 * point's allocations, a hypercall only it makes). Among the dozen shared sites of the core's
 * allocation path underneath, they would be drawn too seldom to be reached.
 */
function ownSites(s: AbstractState, sites: readonly string[], kind: CommandKind | null): string[] {
  const callers = s.machine?.faultCallers;
  if (kind === null || callers === undefined) return [];
  return sites.filter((x) => (s.machine?.faultCalls?.(kind, x) ?? 0) > 0 && callers(x) === 1);
}

function genFailNext(s: AbstractState, rng: Rng, ctx: VocabContext, kind: CommandKind | null): CommandOf<'fail_next'> | null {
  const sites = sitesFor(s, ctx, kind);
  if (sites.length === 0) return null;
  // Half the time at a site only this kind of command reaches, where it has one
  const own = ownSites(s, sites, kind);
  const site = own.length > 0 && own.length < sites.length && chance(rng, 50) ? pick(rng, own) : pick(rng, sites);
  return { kind: 'fail_next', site, nth: pickNth(rng, s.machine?.faultCalls?.(kind, site) ?? 0) };
}

/** How an exhaustion shows in AbstractState.armed: the pool, or the pool and the CPU drained. */
export function exhaustKey(pool: string, cpu: number | null): string {
  return cpu === null ? pool : `${pool}@cpu${cpu}`;
}

function genExhaust(s: AbstractState, rng: Rng, ctx: VocabContext): CommandOf<'exhaust'> | null {
  const pools = ctx.pools ?? [];
  if (pools.length === 0) return null;
  const p = pick(rng, pools);
  if (!p.perCpu) return s.armed.has(p.name) ? null : { kind: 'exhaust', pool: p.name, cpu: null };
  // A CPU whose share is not drained yet (several may be, one exhaust() each)
  const online = [...s.online].sort((a, b) => a - b).filter((c) => !s.armed.has(exhaustKey(p.name, c)));
  return online.length === 0 ? null : { kind: 'exhaust', pool: p.name, cpu: pick(rng, online) };
}

/**
 * A fault to run just before `next`, a command generation has just drawn: an exhaustion of a
 * pool (a third of the time, where any), else a failure of a site commands of that kind were
 * seen to call, at its first, second or last call. Null when nothing can be armed.
 */
export function aimFault(next: Command, s: AbstractState, rng: Rng, ctx: VocabContext): Command | null {
  if (isFaultCommand(next.kind)) return null;
  if ((ctx.pools ?? []).length > 0 && chance(rng, 33)) {
    const e = genExhaust(s, rng, ctx);
    if (e !== null) return e;
  }
  return genFailNext(s, rng, ctx, next.kind);
}

export const failNextCmd: CommandSpec<'fail_next'> = {
  kind: 'fail_next',
  summary: 'fail_next(site, nth=K): the K-th call (0 = the first) of an allocation, lookup or firmware site within the next command fails',
  weight: 1,
  valid: (c, s, ctx) => ctx.faultSites.includes(c.site) && !s.armed.has(c.site) && c.nth >= 0 && c.nth <= MAX_NTH,
  invalid(c, s, ctx) {
    if (!ctx.faultSites.includes(c.site)) return `no fault site ${c.site} on this platform with these fault classes (msi-fuzz list)`;
    if (s.armed.has(c.site)) return `fault site ${c.site} is already armed`;
    if (c.nth < 0 || c.nth > MAX_NTH) return `nth=${c.nth}: 0 to ${MAX_NTH}`;
    return null;
  },
  generate: (s, rng, ctx) => genFailNext(s, rng, ctx, null),
  expect: () => ({ kind: 'none' }),
  run(c, sim) {
    sim.kernel.faults.arm(c.site, c.nth);
    return { ret: null };
  },
  update(c, _o, s) {
    s.armed.add(c.site);
  },
  format: (c) => (c.nth === 0 ? [c.site] : [c.site, `nth=${c.nth}`]),
  parse(args) {
    checkArgs(args, 1, ['nth']);
    const site = positional(args, 0, 'fault site', 1);
    if (!/^[a-z_][a-z0-9_.,-]*$/i.test(site.value)) throw new ArgError(`expected a fault site name, got '${clip(site.value)}'`, site.col);
    const nth = named(args, 'nth');
    return { kind: 'fail_next', site: site.value, nth: nth === undefined ? 0 : int(nth, 'nth') };
  },
  // Towards the first call: 0, then half way, then one less
  simplify: (c) => [...new Set([0, c.nth >> 1, c.nth - 1])].filter((n) => n >= 0 && n < c.nth).map((nth) => ({ ...c, nth })),
};

export const exhaustCmd: CommandSpec<'exhaust'> = {
  kind: 'exhaust',
  summary: 'exhaust(pool, cpu=N): the pool (CPU N\'s share of a per-CPU pool) has nothing free during the next command',
  weight: 1,
  offered: (ctx) => (ctx.pools ?? []).length > 0,
  valid(c, s, ctx) {
    const p = (ctx.pools ?? []).find((x) => x.name === c.pool);
    if (p === undefined || s.armed.has(exhaustKey(c.pool, c.cpu))) return false;
    return p.perCpu ? c.cpu !== null && c.cpu >= 0 && c.cpu < NR_CPUS : c.cpu === null;
  },
  invalid(c, s, ctx) {
    const p = (ctx.pools ?? []).find((x) => x.name === c.pool);
    if (p === undefined) return `no pool ${c.pool} on this platform (msi-fuzz list)`;
    if (s.armed.has(exhaustKey(c.pool, c.cpu))) return `pool ${exhaustKey(c.pool, c.cpu)} is already exhausted for the next command`;
    if (p.perCpu && c.cpu === null) return `pool ${c.pool} is per CPU: name the CPU (cpu=N)`;
    if (!p.perCpu && c.cpu !== null) return `pool ${c.pool} is not per CPU: no cpu= argument`;
    if (c.cpu !== null && (c.cpu < 0 || c.cpu >= NR_CPUS)) return `cpu=${c.cpu}: 0 to ${NR_CPUS - 1}`;
    return null;
  },
  generate: (s, rng, ctx) => genExhaust(s, rng, ctx),
  expect: () => ({ kind: 'none' }),
  run(c, sim) {
    sim.kernel.faults.exhaust(c.pool, c.cpu);
    return { ret: null };
  },
  update(c, _o, s) {
    s.armed.add(exhaustKey(c.pool, c.cpu));
  },
  format: (c) => (c.cpu === null ? [c.pool] : [c.pool, `cpu=${c.cpu}`]),
  parse(args) {
    checkArgs(args, 1, ['cpu']);
    const pool = positional(args, 0, 'pool', 1);
    if (!/^[a-z_][a-z0-9_.-]*$/i.test(pool.value)) throw new ArgError(`expected a pool name, got '${clip(pool.value)}'`, pool.col);
    const cpu = named(args, 'cpu');
    return { kind: 'exhaust', pool: pool.value, cpu: cpu === undefined ? null : int(cpu, 'cpu') };
  },
  simplify: () => [],
};
