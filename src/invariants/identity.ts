// Identity: a parent that finds an interrupt's translation by the requester ID a write carries
// (the ITS DeviceID, the AMD-Vi devid's remap table, the VT-d IRTE's source-id) keys it by the
// ID the bus topology gives the device's writes, and two functions share such a translation
// only where the topology gives them the same ID. The topology is read here from the devices
// themselves, not from the parent's own answer.
import { PciDev, PlatformDevice, type Device } from '../../models/kernel/device';
import type { IrqDesc } from '../../models/kernel/irqdomain';
import type { RequesterKey } from '../../models/platforms/platform';
import type { Simulation } from '../sim/simulation';
import type { Invariant } from './invariant';

/**
 * The requester ID a device's memory writes arrive with: a PCIe-to-PCI bridge takes ownership
 * of what its secondary bus sends (its own RID); else a quirk DMA alias stands in for the
 * function; else its own RID. A platform device's is the ID its firmware node gives its MSI
 * parent (msi-parent / msi-map).
 */
export function topologyRequesterId(dev: Device): number | null {
  if (dev instanceof PciDev) {
    // a function below an Intel VMD writes with the VMD endpoint's ID (pci_real_dma_dev())
    const d = dev.vmdDev ?? dev;
    return d.bridge !== null ? d.bridge.rid : (d.dmaAliasRid ?? d.rid);
  }
  if (dev instanceof PlatformDevice) return dev.msiParentId;
  return null;
}

function hex(n: number): string {
  return n.toString(16);
}

/** The device of a live MSI irq, if it is one. */
function deviceOf(desc: IrqDesc): Device | null {
  const dev = desc.msiDesc?.dev ?? null;
  return dev instanceof PciDev || dev instanceof PlatformDevice ? dev : null;
}

/** One live irq's translation key and its device's requester ID. */
interface Keyed {
  readonly key: RequesterKey;
  readonly dev: Device;
  readonly rid: number;
}

/** The key of a live MSI irq and its device's topology requester ID, or null where there is none. */
function keyed(sim: Simulation, irq: number): Keyed | null {
  const desc = sim.kernel.irqs.desc(irq);
  const dev = desc === undefined ? null : deviceOf(desc);
  if (dev === null) return null;
  const rid = topologyRequesterId(dev);
  const key = sim.platform.requesterKey?.(dev, irq) ?? null;
  return rid === null || key === null ? null : { key, dev, rid };
}

function notFound(irq: number, k: Keyed): string {
  return `${k.dev.name} irq ${irq}: ${k.key.what} is not found by requester ID ${hex(k.rid)}, which the topology gives its writes`;
}

/**
 * Who holds each key, kept step by step for the incremental check: per irq its key and
 * requester ID, per key how many irqs hold it with each requester ID.
 */
class KeyIndex {
  readonly byIrq = new Map<number, { key: object; rid: number }>();
  readonly byKey = new Map<object, Map<number, number>>();
  constructor(public step: number) {}

  put(irq: number, k: Keyed | null): void {
    const old = this.byIrq.get(irq);
    if (old !== undefined) {
      const rids = this.byKey.get(old.key);
      const n = (rids?.get(old.rid) ?? 1) - 1;
      if (n > 0) rids?.set(old.rid, n);
      else rids?.delete(old.rid);
      if (rids?.size === 0) this.byKey.delete(old.key);
      this.byIrq.delete(irq);
    }
    if (k === null) return;
    this.byIrq.set(irq, { key: k.key.key, rid: k.rid });
    let rids = this.byKey.get(k.key.key);
    if (rids === undefined) this.byKey.set(k.key.key, (rids = new Map()));
    rids.set(k.rid, (rids.get(k.rid) ?? 0) + 1);
  }

  /** Does a key held by `irq` have holders with another requester ID? */
  shared(irq: number): boolean {
    const e = this.byIrq.get(irq);
    return e !== undefined && (this.byKey.get(e.key)?.size ?? 0) > 1;
  }
}

const indexes = new WeakMap<Simulation, KeyIndex>();

/**
 * Every live MSI irq's key against its device's topology; the first break. The holders seen
 * become the index of `step` when nothing broke.
 */
function identity(sim: Simulation, step: number): string | null {
  if (sim.platform.requesterKey === undefined) return null;
  const index = new KeyIndex(step);
  const first = new Map<object, Device>();
  for (const irq of sim.kernel.irqs.descs.keys()) {
    const k = keyed(sim, irq);
    if (k === null) continue;
    if (!k.key.accepts(k.rid)) return notFound(irq, k);
    index.put(irq, k);
    if (!first.has(k.key.key)) first.set(k.key.key, k.dev);
    else if (index.shared(irq)) {
      const other = first.get(k.key.key) as Device;
      return `${other.name} (requester ID ${hex(topologyRequesterId(other) ?? -1)}) and ${k.dev.name} (requester ID ${hex(k.rid)}) share ${k.key.what}, though no alias or bridge relates them`;
    }
  }
  indexes.set(sim, index);
  return null;
}

export const requesterIdIdentity: Invariant = {
  id: 'requester-id-identity',
  statement: 'a translation found by requester ID (ITS DeviceID, AMD-Vi remap table, VT-d source-id) is keyed by the ID the topology gives the device\'s writes, and shared only by functions the topology gives the same ID',
  rule: 'its_pci_msi_prepare() / get_devid() / set_msi_sid() derive the ID from pci_for_each_dma_alias(): the function, its DMA alias, the bridge that takes ownership; a platform device\'s from its msi-parent',
  check({ sim, record }) {
    return identity(sim, record.step);
  },
  // A key changes only for an irq the step touched (its hierarchy data is rewritten then), and
  // a new sharing pairs a touched irq with the key's other holders: the index of holders is
  // updated for the touched irqs and judged for them; a finding is worded by the full scan.
  // Without an index kept up to the previous step, the full scan decides.
  checkTouched(ctx, touched) {
    const { sim, record } = ctx;
    if (sim.platform.requesterKey === undefined) return null;
    const index = indexes.get(sim);
    // (the same step again is fine: putting an irq's key again changes nothing)
    if (index === undefined || (index.step !== record.step - 1 && index.step !== record.step)) return this.check(ctx);
    index.step = record.step;
    for (const irq of touched.irqs) {
      const k = keyed(sim, irq);
      index.put(irq, k);
      if ((k !== null && !k.key.accepts(k.rid)) || index.shared(irq)) return this.check(ctx);
    }
    return null;
  },
};
