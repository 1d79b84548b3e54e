// The Intel VMD, path by path (drivers/pci/controller/vmd.c): vmd_probe() -> vmd_alloc_irqs()
// (the VMD's own MSI-X through VT-d interrupt remapping, vmd_irq() on each vector), the child
// domain (the global VMD-MSI domain of 6.12, the MSI parent of 7.2), vmd_next_irq()'s
// assignment of child irqs to vector lists, vmd_compose_msi_msg(), the list membership at
// startup/shutdown, the remap-and-demultiplex path, vmd_msi_free(), vmd_remove(), and the two
// bugs of the v6.17-rc1 conversion.
import { PciDev } from '../../models/kernel/device';
import { PCI_CLASS_STORAGE_EXPRESS } from '../../models/kernel/device';
import { Kernel } from '../../models/kernel/kernel';
import { freeIrq, requestIrq } from '../../models/kernel/manage';
import { PatchSet } from '../../models/kernel/patches';
import { cpuHandleIrq } from '../../models/kernel/irq-flow';
import { isGlobalPciMsiDomain } from '../../models/kernel/pci-msi-global';
import { KernelOops } from '../../models/kernel/report';
import { PCI_IRQ_MSI, PCI_IRQ_MSIX, deviceReleaseDriver, pciAllocIrqVectors, pciFreeIrqVectors, pciIrqVector } from '../../models/kernel/pci-msi';
import { pciSignalVector } from '../../models/kernel/pci-msi-signal';
import { x86VmdPlatform } from '../../models/platforms/x86';
import { VmdIrq, type VmdDev } from '../../models/platforms/x86/vmd';
import { X86VmdPlatform } from '../../models/platforms/x86/vmd-platform';
import { inUse, liveVectors } from './x86-helpers';

function boot(revision = 'v7.2'): { k: Kernel; p: X86VmdPlatform; vmd: VmdDev } {
  const rev = x86VmdPlatform.revisions.find((r) => r.name === revision);
  if (rev === undefined) throw new Error(revision);
  const k = new Kernel(new PatchSet(rev.patches));
  const p = x86VmdPlatform.boot(k);
  if (!(p instanceof X86VmdPlatform)) throw new Error('not a VMD platform');
  k.fabric = p.interruptFabric();
  const vmd = p.vmd.vmd;
  if (vmd === null) throw new Error('vmd_probe failed');
  return { k, p, vmd };
}

/** A function in the VMD's domain (what pci_device_add(..., seg=0x10000) does). */
function child(k: Kernel, p: X86VmdPlatform, name: string, rid: number, msi: number, msix: number, nvme = false): PciDev {
  const dev = new PciDev(name, rid, msi, msix, null, null);
  dev.segment = 0x10000;
  if (nvme) dev.classCode = PCI_CLASS_STORAGE_EXPRESS;
  dev.msiParent = p.msiParentFor(dev);
  k.heap.kmalloc(dev);
  k.addDevice(dev);
  return dev;
}

/** The vmd_irq of a child irq (the VMD level's chip_data). */
function vmdIrqOf(k: Kernel, irq: number): VmdIrq {
  for (let d = k.irqs.desc(irq)?.irqData ?? null; d !== null; d = d.parentData) if (d.chipData instanceof VmdIrq) return d.chipData;
  throw new Error(`irq ${irq} has no vmd_irq`);
}

const owner = (dev: string, vec: number): { dev: string; vec: number } => ({ dev, vec });

describe('x86-vmd v7.2: vmd_probe() and the VMD MSI parent', () => {
  test('the VMD\'s own MSI-X vectors come from VT-d interrupt remapping, each with vmd_irq() requested; its domain is 10000', () => {
    const { k, p, vmd } = boot();
    expect(vmd.domainNr).toBe(0x10000);
    expect(vmd.msixCount).toBe(4);
    expect(vmd.dev.msiParent?.name).toMatch(/^INTEL-IR-/);
    for (let i = 0; i < 4; i++) {
      const irq = p.vmdVectorIrq(i);
      expect(vmd.irqs[i]?.virq).toBe(irq);
      expect(k.irqs.desc(irq)?.action?.owner).toEqual({ dev: 'vmd0', vec: i });
      expect(vmd.dev.msixTable[i]?.masked).toBe(false);
    }
    expect(vmd.irqDomain?.name).toBe('VMD-MSI');
    expect(vmd.irqDomain?.busToken).toBe('VMD_MSI');
    expect(vmd.irqDomain?.isMsiParent()).toBe(true);
    expect(vmd.irqDomain?.parent).toBeNull();
    // the VMD's vectors are the platform's own: not leaks
    for (const r of p.resources()) expect([r.pool, r.inUse]).toEqual([r.pool, r.baseline]);
    expect(k.dmesg.some((l) => l.includes('Bound to PCI domain 10000'))).toBe(true);
  });

  test('vmd_next_irq(): a non-NVMe child shares the slow vector 0 (no count); NVMe irqs go to the least-used of 1..3', () => {
    const { k, p, vmd } = boot();
    const nic = child(k, p, 'nic', 0x0100, 0, 4);
    expect(pciAllocIrqVectors(k, nic, 4, 4, PCI_IRQ_MSIX)).toBe(4);
    for (let i = 0; i < 4; i++) expect(vmdIrqOf(k, pciIrqVector(nic, i)).irq.index).toBe(0);
    const nvme = child(k, p, 'nvme', 0x0200, 0, 5, true);
    expect(pciAllocIrqVectors(k, nvme, 5, 5, PCI_IRQ_MSIX)).toBe(5);
    expect([0, 1, 2, 3, 4].map((i) => vmdIrqOf(k, pciIrqVector(nvme, i)).irq.index)).toEqual([1, 2, 3, 1, 2]);
    expect(vmd.irqs.map((l) => l.count)).toEqual([0, 2, 2, 1]);
    // the per-device domain sits on the VMD parent, with the VMD's vector irq as hwirq at its level
    const top = k.irqs.desc(pciIrqVector(nvme, 0))?.irqData;
    expect(top?.domain.name).toMatch(/^VMD-PCI-MSIX-/);
    expect(top?.parentData?.domain).toBe(vmd.irqDomain);
    expect(top?.parentData?.hwirq).toBe(vmd.irqs[1]?.virq);
    expect(top?.parentData?.parentData).toBeNull();
    // vmd_compose_msi_msg(): the list index as destination ID, data 0
    expect(liveVectors(nvme).map((v) => v.msg)).toEqual([1, 2, 3, 1, 2].map((i) => ({ addressHi: 0, addressLo: (0xfee00000 | (i << 12)) >>> 0, data: 0, masked: true })));
    expect(inUse(p, 'vmd_irq')).toBe(9);
    expect(inUse(p, 'vmd_irq_list.count')).toBe(5);
    // vmd_msi_free(): every free decrements its list's u32 count, the slow one's too (it wraps, never read)
    pciFreeIrqVectors(k, nic);
    expect(vmd.irqs[0]?.count).toBe(2 ** 32 - 4);
    pciFreeIrqVectors(k, nvme);
    expect(vmd.irqs.slice(1).map((l) => l.count)).toEqual([0, 0, 0]);
    expect(inUse(p, 'vmd_irq')).toBe(0);
    expect(k.reports).toEqual([]);
  });

  test('startup puts the child on its vector\'s list and unmasks the entry; shutdown masks it and takes it off', () => {
    const { k, p, vmd } = boot();
    const dev = child(k, p, 'nvme', 0x0100, 0, 2, true);
    expect(pciAllocIrqVectors(k, dev, 2, 2, PCI_IRQ_MSIX)).toBe(2);
    const irq = pciIrqVector(dev, 0);
    const list = vmdIrqOf(k, irq).irq;
    expect(list.irqList).toEqual([]);
    expect(requestIrq(k, irq, 'nvme:0', owner('nvme', 0))).toBe(0);
    expect(list.irqList.map((v) => v.virq)).toEqual([irq]);
    expect(dev.msixTable[0]?.masked).toBe(false);
    // no affinity for VMD children (MSI_FLAG_NO_AFFINITY): nothing to move
    expect(freeIrq(k, irq, owner('nvme', 0), 0).ret).toBe(0);
    expect(list.irqList).toEqual([]);
    expect(dev.msixTable[0]?.masked).toBe(true);
    pciFreeIrqVectors(k, dev);
    expect(vmd.irqs.every((l) => l.irqList.length === 0)).toBe(true);
  });

  test('a child\'s write raises the VMD vector of its list; vmd_irq() runs the handler of each child that raised it, one take each', () => {
    const { k, p, vmd } = boot();
    const a = child(k, p, 'a', 0x0100, 0, 1);
    const b = child(k, p, 'b', 0x0200, 0, 1);
    expect(pciAllocIrqVectors(k, a, 1, 1, PCI_IRQ_MSIX)).toBe(1);
    expect(pciAllocIrqVectors(k, b, 1, 1, PCI_IRQ_MSIX)).toBe(1);
    const ia = pciIrqVector(a, 0);
    const ib = pciIrqVector(b, 0);
    // both non-NVMe: both on vector 0
    expect(vmdIrqOf(k, ia).irq).toBe(vmdIrqOf(k, ib).irq);
    expect(requestIrq(k, ia, 'a:0', owner('a', 0))).toBe(0);
    expect(requestIrq(k, ib, 'b:0', owner('b', 0))).toBe(0);
    expect(pciSignalVector(k, a, 0, { dev: 'a', vec: 0, step: 0 })).toMatch(/^VMD vector 0: /);
    expect(pciSignalVector(k, b, 0, { dev: 'b', vec: 0, step: 1 })).toMatch(/coalesced/);
    const vmdIrq = vmd.irqs[0]?.virq ?? 0;
    const cpu = (k.fabric?.inFlight() ?? []).find((f) => f.origin?.dev === 'a')?.cpu ?? -1;
    expect(cpu).toBeGreaterThanOrEqual(0);
    const first = cpuHandleIrq(k, p.interruptFabric(), cpu);
    expect(first?.irq).toBe(ia);
    expect(first?.ranFor).toEqual(owner('a', 0));
    const second = cpuHandleIrq(k, p.interruptFabric(), cpu);
    expect(second?.irq).toBe(ib);
    expect(second?.ranFor).toEqual(owner('b', 0));
    expect(cpuHandleIrq(k, p.interruptFabric(), cpu)).toBeNull();
    expect(vmdIrq).toBeGreaterThan(0);
    expect(p.interruptFabric().priorityRaised(cpu)).toBeNull();
  });

  test('a raise from a child that is not on the list (never requested) is dropped by vmd_irq(), which runs with nothing to do', () => {
    const { k, p, vmd } = boot();
    const a = child(k, p, 'a', 0x0100, 0, 1);
    expect(pciAllocIrqVectors(k, a, 1, 1, PCI_IRQ_MSIX)).toBe(1);
    // the write as the function would send it (its entry is masked until request_irq())
    const msg = liveVectors(a)[0]?.msg;
    if (msg === undefined) throw new Error('no vector');
    expect(p.deliver(a, msg)).toMatchObject({ irq: vmd.irqs[0]?.virq, demux: [pciIrqVector(a, 0)] });
    expect(k.fabric?.signal(a, msg, { dev: 'a', vec: 0, step: 0 })).toMatch(/^VMD vector 0: vector \d+ pending/);
    // nothing a child's driver is owed is in flight; the VMD vector is taken and vmd_irq() finds nobody
    expect(k.fabric?.inFlight()).toEqual([]);
    let ev = null;
    for (let cpu = 0; cpu < k.nrCpus && ev === null; cpu++) ev = cpuHandleIrq(k, p.interruptFabric(), cpu);
    expect(ev?.irq).toBe(vmd.irqs[0]?.virq);
    expect(ev?.ranFor).toEqual(owner('vmd0', 0));
    expect(ev?.origin).toBeNull();
  });

  test('vmd_remove(): the children go first, then the domain and the VMD\'s vectors; vmd_probe() brings the domain back', () => {
    const { k, p } = boot();
    const dev = child(k, p, 'nvme', 0x0100, 0, 2, true);
    expect(pciAllocIrqVectors(k, dev, 2, 2, PCI_IRQ_MSIX)).toBe(2);
    pciFreeIrqVectors(k, dev);
    deviceReleaseDriver(k, dev);
    k.removeDevice(dev);
    expect(p.vmdRemove()).toBe(0);
    expect(p.vmd.vmd).toBeNull();
    expect(p.vmd.endpoint.msixEnabled).toBe(false);
    expect(k.irqs.domains.some((d) => d.name.startsWith('VMD'))).toBe(false);
    for (const r of p.resources()) expect([r.pool, r.inUse]).toEqual([r.pool, r.baseline]);
    expect(p.vmdProbe()).toBe(0);
    expect(p.vmd.vmd?.domainNr).toBe(0x10000);
    expect(k.reports).toEqual([]);
  });
});

describe('x86-vmd v6.12: the global VMD-MSI domain', () => {
  test('a child\'s irqs live in the global domain (no parent); vmd_msi_prepare() caps an allocation at the VMD\'s vector count', () => {
    const { k, p, vmd } = boot('v6.12');
    expect(vmd.irqDomain !== null && isGlobalPciMsiDomain(vmd.irqDomain)).toBe(false);
    expect(vmd.irqDomain?.busToken).toBe('VMD_MSI');
    expect(vmd.irqDomain?.isMsiParent()).toBe(false);
    const dev = child(k, p, 'nvme', 0x0100, 0, 8, true);
    expect(dev.msiParent).toBe(vmd.irqDomain);
    // nvec 8 > msix_count 4: msi_prepare returns 4, pci_alloc_irq_vectors retries with 4
    expect(pciAllocIrqVectors(k, dev, 1, 8, PCI_IRQ_MSIX)).toBe(4);
    const irq = pciIrqVector(dev, 0);
    expect(k.irqs.desc(irq)?.irqData.domain).toBe(vmd.irqDomain);
    expect(k.irqs.desc(irq)?.irqData.chip?.name).toBe('VMD-MSI');
    // irq_enable (vmd_irq_enable) at startup: on the list, entry unmasked
    expect(requestIrq(k, irq, 'nvme:0', owner('nvme', 0))).toBe(0);
    expect(vmdIrqOf(k, irq).enabled).toBe(true);
    expect(dev.msixTable[0]?.masked).toBe(false);
    expect(freeIrq(k, irq, owner('nvme', 0), 0).ret).toBe(0);
    expect(vmdIrqOf(k, irq).enabled).toBe(false);
    pciFreeIrqVectors(k, dev);
    expect(inUse(p, 'vmd_irq')).toBe(0);
    expect(k.reports).toEqual([]);
  });

  test('an MSI child gets one vector (no MSI_FLAG_MULTI_PCI_MSI)', () => {
    const { k, p } = boot('v6.12');
    const dev = child(k, p, 'ahci', 0x0100, 4, 0);
    expect(pciAllocIrqVectors(k, dev, 1, 4, PCI_IRQ_MSI)).toBe(1);
  });
});

describe('x86-vmd: the v6.17-rc1 conversion before its fixes', () => {
  test('vmd-msi-parent-1of3: vmd_msi_free() reads the per-device level\'s chip_data (NULL) through irq_get_chip_data(): oops; the VMD level\'s since d5c647b08ee0', () => {
    const bad = boot('vmd-msi-parent-1of3');
    const dev = child(bad.k, bad.p, 'nvme', 0x0100, 0, 1, true);
    expect(pciAllocIrqVectors(bad.k, dev, 1, 1, PCI_IRQ_MSIX)).toBe(1);
    expect(() => pciFreeIrqVectors(bad.k, dev)).toThrow(KernelOops);
    const good = boot('vmd-msi-parent-2of3');
    const d2 = child(good.k, good.p, 'nvme', 0x0100, 0, 1, true);
    expect(pciAllocIrqVectors(good.k, d2, 1, 1, PCI_IRQ_MSIX)).toBe(1);
    pciFreeIrqVectors(good.k, d2);
    expect(inUse(good.p, 'vmd_irq')).toBe(0);
  });

  test('vmd-msi-parent-2of3: a child with MSI only is refused with a WARN (once); v6.17 gives it its vector', () => {
    const bad = boot('vmd-msi-parent-2of3');
    const dev = child(bad.k, bad.p, 'port', 0x0100, 1, 0);
    expect(pciAllocIrqVectors(bad.k, dev, 1, 1, PCI_IRQ_MSI)).toBeLessThan(0);
    expect(bad.k.reports.map((r) => r.site)).toEqual(['vmd_init_dev_msi_info']);
    const good = boot('v6.17');
    const d2 = child(good.k, good.p, 'port', 0x0100, 1, 0);
    expect(pciAllocIrqVectors(good.k, d2, 1, 1, PCI_IRQ_MSI)).toBe(1);
    expect(good.k.reports).toEqual([]);
  });
});

/** Rebinds the boot VMD as a 28C0 part (VMD_FEAT_CAN_BYPASS_MSI_REMAP), with or without a guest MEMBAR offset. */
function rebind(p: X86VmdPlatform, membarOffset: boolean): VmdDev {
  expect(p.vmdRemove()).toBe(0);
  expect(p.vmdProbe({ canBypassMsiRemap: true, membarOffset })).toBe(0);
  const vmd = p.vmd.vmd;
  if (vmd === null) throw new Error('vmd_probe failed');
  return vmd;
}

describe.each(['v6.12', 'v7.2'])('x86-vmd %s: MSI remapping bypass (VMD_FEAT_CAN_BYPASS_MSI_REMAP)', (revision) => {
  test('vmd_enable_domain(): no VMD vectors and no VMD domain, VMCONFIG_MSI_REMAP set; the root bus gets the VMD endpoint\'s MSI domain', () => {
    const { k, p } = boot(revision);
    const vtdIrqsBefore = inUse(p, 'intel_ir_data');
    const vmd = rebind(p, false);
    expect(p.vmd.vmconfigMsiRemapBypass).toBe(true);
    expect(vmd.msiRemapping).toBe(false);
    expect(vmd.msixCount).toBe(0);
    expect(vmd.irqs).toEqual([]);
    expect(vmd.irqDomain).toBeNull();
    expect(p.vmd.endpoint.msixEnabled).toBe(false);
    expect(k.irqs.domains.some((d) => d.name.startsWith('VMD'))).toBe(false);
    // the VMD's four IRTEs went with its vectors at vmd_remove() and were not taken again
    expect(inUse(p, 'intel_ir_data')).toBe(vtdIrqsBefore - 4);
    expect(vmd.domainNr).toBe(0x10000);
    const dev = child(k, p, 'nvme', 0x0100, 0, 4, true);
    expect(dev.msiParent).toBe(p.vmd.endpoint.msiParent);
    expect(dev.msiParent?.name).toMatch(/^INTEL-IR-/);
    expect(dev.vmdDev).toBe(p.vmd.endpoint);
    expect(k.reports).toEqual([]);
  });

  test('a child\'s MSI-X comes from VT-d IR and the vector matrix directly (source-id the VMD\'s), with affinity; its write reaches its own irq, no vmd_irq()', () => {
    const { k, p } = boot(revision);
    rebind(p, false);
    const dev = child(k, p, 'nvme', 0x0100, 0, 2, true);
    expect(pciAllocIrqVectors(k, dev, 2, 2, PCI_IRQ_MSIX)).toBe(2);
    expect(inUse(p, 'vmd_irq')).toBe(0);
    const irq = pciIrqVector(dev, 0);
    // the hierarchy: (per-device domain) -> INTEL-IR -> VECTOR, no VMD level
    const names: string[] = [];
    for (let d = k.irqs.desc(irq)?.irqData ?? null; d !== null; d = d.parentData) names.push(d.domain.name);
    expect(names.some((n) => n.startsWith('VMD'))).toBe(false);
    expect(names.at(-1)).toBe('VECTOR');
    expect(names.some((n) => n.startsWith('INTEL-IR'))).toBe(true);
    // set_msi_sid(irte, pci_real_dma_dev(dev)): the IRTE verifies the VMD endpoint's requester ID
    const key = p.requesterKey(dev, irq);
    expect(key?.accepts(0x0070)).toBe(true);
    expect(key?.accepts(0x0100)).toBe(false);
    expect(requestIrq(k, irq, 'nvme:0', owner('nvme', 0))).toBe(0);
    const msg = liveVectors(dev).find((v) => v.irq === irq)?.msg;
    if (msg === undefined) throw new Error('no message');
    expect(p.deliver(dev, msg)).toMatchObject({ irq });
    expect(pciSignalVector(k, dev, 0, { dev: 'nvme', vec: 0, step: 0 })).toMatch(/^vector \d+ pending in the IRR of CPU \d+ \(irq \d+\)$/);
    let ev = null;
    for (let cpu = 0; cpu < k.nrCpus && ev === null; cpu++) ev = cpuHandleIrq(k, p.interruptFabric(), cpu);
    expect(ev?.irq).toBe(irq);
    expect(ev?.ranFor).toEqual(owner('nvme', 0));
    // an affinity the x86 parent honours (no MSI_FLAG_NO_AFFINITY without the VMD domain)
    expect(p.setAffinity(irq, [1])).toBe(0);
    expect(freeIrq(k, irq, owner('nvme', 0), 0).ret).toBe(0);
    pciFreeIrqVectors(k, dev);
    expect(k.reports).toEqual([]);
  });

  test('vmd_remove() of a bypassed VMD (msix_count 0) restores remapping; a remapping bind after it works as at boot', () => {
    const { k, p } = boot(revision);
    rebind(p, false);
    const dev = child(k, p, 'nvme', 0x0100, 0, 1, true);
    expect(pciAllocIrqVectors(k, dev, 1, 1, PCI_IRQ_MSIX)).toBe(1);
    pciFreeIrqVectors(k, dev);
    deviceReleaseDriver(k, dev);
    k.removeDevice(dev);
    expect(p.vmdRemove()).toBe(0);
    expect(p.vmd.vmconfigMsiRemapBypass).toBe(false);
    for (const r of p.resources()) expect([r.pool, r.inUse]).toEqual([r.pool, r.baseline]);
    expect(p.vmdProbe()).toBe(0);
    expect(p.vmd.vmd?.msixCount).toBe(4);
    expect(p.vmd.vmd?.irqDomain?.name).toBe('VMD-MSI');
    const again = child(k, p, 'nvme2', 0x0200, 0, 1, true);
    expect(pciAllocIrqVectors(k, again, 1, 1, PCI_IRQ_MSIX)).toBe(1);
    expect(inUse(p, 'vmd_irq')).toBe(1);
    expect(k.reports).toEqual([]);
  });

  test('a MEMBAR offset (the VMD passed through to a VM) keeps remapping on even with the feature', () => {
    const { k, p } = boot(revision);
    const vmd = rebind(p, true);
    expect(p.vmd.vmconfigMsiRemapBypass).toBe(false);
    expect(vmd.msixCount).toBe(4);
    expect(vmd.irqDomain?.name).toBe('VMD-MSI');
    const dev = child(k, p, 'nvme', 0x0100, 0, 1, true);
    expect(dev.msiParent).toBe(vmd.irqDomain);
    expect(k.reports).toEqual([]);
  });
});
