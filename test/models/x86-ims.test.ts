// PCI/IMS as it existed (v6.2..v6.9, reverted in v6.10), path by path: pci_create_ims_domain()
// puts a driver-templated domain in the function's secondary slot under its MSI parent, which
// x86_init_dev_msi_info() only accepts when the real parent supports MSI_FLAG_PCI_IMS (VT-d
// outside caching mode, AMD-Vi; not the bare vector domain); pci_ims_alloc_irq() /
// pci_ims_free_irq() go through msi_domain_alloc_irq_at() / msi_domain_free_irqs_range();
// the IMS chip stores the (remapped) message in device memory.
import { Kernel } from '../../models/kernel/kernel';
import { MSI_SECONDARY_DOMAIN } from '../../models/kernel/msi-desc';
import { msiCreateDeviceIrqDomain, msiMaxDeviceIrqdomains, msiSetupDeviceData, msiStore } from '../../models/kernel/msi';
import { PCI_IRQ_MSIX, deviceReleaseDriver, pciAllocIrqVectors } from '../../models/kernel/pci-msi';
import { badImsTemplate, imsDeviceTemplate, ImsStore, pciCreateImsDomain, pciImsAllocIrq, pciImsDomain, pciImsFreeIrq, pciImsPresent, x86ImsEnabled } from '../../models/kernel/pci-ims';
import { x86AmdIrPlatform, x86IntelIrPlatform, x86NoIrPlatform } from '../../models/platforms/x86';
import type { PlatformModel } from '../../models/platforms/platform';
import { X86Platform } from '../../models/platforms/x86/instance';
import { addPci, bootX86, inUse } from './x86-helpers';

function boot(model: PlatformModel, revision = 'ims-v6.9'): { k: Kernel; p: X86Platform } {
  return bootX86(model, revision);
}

describe('PCI/IMS at ims-v6.9 (v6.9 with a6c11c0a5235)', () => {
  test('VT-d: an IR-IMS domain in the secondary slot; each allocation an IRTE and a remapped message in the store, routed to its irq', () => {
    const { k, p } = boot(x86IntelIrPlatform);
    expect(pciImsPresent(k)).toBe(true);
    const dev = addPci(k, p, 'idxd', 0x0300, 0, 4);
    const store = new ImsStore();
    expect(pciCreateImsDomain(k, dev, imsDeviceTemplate('IMS'), 8, store)).toBe(true);
    const domain = pciImsDomain(dev);
    expect(domain?.name).toBe('IR-IMS-idxd');
    expect(domain?.busToken).toBe('PCI_DEVICE_IMS');
    expect(domain?.parent?.name).toMatch(/^INTEL-IR-/);
    const maps = [0, 1, 2].map(() => pciImsAllocIrq(k, dev));
    expect(maps.map((m) => m.index)).toEqual([0, 1, 2]);
    expect(inUse(p, 'IRTE')).toBe(3);
    for (const m of maps) {
      const slot = store.slots.get(m.index);
      if (slot === undefined) throw new Error('no slot');
      // remappable format, masked until startup
      expect(slot.addressLo & 0x10).toBe(0x10);
      expect(slot.masked).toBe(true);
      expect(p.deliver(dev, slot)).toMatchObject({ irq: m.virq });
    }
    // next to an MSI-X domain in the default slot
    expect(pciAllocIrqVectors(k, dev, 4, 4, PCI_IRQ_MSIX)).toBe(4);
    expect(inUse(p, 'IRTE')).toBe(7);
    pciImsFreeIrq(k, dev, maps[1] as { index: number; virq: number });
    expect(msiStore(dev, MSI_SECONDARY_DOMAIN)?.has(1)).toBe(false);
    expect(inUse(p, 'IRTE')).toBe(6);
    // the freed index is the next one handed out
    expect(pciImsAllocIrq(k, dev).index).toBe(1);
    expect(k.reports).toEqual([]);
  });

  test('AMD-Vi supports IMS too; the bare vector domain does not (pci_create_ims_domain() is false)', () => {
    const amd = boot(x86AmdIrPlatform);
    const a = addPci(amd.k, amd.p, 'idxd', 0x0300, 0, 1);
    expect(pciCreateImsDomain(amd.k, a, imsDeviceTemplate('IMS'), 4, new ImsStore())).toBe(true);
    expect(pciImsAllocIrq(amd.k, a).index).toBe(0);
    const noir = boot(x86NoIrPlatform);
    const b = addPci(noir.k, noir.p, 'idxd', 0x0300, 0, 1);
    expect(pciCreateImsDomain(noir.k, b, imsDeviceTemplate('IMS'), 4, new ImsStore())).toBe(false);
    expect(pciImsDomain(b)).toBeNull();
    expect(noir.k.reports).toEqual([]);
  });

  test('the template rules: an IMS chip with its own affinity setter is refused', () => {
    const { k, p } = boot(x86IntelIrPlatform);
    const dev = addPci(k, p, 'idxd', 0x0300, 0, 1);
    expect(pciCreateImsDomain(k, dev, badImsTemplate('IMS'), 4, new ImsStore())).toBe(false);
  });

  test('a template without set_desc gives every IMS irq hwirq 0: the second allocation fails in msi_domain_alloc() (-EEXIST)', () => {
    const { k, p } = boot(x86IntelIrPlatform);
    const dev = addPci(k, p, 'idxd', 0x0300, 0, 1);
    expect(pciCreateImsDomain(k, dev, imsDeviceTemplate('IMS', false), 4, new ImsStore())).toBe(true);
    expect(pciImsAllocIrq(k, dev).index).toBe(0);
    expect(pciImsAllocIrq(k, dev).index).toBeLessThan(0);
    // and the failed attempt left nothing behind
    expect(inUse(p, 'IRTE')).toBe(1);
  });

  test('pci_ims_free_irq() of a bogus map WARNs; unbinding frees the IMS irqs (the driver\'s devm action) before the domains go', () => {
    const { k, p } = boot(x86IntelIrPlatform);
    const dev = addPci(k, p, 'idxd', 0x0300, 0, 1);
    expect(pciCreateImsDomain(k, dev, imsDeviceTemplate('IMS'), 4, new ImsStore())).toBe(true);
    const m = pciImsAllocIrq(k, dev);
    dev.devres.push({ name: 'ims_driver_remove', release: () => pciImsFreeIrq(k, dev, m) });
    pciImsFreeIrq(k, dev, { index: -1, virq: 0 });
    expect(k.reports.map((r) => r.site)).toEqual(['pci_ims_free_irq']);
    deviceReleaseDriver(k, dev);
    expect(pciImsDomain(dev)).toBeNull();
    for (const r of p.resources()) expect([r.pool, r.inUse]).toEqual([r.pool, r.baseline]);
    expect(k.reports.length).toBe(1);
  });
});

describe('PCI/IMS after the v6.10 reverts', () => {
  test('MSI_MAX_DEVICE_IRQDOMAINS is 2 while MSI_SECONDARY_DOMAIN exists (v6.2..v6.9), 1 after the revert', () => {
    for (const [rev, n] of [['ims-v6.9', 2], ['v6.18', 1]] as const) {
      const { k, p } = boot(x86IntelIrPlatform, rev);
      expect(msiMaxDeviceIrqdomains(k)).toBe(n);
      const dev = addPci(k, p, 'idxd', 0x0300, 0, 1);
      expect(msiSetupDeviceData(k, dev)).toBe(0);
      expect(dev.msiData?.domains.length).toBe(n);
    }
  });

  test('v6.18: no pci_create_ims_domain(); no secondary slot, and x86 no longer knows an IMS child (its init WARNs on the bus token)', () => {
    const { k, p } = boot(x86IntelIrPlatform, 'v6.18');
    expect(pciImsPresent(k)).toBe(false);
    expect(x86ImsEnabled(k)).toBe(false);
    const dev = addPci(k, p, 'idxd', 0x0300, 0, 1);
    // what the removed function did, done by hand: there is no MSI_SECONDARY_DOMAIN to put it in
    expect(pciCreateImsDomain(k, dev, imsDeviceTemplate('IMS'), 4, new ImsStore())).toBe(false);
    expect(k.reports).toEqual([]);
    // an IMS template in the one slot there is: the parent refuses the IMS child
    expect(msiSetupDeviceData(k, dev)).toBe(0);
    expect(msiCreateDeviceIrqDomain(k, dev, 0, imsDeviceTemplate('IMS'), 4, new ImsStore(), null)).toBe(false);
    expect(k.reports.map((r) => r.site)).toEqual(['x86_init_dev_msi_info']);
  });
});
