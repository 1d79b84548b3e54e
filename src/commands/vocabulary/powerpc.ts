// powerpc-only commands: the non-MSI users of the OPAL interrupt allocator on powernv, which
// share the per-chip IPI pool with nothing else a driver touches:
//   kvm_xive_create(kvm0)          KVM_CREATE_DEVICE(KVM_DEV_TYPE_XIVE): kvmppc_xive_native_create()
//   kvm_xive_set_source(kvm0, 5)   KVM_SET_DEVICE_ATTR(KVM_DEV_XIVE_GRP_SOURCE, 5): one host IPI per new source
//   kvm_xive_release(kvm0)         close() of the device fd: every source's IPI goes back
//   xive_native_alloc_irq(hw0)     an in-kernel user (OCXL, VAS) takes one IPI; hw0 names the u32 it got
//   xive_native_free_irq(hw0)      ... and gives it back
// Each spec checks ctx.platform; the driver-visible state (which KVM devices exist, which
// sources were set up, which hw irqs are held) lives in s.extra under 'powerpc'.
import { PowernvPlatform, kvmXiveCreate, kvmXiveRelease, kvmXiveSetSource, xiveNativeAllocIrqCmd, xiveNativeFreeIrqCmd } from '../../../models/platforms/powernv';
import type { KvmXiveNativeDevice } from '../../../models/platforms/powernv/kvm-xive-native';
import type { AbstractState } from '../../abstract/state';
import type { Simulation } from '../../sim/simulation';
import { checkArgs, int, positional } from '../args';
import { chance, pick } from '../rng';
import { ArgError, type Arg, type AnySpec, type CommandSpec, type VocabContext } from '../spec';
import { clip } from '../../text';

const POWERNV = 'powernv';
/** KVMPPC_XIVE_NR_IRQS is much larger; guests number their sources from 0 and stay small. */
const MAX_GUEST_SOURCE = 4095;
const MAX_KVM_DEVICES = 2;
const MAX_HELD_HW = 16;

/** What a driver / VMM knows about the powerpc-specific objects it created. */
export interface PpcAbstract {
  /** KVM XIVE devices by name, with the guest sources set up on each. */
  readonly kvm: Map<string, Set<number>>;
  /** hw irq handles held by in-kernel users (xive_native_alloc_irq succeeded). */
  readonly hw: Set<string>;
  nextKvm: number;
  nextHw: number;
  /**
   * Generation only: which IPI consumer this run exercises, fixed by the first one used. Both
   * draw from the same per-chip pool, so a run mixing them reaches exhaustion through a
   * combination the shrinker cannot take apart (a KVM source costs two commands, create and
   * set_source); one consumer per run keeps every finding reducible to its minimal form.
   * Parsed repros may mix them freely.
   */
  role: 'kvm' | 'native' | null;
}

export function ppcState(s: AbstractState): PpcAbstract {
  let p = s.extra.get('powerpc') as PpcAbstract | undefined;
  if (p === undefined) {
    p = { kvm: new Map(), hw: new Set(), nextKvm: 0, nextHw: 0, role: null };
    s.extra.set('powerpc', p);
  }
  return p;
}

/** The concrete side: the KVM device objects and the hw irq numbers behind the names. */
interface PpcConcrete {
  readonly kvm: Map<string, KvmXiveNativeDevice>;
  readonly hw: Map<string, number>;
}

const CONCRETE = new WeakMap<Simulation, PpcConcrete>();

function concrete(sim: Simulation): PpcConcrete {
  let c = CONCRETE.get(sim);
  if (c === undefined) {
    c = { kvm: new Map(), hw: new Map() };
    CONCRETE.set(sim, c);
  }
  return c;
}

function powernv(sim: Simulation): PowernvPlatform {
  if (!(sim.platform instanceof PowernvPlatform)) throw new Error(`${sim.config.platform.name}: not a powernv platform`);
  return sim.platform;
}

function handle(a: Arg, prefix: string): string {
  if (!new RegExp(`^${prefix}[0-9]+$`).test(a.value)) throw new ArgError(`expected a handle like ${prefix}0, got '${clip(a.value)}'`, a.col);
  return a.value;
}

function indexOf(name: string): number {
  return Number(/[0-9]+$/.exec(name)?.[0] ?? '0');
}

const onPowernv = (ctx: VocabContext): boolean => ctx.platform === POWERNV;

export const kvmXiveCreateCmd: CommandSpec<'kvm_xive_create'> = {
  kind: 'kvm_xive_create',
  summary: 'kvm_xive_create(kvm0): KVM_CREATE_DEVICE(KVM_DEV_TYPE_XIVE), a XIVE-native KVM device (powernv)',
  weight: 1,
  valid: (c, s, ctx) => onPowernv(ctx) && !ppcState(s).kvm.has(c.kvm) && ppcState(s).kvm.size < MAX_KVM_DEVICES,
  invalid(c, s, ctx) {
    if (!onPowernv(ctx)) return 'KVM XIVE devices exist on powernv only';
    if (ppcState(s).kvm.has(c.kvm)) return `${c.kvm} already exists`;
    return ppcState(s).kvm.size < MAX_KVM_DEVICES ? null : `already ${MAX_KVM_DEVICES} KVM XIVE devices, the cap of the model`;
  },
  generate(s, _rng, ctx) {
    const p = ppcState(s);
    if (!onPowernv(ctx) || p.kvm.size >= MAX_KVM_DEVICES || p.role === 'native') return null;
    return { kind: 'kvm_xive_create', kvm: `kvm${p.nextKvm}` };
  },
  expect: () => ({ kind: 'none' }),
  run(c, sim) {
    concrete(sim).kvm.set(c.kvm, kvmXiveCreate(powernv(sim)));
    return { ret: 0 };
  },
  update(c, _o, s) {
    const p = ppcState(s);
    p.kvm.set(c.kvm, new Set());
    p.role ??= 'kvm';
    p.nextKvm = Math.max(p.nextKvm, indexOf(c.kvm) + 1);
  },
  format: (c) => [c.kvm],
  parse(args) {
    checkArgs(args, 1, []);
    const a = args.find((x) => x.name === null);
    // kvm_xive_create() alone names the device kvm0
    return { kind: 'kvm_xive_create', kvm: a === undefined ? 'kvm0' : handle(a, 'kvm') };
  },
  simplify: () => [],
};

export const kvmXiveSetSourceCmd: CommandSpec<'kvm_xive_set_source'> = {
  kind: 'kvm_xive_set_source',
  summary: 'kvm_xive_set_source(kvm0, irq): KVM_DEV_XIVE_GRP_SOURCE; a new guest source takes one OPAL IPI (xive_native_alloc_irq)',
  weight: 2,
  valid: (c, s, ctx) => onPowernv(ctx) && ppcState(s).kvm.has(c.kvm) && c.irq >= 0 && c.irq <= MAX_GUEST_SOURCE,
  invalid(c, s, ctx) {
    if (!onPowernv(ctx)) return 'KVM XIVE devices exist on powernv only';
    if (!ppcState(s).kvm.has(c.kvm)) return `no KVM XIVE device ${c.kvm}`;
    return c.irq >= 0 && c.irq <= MAX_GUEST_SOURCE ? null : `irq=${c.irq}: guest sources are 0 to ${MAX_GUEST_SOURCE}`;
  },
  generate(s, rng, ctx) {
    const p = ppcState(s);
    if (!onPowernv(ctx) || p.kvm.size === 0) return null;
    const kvm = pick(rng, [...p.kvm.keys()]);
    const set = p.kvm.get(kvm) as Set<number>;
    let irq = 0;
    while (set.has(irq)) irq++;
    // Mostly a new source (what exhausts the IPIs); sometimes one set up already, or the edges.
    if (set.size > 0 && chance(rng, 20)) irq = pick(rng, [...set]);
    else if (chance(rng, 10)) irq = pick(rng, [MAX_GUEST_SOURCE, 31, irq]);
    return { kind: 'kvm_xive_set_source', kvm, irq };
  },
  expect: () => ({ kind: 'none' }),
  run(c, sim) {
    const x = concrete(sim).kvm.get(c.kvm);
    if (x === undefined) throw new Error(`no KVM device ${c.kvm}`);
    return { ret: kvmXiveSetSource(powernv(sim), x, c.irq) };
  },
  update(c, o, s) {
    if (o.ret === 0) ppcState(s).kvm.get(c.kvm)?.add(c.irq);
  },
  format: (c) => [c.kvm, String(c.irq)],
  parse(args) {
    checkArgs(args, 2, []);
    return { kind: 'kvm_xive_set_source', kvm: handle(positional(args, 0, 'KVM device', 1), 'kvm'), irq: int(positional(args, 1, 'irq', 1), 'irq') };
  },
  simplify: (c) => (c.irq > 0 ? [{ ...c, irq: 0 }] : []),
};

export const kvmXiveReleaseCmd: CommandSpec<'kvm_xive_release'> = {
  kind: 'kvm_xive_release',
  summary: 'kvm_xive_release(kvm0): close the KVM XIVE device; its sources give their IPIs back',
  weight: 1,
  valid: (c, s, ctx) => onPowernv(ctx) && ppcState(s).kvm.has(c.kvm),
  invalid: (c, s, ctx) => (!onPowernv(ctx) ? 'KVM XIVE devices exist on powernv only' : ppcState(s).kvm.has(c.kvm) ? null : `no KVM XIVE device ${c.kvm}`),
  generate(s, rng, ctx) {
    const p = ppcState(s);
    if (!onPowernv(ctx) || p.kvm.size === 0) return null;
    return { kind: 'kvm_xive_release', kvm: pick(rng, [...p.kvm.keys()]) };
  },
  expect: () => ({ kind: 'none' }),
  run(c, sim) {
    const cs = concrete(sim);
    const x = cs.kvm.get(c.kvm);
    if (x === undefined) throw new Error(`no KVM device ${c.kvm}`);
    kvmXiveRelease(powernv(sim), x);
    cs.kvm.delete(c.kvm);
    return { ret: null };
  },
  update(c, _o, s) {
    ppcState(s).kvm.delete(c.kvm);
  },
  format: (c) => [c.kvm],
  parse(args) {
    checkArgs(args, 1, []);
    return { kind: 'kvm_xive_release', kvm: handle(positional(args, 0, 'KVM device', 1), 'kvm') };
  },
  simplify: () => [],
};

export const xiveNativeAllocIrqCmdSpec: CommandSpec<'xive_native_alloc_irq'> = {
  kind: 'xive_native_alloc_irq',
  summary: 'xive_native_alloc_irq(hw0): an in-kernel user (OCXL, VAS) takes one OPAL IPI; returns the hw irq, 0 on failure',
  weight: 2,
  valid: (c, s, ctx) => onPowernv(ctx) && !ppcState(s).hw.has(c.hw) && ppcState(s).hw.size < MAX_HELD_HW,
  invalid(c, s, ctx) {
    if (!onPowernv(ctx)) return 'OPAL XIVE interrupts exist on powernv only';
    if (ppcState(s).hw.has(c.hw)) return `${c.hw} is already allocated`;
    return ppcState(s).hw.size < MAX_HELD_HW ? null : `already ${MAX_HELD_HW} held hardware interrupts, the cap of the model`;
  },
  generate(s, _rng, ctx) {
    const p = ppcState(s);
    if (!onPowernv(ctx) || p.hw.size >= MAX_HELD_HW || p.role === 'kvm') return null;
    return { kind: 'xive_native_alloc_irq', hw: `hw${p.nextHw}` };
  },
  expect: () => ({ kind: 'none' }),
  run(c, sim) {
    const hw = xiveNativeAllocIrqCmd(powernv(sim), c.hw);
    if (hw !== 0) concrete(sim).hw.set(c.hw, hw);
    return { ret: hw };
  },
  update(c, o, s) {
    const p = ppcState(s);
    // The caller sees a u32: 0 means failure, anything else is an irq it now owns.
    if (o.ret !== null && o.ret !== 0) p.hw.add(c.hw);
    p.nextHw = Math.max(p.nextHw, indexOf(c.hw) + 1);
    p.role ??= 'native';
  },
  format: (c) => [c.hw],
  parse(args) {
    checkArgs(args, 1, []);
    const a = args.find((x) => x.name === null);
    return { kind: 'xive_native_alloc_irq', hw: a === undefined ? 'hw0' : handle(a, 'hw') };
  },
  simplify: () => [],
};

export const xiveNativeFreeIrqCmdSpec: CommandSpec<'xive_native_free_irq'> = {
  kind: 'xive_native_free_irq',
  summary: 'xive_native_free_irq(hw0): the in-kernel user gives its IPI back',
  weight: 1,
  valid: (c, s, ctx) => onPowernv(ctx) && ppcState(s).hw.has(c.hw),
  invalid: (c, s, ctx) => (!onPowernv(ctx) ? 'OPAL XIVE interrupts exist on powernv only' : ppcState(s).hw.has(c.hw) ? null : `${c.hw} is not allocated`),
  generate(s, rng, ctx) {
    const p = ppcState(s);
    if (!onPowernv(ctx) || p.hw.size === 0) return null;
    return { kind: 'xive_native_free_irq', hw: pick(rng, [...p.hw]) };
  },
  expect: () => ({ kind: 'none' }),
  run(c, sim) {
    const cs = concrete(sim);
    const hw = cs.hw.get(c.hw);
    if (hw === undefined) throw new Error(`no hw irq ${c.hw}`);
    xiveNativeFreeIrqCmd(powernv(sim), hw);
    cs.hw.delete(c.hw);
    return { ret: null };
  },
  update(c, _o, s) {
    ppcState(s).hw.delete(c.hw);
  },
  format: (c) => [c.hw],
  parse(args) {
    checkArgs(args, 1, []);
    return { kind: 'xive_native_free_irq', hw: handle(positional(args, 0, 'hw irq', 1), 'hw') };
  },
  simplify: () => [],
};

export const POWERPC_COMMANDS: readonly AnySpec[] = [kvmXiveCreateCmd, kvmXiveSetSourceCmd, kvmXiveReleaseCmd, xiveNativeAllocIrqCmdSpec, xiveNativeFreeIrqCmdSpec];

