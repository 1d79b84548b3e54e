// x86-only commands: SR-IOV (pci_enable_sriov / pci_disable_sriov), the platform's own MSI
// users (dmar_set_interrupt / dmar_free_interrupt for the VT-d fault events, hpet_assign_irq /
// hpet_free_irq for HPET channels), the IOAPIC's wired lines (acpi_register_gsi /
// acpi_unregister_gsi), an interrupt arriving (generic_handle_irq) and the vector cleanup
// timer (vector_cleanup_callback). Affinity writes and CPU hotplug are generic (affinity.ts);
// they reach the DMAR, HPET and GSI irqs through x86PlatformIrqTargets(). Each spec checks
// ctx.platform; the driver-visible x86 state (enabled VFs, requested DMAR/HPET/GSI irqs) lives
// in s.extra under 'x86'.
import { PciDev } from '../../../models/kernel/device';
import { EINVAL } from '../../../models/kernel/errno';
import { pciIrqVector } from '../../../models/kernel/pci-msi';
import { X86_PLATFORM_CONFIGS } from '../../../models/platforms/x86';
import type { X86Config } from '../../../models/platforms/x86/instance';
import { X86Platform } from '../../../models/platforms/x86/instance';
import { DEFAULT_SRIOV, pciIovVirtfnRid } from '../../../models/platforms/x86/sriov';
import { hasHandlers, liveRids, type AbstractDevice, type AbstractState } from '../../abstract/state';
import type { Simulation } from '../../sim/simulation';
import { checkArgs, deviceName, endCol, int, positional, requiredInt } from '../args';
import { chance, pick } from '../rng';
import type { AnySpec, Arg, CommandSpec, VocabContext } from '../spec';
import { driverCaps, MAX_LIVE_DEVICES } from './devices';
import { plainFunctionAllowed, recordPlainFunction } from './pci-topology';
import { noDevice } from './common';

/** Firmware facts a driver or admin can read (ACPI DMAR/IVRS, HPET table, possible CPUs). */
const CONFIGS: ReadonlyMap<string, X86Config> = X86_PLATFORM_CONFIGS;
/** VFs count on top of the generic device cap. */
const MAX_LIVE_WITH_VFS = MAX_LIVE_DEVICES + 4;

interface X86Abstract {
  readonly dmarUnits: number;
  readonly hpetChannels: number;
  readonly dmarIrq: Set<number>;
  readonly hpetIrq: Set<number>;
  /** The IOAPIC's GSIs (0 without one) and the ones a driver registered and requested. */
  readonly gsis: number;
  readonly gsiIrq: Set<number>;
  /** PF name -> its VF names, while SR-IOV is enabled. */
  readonly vfs: Map<string, string[]>;
}

function isX86(ctx: VocabContext): boolean {
  return CONFIGS.has(ctx.platform);
}

/** A Hyper-V guest sees the VFs the host offers, never a PF that could enable SR-IOV. */
function hasSriov(ctx: VocabContext): boolean {
  return isX86(ctx) && CONFIGS.get(ctx.platform)?.hyperv === undefined;
}

/** The x86 part of the abstract state, created on first use from the platform's firmware facts. */
function x86State(s: AbstractState, platform: string): X86Abstract {
  let x = s.extra.get('x86') as X86Abstract | undefined;
  if (x === undefined) {
    const cfg = CONFIGS.get(platform);
    x = {
      dmarUnits: cfg?.dmar.length ?? 0,
      hpetChannels: cfg?.hpetChannels ?? 0,
      dmarIrq: new Set(),
      hpetIrq: new Set(),
      gsis: cfg?.ioapic === undefined ? 0 : cfg.ioapic.gsiBase + cfg.ioapic.nrPins,
      gsiIrq: new Set(),
      vfs: new Map(),
    };
    s.extra.set('x86', x);
  }
  return x;
}

function x86Of(sim: Simulation): X86Platform {
  if (!(sim.platform instanceof X86Platform)) throw new Error(`${sim.config.platform.name} is not an x86 platform`);
  return sim.platform;
}

function stateOf(s: AbstractState, sim: Simulation): X86Abstract {
  return x86State(s, sim.config.platform.name);
}

function isVf(x: X86Abstract, name: string): boolean {
  for (const vfs of x.vfs.values()) if (vfs.includes(name)) return true;
  return false;
}

function vfsHoldHandlers(s: AbstractState, x: X86Abstract, pf: string): boolean {
  return (x.vfs.get(pf) ?? []).some((vf) => hasHandlers(s, vf));
}

function sriovEnabled(s: AbstractState, x: X86Abstract, pf: string): boolean {
  return x.vfs.has(pf) && s.devices.has(pf);
}

/** A PF that can enable SR-IOV: a plain PCIe function (no conventional-PCI bridge, no quirk alias), not a VF. */
function pfCandidate(s: AbstractState, x: X86Abstract, d: AbstractDevice): boolean {
  return d.bus === 'pci' && d.bridge === undefined && d.alias === undefined && !isVf(x, d.name) && !sriovEnabled(s, x, d.name);
}

function vfRids(pf: AbstractDevice, n: number): number[] {
  return Array.from({ length: n }, (_, i) => pciIovVirtfnRid({ rid: pf.rid } as PciDev, DEFAULT_SRIOV, i));
}

function vfRidsFree(s: AbstractState, pf: AbstractDevice, n: number): boolean {
  const used = liveRids(s);
  return vfRids(pf, n).every((r) => (r >> 8) === (pf.rid >> 8) && !used.has(r) && plainFunctionAllowed(s, r));
}

// --- SR-IOV ---

/** The harness name of VF `i` of PF `pf`: pci_enable_sriov names its VFs `PFvfN`. */
export function vfName(pf: string, i: number): string {
  return `${pf}vf${i}`;
}

/** The PF a VF name (vfName) belongs to, or null for a name that is not a VF's. */
export function pfOfVfName(name: string): string | null {
  const m = /^(.*)vf\d+$/.exec(name);
  return m === null ? null : (m[1] as string);
}

export const pciEnableSriovCmd: CommandSpec<'pci_enable_sriov'> = {
  kind: 'pci_enable_sriov',
  summary: 'pci_enable_sriov(pf, nr_virtfn): the PF adds VFs (RID = PF + offset + i * stride), each a PCI function with its own MSI-X',
  weight: 2,
  valid(c, s, ctx) {
    if (!hasSriov(ctx)) return false;
    const x = x86State(s, ctx.platform);
    const pf = s.devices.get(c.dev);
    if (pf === undefined || !pfCandidate(s, x, pf)) return false;
    if (c.numVfs < 1 || c.numVfs > DEFAULT_SRIOV.totalVfs || s.devices.size + c.numVfs > MAX_LIVE_WITH_VFS) return false;
    return vfRidsFree(s, pf, c.numVfs);
  },
  invalid(c, s, ctx) {
    if (!isX86(ctx)) return 'an x86 command, and this platform is not x86';
    const x = x86State(s, ctx.platform);
    const pf = s.devices.get(c.dev);
    if (pf === undefined) return noDevice(c.dev);
    if (!pfCandidate(s, x, pf)) return `${c.dev} cannot enable SR-IOV (a plain PCIe function without bridge or alias, not a VF, SR-IOV not enabled yet)`;
    if (c.numVfs < 1 || c.numVfs > DEFAULT_SRIOV.totalVfs) return `nr_virtfn=${c.numVfs}: 1 to ${DEFAULT_SRIOV.totalVfs} VFs`;
    if (s.devices.size + c.numVfs > MAX_LIVE_WITH_VFS) return `${c.numVfs} more devices would pass the cap of ${MAX_LIVE_WITH_VFS} live devices with VFs (device cap)`;
    return vfRidsFree(s, pf, c.numVfs) ? null : `the requester IDs of ${c.numVfs} VF(s) of ${c.dev} are not all free on its bus`;
  },
  generate(s, rng, ctx) {
    if (!hasSriov(ctx)) return null;
    const x = x86State(s, ctx.platform);
    const pfs = [...s.devices.values()].filter((d) => pfCandidate(s, x, d));
    if (pfs.length === 0) return null;
    const pf = pick(rng, pfs);
    const numVfs = pick(rng, [1, 1, 2, 3, DEFAULT_SRIOV.totalVfs]);
    const c = { kind: 'pci_enable_sriov' as const, dev: pf.name, numVfs };
    if (pciEnableSriovCmd.valid(c, s, ctx)) return c;
    return { ...c, numVfs: 1 };
  },
  // An injected VF allocation failure firing in it excuses an error (driver-outcome reads the
  // step's fired faults), an armed one that does not fire does not
  expect: () => ({ kind: 'exact', ret: 0, why: 'a PF with free VF requester IDs' }),
  run(c, sim) {
    const pf = sim.device(c.dev);
    if (!(pf instanceof PciDev)) return { ret: -EINVAL };
    const { ret, vfs } = x86Of(sim).sriovEnable(pf, c.numVfs);
    vfs.forEach((vf, i) => {
      sim.devices.set(vfName(c.dev, i), vf);
    });
    return { ret };
  },
  update(c, o, s, sim) {
    if (o.ret !== 0) return;
    const x = stateOf(s, sim);
    const pf = s.devices.get(c.dev);
    if (pf === undefined) return;
    const names: string[] = [];
    vfRids(pf, c.numVfs).forEach((rid, i) => {
      const name = vfName(c.dev, i);
      names.push(name);
      // a VF in another segment (below a VMD) has its PF's MSI parent
      const vf = pf.segment !== undefined ? sim.devices.get(name) : undefined;
      const seg = vf instanceof PciDev ? { segment: pf.segment, caps: driverCaps(vf) } : {};
      s.devices.set(name, { name, bus: 'pci', rid, msiCap: 0, msixSize: DEFAULT_SRIOV.vfMsixSize, ...seg, devid: 0, mode: 'none', nvec: 0, dynamic: new Set() });
      recordPlainFunction(s, rid);
    });
    x.vfs.set(c.dev, names);
  },
  format: (c) => [c.dev, String(c.numVfs)],
  parse(args) {
    checkArgs(args, 2, []);
    return { kind: 'pci_enable_sriov', dev: deviceName(positional(args, 0, 'PF', endCol(args))), numVfs: int(positional(args, 1, 'nr_virtfn', endCol(args)), 'nr_virtfn') };
  },
  simplify: (c) => Array.from({ length: c.numVfs - 1 }, (_, i) => ({ ...c, numVfs: i + 1 })),
};

export const pciDisableSriovCmd: CommandSpec<'pci_disable_sriov'> = {
  kind: 'pci_disable_sriov',
  summary: 'pci_disable_sriov(pf): every VF is unbound (devres frees its vectors) and removed, last first',
  weight: 1,
  // the VF drivers free their irqs before they are unbound
  valid: (c, s, ctx) => isX86(ctx) && sriovEnabled(s, x86State(s, ctx.platform), c.dev) && !vfsHoldHandlers(s, x86State(s, ctx.platform), c.dev),
  invalid(c, s, ctx) {
    if (!isX86(ctx)) return 'an x86 command, and this platform is not x86';
    const x = x86State(s, ctx.platform);
    if (!sriovEnabled(s, x, c.dev)) return `SR-IOV is not enabled on ${c.dev}`;
    return vfsHoldHandlers(s, x, c.dev) ? `a VF of ${c.dev} still has handlers: free_irq() first` : null;
  },
  generate(s, rng, ctx) {
    if (!isX86(ctx)) return null;
    const x = x86State(s, ctx.platform);
    const pfs = [...x.vfs.keys()].filter((n) => sriovEnabled(s, x, n) && !vfsHoldHandlers(s, x, n));
    return pfs.length === 0 ? null : { kind: 'pci_disable_sriov', dev: pick(rng, pfs) };
  },
  expect: () => ({ kind: 'exact', ret: 0, why: 'SR-IOV is enabled on the PF' }),
  run(c, sim) {
    const pf = sim.device(c.dev);
    if (!(pf instanceof PciDev)) return { ret: -EINVAL };
    const ret = x86Of(sim).sriovDisable(pf);
    for (const [name, d] of [...sim.devices]) if (d.removed) sim.devices.delete(name);
    return { ret };
  },
  update(c, o, s, sim) {
    if (o.ret !== 0) return;
    const x = stateOf(s, sim);
    for (const vf of x.vfs.get(c.dev) ?? []) s.devices.delete(vf);
    x.vfs.delete(c.dev);
  },
  format: (c) => [c.dev],
  parse(args) {
    checkArgs(args, 1, []);
    return { kind: 'pci_disable_sriov', dev: deviceName(positional(args, 0, 'PF', endCol(args))) };
  },
  simplify: () => [],
};

// --- DMAR and HPET MSI ---

export const dmarSetInterruptCmd: CommandSpec<'dmar_set_interrupt'> = {
  kind: 'dmar_set_interrupt',
  summary: 'dmar_set_interrupt(unit=N): the VT-d unit\'s fault-event irq from the DMAR-MSI domain (dmar_alloc_hwirq), requested',
  weight: 1,
  valid(c, s, ctx) {
    if (!isX86(ctx)) return false;
    const x = x86State(s, ctx.platform);
    return c.unit >= 0 && c.unit < x.dmarUnits && !x.dmarIrq.has(c.unit);
  },
  invalid(c, s, ctx) {
    if (!isX86(ctx)) return 'an x86 command, and this platform is not x86';
    const x = x86State(s, ctx.platform);
    if (c.unit < 0 || c.unit >= x.dmarUnits) return `unit=${c.unit}: this platform has ${x.dmarUnits} DMAR unit(s)`;
    return x.dmarIrq.has(c.unit) ? `DMAR unit ${c.unit} already has its fault-event irq` : null;
  },
  generate(s, rng, ctx) {
    if (!isX86(ctx)) return null;
    const x = x86State(s, ctx.platform);
    const free = Array.from({ length: x.dmarUnits }, (_, i) => i).filter((u) => !x.dmarIrq.has(u));
    return free.length === 0 ? null : { kind: 'dmar_set_interrupt', unit: pick(rng, free) };
  },
  expect: () => ({ kind: 'none' }),
  run: (c, sim) => ({ ret: x86Of(sim).dmarSetInterrupt(c.unit) }),
  update(c, _o, s, sim) {
    // A failed request still leaves iommu->irq set when the allocation itself worked
    if ((x86Of(sim).iommus[c.unit]?.irq ?? 0) !== 0) stateOf(s, sim).dmarIrq.add(c.unit);
  },
  format: (c) => [`unit=${c.unit}`],
  parse(args) {
    checkArgs(args, 0, ['unit']);
    return { kind: 'dmar_set_interrupt', unit: requiredInt(args, 'unit') };
  },
  simplify: (c) => (c.unit > 0 ? [{ ...c, unit: 0 }] : []),
};

export const dmarFreeInterruptCmd: CommandSpec<'dmar_free_interrupt'> = {
  kind: 'dmar_free_interrupt',
  summary: 'dmar_free_interrupt(unit=N): free_irq() and dmar_free_hwirq() of the unit\'s fault-event irq (free_dmar_iommu)',
  weight: 1,
  valid: (c, s, ctx) => isX86(ctx) && x86State(s, ctx.platform).dmarIrq.has(c.unit),
  invalid: (c, s, ctx) => (!isX86(ctx) ? 'an x86 command, and this platform is not x86' : x86State(s, ctx.platform).dmarIrq.has(c.unit) ? null : `DMAR unit ${c.unit} has no fault-event irq`),
  generate(s, rng, ctx) {
    if (!isX86(ctx)) return null;
    const set = [...x86State(s, ctx.platform).dmarIrq];
    return set.length === 0 ? null : { kind: 'dmar_free_interrupt', unit: pick(rng, set) };
  },
  expect: () => ({ kind: 'exact', ret: 0, why: 'the unit has its fault-event irq' }),
  run: (c, sim) => ({ ret: x86Of(sim).dmarFreeInterrupt(c.unit) }),
  update(c, o, s, sim) {
    if (o.ret === 0) stateOf(s, sim).dmarIrq.delete(c.unit);
  },
  format: (c) => [`unit=${c.unit}`],
  parse(args) {
    checkArgs(args, 0, ['unit']);
    return { kind: 'dmar_free_interrupt', unit: requiredInt(args, 'unit') };
  },
  simplify: () => [],
};

export const hpetAssignIrqCmd: CommandSpec<'hpet_assign_irq'> = {
  kind: 'hpet_assign_irq',
  summary: 'hpet_assign_irq(channel=N): an irq for an FSB-capable HPET channel from the HPET-MSI domain, requested',
  weight: 1,
  valid(c, s, ctx) {
    if (!isX86(ctx)) return false;
    const x = x86State(s, ctx.platform);
    return c.channel >= 0 && c.channel < x.hpetChannels && !x.hpetIrq.has(c.channel);
  },
  invalid(c, s, ctx) {
    if (!isX86(ctx)) return 'an x86 command, and this platform is not x86';
    const x = x86State(s, ctx.platform);
    if (c.channel < 0 || c.channel >= x.hpetChannels) return `channel=${c.channel}: this platform has ${x.hpetChannels} HPET channel(s)`;
    return x.hpetIrq.has(c.channel) ? `HPET channel ${c.channel} already has its irq` : null;
  },
  generate(s, rng, ctx) {
    if (!isX86(ctx)) return null;
    const x = x86State(s, ctx.platform);
    const free = Array.from({ length: x.hpetChannels }, (_, i) => i).filter((ch) => !x.hpetIrq.has(ch));
    return free.length === 0 ? null : { kind: 'hpet_assign_irq', channel: pick(rng, free) };
  },
  expect: () => ({ kind: 'none' }),
  run: (c, sim) => ({ ret: x86Of(sim).hpetAssignIrq(c.channel) }),
  update(c, _o, s, sim) {
    if ((x86Of(sim).hpet.channels[c.channel]?.irq ?? 0) !== 0) stateOf(s, sim).hpetIrq.add(c.channel);
  },
  format: (c) => [`channel=${c.channel}`],
  parse(args) {
    checkArgs(args, 0, ['channel']);
    return { kind: 'hpet_assign_irq', channel: requiredInt(args, 'channel') };
  },
  simplify: (c) => (c.channel > 0 ? [{ ...c, channel: 0 }] : []),
};

export const hpetFreeIrqCmd: CommandSpec<'hpet_free_irq'> = {
  kind: 'hpet_free_irq',
  summary: 'hpet_free_irq(channel=N): free_irq() and irq_domain_free_irqs() of a channel\'s irq',
  weight: 1,
  valid: (c, s, ctx) => isX86(ctx) && x86State(s, ctx.platform).hpetIrq.has(c.channel),
  invalid: (c, s, ctx) => (!isX86(ctx) ? 'an x86 command, and this platform is not x86' : x86State(s, ctx.platform).hpetIrq.has(c.channel) ? null : `HPET channel ${c.channel} has no irq`),
  generate(s, rng, ctx) {
    if (!isX86(ctx)) return null;
    const set = [...x86State(s, ctx.platform).hpetIrq];
    return set.length === 0 ? null : { kind: 'hpet_free_irq', channel: pick(rng, set) };
  },
  expect: () => ({ kind: 'exact', ret: 0, why: 'the channel has an irq' }),
  run: (c, sim) => ({ ret: x86Of(sim).hpetFreeIrq(c.channel) }),
  update(c, o, s, sim) {
    if (o.ret === 0) stateOf(s, sim).hpetIrq.delete(c.channel);
  },
  format: (c) => [`channel=${c.channel}`],
  parse(args) {
    checkArgs(args, 0, ['channel']);
    return { kind: 'hpet_free_irq', channel: requiredInt(args, 'channel') };
  },
  simplify: () => [],
};

// --- the IOAPIC's lines ---

/** The timer's GSI (IRQ0 through its override): the timer holds that irq since boot. */
const TIMER_GSI = 2;

/** Only a PC with an IOAPIC offers the GSI commands (other platforms' seeds draw what they drew before). */
function hasIoapic(ctx: VocabContext): boolean {
  return CONFIGS.get(ctx.platform)?.ioapic !== undefined;
}

/** A GSI a driver may register: on the IOAPIC, not the timer's, not registered already. */
function gsiFree(x: X86Abstract, gsi: number): boolean {
  return gsi >= 0 && gsi < x.gsis && gsi !== TIMER_GSI && !x.gsiIrq.has(gsi);
}

export const acpiRegisterGsiCmd: CommandSpec<'acpi_register_gsi'> = {
  kind: 'acpi_register_gsi',
  offered: hasIoapic,
  summary: 'acpi_register_gsi(gsi=N): a driver of a wired line maps the GSI on the IOAPIC (mp_map_gsi_to_irq; an ISA GSI finds its boot irq, a PCI one gets irq N) and requests the irq',
  weight: 1,
  valid: (c, s, ctx) => isX86(ctx) && gsiFree(x86State(s, ctx.platform), c.gsi),
  invalid(c, s, ctx) {
    if (!isX86(ctx)) return 'an x86 command, and this platform is not x86';
    const x = x86State(s, ctx.platform);
    if (x.gsis === 0) return 'this platform has no IOAPIC';
    if (c.gsi < 0 || c.gsi >= x.gsis) return `gsi=${c.gsi}: the IOAPIC has GSIs 0 to ${x.gsis - 1}`;
    if (c.gsi === TIMER_GSI) return `gsi=${TIMER_GSI} is the timer's (IRQ0), requested since boot`;
    return x.gsiIrq.has(c.gsi) ? `GSI ${c.gsi} is registered already` : null;
  },
  generate(s, rng, ctx) {
    if (!isX86(ctx)) return null;
    const x = x86State(s, ctx.platform);
    const free = Array.from({ length: x.gsis }, (_, i) => i).filter((g) => gsiFree(x, g));
    return free.length === 0 ? null : { kind: 'acpi_register_gsi', gsi: pick(rng, free) };
  },
  expect: () => ({ kind: 'none' }),
  run: (c, sim) => ({ ret: x86Of(sim).acpiRegisterGsi(c.gsi) }),
  update(c, o, s, sim) {
    if (o.ret === 0) stateOf(s, sim).gsiIrq.add(c.gsi);
  },
  format: (c) => [`gsi=${c.gsi}`],
  parse(args) {
    checkArgs(args, 0, ['gsi']);
    return { kind: 'acpi_register_gsi', gsi: requiredInt(args, 'gsi') };
  },
  simplify: (c) => [16, 1, 0].filter((g) => g !== c.gsi).map((gsi) => ({ ...c, gsi })),
};

export const acpiUnregisterGsiCmd: CommandSpec<'acpi_unregister_gsi'> = {
  kind: 'acpi_unregister_gsi',
  offered: hasIoapic,
  summary: 'acpi_unregister_gsi(gsi=N): free_irq() of the GSI\'s irq, then mp_unmap_irq() (the last user of a non-ISA line frees the irq)',
  weight: 1,
  valid: (c, s, ctx) => isX86(ctx) && x86State(s, ctx.platform).gsiIrq.has(c.gsi),
  invalid: (c, s, ctx) => (!isX86(ctx) ? 'an x86 command, and this platform is not x86' : x86State(s, ctx.platform).gsiIrq.has(c.gsi) ? null : `GSI ${c.gsi} is not registered`),
  generate(s, rng, ctx) {
    if (!isX86(ctx)) return null;
    const set = [...x86State(s, ctx.platform).gsiIrq];
    return set.length === 0 ? null : { kind: 'acpi_unregister_gsi', gsi: pick(rng, set) };
  },
  expect: () => ({ kind: 'exact', ret: 0, why: 'the GSI is registered and requested' }),
  run: (c, sim) => ({ ret: x86Of(sim).acpiUnregisterGsi(c.gsi) }),
  update(c, o, s, sim) {
    if (o.ret === 0) stateOf(s, sim).gsiIrq.delete(c.gsi);
  },
  format: (c) => [`gsi=${c.gsi}`],
  parse(args) {
    checkArgs(args, 0, ['gsi']);
    return { kind: 'acpi_unregister_gsi', gsi: requiredInt(args, 'gsi') };
  },
  simplify: () => [],
};

// --- interrupts of a device (or of the platform) ---

/** The platform's own requested irqs as (target, vec): HPET channels, DMAR units, GSIs (none off x86). */
export function x86PlatformIrqTargets(s: AbstractState): { target: string; vec: number }[] {
  const x = s.extra.get('x86') as X86Abstract | undefined;
  if (x === undefined) return [];
  return [...[...x.hpetIrq].map((ch) => ({ target: 'hpet', vec: ch })), ...[...x.dmarIrq].map((u) => ({ target: 'dmar', vec: u })), ...[...x.gsiIrq].map((g) => ({ target: 'gsi', vec: g }))];
}

/** The names x86PlatformIrqTargets() uses for the platform's own irqs. */
export function isX86PlatformTarget(target: string): boolean {
  return target === 'hpet' || target === 'dmar' || target === 'gsi';
}

/** The Linux irq of `hpet` channel / `dmar` unit / registered `gsi` `vec`, or -EINVAL. */
export function x86PlatformIrq(sim: Simulation, target: string, vec: number): number {
  if (!(sim.platform instanceof X86Platform)) return -EINVAL;
  if (target === 'hpet') return sim.platform.hpet.channels[vec]?.irq || -EINVAL;
  if (target === 'dmar') return sim.platform.iommus[vec]?.irq || -EINVAL;
  if (target === 'gsi') return sim.platform.gsiIrqs.get(vec) ?? -EINVAL;
  return -EINVAL;
}

/** Live (target, vec) pairs: device vectors the driver holds, requested HPET channels and DMAR units. */
function irqTargets(s: AbstractState, x: X86Abstract): { target: string; vec: number }[] {
  const out: { target: string; vec: number }[] = [];
  for (const d of s.devices.values()) {
    if (d.bus !== 'pci') continue;
    if (d.mode !== 'none') for (let i = 0; i < d.nvec; i++) out.push({ target: d.name, vec: i });
    for (const i of d.dynamic) if (i >= d.nvec) out.push({ target: d.name, vec: i });
  }
  for (const ch of x.hpetIrq) out.push({ target: 'hpet', vec: ch });
  for (const u of x.dmarIrq) out.push({ target: 'dmar', vec: u });
  for (const g of x.gsiIrq) out.push({ target: 'gsi', vec: g });
  return out;
}

function targetValid(s: AbstractState, x: X86Abstract, target: string, vec: number): boolean {
  return irqTargets(s, x).some((t) => t.target === target && t.vec === vec);
}

/** The Linux irq behind a target, or a negative errno. */
function targetIrq(sim: Simulation, target: string, vec: number): number {
  if (isX86PlatformTarget(target)) return x86PlatformIrq(sim, target, vec);
  const dev = sim.devices.get(target);
  return dev instanceof PciDev ? pciIrqVector(dev, vec) : -EINVAL;
}

function parseTarget(args: readonly Arg[]): { target: string; vec: number } {
  const t = positional(args, 0, 'device, hpet, dmar or gsi', endCol(args));
  return { target: deviceName(t), vec: requiredInt(args, 'vec') };
}

export const genericHandleIrqCmd: CommandSpec<'generic_handle_irq'> = {
  kind: 'generic_handle_irq',
  summary: 'generic_handle_irq(dev, vec=N): the vector fires on the CPU its message targets (apic_ack_edge completes a pending move)',
  weight: 2,
  valid: (c, s, ctx) => isX86(ctx) && targetValid(s, x86State(s, ctx.platform), c.target, c.vec),
  invalid: (c, s, ctx) => (!isX86(ctx) ? 'an x86 command, and this platform is not x86' : targetValid(s, x86State(s, ctx.platform), c.target, c.vec) ? null : `${c.target} has no vector ${c.vec} with an irq`),
  generate(s, rng, ctx) {
    if (!isX86(ctx)) return null;
    const ts = irqTargets(s, x86State(s, ctx.platform));
    if (ts.length === 0) return null;
    // Often an irq a recent irq_set_affinity moved: its arrival completes (or races) the move
    const moved = ts.filter((t) => s.moves.some((m) => m.target === t.target && m.vec === t.vec));
    const t = pick(rng, moved.length > 0 && chance(rng, 50) ? moved : ts);
    return { kind: 'generic_handle_irq', target: t.target, vec: t.vec };
  },
  expect: () => ({ kind: 'none' }),
  run(c, sim) {
    const irq = targetIrq(sim, c.target, c.vec);
    if (irq < 0) return { ret: irq };
    return { ret: x86Of(sim).raiseIrq(irq) };
  },
  update: () => undefined,
  format: (c) => [c.target, `vec=${c.vec}`],
  parse(args) {
    checkArgs(args, 1, ['vec']);
    return { kind: 'generic_handle_irq', ...parseTarget(args) };
  },
  simplify: (c) => (c.vec > 0 ? [{ ...c, vec: 0 }] : []),
  standIn: (o) => (o.kind === 'msi_raise' || o.kind === 'request_irq' ? { kind: 'generic_handle_irq', target: o.dev, vec: o.vec } : null),
};

export const vectorCleanupCallbackCmd: CommandSpec<'vector_cleanup_callback'> = {
  kind: 'vector_cleanup_callback',
  summary: 'vector_cleanup_callback(cpu=N): the per-CPU cleanup timer frees the vectors left behind by moves',
  weight: 1,
  valid: (c, s, ctx) => isX86(ctx) && s.online.has(c.cpu),
  invalid: (c, s, ctx) => (!isX86(ctx) ? 'an x86 command, and this platform is not x86' : s.online.has(c.cpu) ? null : `CPU ${c.cpu} is offline`),
  generate(s, rng, ctx) {
    if (!isX86(ctx)) return null;
    return { kind: 'vector_cleanup_callback', cpu: pick(rng, [...s.online]) };
  },
  expect: () => ({ kind: 'none' }),
  run: (c, sim) => ({ ret: x86Of(sim).vectorCleanupTimer(c.cpu) }),
  update: () => undefined,
  format: (c) => [`cpu=${c.cpu}`],
  parse(args) {
    checkArgs(args, 0, ['cpu']);
    return { kind: 'vector_cleanup_callback', cpu: requiredInt(args, 'cpu') };
  },
  simplify: (c) => (c.cpu > 0 ? [{ ...c, cpu: 0 }] : []),
};

export const X86_COMMANDS: readonly AnySpec[] = [
  pciEnableSriovCmd,
  pciDisableSriovCmd,
  dmarSetInterruptCmd,
  dmarFreeInterruptCmd,
  hpetAssignIrqCmd,
  hpetFreeIrqCmd,
  acpiRegisterGsiCmd,
  acpiUnregisterGsiCmd,
  genericHandleIrqCmd,
  vectorCleanupCallbackCmd,
];
