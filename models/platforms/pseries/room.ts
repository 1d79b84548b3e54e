// The pseries capacity oracle (PlatformInstance.vectorRoom): the count pseries_msi_ops_prepare()
// settles on from the firmware's inputs (ibm,req#msi / ibm,req#msi-x, the quota that
// msi_quota_for_device() splits ibm,pe-total-#msi into, the LISNs the firmware can configure),
// or, for a domain kept from an earlier allocation, the quota its prepare recorded.
import { getCountOrder } from '../../kernel/bitmap';
import type { PciDev } from '../../kernel/device';
import type { Kernel } from '../../kernel/kernel';
import type { MsiDomainInfo } from '../../kernel/msi-types';
import type { VectorRequest, VectorRoom } from '../platform';
import type { SpaprHypervisor, SpaprSlot } from './hypervisor';
import { PseriesMsiDevice } from './msi';

/**
 * What ibm,change-msi answers a request for `n` sources: `n` when it configures them, a smaller
 * positive count when the function can have only that many, 0 when it fails (the firmware's
 * inputs: the function's capability, PowerVM's fixed LISN block, QEMU's free LISN space).
 */
function firmwareAnswer(hv: SpaprHypervisor, slot: SpaprSlot, msi: boolean, n: number): number {
  const capable = msi ? slot.dev.msiCap : slot.dev.msixTableSize;
  const max = hv.flavour === 'phyp' ? Math.min(capable, slot.lisnCount) : capable;
  if (max === 0) return 0;
  if (n > max) return max;
  if (hv.flavour === 'phyp') return n;
  // QEMU allocates a new block before it releases the function's old one
  return slot.phb.lisnMap.findZeroArea(n, msi ? (1 << getCountOrder(n)) - 1 : 0) >= 0 ? n : 0;
}

/**
 * The quota msi_quota_for_device() gives a `request` of `slot`'s function, worked out here from
 * the device tree itself (ibm,pe-total-#msi of the PE, ibm,req#msi and ibm,req#msi-x of every
 * function under it), not asked of the model: each function of the PE gets an even share of the
 * total; one that asks for more also gets an equal part, among all that ask for more, of what
 * the others asking less leave (a function's ask is its larger property, since nobody knows
 * whether its driver will use MSI or MSI-X) and of the remainder of the even split.
 */
function deviceTreeQuota(slot: SpaprSlot, request: number): number {
  // count_non_bridge_devices(): the functions still in the device tree under the PE
  const functions = slot.phb.slots.filter((s) => !s.dev.removed);
  const total = slot.phb.totalMsi;
  if (functions.length === 0) return request;
  const share = Math.trunc(total / functions.length);
  if (request <= share) return request;
  // count_spare_msis()
  const asks = functions.map((s) => (s === slot ? request : Math.max(s.reqMsi ?? 0, s.reqMsix ?? 0)));
  const spare = asks.reduce((sum, a) => sum + Math.max(0, share - a), 0) + (total % functions.length);
  const askingMore = asks.filter((a) => a > share).length;
  return Math.min(askingMore > 0 ? share + Math.trunc(spare / askingMore) : share, request);
}

/**
 * pseries_msi_ops_prepare() with the per-device quota: rtas_prepare_msi_irqs() is asked for the
 * domain's size and again for every smaller count it answers (ibm,req#msi(-x), the quota, what
 * the firmware configured), until it configures what it was asked for. 0: prepare fails.
 */
function preparedQuota(hv: SpaprHypervisor, slot: SpaprSlot, msi: boolean, hwsize: number): number {
  let q = hwsize;
  for (let round = 0; round < 16 && q > 0; round++) {
    const req = msi ? slot.reqMsi : slot.reqMsix;
    if (req === null || req === 0) return 0;
    if (req < q) {
      q = req;
      continue;
    }
    const quota = deviceTreeQuota(slot, q);
    if (quota !== 0 && quota < q) {
      q = quota;
      continue;
    }
    // Firmware refuses non power of two allocations: MSI-X is rounded up if the quota allows
    const up = 1 << getCountOrder(q);
    const tries = !msi && up !== q && deviceTreeQuota(slot, up) >= up ? [up, q] : [q];
    let rc = 0;
    for (const t of tries) {
      rc = firmwareAnswer(hv, slot, msi, t);
      if (rc === t) return t;
    }
    if (rc <= 0) return 0;
    q = rc;
  }
  return 0;
}

/** The count an allocation of `req` ends with when `left` MSIs remain under the quota. */
function fromQuota(req: VectorRequest, left: number): number {
  if (req.path === 'msix') return Math.min(req.nvec, left);
  // pseries_irq_domain_alloc() refuses the whole multi-MSI block; the retry asks for one
  return left >= req.nvec ? req.nvec : left >= 1 ? 1 : 0;
}

const TOKEN: Record<VectorRequest['path'], string> = { msix: 'PCI_DEVICE_MSIX', msi: 'PCI_DEVICE_MSI', platform: 'DEVICE_MSI' };

export function pseriesVectorRoom(k: Kernel, hv: SpaprHypervisor, dev: PciDev, req: VectorRequest): VectorRoom {
  const slot = hv.slotOf(dev);
  if (slot === null || req.path === 'platform') return { sure: 0, most: 0 };
  const domain = dev.msiData?.domains[0].domain ?? null;
  const token = domain === null ? null : (domain.hostData as MsiDomainInfo).bus_token;
  if (domain !== null && token === TOKEN[req.path]) {
    // The domain stays from an earlier allocation: its prepare's quota, less what is in use;
    // without a recorded quota, prepare configured the domain's whole size
    const bundle = [...k.msiDomains].find((b) => b.dev === dev && b.domain === domain);
    const pd = bundle?.alloc_info.scratchpad[0].peekPtr();
    const left = pd instanceof PseriesMsiDevice ? pd.msi_quota - pd.msi_used : req.hwsize;
    const n = fromQuota(req, left);
    return { sure: n, most: n };
  }
  const n = fromQuota(req, preparedQuota(hv, slot, req.path === 'msi', req.hwsize));
  // Removing the domain of the other kind first releases the function's sources (QEMU: its
  // LISN block too): the firmware can only give more then
  return domain === null ? { sure: n, most: n } : { sure: n, most: req.nvec };
}
