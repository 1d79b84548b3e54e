// The Hyper-V vPCI platform, path by path (drivers/pci/controller/pci-hyperv.c):
// hv_compose_msi_msg() asking the host for an IRT entry (PCI_CREATE_INTERRUPT_MESSAGE) at
// activation, hv_irq_unmask() -> hv_irq_retarget_interrupt() pointing it at the irq's vector,
// a deferred move (IRQCHIP_MOVE_DEFERRED) completed on the next interrupt, one host request
// per multi-MSI block on dummy vectors (a2bad844a67b), hv_msi_free() on the way out, the
// global domain of 6.12 against the MSI parent of 7.2 (5f83d6337c9c), and compose failures.
import { PciDev } from '../../models/kernel/device';
import { Kernel } from '../../models/kernel/kernel';
import { freeIrq, requestIrq } from '../../models/kernel/manage';
import { PatchSet } from '../../models/kernel/patches';
import { cpuHandleIrq } from '../../models/kernel/irq-flow';
import { irqSetAffinityLocked } from '../../models/kernel/affinity';
import { isGlobalPciMsiDomain } from '../../models/kernel/pci-msi-global';
import { PCI_IRQ_MSI, PCI_IRQ_MSIX, pciAllocIrqVectors, pciFreeIrqVectors, pciIrqVector } from '../../models/kernel/pci-msi';
import { pciSignalVector } from '../../models/kernel/pci-msi-signal';
import { x86HypervPlatform } from '../../models/platforms/x86';
import { HvIntDesc, devfnToWslot } from '../../models/platforms/x86/hyperv-vpci';
import { HV_MSI_ADDRESS } from '../../models/platforms/x86/hyperv-host';
import { X86Platform } from '../../models/platforms/x86/instance';
import { irqdCfg } from '../../models/platforms/x86/vector';
import { addPci, inUse, liveVectors, routingFailures } from './x86-helpers';

/** Boot x86-hyperv at a named revision, optionally with extra patches ("v7.2+id"). */
function boot(revision = 'v7.2'): { k: Kernel; p: X86Platform } {
  const [name, ...extra] = revision.split('+');
  const rev = x86HypervPlatform.revisions.find((r) => r.name === name);
  if (rev === undefined) throw new Error(revision);
  const k = new Kernel(new PatchSet([...rev.patches, ...extra]));
  const p = x86HypervPlatform.boot(k);
  if (!(p instanceof X86Platform)) throw new Error('not x86');
  k.fabric = p.interruptFabric();
  return { k, p };
}

function hv(p: X86Platform): NonNullable<X86Platform['hyperv']> {
  if (p.hyperv === null) throw new Error('no vPCI');
  return p.hyperv;
}

/** Where the host's IRT sends the function's write of `msg` now. */
function target(p: X86Platform, dev: PciDev, msg: { addressHi: number; addressLo: number; data: number }): { vector: number; cpu: number } | string {
  const t = hv(p).translate(dev, msg);
  if (t === null) return 'not on a vPCI bus';
  return 'blocked' in t ? t.blocked : { vector: t.vector, cpu: t.destApicid };
}

function vectorOf(k: Kernel, irq: number): { vector: number; cpu: number } {
  const d = k.irqs.desc(irq)?.irqData;
  let x = d ?? null;
  while (x !== null && x.parentData !== null) x = x.parentData;
  const cfg = x === null ? null : irqdCfg(x);
  return { vector: cfg?.vector ?? -1, cpu: cfg?.destApicid ?? -1 };
}

const owner = (dev: string, vec: number): { dev: string; vec: number } => ({ dev, vec });

describe('x86-hyperv v7.2: each vPCI bus an MSI parent (5f83d6337c9c)', () => {
  test('the function sits on a vPCI bus of its own PCI domain; its per-device domain sits under HV-PCI-MSI-<domain>', () => {
    const { k, p } = boot();
    const dev = addPci(k, p, 'nic', 0x0100, 0, 4);
    // hv_pci_probe(): the bus's domain from the instance GUID (0x1000 + the harness's bus 1)
    expect(dev.segment).toBe(0x1001);
    expect(dev.msiParent?.name).toBe('HV-PCI-MSI-1001');
    expect(isGlobalPciMsiDomain(dev.msiParent)).toBe(false);
    expect(pciAllocIrqVectors(k, dev, 1, 4, PCI_IRQ_MSIX)).toBe(4);
    const top = k.irqs.desc(pciIrqVector(dev, 0))?.irqData;
    expect(top?.domain.name).toMatch(/^HV-PCI-MSIX-/);
    expect(top?.parentData?.domain).toBe(dev.msiParent);
    expect(top?.parentData?.parentData?.domain.name).toBe('VECTOR');
    // hv_pcie_domain_alloc(): hwirq 0 for all, no tran_int_desc until compose
    expect(top?.parentData?.hwirq).toBe(0);
  });

  test('compose at activation: one PCI_CREATE_INTERRUPT_MESSAGE per MSI-X vector for its vector and CPU; the function\'s writes reach their irqs', () => {
    const { k, p } = boot();
    const dev = addPci(k, p, 'nic', 0x0100, 0, 4);
    expect(pciAllocIrqVectors(k, dev, 4, 4, PCI_IRQ_MSIX)).toBe(4);
    expect(inUse(p, 'Hyper-V IRT')).toBe(4);
    expect(inUse(p, 'tran_int_desc')).toBe(4);
    for (const v of liveVectors(dev)) {
      expect(v.msg.addressLo).toBe(HV_MSI_ADDRESS);
      expect(target(p, dev, v.msg)).toEqual(vectorOf(k, v.irq));
      expect(k.irqs.getIrqData(dev.msiParent as NonNullable<typeof dev.msiParent>, v.irq)?.chipData).toBeInstanceOf(HvIntDesc);
    }
    expect(routingFailures(p, dev)).toEqual([]);
    // another function with the same devfn on another vPCI bus: its own bus, its own IRT
    const other = addPci(k, p, 'gpu', 0x0200, 0, 1);
    expect(other.segment).not.toBe(dev.segment);
    expect(other.msiParent).not.toBe(dev.msiParent);
    expect(hv(p).buses.length).toBe(2);
    pciFreeIrqVectors(k, dev);
    // hv_pcie_domain_free() -> hv_msi_free() -> PCI_DELETE_INTERRUPT_MESSAGE
    expect(inUse(p, 'Hyper-V IRT')).toBe(0);
    expect(inUse(p, 'tran_int_desc')).toBe(0);
    expect(k.reports).toEqual([]);
  });

  test('a write from another slot of the bus, with a valid entry\'s data, is blocked by the host', () => {
    const { k, p } = boot();
    const a = addPci(k, p, 'a', 0x0100, 0, 1);
    const b = addPci(k, p, 'b', 0x0108, 0, 1);
    expect(a.msiParent).toBe(b.msiParent);
    expect(pciAllocIrqVectors(k, a, 1, 1, PCI_IRQ_MSIX)).toBe(1);
    const msg = liveVectors(a)[0]?.msg;
    if (msg === undefined) throw new Error('no vector');
    expect(devfnToWslot(0x08)).toBe(1);
    expect(target(p, b, msg)).toMatch(/belongs to slot 0, not 1/);
  });

  /** A function with one requested vector whose affinity change to another CPU is pending. */
  function deferredMove() {
    const { k, p } = boot();
    const dev = addPci(k, p, 'nic', 0x0100, 0, 1);
    expect(pciAllocIrqVectors(k, dev, 1, 1, PCI_IRQ_MSIX)).toBe(1);
    const irq = pciIrqVector(dev, 0);
    expect(requestIrq(k, irq, 'nic:0', owner('nic', 0))).toBe(0);
    const before = vectorOf(k, irq);
    const desc = k.irqs.desc(irq);
    if (desc === undefined) throw new Error('no desc');
    const to = before.cpu === 1 ? 2 : 1;
    expect(irqSetAffinityLocked(k, desc, [to], false)).toBe(0);
    return { k, p, dev, irq, desc, before, to };
  }

  test('an affinity change is deferred (IRQCHIP_MOVE_DEFERRED) and completed on the next interrupt, whose unmask retargets the host entry', () => {
    const { k, p, dev, irq, desc, before, to } = deferredMove();
    // irq_set_affinity_locked(): not in interrupt context, so only the pending mask is set
    expect(desc.pendingMask).toEqual([to]);
    expect(vectorOf(k, irq)).toEqual(before);
    // the interrupt still arrives on the old target; irq_move_irq() in its ack completes the move
    expect(pciSignalVector(k, dev, 0, { dev: 'nic', vec: 0, step: 0 })).toContain(`CPU ${before.cpu}`);
    const ev = cpuHandleIrq(k, p.interruptFabric(), before.cpu);
    expect(ev?.irq).toBe(irq);
    expect(desc.pendingMask).toBeNull();
    const after = vectorOf(k, irq);
    expect(after.cpu).toBe(to);
    // irq_move_masked_irq(): mask, set affinity, unmask -> hv_irq_retarget_interrupt()
    const msg = liveVectors(dev)[0]?.msg;
    if (msg === undefined) throw new Error('no vector');
    expect(target(p, dev, msg)).toEqual(after);
    expect(freeIrq(k, irq, owner('nic', 0), 0).ret).toBe(0);
    pciFreeIrqVectors(k, dev);
    expect(k.reports).toEqual([]);
  });

  test('a deferred move whose retarget fails (HVCALL_RETARGET_INTERRUPT): logged; the host entry keeps the old vector and CPU, which the move in progress still maps to the irq', () => {
    const { k, p, dev, irq, before, to } = deferredMove();
    expect(pciSignalVector(k, dev, 0, { dev: 'nic', vec: 0, step: 0 })).toContain(`CPU ${before.cpu}`);
    k.faults.arm('HVCALL_RETARGET_INTERRUPT', 0);
    expect(cpuHandleIrq(k, p.interruptFabric(), before.cpu)?.irq).toBe(irq);
    expect(k.faults.firedSites()).toEqual(['HVCALL_RETARGET_INTERRUPT']);
    expect(k.dmesg.at(-1)).toMatch(/^hv_irq_retarget_interrupt\(\) failed: 5$/);
    // the vector domain moved the irq; the host did not
    expect(vectorOf(k, irq).cpu).toBe(to);
    const msg = liveVectors(dev)[0]?.msg;
    if (msg === undefined) throw new Error('no vector');
    expect(target(p, dev, msg)).toEqual(before);
    expect(hv(p).staleRoute(irq)).toEqual({ step: 0, site: 'HVCALL_RETARGET_INTERRUPT' });
    // the old vector is the move's previous one, still the irq's until cleanup
    expect(pciSignalVector(k, dev, 0, { dev: 'nic', vec: 0, step: 1 })).toContain(`CPU ${before.cpu}`);
    expect(cpuHandleIrq(k, p.interruptFabric(), before.cpu)?.irq).toBe(irq);
    expect(k.reports).toEqual([]);
  });

  test('multi-MSI: one host request for the block on dummy vectors 32.. (a2bad844a67b); each irq\'s entry gets its vector at unmask', () => {
    const { k, p } = boot();
    const dev = addPci(k, p, 'ahci', 0x0100, 8, 0);
    expect(pciAllocIrqVectors(k, dev, 8, 8, PCI_IRQ_MSI)).toBe(8);
    // one block of 8 entries, the data of irq i = the first's data + i
    expect(inUse(p, 'Hyper-V IRT')).toBe(8);
    const vecs = liveVectors(dev);
    expect(vecs.map((v) => v.msg.data - (vecs[0]?.msg.data ?? 0))).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // before any request_irq(): the host delivers vector 32 + i ("a dummy value")
    for (let i = 0; i < 8; i++) expect(target(p, dev, vecs[i]?.msg ?? { addressHi: 0, addressLo: 0, data: 0 })).toMatchObject({ vector: 32 + i });
    const irq3 = pciIrqVector(dev, 3);
    expect(requestIrq(k, irq3, 'ahci:3', owner('ahci', 3))).toBe(0);
    expect(target(p, dev, vecs[3]?.msg ?? { addressHi: 0, addressLo: 0, data: 0 })).toEqual(vectorOf(k, irq3));
    // the others still on their dummy vectors
    expect(target(p, dev, vecs[4]?.msg ?? { addressHi: 0, addressLo: 0, data: 0 })).toMatchObject({ vector: 36 });
    expect(freeIrq(k, irq3, owner('ahci', 3), 0).ret).toBe(0);
    pciFreeIrqVectors(k, dev);
    expect(inUse(p, 'Hyper-V IRT')).toBe(0);
    expect(inUse(p, 'tran_int_desc')).toBe(0);
  });

  test('hv-multi-msi-dummy-vector: an allocated, never requested vector of a block runs another irq\'s handler; retargeting at compose stops it', () => {
    for (const [revision, wrong] of [['v7.2', true], ['v7.2+msi-fuzz-hv-multi-msi-entry-follows-irq', false]] as const) {
      const { k, p } = boot(revision);
      const dev = addPci(k, p, 'ahci', 0x0100, 32, 0);
      expect(pciAllocIrqVectors(k, dev, 1, 32, PCI_IRQ_MSI)).toBe(32);
      const irq16 = pciIrqVector(dev, 16);
      expect(requestIrq(k, irq16, 'ahci:16', owner('ahci', 16))).toBe(0);
      // vector 4 of the block was never unmasked: its entry's vector is 36 unless compose retargeted it
      const v4 = liveVectors(dev)[4]?.msg ?? { addressHi: 0, addressLo: 0, data: 0 };
      const t = target(p, dev, v4);
      if (typeof t === 'string') throw new Error(t);
      expect(t.vector === 36).toBe(wrong);
      pciSignalVector(k, dev, 4, { dev: 'ahci', vec: 4, step: 0 });
      const ev = cpuHandleIrq(k, p.interruptFabric(), t.cpu);
      // the irq whose vector 36 is on that CPU (irq16's in this allocation) takes it, or irq 4's own (no handler)
      expect(ev?.irq === irq16).toBe(wrong);
      if (!wrong) expect(ev?.irq).toBe(pciIrqVector(dev, 4));
    }
  });

  test('hv-multi-msi-dummy-vector, freed since: the entry of a freed irq keeps the vector x86 released; the proposal parks it on SPURIOUS_APIC_VECTOR at deactivation', () => {
    for (const [revision, parked] of [['v7.2', false], ['v7.2+msi-fuzz-hv-multi-msi-entry-follows-irq', true]] as const) {
      const { k, p } = boot(revision);
      const dev = addPci(k, p, 'ahci', 0x0100, 4, 0);
      expect(pciAllocIrqVectors(k, dev, 4, 4, PCI_IRQ_MSI)).toBe(4);
      const irq1 = pciIrqVector(dev, 1);
      expect(requestIrq(k, irq1, 'ahci:1', owner('ahci', 1))).toBe(0);
      const had = vectorOf(k, irq1);
      expect(freeIrq(k, irq1, owner('ahci', 1), 0).ret).toBe(0);
      // free_irq() deactivated irq 1: its vector went back to the matrix
      expect(vectorOf(k, irq1).vector).not.toBe(had.vector);
      const msg = liveVectors(dev)[1]?.msg ?? { addressHi: 0, addressLo: 0, data: 0 };
      // (the block's message is zero now, multi-msi-deactivate-zeroes-block: look the entry up by the first irq's data)
      const entry = { ...msg, addressLo: HV_MSI_ADDRESS, data: ((k.irqs.getIrqData(dev.msiParent as NonNullable<typeof dev.msiParent>, pciIrqVector(dev, 0))?.chipData as HvIntDesc | null)?.data ?? 0) + 1 };
      expect(target(p, dev, entry)).toEqual(parked ? { vector: 0xff, cpu: had.cpu } : had);
    }
  });

  test('compose failure: the vector gets an all-zero message and pci_alloc_irq_vectors() still succeeds (hv-compose-failure-zero-message); the entry at allocation fails the allocation instead', () => {
    const { k, p } = boot();
    const dev = addPci(k, p, 'nic', 0x0100, 0, 2);
    k.faults.arm('PCI_CREATE_INTERRUPT_MESSAGE', 1);
    expect(pciAllocIrqVectors(k, dev, 2, 2, PCI_IRQ_MSIX)).toBe(2);
    expect(dev.msixTable[1]).toMatchObject({ addressHi: 0, addressLo: 0, data: 0 });
    expect(routingFailures(p, dev)).toEqual([expect.stringMatching(/^irq \d+: write to 0:0/)]);
    pciFreeIrqVectors(k, dev);
    expect(inUse(p, 'Hyper-V IRT')).toBe(0);

    const fixed = boot('v7.2+msi-fuzz-hv-irte-at-alloc');
    const d2 = addPci(fixed.k, fixed.p, 'nic', 0x0100, 0, 2);
    fixed.k.faults.arm('PCI_CREATE_INTERRUPT_MESSAGE', 1);
    expect(pciAllocIrqVectors(fixed.k, d2, 2, 2, PCI_IRQ_MSIX)).toBeLessThan(0);
    expect(inUse(fixed.p, 'Hyper-V IRT')).toBe(0);
    expect(inUse(fixed.p, 'tran_int_desc')).toBe(0);
  });

  test('the function leaves the bus (hv_eject_device_work()) after its vectors are freed; the bus keeps its MSI domain', () => {
    const { k, p } = boot();
    const dev = addPci(k, p, 'nic', 0x0100, 0, 1);
    const live = (kind: string): number => [...k.heap.liveObjects()].filter((o) => o.kind === kind).length;
    expect(live('hv_pci_dev')).toBe(1);
    expect(pciAllocIrqVectors(k, dev, 1, 1, PCI_IRQ_MSIX)).toBe(1);
    pciFreeIrqVectors(k, dev);
    hv(p).deviceRemoved(dev);
    expect(hv(p).siblings(dev)).toEqual([]);
    expect(live('hv_pci_dev')).toBe(0);
    expect(live('tran_int_desc')).toBe(0);
    // the next function on bus 1 joins the same vPCI bus and MSI parent
    const again = addPci(k, p, 'nic2', 0x0100, 0, 1);
    expect(again.msiParent?.name).toBe('HV-PCI-MSI-1001');
    expect(hv(p).buses.length).toBe(1);
  });
});

describe('x86-hyperv v6.12: a global PCI/MSI domain per vPCI bus', () => {
  test('the bus\'s domain is the function\'s MSI domain; hv_msi_irq_chip masks the MSI-X entry itself', () => {
    const { k, p } = boot('v6.12');
    const dev = addPci(k, p, 'nic', 0x0100, 0, 2);
    expect(dev.msiParent?.name).toBe('HV-PCI-MSI-1001');
    expect(isGlobalPciMsiDomain(dev.msiParent)).toBe(true);
    expect(pciAllocIrqVectors(k, dev, 2, 2, PCI_IRQ_MSIX)).toBe(2);
    const irq = pciIrqVector(dev, 1);
    expect(k.irqs.desc(irq)?.irqData.domain).toBe(dev.msiParent);
    expect(dev.msixTable[1]?.masked).toBe(true);
    expect(requestIrq(k, irq, 'nic:1', owner('nic', 1))).toBe(0);
    expect(dev.msixTable[1]?.masked).toBe(false);
    expect(routingFailures(p, dev)).toEqual([]);
    expect(freeIrq(k, irq, owner('nic', 1), 0).ret).toBe(0);
    expect(dev.msixTable[1]?.masked).toBe(true);
    pciFreeIrqVectors(k, dev);
    expect(inUse(p, 'Hyper-V IRT')).toBe(0);
    expect(k.reports).toEqual([]);
  });
});

describe('x86-hyperv before and within the multi-MSI series', () => {
  test('v5.18: no MSI_FLAG_MULTI_PCI_MSI, a multi-MSI request gets one vector', () => {
    const { k, p } = boot('v5.18');
    const dev = addPci(k, p, 'ahci', 0x0100, 4, 0);
    expect(pciAllocIrqVectors(k, dev, 1, 4, PCI_IRQ_MSI)).toBe(1);
    expect(routingFailures(p, dev)).toEqual([]);
  });

  test('hv-multi-msi-1of4: a block of 4 with one host entry per irq: the function\'s data + i names entries it was never given', () => {
    const { k, p } = boot('hv-multi-msi-1of4');
    const dev = addPci(k, p, 'ahci', 0x0100, 4, 0);
    expect(pciAllocIrqVectors(k, dev, 4, 4, PCI_IRQ_MSI)).toBe(4);
    for (let i = 0; i < 4; i++) expect(requestIrq(k, pciIrqVector(dev, i), `ahci:${i}`, owner('ahci', i))).toBe(0);
    expect(inUse(p, 'Hyper-V IRT')).toBe(4);
    // the host handed the four entries out one by one (top down): data | i names another irq's entry
    expect(routingFailures(p, dev)).toEqual(expect.arrayContaining([expect.stringMatching(/^irq \d+ delivered to \d+$/)]));
    const fixed = boot('v5.19');
    const d2 = addPci(fixed.k, fixed.p, 'ahci', 0x0100, 4, 0);
    expect(pciAllocIrqVectors(fixed.k, d2, 4, 4, PCI_IRQ_MSI)).toBe(4);
    // (each entry is retargeted to its irq's vector when the irq is started)
    for (let i = 0; i < 4; i++) expect(requestIrq(fixed.k, pciIrqVector(d2, i), `ahci:${i}`, owner('ahci', i))).toBe(0);
    expect(routingFailures(fixed.p, d2)).toEqual([]);
    expect(inUse(fixed.p, 'Hyper-V IRT')).toBe(4);
  });
});

describe('x86-hyperv: PCI_CREATE_INTERRUPT_MESSAGE with MSI, single vector', () => {
  test('an MSI function composes one entry for its vector', () => {
    const { k, p } = boot();
    const dev = addPci(k, p, 'm', 0x0100, 1, 0);
    expect(pciAllocIrqVectors(k, dev, 1, 1, PCI_IRQ_MSI)).toBe(1);
    const v = liveVectors(dev)[0];
    if (v === undefined) throw new Error('no vector');
    expect(target(p, dev, v.msg)).toEqual(vectorOf(k, v.irq));
    expect(dev instanceof PciDev).toBe(true);
  });
});
