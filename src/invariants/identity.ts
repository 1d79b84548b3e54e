// Identity: a parent that finds an interrupt's translation by the requester ID a write carries
// (the ITS DeviceID, the AMD-Vi devid's remap table, the VT-d IRTE's source-id) keys it by the
// ID the bus topology gives the device's writes, and two functions share such a translation
// only where the topology gives them the same ID. The topology is read here from the devices
// themselves, not from the parent's own answer.
import { PciDev, PlatformDevice, type Device } from '../../models/kernel/device';
import type { IrqDesc } from '../../models/kernel/irqdomain';
import type { Simulation } from '../sim/simulation';
import type { Invariant } from './invariant';

/**
 * The requester ID a device's memory writes arrive with: a PCIe-to-PCI bridge takes ownership
 * of what its secondary bus sends (its own RID); else a quirk DMA alias stands in for the
 * function; else its own RID. A platform device's is the ID its firmware node gives its MSI
 * parent (msi-parent / msi-map).
 */
export function topologyRequesterId(dev: Device): number | null {
  if (dev instanceof PciDev) return dev.bridge !== null ? dev.bridge.rid : (dev.dmaAliasRid ?? dev.rid);
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

/**
 * Every live MSI irq's translation key against its device's topology; the first break among
 * the irqs of `only` (every irq when null). Sharing is judged against the key's first owner.
 */
function identity(sim: Simulation, only: ReadonlySet<number> | null): string | null {
  const view = sim.platform.requesterKey?.bind(sim.platform);
  if (view === undefined) return null;
  const owners = new Map<object, { dev: Device; rid: number; irq: number }>();
  for (const desc of sim.kernel.irqs.descs.values()) {
    const dev = deviceOf(desc);
    if (dev === null) continue;
    const rid = topologyRequesterId(dev);
    const key = view(dev, desc.irq);
    if (rid === null || key === null) continue;
    const mine = only === null || only.has(desc.irq);
    if (mine && !key.accepts(rid)) return `${dev.name} irq ${desc.irq}: ${key.what} is not found by requester ID ${hex(rid)}, which the topology gives its writes`;
    const other = owners.get(key.key);
    if (other === undefined) owners.set(key.key, { dev, rid, irq: desc.irq });
    else if ((mine || only?.has(other.irq) === true) && other.dev !== dev && other.rid !== rid) {
      return `${other.dev.name} (requester ID ${hex(other.rid)}) and ${dev.name} (requester ID ${hex(rid)}) share ${key.what}, though no alias or bridge relates them`;
    }
  }
  return null;
}

export const requesterIdIdentity: Invariant = {
  id: 'requester-id-identity',
  statement: 'a translation found by requester ID (ITS DeviceID, AMD-Vi remap table, VT-d source-id) is keyed by the ID the topology gives the device\'s writes, and shared only by functions the topology gives the same ID',
  rule: 'its_pci_msi_prepare() / get_devid() / set_msi_sid() derive the ID from pci_for_each_dma_alias(): the function, its DMA alias, the bridge that takes ownership; a platform device\'s from its msi-parent',
  check({ sim }) {
    return identity(sim, null);
  },
  // A key changes only for an irq the step touched (its hierarchy data is rewritten then), and
  // a new sharing pairs a touched irq with the key's owner: judged for the touched irqs only.
  checkTouched(ctx, touched) {
    return touched.irqs.size === 0 ? null : identity(ctx.sim, touched.irqs);
  },
};
