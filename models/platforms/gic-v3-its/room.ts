// The ITS capacity oracle (PlatformInstance.vectorRoom): how many vectors an allocation gets,
// from what its_msi_prepare() and its_irq_domain_alloc() read: the its_device already
// registered for the DeviceID and its event map, else the size prepare asks for and the free
// LPI ranges its_lpi_alloc() halves down to.
import { getCountOrder, roundupPowOfTwo, type Bitmap } from '../../kernel/bitmap';
import { PciDev, type Device } from '../../kernel/device';
import type { MsiDomainInfo } from '../../kernel/msi-types';
import type { VectorRequest, VectorRoom } from '../platform';
import type { ItsDevice, ItsNode } from './its';
import { itsDeviceIdOf } from './its-msi-parent';

/** What an allocation of `req` gets from an event map (an its_device's lpi_map). */
function eventRoom(map: Bitmap, req: VectorRequest): number {
  const free = map.nbits - map.weight();
  switch (req.path) {
    case 'msix':
      // one event per irq; a shortfall is retried with what was allocated
      return Math.min(req.nvec, free);
    case 'platform':
      return free >= req.nvec ? req.nvec : 0;
    case 'msi':
      // one aligned block; a failed multi-MSI block is retried with one vector
      if (map.peekFreeRegion(getCountOrder(req.nvec)) >= 0) return req.nvec;
      return free >= 1 ? 1 : 0;
  }
}

/** eventRoom() of an empty map of `nr` events (a new its_device; 0: none could be created). */
function freshRoom(nr: number, req: VectorRequest): number {
  if (req.path === 'msix') return Math.min(req.nvec, nr);
  if (req.path === 'platform') return nr >= req.nvec ? req.nvec : 0;
  return roundupPowOfTwo(req.nvec) <= nr ? req.nvec : nr >= 1 ? 1 : 0;
}

/**
 * The event count its_pci_msi_prepare() / its_pmsi_prepare() ask its_create_device() for:
 * the domain's size, grown to what every function behind an aliasing bridge may use, a power of
 * two, at least 32 for DeviceID 0 (PCI) or for any platform device.
 */
function preparedEvents(dev: Device, hwsize: number): number {
  if (!(dev instanceof PciDev)) return Math.max(32, roundupPowOfTwo(hwsize));
  let aliasCount = 0;
  if (dev.bridge !== null) for (const sub of dev.bridge.subordinate) aliasCount += Math.max(sub.msiCap, sub.msixTableSize);
  const min = itsDeviceIdOf(dev) === 0 ? 32 : 1;
  return Math.max(min, roundupPowOfTwo(Math.max(hwsize, aliasCount)));
}

/** its_lpi_alloc(): the size halved until a free range fits, 0 if none does. */
function lpisFor(its: ItsNode, size: number): number {
  const largest = its.lpis.free.reduce((m, r) => Math.max(m, r.span), 0);
  let nr = size;
  while (nr > 0 && nr > largest) nr = Math.floor(nr / 2);
  return nr;
}

/** The bus token of the device's current MSI domain, if it has one. */
function domainToken(dev: Device): string | null {
  const domain = dev.msiData?.domains[0].domain ?? null;
  return domain === null ? null : (domain.hostData as MsiDomainInfo).bus_token;
}

const TOKEN: Record<VectorRequest['path'], string> = { msix: 'PCI_DEVICE_MSIX', msi: 'PCI_DEVICE_MSI', platform: 'DEVICE_MSI' };

/**
 * Whether the allocation first removes the device's domain of the other kind (MSI after
 * MSI-X or back), whose teardown frees an its_device no other function shares.
 */
function tornDownFirst(dev: Device, req: VectorRequest, existing: ItsDevice): boolean {
  const token = domainToken(dev);
  return token !== null && token !== TOKEN[req.path] && !existing.shared;
}

export function itsVectorRoom(its: ItsNode, dev: Device, req: VectorRequest): VectorRoom {
  const existing = its.findDevice(itsDeviceIdOf(dev));
  // Another function behind the same DeviceID, or this device's own domain kept since an
  // earlier allocation: prepare reuses the its_device, ITT not resized, events as they are
  if (existing !== null && !tornDownFirst(dev, req, existing)) {
    const n = eventRoom(existing.lpiMap.bitmap, req);
    return { sure: n, most: n };
  }
  const nr = lpisFor(its, preparedEvents(dev, req.hwsize));
  const n = freshRoom(nr, req);
  // A teardown first gives its range back: the free ranges only grow, so `n` is a lower bound
  return existing === null ? { sure: n, most: n } : { sure: n, most: req.nvec };
}
