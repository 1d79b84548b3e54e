// drivers/irqchip/irq-gic-v5-its.c: a GICv5 ITS. Each device (DeviceID) gets a device table entry
// pointing at its own ITT (gicv5_its_device_register()) and an event bitmap; an MSI's EventID is
// a free event (or, for hardwired message data, the wire), its ITT entry names the LPI once
// activated. Unlike the GICv3 ITS, a DeviceID is never shared: a second prepare for a registered
// DeviceID fails with -EBUSY.
import { Bitmap, getCountOrder, roundupPowOfTwo } from '../../kernel/bitmap';
import { EBUSY, EEXIST, EINVAL, ENOMEM, ENOSPC } from '../../kernel/errno';
import { KObject } from '../../kernel/heap';
import type { IrqChip, IrqData, IrqDomain, IrqDomainOps } from '../../kernel/irqdomain';
import type { Kernel } from '../../kernel/kernel';
import { derefInfo, MSI_ALLOC_FLAGS_FIXED_MSG_DATA, type MsiAllocInfo } from '../../kernel/msi-alloc-info';
import type { MsiDomainInfo } from '../../kernel/msi-types';
import { allocLpi, releaseLpi, type GicV5Irs } from './gic-v5-lpi';

/** The ITT of one device (linear: kcalloc(num_ents)). */
export class GicV5Itt extends KObject {
  readonly kind = 'gicv5_itt';
  /** EventID -> LPI for valid entries. */
  readonly entries = new Map<number, number>();
  constructor(readonly numEnts: number) {
    super();
  }
}

export class GicV5EventMap extends KObject {
  readonly kind = 'gicv5_event_map';
  constructor(readonly bitmap: Bitmap) {
    super();
  }
}

/** struct gicv5_its_dev */
export class GicV5ItsDev extends KObject {
  readonly kind = 'gicv5_its_dev';
  itt: GicV5Itt | null = null;
  eventMap: GicV5EventMap | null = null;
  /** its_trans_phys_base: the translate frame the device's MSIs go to. */
  transPhysBase = 0;
  constructor(
    readonly its: GicV5Its,
    readonly deviceId: number,
    readonly numEvents: number,
  ) {
    super();
  }
}

/** struct gicv5_its_chip_data, plus its device table as the hardware reads it. */
export class GicV5Its {
  /** its->its_devices (xarray by DeviceID). */
  readonly devices = new Map<number, GicV5ItsDev>();
  /** The linear device table: DeviceID -> the ITT its valid DTE points at. */
  readonly deviceTable = new Map<number, GicV5Itt>();
  domain: IrqDomain | null = null;

  constructor(
    readonly name: string,
    /** The ns-translate frame's physical address (its_translate_frame_address()). */
    readonly translateFrame: number,
    /** DT_CFGR.DEVICEID_BITS */
    readonly deviceIdBits: number,
    /** IDR2.EVENTID_BITS */
    readonly eventIdBits: number,
  ) {}
}

const HWIRQ_EVENT_SHIFT = 2 ** 32;

/** hwirq = event_id << 32 | device_id (GICV5_ITS_HWIRQ_*). */
function eventOf(hwirq: number): number {
  return Math.floor(hwirq / HWIRQ_EVENT_SHIFT);
}

/** order_base_2() */
function orderBase2(n: number): number {
  return n <= 1 ? 0 : Math.ceil(Math.log2(n));
}

/**
 * gicv5_its_device_register(): DeviceID in range, no valid DTE yet, EventID bits within the
 * ITS's, a linear ITT, then the DTE (the ITT freed again if the DTE invalidation fails)
 */
function gicv5ItsDeviceRegister(k: Kernel, its: GicV5Its, dev: GicV5ItsDev): number {
  if (dev.deviceId >= 2 ** its.deviceIdBits) {
    k.printk(`GICv5 ITS: Supplied DeviceID (${dev.deviceId}) outside of Device Table range`);
    return -EINVAL;
  }
  if (its.deviceTable.has(dev.deviceId)) return -EBUSY;
  const eventIdBits = orderBase2(dev.numEvents);
  if (eventIdBits > its.eventIdBits) {
    k.printk(`GICv5 ITS: Required EventID bits (${eventIdBits}) larger than supported bits (${its.eventIdBits})`);
    return -EINVAL;
  }
  // gicv5_its_create_itt_linear(): kcalloc(BIT(event_id_bits))
  if (k.faults.shouldFail('gicv5_its_create_itt')) return -ENOMEM;
  dev.itt = k.heap.kmalloc(new GicV5Itt(2 ** eventIdBits), 'gicv5_its_create_itt_linear');
  its.deviceTable.set(dev.deviceId, dev.itt);
  k.dirty.objects.add(its);
  return 0;
}

/** gicv5_its_device_unregister(): the DTE is zeroed and the ITT freed */
function gicv5ItsDeviceUnregister(k: Kernel, its: GicV5Its, dev: GicV5ItsDev): number {
  if (its.deviceTable.get(dev.deviceId) !== dev.itt) {
    k.printk(`GICv5 ITS: Device table entry for DeviceID 0x${dev.deviceId.toString(16)} is not valid`);
    return -EINVAL;
  }
  its.deviceTable.delete(dev.deviceId);
  k.dirty.objects.add(its);
  k.heap.kfree('gicv5_its_free_itt', dev.itt);
  return 0;
}

/**
 * gicv5_its_alloc_device(): a DeviceID registered already is -EBUSY; otherwise the device,
 * its DTE and ITT, and its event map (one unwind path, in reverse)
 */
function gicv5ItsAllocDevice(k: Kernel, its: GicV5Its, nvec: number, devId: number): GicV5ItsDev | number {
  if (its.devices.has(devId)) {
    k.printk(`GICv5 ITS: A device with this DeviceID (0x${devId.toString(16)}) has already been registered.`);
    return -EBUSY;
  }
  if (k.faults.shouldFail('gicv5_its_alloc_device')) return -ENOMEM;
  const dev = k.heap.kmalloc(new GicV5ItsDev(its, devId, nvec), 'gicv5_its_alloc_device');
  let ret = gicv5ItsDeviceRegister(k, its, dev);
  if (ret === 0) {
    if (k.faults.shouldFail('bitmap_zalloc')) {
      ret = -ENOMEM;
      gicv5ItsDeviceUnregister(k, its, dev);
    } else {
      dev.eventMap = k.heap.kmalloc(new GicV5EventMap(new Bitmap(nvec)), 'gicv5_its_alloc_device');
      its.devices.set(devId, dev);
      k.dirty.objects.add(dev);
      return dev;
    }
  } else {
    k.printk('GICv5 ITS: Failed to register the device');
  }
  k.heap.kfree('gicv5_its_alloc_device', dev);
  return ret;
}

/** The gicv5_its_chip_data behind an ITS domain (msi_domain_info::data). */
function itsOfDomain(domain: IrqDomain): GicV5Its {
  return (domain.hostData as MsiDomainInfo).data as GicV5Its;
}

/**
 * gicv5_its_msi_prepare(): the device for the DeviceID in scratchpad[0].ul (created here, never
 * shared), its translate frame from scratchpad[1].ul; the pointer goes back into scratchpad[0]
 */
export function gicv5ItsMsiPrepare(k: Kernel, domain: IrqDomain, nvec: number, info: MsiAllocInfo): number {
  const devId = info.scratchpad[0].readUl(k, 'gicv5_its_msi_prepare') >>> 0;
  const its = itsOfDomain(domain);
  const dev = gicv5ItsAllocDevice(k, its, nvec, devId);
  if (typeof dev === 'number') return dev;
  dev.transPhysBase = info.scratchpad[1].readUl(k, 'gicv5_its_msi_prepare');
  info.scratchpad[0].writePtr(dev);
  return 0;
}

/** gicv5_its_msi_teardown(): events still allocated is a WARN and the device stays (leaks) */
export function gicv5ItsMsiTeardown(k: Kernel, domain: IrqDomain, arg: MsiAllocInfo | null): void {
  const info = derefInfo('gicv5_its_msi_teardown', arg);
  const dev = k.heap.deref('gicv5_its_msi_teardown', info.scratchpad[0].readPtr<GicV5ItsDev>(k, 'gicv5_its_msi_teardown'), 'its_dev');
  const its = itsOfDomain(domain);
  const map = k.heap.deref('gicv5_its_msi_teardown', dev.eventMap, 'event_map');
  if (!map.bitmap.empty()) {
    k.warn('gicv5_its_msi_teardown', `DeviceID 0x${dev.deviceId.toString(16)} torn down with events ${map.bitmap.setBits().join(',')} still allocated`);
    return;
  }
  its.devices.delete(dev.deviceId);
  k.dirty.objects.add(dev);
  k.heap.kfree('gicv5_its_msi_teardown', map);
  gicv5ItsDeviceUnregister(k, its, dev);
  k.heap.kfree('gicv5_its_msi_teardown', dev);
}

/**
 * gicv5_its_alloc_eventid(): a free naturally aligned region, or for hardwired message data the
 * event the wire names (once)
 */
function gicv5ItsAllocEventid(k: Kernel, dev: GicV5ItsDev, info: MsiAllocInfo, nrIrqs: number): number {
  const map = k.heap.deref('gicv5_its_alloc_eventid', dev.eventMap, 'event_map');
  if ((info.flags & MSI_ALLOC_FLAGS_FIXED_MSG_DATA) === 0) {
    const base = map.bitmap.findFreeRegion(getCountOrder(nrIrqs));
    return base < 0 ? -ENOSPC : base;
  }
  if (nrIrqs !== 1) {
    k.warn('gicv5_its_alloc_eventid', `fixed message data for ${nrIrqs} irqs`);
    return -EINVAL;
  }
  const event = info.hwirq;
  if (event >= dev.numEvents) {
    k.printk('GICv5 ITS: EventID outside of ITT range; cannot allocate an ITT entry!');
    return -EINVAL;
  }
  if (map.bitmap.test(event)) {
    k.printk("GICv5 ITS: Can't reserve event_id bitmap");
    return -EINVAL;
  }
  map.bitmap.set(event, 1);
  return event;
}

/** gicv5_its_free_eventid(): bitmap_release_region() of the event block. */
function gicv5ItsFreeEventid(k: Kernel, dev: GicV5ItsDev, base: number, nrIrqs: number): void {
  const map = k.heap.deref('gicv5_its_free_eventid', dev.eventMap, 'event_map');
  map.bitmap.releaseRegion(base, getCountOrder(nrIrqs), (what) => k.report('double-free', 'bitmap_release_region', `DeviceID 0x${dev.deviceId.toString(16)} events: ${what}`));
}

/** The ITS's MSI chip: the message is the translate frame and the EventID. */
export function makeGicV5ItsChip(): IrqChip {
  return {
    name: 'GICv5-ITS-MSI',
    /** gicv5_its_compose_msi_msg() */
    composeMsiMsg(k, d) {
      const dev = k.heap.deref('gicv5_its_compose_msi_msg', d.chipData as GicV5ItsDev | null, 'chip_data');
      const addr = dev.transPhysBase;
      return { addressHi: Math.floor(addr / 2 ** 32), addressLo: addr % 2 ** 32, data: eventOf(d.hwirq) };
    },
  };
}

/** irq_data_get_irq_chip_data(): the gicv5_its_dev (oopses on NULL, as the C does). */
function devOf(k: Kernel, site: string, d: IrqData): GicV5ItsDev {
  return k.heap.deref(site, d.chipData as GicV5ItsDev | null, 'chip_data');
}

/** gicv5_its_irq_domain_ops */
export function makeGicV5ItsDomainOps(irs: GicV5Irs, chip: IrqChip): IrqDomainOps {
  return {
    alloc(k, domain, virq, nrIrqs, args) {
      const info = args as MsiAllocInfo;
      const dev = k.heap.deref('gicv5_its_irq_domain_alloc', info.scratchpad[0].readPtr<GicV5ItsDev>(k, 'gicv5_its_irq_domain_alloc'), 'its_dev');
      const base = gicv5ItsAllocEventid(k, dev, info, nrIrqs);
      if (base < 0) return base;
      const setInfo = (i: number): void => {
        k.irqs.setHwirqAndChip(domain, virq + i, (base + i) * HWIRQ_EVENT_SHIFT + dev.deviceId, chip, dev);
      };
      if (k.applied('a7c7e42654b6')) {
        // the parent range in one call; no operation in the per-MSI loop can fail
        const ret = k.irqs.allocIrqsParent(domain, virq, nrIrqs, null);
        if (ret !== 0) {
          gicv5ItsFreeEventid(k, dev, base, nrIrqs);
          return ret;
        }
        for (let i = 0; i < nrIrqs; i++) setInfo(i);
        return 0;
      }
      // one parent per event; before dec85d2fbd20 the ITS allocates the LPI itself
      let i = 0;
      let ret = 0;
      for (; i < nrIrqs; i++) {
        let lpi = 0;
        if (!k.applied('dec85d2fbd20')) {
          ret = allocLpi(k, irs);
          if (ret < 0) break;
          lpi = ret;
        }
        ret = k.irqs.allocIrqsParent(domain, virq + i, 1, lpi);
        if (ret !== 0) {
          if (!k.applied('dec85d2fbd20')) releaseLpi(k, irs, lpi);
          break;
        }
        setInfo(i);
      }
      if (ret < 0) {
        // out_free_irqs: the events done so far, then the event range
        while (--i >= 0) {
          const d = k.irqs.getIrqData(domain, virq + i);
          if (d !== null && !k.applied('dec85d2fbd20') && d.parentData !== null) releaseLpi(k, irs, d.parentData.hwirq);
          if (d !== null) k.irqs.resetIrqData(d);
          k.irqs.freeIrqsParent(domain, virq + i, 1);
        }
        gicv5ItsFreeEventid(k, dev, base, nrIrqs);
        return ret;
      }
      return 0;
    },
    /** gicv5_its_irq_domain_free(): the event region of the first irq, the data, the parents */
    free(k, domain, virq, nrIrqs) {
      const d0 = k.irqs.getIrqData(domain, virq);
      if (d0 === null) return;
      const dev = devOf(k, 'gicv5_its_irq_domain_free', d0);
      gicv5ItsFreeEventid(k, dev, eventOf(d0.hwirq), nrIrqs);
      for (let i = 0; i < nrIrqs; i++) {
        const d = k.irqs.getIrqData(domain, virq + i);
        if (d === null) continue;
        if (!k.applied('a7c7e42654b6')) {
          if (!k.applied('dec85d2fbd20') && d.parentData !== null) releaseLpi(k, irs, d.parentData.hwirq);
          k.irqs.resetIrqData(d);
          k.irqs.freeIrqsParent(domain, virq + i, 1);
        } else k.irqs.resetIrqData(d);
      }
      if (k.applied('a7c7e42654b6')) k.irqs.freeIrqsParent(domain, virq, nrIrqs);
    },
    /** gicv5_its_irq_domain_activate() -> gicv5_its_map_event(): a valid ITTE already is -EEXIST */
    activate(k, _domain, d) {
      const dev = devOf(k, 'gicv5_its_irq_domain_activate', d);
      const itt = k.heap.deref('gicv5_its_map_event', dev.itt, 'itt');
      const event = eventOf(d.hwirq);
      if (itt.entries.has(event)) return -EEXIST;
      itt.entries.set(event, d.parentData?.hwirq ?? 0);
      k.dirty.objects.add(dev.its);
      return 0;
    },
    /** gicv5_its_irq_domain_deactivate() -> gicv5_its_unmap_event(): the ITTE's valid bit cleared */
    deactivate(k, _domain, d) {
      const dev = devOf(k, 'gicv5_its_irq_domain_deactivate', d);
      const itt = k.heap.deref('gicv5_its_unmap_event', dev.itt, 'itt');
      itt.entries.delete(eventOf(d.hwirq));
      k.dirty.objects.add(dev.its);
    },
  };
}

/** roundup_pow_of_two() as the v5 prepare callbacks use it. */
export function v5Events(nvec: number): number {
  return roundupPowOfTwo(Math.max(1, nvec));
}
