// The GICv5 model walked along drivers/irqchip/irq-gic-v5-*.c: PCI vectors through the ITS
// (its_v5_pci_msi_prepare() -> gicv5_its_msi_prepare(): a device table entry and a linear ITT
// per DeviceID, a naturally aligned event block, one LPI from the IRS IDA per event, an ITTE per
// activated event), a second function the firmware gives the same DeviceID refused (-EBUSY: the
// GICv5 ITS never shares a device), IWB wires whose EventID is the wire
// (MSI_ALLOC_FLAGS_FIXED_MSG_DATA), and the device going again (DTE invalidated, ITT freed,
// LPIs released); at v6.17 the ITS still allocated the LPIs itself, one per event.
import { PciDev, PlatformDevice } from '../../models/kernel/device';
import { pciIrqVector } from '../../models/kernel/pci-msi';
import { GicV5Platform } from '../../models/platforms/gic-v5';
import type { GicV5Its } from '../../models/platforms/gic-v5/gic-v5-its';
import type { Command } from '../../src/commands/command';
import { runCommands } from '../../src/engine/runner';
import { findPlatform } from '../../src/platforms';
import { resolveRevision } from '../../src/revision';
import type { Simulation } from '../../src/sim/simulation';

const platform = findPlatform('gic-v5');

function run(revision: string, commands: Command[]): { sim: Simulation; violation: string | null; rets: (number | null | undefined)[] } {
  if (platform === undefined) throw new Error('gic-v5 not registered');
  const r = runCommands({ platform, revision: resolveRevision(platform, revision), faultClasses: ['resource', 'kmalloc', 'firmware'] }, commands);
  expect(r.invalidAt).toBeNull();
  return { sim: r.sim, violation: r.violation === null ? null : `${r.violation.invariant}: ${r.violation.message}`, rets: r.records.map((x) => x.outcome?.ret) };
}

const v5 = (sim: Simulation): GicV5Platform => sim.platform as GicV5Platform;
const its = (sim: Simulation, name: string): GicV5Its => {
  const n = v5(sim).itses.get(name);
  if (n === undefined) throw new Error(name);
  return n;
};

const MSIX: Command[] = [
  { kind: 'pci_device_add', dev: 'dev0', rid: 0x0100, msi: 0, msix: 4 },
  { kind: 'pci_alloc_irq_vectors', dev: 'dev0', min: 1, max: 4, flags: 4 },
];

describe('GICv5 ITS as the MSI parent of a PCI function', () => {
  test('prepare registers DeviceID 0x100 on its0 (a valid DTE, a linear ITT); each vector an event, an LPI and, activated, an ITTE', () => {
    const { sim, violation } = run('v7.2', MSIX);
    expect(violation).toBeNull();
    const i0 = its(sim, 'its0');
    const dev = i0.devices.get(0x100);
    expect(dev).toBeDefined();
    expect(i0.deviceTable.get(0x100)).toBe(dev?.itt);
    expect(dev?.eventMap?.bitmap.setBits()).toEqual([0, 1, 2, 3]);
    const pdev = sim.device('dev0') as PciDev;
    const lpis = new Set<number>();
    for (let v = 0; v < 4; v++) {
      const lpi = dev?.itt?.entries.get(v);
      expect(lpi).toBeDefined();
      lpis.add(lpi as number);
      expect(v5(sim).irs.lpiIda.has(lpi as number)).toBe(true);
      // the LPI's Linux irq is the vector's, and its message is the translate frame + EventID
      expect(sim.kernel.irqs.findMapping(v5(sim).lpiDomain, lpi as number)).toBe(pciIrqVector(pdev, v));
      expect(pdev.msixTable[v]?.data).toBe(v);
      expect(pdev.msixTable[v]?.addressLo).toBe(i0.translateFrame);
    }
    expect(lpis.size).toBe(4);
  });

  test('a second function the msi-map-mask gives the same DeviceID is refused: gicv5_its_alloc_device() returns -EBUSY', () => {
    const { sim, violation, rets } = run('v7.2', [
      { kind: 'pci_device_add', dev: 'dev0', rid: 0x10300, msi: 0, msix: 2 },
      { kind: 'pci_alloc_irq_vectors', dev: 'dev0', min: 1, max: 2, flags: 4 },
      { kind: 'pci_device_add', dev: 'dev1', rid: 0x10301, msi: 0, msix: 2 },
      { kind: 'pci_alloc_irq_vectors', dev: 'dev1', min: 1, max: 2, flags: 4 },
    ]);
    expect(violation).toBeNull();
    expect(rets[1]).toBe(2);
    expect(rets[3]).toBeLessThan(0);
    expect(v5(sim).msiTarget(sim.device('dev1'))).toEqual({ controller: 'its1', deviceId: 0x20300 });
    expect([...its(sim, 'its1').devices.keys()]).toEqual([0x20300]);
    expect(sim.kernel.dmesg.some((l) => l.includes('has already been registered'))).toBe(true);
  });

  test('unbinding tears it down: the DTE goes, the ITT is freed, every LPI is back in the IDA', () => {
    const { sim, violation } = run('v7.2', [...MSIX, { kind: 'device_release_driver', dev: 'dev0' }]);
    expect(violation).toBeNull();
    expect(its(sim, 'its0').deviceTable.size).toBe(0);
    expect(its(sim, 'its0').devices.size).toBe(0);
    expect(v5(sim).irs.lpiIda.size).toBe(0);
  });

  test('v6.17 (before dec85d2fbd20): the ITS allocates one LPI per event itself; the same vectors, the same teardown', () => {
    const { sim, violation } = run('v6.17', [...MSIX, { kind: 'device_release_driver', dev: 'dev0' }]);
    expect(violation).toBeNull();
    expect(v5(sim).irs.lpiIda.size).toBe(0);
    const again = run('v6.17', MSIX);
    expect(again.violation).toBeNull();
    expect(v5(again.sim).irs.lpiIda.size).toBe(4);
  });
});

describe('GICv5 IWB (irq-gic-v5-iwb.c): wires as fixed-data MSIs of its1', () => {
  test('wire 5 gets EventID 5 of the IWB\'s DeviceID; once requested its IWB_WENABLER bit is set and the wire reaches its irq', () => {
    const { sim, violation, rets } = run('v7.2', [
      { kind: 'wired_bridge_add', bridge: 'iwb0' },
      { kind: 'irq_create_fwspec_mapping', bridge: 'iwb0', hwirq: 5, type: 4 },
      { kind: 'request_irq', dev: 'iwb0', vec: 5 },
      { kind: 'msi_raise', dev: 'iwb0', vec: 5 },
      { kind: 'cpu_handle_irq', cpu: 0 },
      { kind: 'cpu_handle_irq', cpu: 1 },
      { kind: 'cpu_handle_irq', cpu: 2 },
      { kind: 'cpu_handle_irq', cpu: 3 },
    ]);
    expect(violation).toBeNull();
    const irq = rets[1] as number;
    expect(irq).toBeGreaterThan(0);
    const dev = its(sim, 'its1').devices.get(0x30000);
    expect(dev?.eventMap?.bitmap.setBits()).toEqual([5]);
    expect(dev?.itt?.entries.has(5)).toBe(true);
    const iwb = v5(sim).iwbs.get(sim.device('iwb0') as PlatformDevice);
    expect(iwb?.enabled.has(5)).toBe(true);
    expect(sim.ledger.outstanding()).toEqual([]);
  });

  test('mapping the same wire again returns the same irq (irq_create_fwspec_mapping() finds the mapping)', () => {
    const { rets } = run('v7.2', [
      { kind: 'wired_bridge_add', bridge: 'iwb0' },
      { kind: 'irq_create_fwspec_mapping', bridge: 'iwb0', hwirq: 7, type: 1 },
      { kind: 'irq_create_fwspec_mapping', bridge: 'iwb0', hwirq: 7, type: 1 },
    ]);
    expect(rets[2]).toBe(rets[1]);
  });
});
