// The firmware of the modelled ARM64 machines: how PCI requester IDs (per segment) and platform
// devices reach their MSI controllers, as DT (msi-map on each host bridge, msi-parent on platform
// devices and bridges) or as ACPI IORT (root complexes, an SMMU, ITS groups). The kernel reads it
// through models/kernel/of-msi-map.ts, iort.ts and pci-msi-rid.ts; the platform's view of which
// DeviceID a device's writes carry (the interconnect's, for delivery and for the identity and
// capacity checks) is evaluated here from the same tables, read as the bindings define them, by
// code of its own.
import { pciDevId, pciDomainNr, PciDev, PlatformDevice, type Device } from '../kernel/device';
import type { Iort, IortIdMapping, IortNode } from '../kernel/iort';
import type { OfNode } from '../kernel/of-msi-map';
import type { MsiFirmware } from '../kernel/pci-msi-rid';

/** Where a device's MSIs go and with which DeviceID. */
export interface MsiTarget {
  readonly controller: string;
  readonly deviceId: number;
}

/** A machine's MSI firmware, with the device-to-DeviceID view derived from it. */
export interface Arm64Firmware {
  readonly fw: MsiFirmware;
  /** The controller that takes PCI functions the tables do not map (the host bridge's msi-parent). */
  readonly defaultController: string;
  /** Platform devices and bridges: msi-parent = <&controller id>. */
  platformTarget(dev: PlatformDevice): MsiTarget;
}

/** The requester ID the interconnect puts on a function's writes: a PCIe-to-PCI bridge's for what sits behind it. */
function wireRid(pdev: PciDev): number {
  return pdev.bridge !== null ? pciDevId(pdev.bridge.rid) : pciDevId(pdev.rid);
}

/** DT: the first msi-map entry covering the masked ID (no entry: the host bridge's own controller, ID unchanged). */
function dtTarget(hb: OfNode | undefined, rid: number, dflt: string): MsiTarget {
  const entries = hb?.msiMap ?? [];
  const masked = ((hb?.msiMapMask ?? 0xffffffff) & rid) >>> 0;
  for (const e of entries) if (masked >= e.idBase && masked < e.idBase + e.length) return { controller: e.controller, deviceId: e.outBase + (masked - e.idBase) };
  return { controller: hb?.msiParent?.controller ?? dflt, deviceId: rid };
}

/** IORT: each node's ranges are inclusive [base, base + count]; a range that starts where another ends takes that ID. */
function iortRange(mappings: readonly IortIdMapping[], id: number): IortIdMapping | null {
  let hit: IortIdMapping | null = null;
  for (const m of mappings) {
    if (m.single === true) return m;
    if (id < m.inputBase || id > m.inputBase + m.idCount) continue;
    if (hit === null || m.inputBase === id) hit = m;
  }
  return hit;
}

/** The IORT walk as the specification reads: from `start` through the ID mappings to an ITS group. */
function iortTarget(iort: Iort, itsName: (id: number) => string, start: IortNode | undefined, rid: number, dflt: string): MsiTarget {
  let node = start;
  let id = rid;
  for (let hops = 0; node !== undefined && hops < 8; hops++) {
    if (node.type === 'its-group') return { controller: itsName(node.itsIds[0] ?? -1), deviceId: id };
    const m = iortRange(node.mappings, id);
    if (m === null) break;
    id = m.single === true ? m.outputBase : m.outputBase + (id - m.inputBase);
    node = iort.nodes.get(m.outputRef);
  }
  return { controller: dflt, deviceId: rid };
}

/** Where a device's MSI writes go and with which DeviceID, as the hardware and firmware define it. */
export function msiTargetOf(f: Arm64Firmware, dev: Device): MsiTarget {
  if (dev instanceof PlatformDevice) return f.platformTarget(dev);
  const pdev = dev as PciDev;
  const rid = wireRid(pdev);
  if (f.fw.kind === 'dt') return dtTarget(f.fw.hostBridges.get(pciDomainNr(pdev.rid)), rid, f.defaultController);
  const iort = f.fw.iort;
  const rc = [...iort.nodes.values()].find((n) => n.type === 'root-complex' && n.segment === pciDomainNr(pdev.rid));
  return iortTarget(iort, f.fw.itsName, rc, rid, f.defaultController);
}

/**
 * The DeviceID-sharing view: two devices share a DeviceID on a controller exactly when the
 * firmware maps them there. For the identity checks and the capacity oracle.
 */
export function sharesDeviceId(f: Arm64Firmware, dev: Device, others: Iterable<Device>): boolean {
  const t = msiTargetOf(f, dev);
  for (const o of others) {
    if (o === dev || o.removed) continue;
    const u = msiTargetOf(f, o);
    if (u.controller === t.controller && u.deviceId === t.deviceId) return true;
  }
  return false;
}

// --- the machines ---

/**
 * DT machine: segment 0 maps buses 00-02 to its0 with the RID as DeviceID and buses 03-04 to
 * its1 at 0x10000 up; segment 1 collapses functions (msi-map-mask 0xfff8) onto its1 at 0x20000 up,
 * so 0001:03:00.0 and 0001:03:00.1 share a DeviceID. Platform devices sit on its0 with their
 * msi-parent ID; bridges of kind k, index n on `bridgeController` at `bridgeBase + n`.
 */
export function dtMachine(bridgeController: string, bridgeBase: number): Arm64Firmware {
  const hostBridges = new Map<number, OfNode>([
    [0, { name: 'pcie@40000000', msiMap: [{ idBase: 0x0000, controller: 'its0', outBase: 0x0000, length: 0x0300 }, { idBase: 0x0300, controller: 'its1', outBase: 0x10000, length: 0x0200 }] }],
    [1, { name: 'pcie@60000000', msiMapMask: 0xfff8, msiMap: [{ idBase: 0x0000, controller: 'its1', outBase: 0x20000, length: 0x10000 }] }],
  ]);
  return {
    fw: { kind: 'dt', hostBridges },
    defaultController: 'its0',
    platformTarget: (dev) => bridgeOrDevice(dev, bridgeController, bridgeBase),
  };
}

/**
 * ACPI machine: the IORT root complex of segment 0 sends RIDs 0000-02ff straight to ITS group A
 * (its0) and 0300-04ff through an SMMU (stream IDs at 0x8000 up) to group B (its1), with an
 * id_count written as the number of IDs (one too many, as some firmware has it): RID 0300 falls
 * at the end of the first range and the start of the second, and goes to the second; segment 1
 * maps everything to group B at 0x20000 up.
 */
export function acpiMachine(bridgeController: string, bridgeBase: number): Arm64Firmware {
  const nodes = new Map<string, IortNode>([
    ['rc0', { type: 'root-complex', name: 'rc0', segment: 0, mappings: [{ inputBase: 0x0000, idCount: 0x0300, outputBase: 0x0000, outputRef: 'groupA' }, { inputBase: 0x0300, idCount: 0x01ff, outputBase: 0x8000, outputRef: 'smmu0' }] }],
    ['rc1', { type: 'root-complex', name: 'rc1', segment: 1, mappings: [{ inputBase: 0x0000, idCount: 0xffff, outputBase: 0x20000, outputRef: 'groupB' }] }],
    ['smmu0', { type: 'smmu', name: 'smmu0', mappings: [{ inputBase: 0x8000, idCount: 0x01ff, outputBase: 0x10000, outputRef: 'groupB' }] }],
    ['groupA', { type: 'its-group', name: 'groupA', itsIds: [0] }],
    ['groupB', { type: 'its-group', name: 'groupB', itsIds: [1] }],
  ]);
  return {
    fw: { kind: 'acpi', iort: { nodes }, itsName: (id) => `its${id}` },
    defaultController: 'its0',
    platformTarget: (dev) => bridgeOrDevice(dev, bridgeController, bridgeBase),
  };
}

/** Bridge devices (named `<kind><n>`) sit on the bridge controller; others on its0 with their msi-parent ID. */
function bridgeOrDevice(dev: PlatformDevice, bridgeController: string, bridgeBase: number): MsiTarget {
  const m = /^(mbigen|iwb)(\d+)$/.exec(dev.name);
  if (m !== null) return { controller: bridgeController, deviceId: bridgeBase + Number(m[2]) };
  return { controller: 'its0', deviceId: dev.msiParentId };
}
