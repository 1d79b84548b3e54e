// The Xen platforms, path by path: xen_initdom_setup_msi_irqs() (PHYSDEVOP_map_pirq with the
// segment, the MAP_PIRQ_TYPE_MSI fallback), xen_bind_pirq_msi_to_irq(), __startup_pirq() /
// shutdown_pirq() around request_irq() / free_irq(), xen_destroy_irq(), the HVM guest's
// pirq-naming message, pcifront's backend round trip, and the event channel delivery.
import { PciDev } from '../../models/kernel/device';
import { Kernel } from '../../models/kernel/kernel';
import { freeIrq, requestIrq } from '../../models/kernel/manage';
import { PatchSet } from '../../models/kernel/patches';
import { cpuHandleIrq } from '../../models/kernel/irq-flow';
import { PCI_IRQ_MSI, PCI_IRQ_MSIX, pciAllocIrqVectors, pciFreeIrqVectors, pciIrqVector, deviceReleaseDriver } from '../../models/kernel/pci-msi';
import { pciSignalVector } from '../../models/kernel/pci-msi-signal';
import { XenPlatform, xenHvmDomUPlatform, xenPvDom0Platform, xenPvDomUPlatform, XEN_DEFAULT_HYPERVISOR } from '../../models/platforms/xen';
import { pirqOfHvmMsg } from '../../models/platforms/xen/hypervisor';
import type { XenMode } from '../../models/platforms/xen/xen-pci';
import type { PlatformModel } from '../../models/platforms/platform';

function boot(model: PlatformModel, revision = 'v7.2', hv = XEN_DEFAULT_HYPERVISOR): { k: Kernel; p: XenPlatform } {
  const rev = model.revisions.find((r) => r.name === revision.split('+')[0]);
  if (rev === undefined) throw new Error(revision);
  const extra = revision.split('+').slice(1);
  const k = new Kernel(new PatchSet([...rev.patches, ...extra]));
  const mode: XenMode = model === xenPvDom0Platform ? 'pv-dom0' : model === xenPvDomUPlatform ? 'pv-domu' : 'hvm-domu';
  const p = new XenPlatform(k, mode, hv);
  k.fabric = p.interruptFabric();
  return { k, p };
}

function add(k: Kernel, p: XenPlatform, name: string, rid: number, msi: number, msix: number, segment = 0): PciDev {
  const dev = k.heap.kmalloc(new PciDev(name, rid, msi, msix, null, null));
  dev.segment = segment;
  dev.msiParent = p.msiParentFor(dev);
  k.addDevice(dev);
  return dev;
}

function pool(p: XenPlatform, name: string): number {
  const r = p.resources().find((x) => x.pool === name);
  if (r === undefined) throw new Error(name);
  return r.inUse;
}

const owner = (vec: number): { dev: string; vec: number } => ({ dev: 'nic', vec });

describe('xen-pv-dom0: PHYSDEVOP_map_pirq per vector', () => {
  test('MSI-X: a pirq and a machine vector per entry, Xen-programmed entries, irqs without a domain', () => {
    const { k, p } = boot(xenPvDom0Platform);
    const dev = add(k, p, 'nic', 0x0300, 0, 4);
    expect(dev.msiParent?.name).toBe('XEN-MSI');
    expect(pciAllocIrqVectors(k, dev, 1, 4, PCI_IRQ_MSIX)).toBe(4);
    // Xen mapped one pirq per entry, from the top of dom0's pirq space, and programmed the entries (masked)
    expect(pool(p, 'pirq')).toBe(4);
    expect(pool(p, 'irq_info')).toBe(4);
    for (let i = 0; i < 4; i++) {
      expect(dev.msixTable[i]?.masked).toBe(true);
      const irq = pciIrqVector(dev, i);
      const info = p.events.infos.get(irq);
      expect(info?.type).toBe('IRQT_PIRQ');
      expect(info?.evtchn).toBe(0);
      expect(p.xen.pirq(0, info?.pirq ?? -1)?.source?.entry).toBe(i);
      // irq_alloc_descs(): no domain above the xen-pirq chip
      expect(k.irqs.desc(irq)?.irqData.chip?.name).toBe('xen-pirq');
    }
    expect(k.dmesg.some((l) => l.includes('0000:03:00.0: MSI-X entry 0 -> pirq'))).toBe(true);
  });

  test('request_irq binds an event channel and Xen unmasks the entry; a raise is delivered as an event; free_irq closes it', () => {
    const { k, p } = boot(xenPvDom0Platform);
    const dev = add(k, p, 'nic', 0x0300, 0, 2);
    expect(pciAllocIrqVectors(k, dev, 2, 2, PCI_IRQ_MSIX)).toBe(2);
    const irq = pciIrqVector(dev, 1);
    expect(requestIrq(k, irq, 'nic:1', owner(1))).toBe(0);
    const info = p.events.infos.get(irq);
    expect(info?.evtchn).toBeGreaterThan(0);
    expect(info?.maskReason).toBe(0);
    expect(dev.msixTable[1]?.masked).toBe(false);
    expect(pool(p, 'event channel')).toBe(1);
    // the device raises vector 1: machine vector -> pirq -> port -> upcall on vCPU 0
    expect(pciSignalVector(k, dev, 1, { dev: 'nic', vec: 1, step: 0 })).toContain('upcall to vCPU 0');
    const ev = cpuHandleIrq(k, p.interruptFabric(), 0);
    expect(ev?.irq).toBe(irq);
    expect(ev?.ranFor).toEqual(owner(1));
    // vector 0 has no event channel yet: Xen drops it
    expect(pciSignalVector(k, dev, 0, { dev: 'nic', vec: 0, step: 0 })).toContain('Pending Bit');
    expect(freeIrq(k, irq, owner(1), 0).ret).toBe(0);
    expect(info?.evtchn).toBe(0);
    expect(pool(p, 'event channel')).toBe(0);
    expect(dev.msixTable[1]?.masked).toBe(true);
    pciFreeIrqVectors(k, dev);
    for (const r of p.resources()) expect([r.pool, r.inUse]).toEqual([r.pool, 0]);
    expect(k.irqs.allocatedIrqCount()).toBe(0);
    expect(k.reports).toEqual([]);
  });

  test('MAP_PIRQ_TYPE_MSI_SEG carries the segment; an old hypervisor makes segment 0 fall back for good and other segments fail', () => {
    const { k, p } = boot(xenPvDom0Platform, 'v7.2', { ...XEN_DEFAULT_HYPERVISOR, msiSegSupported: false });
    const seg0 = add(k, p, 'a', 0x0100, 1, 0);
    const seg1 = add(k, p, 'b', 0x0100, 1, 0, 1);
    expect(p.msi.pciSegSupported).toBe(true);
    expect(pciAllocIrqVectors(k, seg0, 1, 1, PCI_IRQ_MSI)).toBe(1);
    expect(p.msi.pciSegSupported).toBe(false);
    // the same hypervisor for a device in segment 1: -EINVAL, nothing else to try
    expect(pciAllocIrqVectors(k, seg1, 1, 1, PCI_IRQ_MSI)).toBe(-22);
    expect(k.dmesg.some((l) => l.includes('b: xen map irq failed -22'))).toBe(true);
    expect(pool(p, 'pirq')).toBe(1);
  });

  test('with MSI_SEG the segment picks the device: two functions at the same RID in two segments', () => {
    const { k, p } = boot(xenPvDom0Platform);
    const a = add(k, p, 'a', 0x0100, 0, 1);
    const b = add(k, p, 'b', 0x0100, 0, 1, 0x10);
    expect(pciAllocIrqVectors(k, a, 1, 1, PCI_IRQ_MSIX)).toBe(1);
    expect(pciAllocIrqVectors(k, b, 1, 1, PCI_IRQ_MSIX)).toBe(1);
    expect(b.msixTable[0]).not.toBeNull();
    expect(p.xen.allPirqs().map((e) => e.source?.dev.name).sort()).toEqual(['a', 'b']);
  });

  test('multi-MSI never reaches Xen: XEN-MSI lacks MSI_FLAG_MULTI_PCI_MSI, msi_capability_init() retries with one vector', () => {
    const { k, p } = boot(xenPvDom0Platform);
    const dev = add(k, p, 'ahci', 0x0200, 8, 0);
    expect(pciAllocIrqVectors(k, dev, 1, 8, PCI_IRQ_MSI)).toBe(1);
    expect(pool(p, 'pirq')).toBe(1);
    expect(dev.msiCapMsg).not.toBeNull();
  });

  test('PHYSDEVOP_map_pirq failing on the third entry unwinds the two mapped ones through xen_teardown_msi_irqs()', () => {
    const { k, p } = boot(xenPvDom0Platform);
    const dev = add(k, p, 'nic', 0x0300, 0, 4);
    k.faults.arm('PHYSDEVOP_map_pirq', 2);
    expect(pciAllocIrqVectors(k, dev, 4, 4, PCI_IRQ_MSIX)).toBe(-28);
    expect(k.dmesg.some((l) => l.includes('xen map irq failed -28'))).toBe(true);
    for (const r of p.resources()) expect([r.pool, r.inUse]).toEqual([r.pool, 0]);
    expect(k.irqs.allocatedIrqCount()).toBe(0);
  });
});

describe('xen-pirq-bind-failure-silent: EVTCHNOP_bind_pirq failing in __startup_pirq()', () => {
  test('at v7.2 request_irq() returns 0 and the irq has no event channel: Xen drops its interrupts', () => {
    const { k, p } = boot(xenPvDom0Platform);
    const dev = add(k, p, 'nic', 0x0300, 0, 1);
    expect(pciAllocIrqVectors(k, dev, 1, 1, PCI_IRQ_MSIX)).toBe(1);
    const irq = pciIrqVector(dev, 0);
    k.faults.arm('EVTCHNOP_bind_pirq');
    expect(requestIrq(k, irq, 'nic:0', owner(0))).toBe(0);
    expect(k.dmesg.some((l) => l.includes(`Failed to obtain physical IRQ ${irq}`))).toBe(true);
    const msg = dev.msixTable[0];
    if (msg === null || msg === undefined) throw new Error('no entry');
    expect(p.deliver(dev, msg)).toEqual({ blocked: expect.stringContaining('has no event channel') });
  });

  test('with msi-fuzz\'s proposal the bind happens in irq_request_resources() and request_irq() fails with it', () => {
    const { k, p } = boot(xenPvDom0Platform, 'v7.2+msi-fuzz-xen-pirq-request-resources');
    const dev = add(k, p, 'nic', 0x0300, 0, 1);
    expect(pciAllocIrqVectors(k, dev, 1, 1, PCI_IRQ_MSIX)).toBe(1);
    const irq = pciIrqVector(dev, 0);
    k.faults.arm('EVTCHNOP_bind_pirq');
    expect(requestIrq(k, irq, 'nic:0', owner(0))).toBe(-28);
    expect(k.irqs.desc(irq)?.action).toBeNull();
    // a second request gets its port; free_irq() gives it back in irq_release_resources()
    expect(requestIrq(k, irq, 'nic:0', owner(0))).toBe(0);
    expect(pool(p, 'event channel')).toBe(1);
    expect(freeIrq(k, irq, owner(0), 0).ret).toBe(0);
    expect(pool(p, 'event channel')).toBe(0);
  });
});

describe('xen-pv-domu: pcifront and its backend', () => {
  test('MSI-X through XEN_PCI_OP_enable_msix: the backend maps the guest\'s pirqs, the guest binds them', () => {
    const { k, p } = boot(xenPvDomUPlatform);
    const dev = add(k, p, 'nic', 0x0000, 0, 4);
    expect(pciAllocIrqVectors(k, dev, 1, 4, PCI_IRQ_MSIX)).toBe(4);
    expect(p.xen.allPirqs().every((e) => e.domid === 1)).toBe(true);
    expect(pool(p, 'pirq')).toBe(4);
  });

  test('more vectors than SH_INFO_MAX_VEC are refused by the frontend', () => {
    const { k, p } = boot(xenPvDomUPlatform);
    const dev = add(k, p, 'nic', 0x0000, 0, 2048);
    expect(pciAllocIrqVectors(k, dev, 2048, 2048, PCI_IRQ_MSIX)).toBe(-22);
    expect(pciAllocIrqVectors(k, dev, 128, 128, PCI_IRQ_MSIX)).toBe(128);
  });

  test('xen-pcifront-msix-disable: since 0bcfade92080 pci_disable_msix() sends XEN_PCI_OP_disable_msi; MSI-X stays enabled in the backend', () => {
    for (const [rev, leaked] of [
      ['v5.10', 0],
      ['v5.17', 2],
      ['v7.2', 2],
      ['v7.2+msi-fuzz-xen-pv-teardown-msix', 0],
    ] as const) {
      const { k, p } = boot(xenPvDomUPlatform, rev);
      const dev = add(k, p, 'nic', 0x0000, 0, 2);
      expect(pciAllocIrqVectors(k, dev, 2, 2, PCI_IRQ_MSIX)).toBe(2);
      pciFreeIrqVectors(k, dev);
      expect([rev, pool(p, 'pirq')]).toEqual([rev, leaked]);
      // the guest's irqs are gone either way
      expect(pool(p, 'irq_info')).toBe(0);
      // and the next enable: the backend still has MSI-X enabled
      const again = pciAllocIrqVectors(k, dev, 2, 2, PCI_IRQ_MSIX);
      expect([rev, again]).toEqual([rev, leaked > 0 ? -114 : 2]);
      deviceReleaseDriver(k, dev);
    }
  });
});

describe('xen-hvm-domu: pirq-naming messages', () => {
  test('PHYSDEVOP_get_free_pirq, then xen_msi_compose_msg(): vector 0, ExtINT, the pirq in the destination ID', () => {
    const { k, p } = boot(xenHvmDomUPlatform);
    const dev = add(k, p, 'nic', 0x0300, 0, 2);
    expect(pciAllocIrqVectors(k, dev, 2, 2, PCI_IRQ_MSIX)).toBe(2);
    const pirqs = [0, 1].map((i) => {
      const e = dev.msixTable[i];
      if (e === null || e === undefined) throw new Error('entry');
      expect(e.data).toBe(7 << 8);
      return pirqOfHvmMsg(e);
    });
    expect(pirqs).toEqual([1023, 1022]);
    expect(p.events.infos.get(pciIrqVector(dev, 0))?.pirq).toBe(1023);
    // no event channel until request_irq()
    const e0 = dev.msixTable[0];
    if (e0 === null || e0 === undefined) throw new Error('entry');
    expect('blocked' in p.deliver(dev, e0)).toBe(true);
    expect(requestIrq(k, pciIrqVector(dev, 0), 'nic:0', owner(0))).toBe(0);
    expect(p.deliver(dev, e0)).toEqual({ irq: pciIrqVector(dev, 0), cpu: 0 });
  });

  test('a failing PHYSDEVOP_get_free_pirq on the second vector: -ENODEV and the first irq unwound', () => {
    const { k, p } = boot(xenHvmDomUPlatform);
    const dev = add(k, p, 'nic', 0x0300, 0, 2);
    k.faults.arm('PHYSDEVOP_get_free_pirq', 1);
    expect(pciAllocIrqVectors(k, dev, 2, 2, PCI_IRQ_MSIX)).toBe(-19);
    expect(pool(p, 'irq_info')).toBe(0);
    expect(k.irqs.allocatedIrqCount()).toBe(0);
  });
});
