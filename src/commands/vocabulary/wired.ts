// Wired interrupts behind wire-to-MSI bridges (RISC-V APLIC in MSI mode, MBIGEN in front of the
// GICv3 ITS, the GICv5 IWB), on the platforms that have them (WiredBridgeHost):
//   wired_bridge_add(mbigen0)                       of_platform_device_create() + the bridge driver's probe
//   irq_create_fwspec_mapping(mbigen0, hwirq=N, type=T)  a consumer maps wire N (of_irq_get())
//   irq_dispose_mapping(mbigen0, hwirq=N)           ... and unmaps it
// A bridge is a platform device in the driver's view with mode 'wired'; its mapped wires are its
// held vectors (AbstractDevice.dynamic), so request_irq, free_irq, msi_raise (the wire asserts)
// and irq_set_affinity act on them as on a PCI vector, and device_del removes the bridge once
// no wire of it is mapped (consumers dispose their mappings before it goes).
import { PlatformDevice } from '../../../models/kernel/device';
import { EINVAL } from '../../../models/kernel/errno';
import type { IrqOrigin } from '../../../models/kernel/irq-action';
import { deviceReleaseDriver } from '../../../models/kernel/pci-msi';
import { msiGetDeviceDomain } from '../../../models/kernel/msi';
import { MSI_DEFAULT_DOMAIN } from '../../../models/kernel/msi-desc';
import { irqCreateFwspecMapping, irqDisposeMapping, IRQ_TYPE_EDGE_RISING, IRQ_TYPE_LEVEL_HIGH } from '../../../models/kernel/msi-wired';
import { isWiredBridgeHost, type WiredBridgeHost, type WiredBridgeKind } from '../../../models/platforms/wired';
import { NR_IRQS } from '../../../models/kernel/irqdomain';
import { count, hasHandlers, type AbstractDevice, type AbstractState } from '../../abstract/state';
import type { Simulation } from '../../sim/simulation';
import { allPlatforms } from '../../platforms';
import { checkArgs, deviceName, int, named, positional, requiredInt } from '../args';
import { chance, pick } from '../rng';
import type { AnySpec, Arg, CommandSpec } from '../spec';
import { MAX_LIVE_DEVICES } from './devices';

/** The bridges each platform's firmware describes (WiredBridgeHost.wiredBridgeKinds), by platform name. */
let kindsCache: Map<string, readonly WiredBridgeKind[]> | null = null;

function kindsOf(platform: string): readonly WiredBridgeKind[] {
  if (kindsCache === null) {
    kindsCache = new Map();
    for (const p of allPlatforms()) {
      const kinds = (p as { wiredBridgeKinds?: readonly WiredBridgeKind[] }).wiredBridgeKinds;
      if (kinds !== undefined) kindsCache.set(p.name, kinds);
    }
  }
  return kindsCache.get(platform) ?? [];
}

/** The driver's view of one bridge beyond its AbstractDevice: its kind and whether its probe worked. */
interface BridgeView {
  readonly kind: WiredBridgeKind;
  bound: boolean;
}

function bridges(s: AbstractState): Map<string, BridgeView> {
  let m = s.extra.get('wired') as Map<string, BridgeView> | undefined;
  if (m === undefined) s.extra.set('wired', (m = new Map()));
  return m;
}

/** The bridge `name` as the driver knows it (present, with its kind), or null. */
function bridgeOf(s: AbstractState, name: string): { d: AbstractDevice; b: BridgeView } | null {
  const d = s.devices.get(name);
  const b = bridges(s).get(name);
  return d === undefined || b === undefined || d.mode !== 'wired' ? null : { d, b };
}

function host(sim: Simulation): WiredBridgeHost {
  if (!isWiredBridgeHost(sim.platform)) throw new Error(`${sim.config.platform.name}: no wire-to-MSI bridges`);
  return sim.platform;
}

/** The Linux irq a consumer holds for wire `hwirq` of bridge `name` (irq_find_mapping()), or a negative errno. */
export function wiredIrqOf(sim: Simulation, name: string, hwirq: number): number {
  const dev = sim.devices.get(name);
  if (!(dev instanceof PlatformDevice)) return -EINVAL;
  const domain = msiGetDeviceDomain(dev, MSI_DEFAULT_DOMAIN);
  if (domain === null || domain.busToken !== 'WIRED_TO_MSI') return -EINVAL;
  const virq = sim.kernel.irqs.findMapping(domain, hwirq);
  return virq > 0 ? virq : -EINVAL;
}

/** Is `name` a bridge whose wire `hwirq` exists (msi_raise on a wire)? */
export function isWire(s: AbstractState, name: string, hwirq: number): boolean {
  const br = bridgeOf(s, name);
  return br !== null && hwirq >= br.b.kind.firstWire && hwirq <= br.b.kind.lastWire;
}

/** The bridge's wire asserts: what the bridge did with it. */
export function raiseWire(sim: Simulation, name: string, hwirq: number, origin: IrqOrigin): string {
  const dev = sim.devices.get(name);
  if (!(dev instanceof PlatformDevice)) return `${name} is no bridge`;
  return host(sim).raiseWire(dev, hwirq, origin);
}

const TYPES: readonly [string, number][] = [
  ['edge', IRQ_TYPE_EDGE_RISING],
  ['level', IRQ_TYPE_LEVEL_HIGH],
];

function typeName(t: number): string {
  return TYPES.find(([, v]) => v === t)?.[0] ?? String(t);
}

function parseType(a: Arg | undefined): number {
  if (a === undefined) return IRQ_TYPE_LEVEL_HIGH;
  const t = TYPES.find(([n]) => n === a.value);
  if (t !== undefined) return t[1];
  return int(a, 'type');
}

function bridgeArgs(args: readonly Arg[], names: readonly string[]): string {
  checkArgs(args, 1, names);
  return deviceName(positional(args, 0, 'bridge', 1));
}

export const wiredBridgeAddCmd: CommandSpec<'wired_bridge_add'> = {
  kind: 'wired_bridge_add',
  offered: (ctx) => kindsOf(ctx.platform).length > 0,
  summary: 'wired_bridge_add(mbigen0): of_platform_device_create() of a wire-to-MSI bridge the firmware describes, then its driver\'s probe (aplic_probe, mbigen_device_probe, gicv5_iwb_device_probe): a DOMAIN_BUS_WIRED_TO_MSI device domain under the MSI parent',
  weight: 1,
  choices: (s) => (s.devices.size < MAX_LIVE_DEVICES ? 1 : 0),
  valid(c, s, ctx) {
    const kind = kindsOf(ctx.platform).find((k) => c.bridge.startsWith(k.kind) && /^\d+$/.test(c.bridge.slice(k.kind.length)));
    if (kind === undefined || s.devices.has(c.bridge) || s.devices.size >= MAX_LIVE_DEVICES) return false;
    return count(s, (d) => d.mode === 'wired' && d.name.startsWith(kind.kind)) < kind.max;
  },
  invalid(c, s, ctx) {
    const kinds = kindsOf(ctx.platform);
    if (kinds.length === 0) return `${ctx.platform} has no wire-to-MSI bridges`;
    const kind = kinds.find((k) => c.bridge.startsWith(k.kind) && /^\d+$/.test(c.bridge.slice(k.kind.length)));
    if (kind === undefined) return `${c.bridge} names no bridge of this machine (${kinds.map((k) => `${k.kind}N`).join(', ')})`;
    if (s.devices.has(c.bridge)) return `a device named ${c.bridge} already exists (duplicate device)`;
    if (s.devices.size >= MAX_LIVE_DEVICES) return `already ${MAX_LIVE_DEVICES} devices, the cap of the model (device cap)`;
    if (count(s, (d) => d.mode === 'wired' && d.name.startsWith(kind.kind)) >= kind.max) return `the firmware describes ${kind.max} ${kind.kind} bridge(s), all present`;
    return null;
  },
  generate(s, rng, ctx) {
    const kinds = kindsOf(ctx.platform);
    if (kinds.length === 0 || s.devices.size >= MAX_LIVE_DEVICES) return null;
    const kind = pick(rng, kinds);
    for (let i = 0; i < kind.max; i++) {
      const c = { kind: 'wired_bridge_add' as const, bridge: `${kind.kind}${i}` };
      if (wiredBridgeAddCmd.valid(c, s, ctx)) return c;
    }
    return null;
  },
  expect: () => ({ kind: 'none' }),
  run(c, sim) {
    const h = host(sim);
    const kind = h.wiredBridgeKinds.find((k) => c.bridge.startsWith(k.kind));
    if (kind === undefined) return { ret: -EINVAL };
    const dev = h.createWiredBridge(c.bridge, kind.kind);
    sim.kernel.heap.kmalloc(dev, 'platform_device_alloc');
    sim.kernel.addDevice(dev);
    sim.devices.set(c.bridge, dev);
    const ret = h.probeWiredBridge(dev);
    // really_probe(): a probe that fails has its devres released
    if (ret !== 0) deviceReleaseDriver(sim.kernel, dev);
    return { ret };
  },
  update(c, o, s, sim) {
    const kind = kindsOf(sim.config.platform.name).find((k) => c.bridge.startsWith(k.kind));
    const dev = sim.devices.get(c.bridge);
    if (kind === undefined || !(dev instanceof PlatformDevice)) return;
    s.devices.set(c.bridge, { name: c.bridge, bus: 'platform', rid: 0, msiCap: 0, msixSize: 0, devid: dev.msiParentId, mode: 'wired', nvec: 0, dynamic: new Set() });
    bridges(s).set(c.bridge, { kind, bound: o.ret === 0 });
  },
  format: (c) => [c.bridge],
  parse: (args) => ({ kind: 'wired_bridge_add', bridge: bridgeArgs(args, []) }),
  simplify: () => [],
};

/** Wires of a bound bridge that `keep` lets through. */
function wires(b: BridgeView, keep: (w: number) => boolean): number[] {
  const out: number[] = [];
  for (let w = b.kind.firstWire; w <= b.kind.lastWire; w++) if (keep(w)) out.push(w);
  return out;
}

export const irqCreateFwspecMappingCmd: CommandSpec<'irq_create_fwspec_mapping'> = {
  kind: 'irq_create_fwspec_mapping',
  offered: (ctx) => kindsOf(ctx.platform).length > 0,
  summary: 'irq_create_fwspec_mapping(bridge, hwirq=N, type=edge|level): a consumer maps wire N of the bridge (of_irq_get()): msi_device_domain_alloc_wired() takes the next free MSI index of the bridge\'s domain',
  weight: 4,
  choices: (s) => count(s, (d) => d.mode === 'wired' && bridges(s).get(d.name)?.bound === true),
  valid(c, s) {
    const br = bridgeOf(s, c.bridge);
    return br !== null && br.b.bound && isWire(s, c.bridge, c.hwirq) && (c.type === IRQ_TYPE_EDGE_RISING || c.type === IRQ_TYPE_LEVEL_HIGH);
  },
  invalid(c, s) {
    const br = bridgeOf(s, c.bridge);
    if (br === null) return `${c.bridge} is no wire-to-MSI bridge (never added, or removed)`;
    if (!br.b.bound) return `${c.bridge}'s probe failed: its wires have no domain`;
    if (!isWire(s, c.bridge, c.hwirq)) return `hwirq=${c.hwirq} is no wire of ${c.bridge} (${br.b.kind.firstWire}-${br.b.kind.lastWire})`;
    if (c.type !== IRQ_TYPE_EDGE_RISING && c.type !== IRQ_TYPE_LEVEL_HIGH) return `type=${c.type}: a wire is edge or level`;
    return null;
  },
  generate(s, rng) {
    const bound = [...bridges(s)].filter(([name, b]) => b.bound && bridgeOf(s, name) !== null);
    if (bound.length === 0) return null;
    const [name, b] = pick(rng, bound);
    const d = (bridgeOf(s, name) as { d: AbstractDevice }).d;
    // Mostly a wire nobody mapped yet; sometimes a mapped one again (the same irq comes back)
    const free = wires(b, (w) => !d.dynamic.has(w));
    const hwirq = free.length > 0 && chance(rng, 85) ? pick(rng, free) : pick(rng, wires(b, () => true));
    return { kind: 'irq_create_fwspec_mapping', bridge: name, hwirq, type: pick(rng, [IRQ_TYPE_LEVEL_HIGH, IRQ_TYPE_EDGE_RISING]) };
  },
  // A wire not mapped yet gets an irq whenever the bridge's index space and the MSI parent have
  // room: the domain is sized for every wire, and a consumer holds at most one mapping per wire
  expect(c, s, sim) {
    const br = bridgeOf(s, c.bridge);
    if (br === null || s.armed.size > 0 || br.d.dynamic.has(c.hwirq)) return { kind: 'none' };
    if (br.d.dynamic.size >= br.b.kind.wires || sim.platform.vectorRoom(sim.device(c.bridge), { path: 'platform', hwsize: 1, nvec: 1, managed: false }).sure < 1) return { kind: 'none' };
    return { kind: 'range', min: 1, max: NR_IRQS - 1, orError: false, why: `wire ${c.hwirq} unmapped, ${br.d.dynamic.size} of ${br.b.kind.wires} MSI indexes in use, room in the parent` };
  },
  run(c, sim) {
    const dev = sim.device(c.bridge) as PlatformDevice;
    const domain = msiGetDeviceDomain(dev, MSI_DEFAULT_DOMAIN);
    return { ret: irqCreateFwspecMapping(sim.kernel, domain, host(sim).wiredFwspec(dev, c.hwirq, c.type)) };
  },
  update(c, o, s) {
    if (o.ret !== null && o.ret > 0) s.devices.get(c.bridge)?.dynamic.add(c.hwirq);
  },
  format: (c) => [c.bridge, `hwirq=${c.hwirq}`, `type=${typeName(c.type)}`],
  parse(args) {
    const bridge = bridgeArgs(args, ['hwirq', 'type']);
    return { kind: 'irq_create_fwspec_mapping', bridge, hwirq: requiredInt(args, 'hwirq'), type: parseType(named(args, 'type')) };
  },
  simplify: (c) => (c.type !== IRQ_TYPE_LEVEL_HIGH ? [{ ...c, type: IRQ_TYPE_LEVEL_HIGH }] : []),
};

export const irqDisposeMappingCmd: CommandSpec<'irq_dispose_mapping'> = {
  kind: 'irq_dispose_mapping',
  offered: (ctx) => kindsOf(ctx.platform).length > 0,
  summary: 'irq_dispose_mapping(bridge, hwirq=N): the consumer unmaps wire N (irq_domain_free_one_irq() -> msi_device_domain_free_wired())',
  weight: 3,
  choices: (s) => count(s, (d) => d.mode === 'wired' && d.dynamic.size > 0),
  // the consumer frees its handler first
  valid: (c, s) => bridgeOf(s, c.bridge)?.d.dynamic.has(c.hwirq) === true && !(s.handlers.get(c.bridge)?.has(c.hwirq) ?? false),
  invalid: (c, s) =>
    bridgeOf(s, c.bridge)?.d.dynamic.has(c.hwirq) !== true
      ? `wire ${c.hwirq} of ${c.bridge} is not mapped (irq_create_fwspec_mapping() first)`
      : (s.handlers.get(c.bridge)?.has(c.hwirq) ?? false)
        ? `wire ${c.hwirq} of ${c.bridge} still has a handler: free_irq() it first`
        : null,
  generate(s, rng) {
    const options: { bridge: string; hwirq: number }[] = [];
    for (const d of s.devices.values()) {
      if (d.mode !== 'wired') continue;
      for (const w of d.dynamic) if (!(s.handlers.get(d.name)?.has(w) ?? false)) options.push({ bridge: d.name, hwirq: w });
    }
    return options.length === 0 ? null : { kind: 'irq_dispose_mapping', ...pick(rng, options) };
  },
  expect: () => ({ kind: 'none' }),
  run(c, sim) {
    const virq = wiredIrqOf(sim, c.bridge, c.hwirq);
    if (virq < 0) return { ret: virq };
    irqDisposeMapping(sim.kernel, virq);
    return { ret: null };
  },
  update(c, _o, s) {
    s.devices.get(c.bridge)?.dynamic.delete(c.hwirq);
  },
  format: (c) => [c.bridge, `hwirq=${c.hwirq}`],
  parse(args) {
    const bridge = bridgeArgs(args, ['hwirq']);
    return { kind: 'irq_dispose_mapping', bridge, hwirq: requiredInt(args, 'hwirq') };
  },
  simplify: () => [],
};

/** A bridge can go (device_del) once no consumer holds a mapping of its wires, if its kind can go at all. */
export function wiredBridgeRemovable(s: AbstractState, name: string): boolean {
  const d = s.devices.get(name);
  if (d === undefined || d.mode !== 'wired') return true;
  return bridges(s).get(name)?.kind.removable === true && d.dynamic.size === 0 && !hasHandlers(s, name);
}

export const WIRED_COMMANDS: readonly AnySpec[] = [wiredBridgeAddCmd, irqCreateFwspecMappingCmd, irqDisposeMappingCmd];
