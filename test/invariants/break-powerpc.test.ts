// The powerpc invariants fire when what they guard is broken by hand on a healthy machine.
import { OPAL_XIVE_ANY_CHIP } from '../../models/platforms/powerpc-common/firmware-codes';
import { XiveIrqData } from '../../models/platforms/powerpc-common/xive-irq-data';
import { PowernvPlatform } from '../../models/platforms/powernv';
import { PseriesPlatform } from '../../models/platforms/pseries';
import { PseriesMsiDevice } from '../../models/platforms/pseries/msi';
import type { Command } from '../../src/commands/command';
import type { Simulation, StepRecord } from '../../src/sim/simulation';
import { healthyOn, verdict } from './helpers';

const SETUP: Command[] = [
  { kind: 'pci_device_add', dev: 'dev0', rid: 0x100, msi: 4, msix: 8 },
  { kind: 'pci_alloc_irq_vectors', dev: 'dev0', min: 1, max: 8, flags: 4 },
];

function healthy(platformName: string): { sim: Simulation; record: StepRecord } {
  return healthyOn(platformName, undefined, SETUP);
}

describe('powerpc invariants fire when broken', () => {
  test('pseries-source-enabled: a refused H_INT_GET_SOURCE_INFO in this step', () => {
    const { sim, record } = healthy('pseries');
    const p = sim.platform as PseriesPlatform;
    expect(verdict('pseries-source-enabled', sim, record)).toBeNull();
    p.hv.refusals.push({ step: record.step, lisn: 0x80, rc: -55, owner: null });
    expect(verdict('pseries-source-enabled', sim, record)).toMatch(/refused with H_P2 \(-55\)/);
  });

  test('resources-baseline: the LISNs of a function removed by DLPAR not given back to its PHB', () => {
    const { sim, record } = healthyOn('pseries', undefined, [
      { kind: 'pci_device_add', dev: 'dev0', rid: 0x100, msi: 4, msix: 8 },
      { kind: 'pci_device_add', dev: 'dev1', rid: 0x108, msi: 0, msix: 16 },
      { kind: 'pci_alloc_irq_vectors', dev: 'dev0', min: 1, max: 8, flags: 4 },
      { kind: 'pci_free_irq_vectors', dev: 'dev0' },
      { kind: 'device_del', dev: 'dev0' },
    ]);
    const hv = (sim.platform as PseriesPlatform).hv;
    const phb = hv.phbs[1];
    if (phb === undefined) throw new Error('no second PHB');
    // dev0's block of 8 went back at DLPAR remove; dev1 (still in the partition) keeps its 16
    expect(phb.slots.map((s) => s.dev.name)).toEqual(['dev1']);
    expect(hv.lisnsHeld()).toBe(16);
    expect(verdict('resources-baseline', sim, record)).toBeNull();
    // a firmware that keeps the removed function's block: 8 LISNs nobody in the partition holds
    phb.lisnMap.set(0x20, 8);
    expect(verdict('resources-baseline', sim, record)).toMatch(/^LISN: 24 in use with no device holding MSI state \(baseline 16\)/);
  });

  test('pseries-rtas-state: msi_used above msi_quota', () => {
    const { sim, record } = healthy('pseries');
    expect(verdict('pseries-rtas-state', sim, record)).toBeNull();
    const dev = [...sim.kernel.heap.liveObjects()].find((o): o is PseriesMsiDevice => o instanceof PseriesMsiDevice);
    if (dev === undefined) throw new Error('no pseries_msi_device');
    dev.msi_used = dev.msi_quota + 1;
    expect(verdict('pseries-rtas-state', sim, record)).toMatch(/msi_used \d+ > msi_quota/);
  });

  test('xive-irq-data-owned: an irq holding a freed xive_irq_data', () => {
    const { sim, record } = healthy('pseries');
    expect(verdict('xive-irq-data-owned', sim, record)).toBeNull();
    const xd = [...sim.kernel.heap.liveObjects()].find((o): o is XiveIrqData => o instanceof XiveIrqData);
    if (xd === undefined) throw new Error('no xive_irq_data');
    sim.kernel.heap.kfree('test', xd);
    expect(verdict('xive-irq-data-owned', sim, record)).toMatch(/freed xive_irq_data/);
  });

  test('powernv-msi-bitmap: a bit taken behind the irqs\' back', () => {
    const { sim, record } = healthy('powernv');
    const p = sim.platform as PowernvPlatform;
    expect(verdict('powernv-msi-bitmap', sim, record)).toBeNull();
    const phb = p.phbs[0];
    if (phb === undefined) throw new Error('no PHB');
    phb.msiBmp.bitmap.set(phb.msiBmp.bitmap.nbits - 1, 1);
    expect(verdict('powernv-msi-bitmap', sim, record)).toMatch(/allocated but held by no irq/);
  });

  test('powernv-opal-irq-valid: an interrupt number OPAL never handed out', () => {
    const { sim, record } = healthy('powernv');
    const p = sim.platform as PowernvPlatform;
    expect(verdict('powernv-opal-irq-valid', sim, record)).toBeNull();
    p.xive.issued.push({ step: record.step, user: 'test', hwIrq: 0xffffffff, chip: OPAL_XIVE_ANY_CHIP });
    expect(verdict('powernv-opal-irq-valid', sim, record)).toMatch(/0xffffffff, which OPAL never allocated/);
  });

  test('powernv-opal-source-agreement: a freed IPI whose IVE stays valid', () => {
    const { sim, record } = healthy('powernv');
    const p = sim.platform as PowernvPlatform;
    expect(verdict('powernv-opal-source-agreement', sim, record)).toBeNull();
    const ipi = p.xive.issued.find((e) => e.user.startsWith('ipi:'));
    if (ipi === undefined) throw new Error('no per-CPU IPI');
    expect(p.fw.freeIrq(ipi.hwIrq)).toBe(0);
    expect(verdict('powernv-opal-source-agreement', sim, record)).toBeNull();
    const chip = p.fw.chips.find((x) => x.ive.has(ipi.hwIrq));
    chip?.ive.set(ipi.hwIrq, { valid: true, masked: true, eqData: 0 });
    expect(verdict('powernv-opal-source-agreement', sim, record)).toMatch(/still backs IPI .* no longer holds/);
  });

  test('powernv-opal-source-agreement: a source allocated on another chip than asked', () => {
    const { sim, record } = healthy('powernv');
    const p = sim.platform as PowernvPlatform;
    const i = p.xive.issued.findIndex((e) => e.chip !== OPAL_XIVE_ANY_CHIP);
    const e = p.xive.issued[i];
    if (e === undefined) throw new Error('no source asked on a chip');
    expect(p.fw.chips.length).toBeGreaterThan(1);
    p.xive.issued[i] = { ...e, chip: e.chip === 0 ? 1 : 0 };
    expect(verdict('powernv-opal-source-agreement', sim, record)).toMatch(/asked OPAL for a source on chip \d+ and got .* on chip \d+/);
  });
});
