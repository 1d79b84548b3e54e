// Device lifetime commands: PCI functions (optionally behind a PCIe-to-PCI bridge or with a
// quirk DMA alias), platform devices, unbind (device_release_driver) and removal (device_del).
import { PCI_CLASS_STORAGE_EXPRESS, PciBridge, PciDev, PlatformDevice, pciDomainNr, type Device } from '../../../models/kernel/device';
import { deviceReleaseDriver, pciMsiDomainSupports } from '../../../models/kernel/pci-msi';
import { MSI_FLAG_MULTI_PCI_MSI, MSI_FLAG_PCI_MSIX_ALLOC_DYN } from '../../../models/kernel/msi-types';
import { platformDeviceMsiFreeIrqsAll } from '../../../models/kernel/platform-msi';
import { count, liveRids, hasHandlers, treeHasHandlers } from '../../abstract/state';
import type { Simulation } from '../../sim/simulation';
import { checkArgs, deviceName, formatRid, hex, int, named, positional, rid } from '../args';
import type { CommandOf } from '../command';
import { chance, pick } from '../rng';
import { deviceOnlySyntax, forgetVectors, noDevice } from './common';
import { holdsPlatformVectors } from './platform-msi';
import { ArgError, type CommandSpec } from '../spec';
import { pciTopologyConsistent, pciTopologyProblem, recordPciTopology } from './pci-topology';
import { pciSegments } from './segments';
import { wiredBridgeRemovable } from './wired';

/** Live devices are capped so runs stay in the region where bugs interact. */
export const MAX_LIVE_DEVICES = 6;

export const RID_POOL = [0x0100, 0x0101, 0x0200, 0x0208, 0x0300, 0x0301, 0x0400, 0x0000];
const MSI_CAPS = [1, 1, 2, 4, 8, 32, 0];
const MSIX_SIZES = [32, 1, 3, 8, 64, 0, 2048];

function attach(sim: Simulation, name: string, dev: Device): void {
  dev.msiParent = sim.platform.msiParentFor(dev);
  sim.kernel.heap.kmalloc(dev, dev instanceof PciDev ? 'pci_alloc_dev' : 'platform_device_alloc');
  sim.kernel.addDevice(dev);
  sim.devices.set(name, dev);
}

export const pciBridgeAdd: CommandSpec<'pci_bridge_add'> = {
  kind: 'pci_bridge_add',
  summary: 'a PCIe-to-PCI bridge: devices behind it signal with its requester ID (a DMA alias)',
  weight: 1,
  valid: (c, s) => !s.bridges.has(c.bridge) && !liveRids(s).has(c.rid),
  invalid(c, s) {
    if (s.bridges.has(c.bridge)) return `a bridge named ${c.bridge} already exists`;
    if (liveRids(s).has(c.rid)) return `requester ID ${formatRid(c.rid)} is already in use`;
    return null;
  },
  generate(s, rng) {
    if (s.bridges.size >= 2) return null;
    const r = pick(rng, [0x0010, 0x0018]);
    if (liveRids(s).has(r)) return null;
    return { kind: 'pci_bridge_add', bridge: `br${s.nextBridge}`, rid: r };
  },
  expect: () => ({ kind: 'none' }),
  run(c, sim) {
    sim.bridges.set(c.bridge, sim.kernel.heap.kmalloc(new PciBridge(c.bridge, c.rid), 'pci_alloc_dev'));
    return { ret: null };
  },
  update(c, _o, s) {
    s.bridges.set(c.bridge, c.rid);
    s.nextBridge = Math.max(s.nextBridge, Number(c.bridge.slice(2)) + 1 || s.nextBridge + 1);
  },
  format: (c) => [c.bridge, `rid=${formatRid(c.rid)}`],
  parse(args) {
    checkArgs(args, 1, ['rid']);
    const r = named(args, 'rid');
    return { kind: 'pci_bridge_add', bridge: deviceName(positional(args, 0, 'bridge', 1)), rid: r === undefined ? 0x10 : rid(r) };
  },
  simplify: () => [],
};

export const pciDeviceAdd: CommandSpec<'pci_device_add'> = {
  kind: 'pci_device_add',
  summary: 'hot-add a PCI function (requester ID, MSI multi-message count, MSI-X table size, DMA alias, bridge)',
  weight: 3,
  valid(c, s, ctx) {
    if (s.devices.has(c.dev) || liveRids(s).has(c.rid)) return false;
    if (!pciTopologyConsistent(c, s, ctx)) return false;
    if (c.msi < 0 || c.msi > 32 || (c.msi & (c.msi - 1)) !== 0 || c.msix < 0 || c.msix > 2048) return false;
    if (c.bridge !== undefined && !s.bridges.has(c.bridge)) return false;
    // a segment the machine has now; no bridges or quirk aliases modelled there
    if (c.seg !== undefined && (!pciSegments(s, ctx).includes(c.seg) || c.bridge !== undefined || c.alias !== undefined)) return false;
    // a segment the firmware describes; bridges (and their functions) are on segment 0
    if (pciDomainNr(c.rid) >= (s.caps.pciSegmentCount ?? 1) || (c.bridge !== undefined && pciDomainNr(c.rid) !== 0)) return false;
    return liveCount(s) < MAX_LIVE_DEVICES;
  },
  invalid(c, s, ctx) {
    if (s.devices.has(c.dev)) return `a device named ${c.dev} already exists (duplicate device)`;
    if (liveRids(s).has(c.rid)) return `requester ID ${formatRid(c.rid)} is already in use`;
    const topology = pciTopologyProblem(c, s, ctx);
    if (topology !== null) return topology;
    if (c.msi < 0 || c.msi > 32 || (c.msi & (c.msi - 1)) !== 0) return `msi=${c.msi}: an MSI capability offers 0 or a power of two up to 32 vectors`;
    if (c.msix < 0 || c.msix > 2048) return `msix=${c.msix}: an MSI-X table has at most 2048 entries`;
    if (c.bridge !== undefined && !s.bridges.has(c.bridge)) return `no bridge ${c.bridge}`;
    if (c.seg !== undefined) {
      if (!pciSegments(s, ctx).includes(c.seg)) return `seg=${c.seg}: no PCI segment ${c.seg} on this machine now (segments: ${pciSegments(s, ctx).join(', ')})`;
      if (c.bridge !== undefined || c.alias !== undefined) return `seg=${c.seg}: bridges and quirk aliases are not modelled outside segment 0`;
    }
    if (pciDomainNr(c.rid) >= (s.caps.pciSegmentCount ?? 1)) return `PCI segment ${pciDomainNr(c.rid)} is not described by the firmware`;
    if (c.bridge !== undefined && pciDomainNr(c.rid) !== 0) return 'bridges (and the functions behind them) are on segment 0';
    if (liveCount(s) >= MAX_LIVE_DEVICES) return `already ${MAX_LIVE_DEVICES} live devices, the cap of the model (device cap)`;
    return null;
  },
  generate(s, rng, ctx) {
    if (liveCount(s) >= MAX_LIVE_DEVICES) return null;
    const used = liveRids(s);
    const free = RID_POOL.filter((r) => !used.has(r));
    if (free.length === 0) return null;
    let r = pick(rng, free);
    // On a machine with several PCI segments, sometimes the same requester ID on another one
    const fwSegs = s.caps.pciSegmentCount ?? 1;
    if (fwSegs > 1 && chance(rng, 40)) {
      const other = r + 0x10000 * (1 + rng.below(fwSegs - 1));
      if (!used.has(other)) r = other;
    }
    const msi = pick(rng, MSI_CAPS);
    let msix = pick(rng, MSIX_SIZES);
    if (msi === 0 && msix === 0) msix = 8;
    const base = { kind: 'pci_device_add' as const, dev: `dev${s.nextDevice}`, rid: r, msi, msix };
    // Platforms with more PCI domains put a function in one of them half the time (the extra
    // draws happen there only, so other platforms draw what they drew before)
    const segs = pciSegments(s, ctx);
    if (segs.length > 0 && chance(rng, 50)) return { ...base, seg: pick(rng, segs), ...(chance(rng, 50) ? { nvme: true } : {}) };
    const fn0 = r & ~7;
    if ((r & 7) !== 0 && used.has(fn0) && chance(rng, 30)) return { ...base, alias: fn0 };
    const bridges = [...s.bridges.keys()];
    // bridges sit on segment 0
    if (bridges.length > 0 && r < 0x10000 && chance(rng, 40)) return { ...base, bridge: pick(rng, bridges) };
    return base;
  },
  expect: () => ({ kind: 'none' }),
  run(c, sim) {
    const bridge = c.bridge === undefined ? null : (sim.bridges.get(c.bridge) ?? null);
    const dev = new PciDev(c.dev, c.rid, c.msi, c.msix, c.alias ?? null, bridge);
    dev.segment = c.seg ?? 0;
    if (c.nvme === true) dev.classCode = PCI_CLASS_STORAGE_EXPRESS;
    bridge?.subordinate.push(dev);
    attach(sim, c.dev, dev);
    return { ret: null };
  },
  update(c, _o, s, sim) {
    // A function outside segment 0 may sit under another MSI parent (a VMD's): what the
    // driver's pci_msi_domain_supports() says for it
    const dev = c.seg !== undefined ? sim.devices.get(c.dev) : undefined;
    const caps = dev instanceof PciDev ? driverCaps(dev) : undefined;
    s.devices.set(c.dev, {
      name: c.dev,
      bus: 'pci',
      rid: c.rid,
      ...(caps !== undefined ? { caps } : {}),
      msiCap: c.msi,
      msixSize: c.msix,
      ...(c.alias !== undefined ? { alias: c.alias } : {}),
      ...(c.bridge !== undefined ? { bridge: c.bridge } : {}),
      ...(c.seg !== undefined ? { segment: c.seg } : {}),
      devid: 0,
      mode: 'none',
      nvec: 0,
      dynamic: new Set(),
    });
    recordPciTopology(c, s);
    s.nextDevice = nextIndex(s.nextDevice, c.dev);
  },
  format(c) {
    const out = [c.dev, `rid=${formatRid(c.rid)}`, `msi=${c.msi}`, `msix=${c.msix}`];
    if (c.alias !== undefined) out.push(`alias=${formatRid(c.alias)}`);
    if (c.bridge !== undefined) out.push(`bridge=${c.bridge}`);
    if (c.seg !== undefined) out.push(`seg=${hex(c.seg)}`);
    if (c.nvme === true) out.push('class=nvme');
    return out;
  },
  parse(args) {
    checkArgs(args, 1, ['rid', 'msi', 'msix', 'alias', 'bridge', 'seg', 'class']);
    const r = named(args, 'rid');
    const msi = named(args, 'msi');
    const msix = named(args, 'msix');
    const alias = named(args, 'alias');
    const bridge = named(args, 'bridge');
    const seg = named(args, 'seg');
    const cls = named(args, 'class');
    if (cls !== undefined && cls.value !== 'nvme') throw new ArgError(`class=${cls.value}: only class=nvme (PCI_CLASS_STORAGE_EXPRESS) is modelled`, cls.col);
    return {
      kind: 'pci_device_add',
      dev: deviceName(positional(args, 0, 'device', 1)),
      rid: r === undefined ? 0x100 : rid(r),
      msi: msi === undefined ? 1 : int(msi, 'msi'),
      msix: msix === undefined ? 0 : int(msix, 'msix'),
      ...(alias !== undefined ? { alias: rid(alias) } : {}),
      ...(bridge !== undefined ? { bridge: deviceName(bridge) } : {}),
      ...(seg !== undefined ? { seg: int(seg, 'seg') } : {}),
      ...(cls !== undefined ? { nvme: true } : {}),
    };
  },
  simplify(c) {
    const out: CommandOf<'pci_device_add'>[] = [];
    if (c.bridge !== undefined) out.push(withoutKey(c, 'bridge'));
    if (c.alias !== undefined) out.push(withoutKey(c, 'alias'));
    if (c.nvme === true) out.push(withoutKey(c, 'nvme'));
    if (c.msix > 0 && c.msi > 0) out.push({ ...c, msi: 0 }, { ...c, msix: 0 });
    for (const v of [1, 2, 8, 32]) if (c.msix > v) out.push({ ...c, msix: v });
    for (const v of [1, 2]) if (c.msi > v) out.push({ ...c, msi: v });
    if (c.rid !== 0x100) out.push({ ...c, rid: 0x100 });
    return out;
  },
};

export const platformDeviceAdd: CommandSpec<'platform_device_add'> = {
  kind: 'platform_device_add',
  summary: 'register a platform device whose msi-parent property names the parent with an ID',
  weight: 1,
  valid: (c, s) => s.caps.platformMsi && !s.devices.has(c.dev) && liveCount(s) < MAX_LIVE_DEVICES && ![...s.devices.values()].some((d) => d.bus === 'platform' && d.devid === c.devid),
  invalid(c, s) {
    if (!s.caps.platformMsi) return 'this platform has no platform-MSI parent';
    if (s.devices.has(c.dev)) return `a device named ${c.dev} already exists (duplicate device)`;
    if (liveCount(s) >= MAX_LIVE_DEVICES) return `already ${MAX_LIVE_DEVICES} live devices, the cap of the model (device cap)`;
    if ([...s.devices.values()].some((d) => d.bus === 'platform' && d.devid === c.devid)) return `device ID ${hex(c.devid)} is already taken by a live platform device`;
    return null;
  },
  generate(s, rng) {
    if (!s.caps.platformMsi || liveCount(s) >= MAX_LIVE_DEVICES) return null;
    const devid = pick(rng, [0xf000, 0xf001, 0xf002]);
    const c = { kind: 'platform_device_add' as const, dev: `pdev${s.nextDevice}`, devid };
    return platformDeviceAdd.valid(c, s, { faultSites: [], platform: '' }) ? c : null;
  },
  expect: () => ({ kind: 'none' }),
  run(c, sim) {
    attach(sim, c.dev, new PlatformDevice(c.dev, c.devid));
    return { ret: null };
  },
  update(c, _o, s) {
    s.devices.set(c.dev, { name: c.dev, bus: 'platform', rid: 0, msiCap: 0, msixSize: 0, devid: c.devid, mode: 'none', nvec: 0, dynamic: new Set() });
    s.nextDevice = nextIndex(s.nextDevice, c.dev);
  },
  format: (c) => [c.dev, `devid=${hex(c.devid)}`],
  parse(args) {
    checkArgs(args, 1, ['devid']);
    const d = named(args, 'devid');
    return { kind: 'platform_device_add', dev: deviceName(positional(args, 0, 'device', 1)), devid: d === undefined ? 0xf000 : int(d, 'devid') };
  },
  simplify: () => [],
};

export const deviceReleaseDriverCmd: CommandSpec<'device_release_driver'> = {
  kind: 'device_release_driver',
  summary: 'unbind the driver: its remove() frees platform MSI, devres frees PCI vectors (pcim_msi_release), then the MSI domains',
  weight: 2,
  choices: (s) => count(s, (d) => !hasHandlers(s, d.name) && d.mode !== 'wired'),
  // the driver frees its irqs (free_irq) before it goes; a wire-to-MSI bridge driver cannot be
  // unbound (suppress_bind_attrs, no remove())
  valid: (c, s) => s.devices.has(c.dev) && !hasHandlers(s, c.dev) && s.devices.get(c.dev)?.mode !== 'wired',
  invalid: (c, s) =>
    !s.devices.has(c.dev)
      ? noDevice(c.dev)
      : hasHandlers(s, c.dev)
        ? `${c.dev} still has handlers: free_irq() them before unbinding`
        : s.devices.get(c.dev)?.mode === 'wired'
          ? `${c.dev} is a wire-to-MSI bridge, whose driver cannot be unbound (suppress_bind_attrs)`
          : null,
  generate(s, rng) {
    const names = [...s.devices.keys()].filter((n) => !hasHandlers(s, n) && s.devices.get(n)?.mode !== 'wired');
    return names.length === 0 ? null : { kind: 'device_release_driver', dev: pick(rng, names) };
  },
  expect: () => ({ kind: 'none' }),
  run(c, sim) {
    unbind(sim, c.dev);
    return { ret: null };
  },
  update(c, _o, s) {
    forgetVectors(s, c.dev);
    const d = s.devices.get(c.dev);
    if (d !== undefined) {
      d.msiData = false;
      d.outOfVectors = false;
      // msi_device_data_release() removed the IMS domain too
      delete d.ims;
    }
  },
  ...deviceOnlySyntax('device_release_driver'),
  simplify: () => [],
};

export const deviceDel: CommandSpec<'device_del'> = {
  kind: 'device_del',
  summary: 'hot-remove the device: unbind, then the struct device is released',
  weight: 2,
  choices: (s) => count(s, (d) => !treeHasHandlers(s, d.name) && wiredBridgeRemovable(s, d.name)),
  // the driver frees its irqs (free_irq) before it goes; a bridge's consumers unmap its wires first
  valid: (c, s) => s.devices.has(c.dev) && !treeHasHandlers(s, c.dev) && wiredBridgeRemovable(s, c.dev),
  invalid: (c, s) =>
    !s.devices.has(c.dev)
      ? noDevice(c.dev)
      : treeHasHandlers(s, c.dev)
        ? `${c.dev} or one of its VFs still has handlers: free_irq() them before removal`
        : !wiredBridgeRemovable(s, c.dev)
          ? `${c.dev} is a wire-to-MSI bridge that cannot go now (its kind is not removable, or wires are still mapped: irq_dispose_mapping() them first)`
          : null,
  generate(s, rng) {
    const names = [...s.devices.keys()].filter((n) => !treeHasHandlers(s, n) && wiredBridgeRemovable(s, n));
    return names.length === 0 ? null : { kind: 'device_del', dev: pick(rng, names) };
  },
  expect: () => ({ kind: 'none' }),
  run(c, sim) {
    hotRemove(sim, c.dev, 'device_del');
    return { ret: null };
  },
  update(c, _o, s, sim) {
    s.devices.delete(c.dev);
    // Devices the platform removed with it (beforeDeviceRemove: a PF's VFs)
    for (const [name, d] of [...sim.devices]) {
      if (!d.removed) continue;
      sim.devices.delete(name);
      s.devices.delete(name);
    }
  },
  ...deviceOnlySyntax('device_del'),
  simplify: () => [],
};

/** pci_msi_domain_supports() for a function: what its driver learns about its own MSI parent. */
export function driverCaps(dev: PciDev): { readonly multiMsi: boolean; readonly dynMsix: boolean } {
  return { multiMsi: pciMsiDomainSupports(dev, MSI_FLAG_MULTI_PCI_MSI), dynMsix: pciMsiDomainSupports(dev, MSI_FLAG_PCI_MSIX_ALLOC_DYN) };
}

/** pci_stop_and_remove_bus_device(): unbind, then the struct device is released (`site` names the caller). */
export function hotRemove(sim: Simulation, name: string, site: string): void {
  const dev = sim.device(name);
  sim.platform.beforeDeviceRemove?.(dev);
  unbind(sim, name);
  sim.platform.afterDeviceUnbind?.(dev);
  dev.removed = true;
  sim.kernel.removeDevice(dev);
  sim.platform.afterDeviceRemove?.(dev);
  if (dev instanceof PciDev && dev.bridge !== null) dev.bridge.subordinate.splice(dev.bridge.subordinate.indexOf(dev), 1);
  sim.devices.delete(name);
  sim.kernel.heap.kfree(site, dev);
}

/**
 * Unbind as a correct driver does it: its remove() gives back what it allocated without
 * devres help (platform MSI), then the driver core releases devres (pcim_msi_release frees
 * PCI vectors, msi_device_data_release removes the MSI domains).
 */
function unbind(sim: Simulation, name: string): void {
  const dev = sim.device(name);
  if (dev instanceof PlatformDevice && holdsPlatformVectors(sim.state.devices.get(name))) platformDeviceMsiFreeIrqsAll(sim.kernel, dev);
  deviceReleaseDriver(sim.kernel, dev);
}

function liveCount(s: { devices: Map<string, unknown> }): number {
  return s.devices.size;
}

function nextIndex(current: number, name: string): number {
  const n = Number(/\d+$/.exec(name)?.[0] ?? NaN);
  return Number.isNaN(n) ? current + 1 : Math.max(current, n + 1);
}

function withoutKey<T extends object, K extends keyof T>(o: T, key: K): T {
  const copy = { ...o };
  delete copy[key];
  return copy;
}
