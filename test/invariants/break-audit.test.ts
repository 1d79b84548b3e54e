// The object audit and its owners: what the kernel keeps on purpose is accepted only while the
// owner the audit checks is there, anything else is named with where it was allocated; and the
// allocation records it names exist for every object and unit a random run leaves live.
import { PciDev } from '../../models/kernel/device';
import type { Command } from '../../src/commands/command';
import { generateCommand } from '../../src/engine/generate';
import { runSeed, SeededRng } from '../../src/engine/random-engine';
import { ItsPlatform } from '../../models/platforms/gic-v3-its';
import { PowernvPlatform } from '../../models/platforms/powernv';
import { PseriesPlatform } from '../../models/platforms/pseries';
import { X86Platform } from '../../models/platforms/x86/instance';
import { allPlatforms, findPlatform } from '../../src/platforms';
import { resolveRevision } from '../../src/revision';
import { Simulation } from '../../src/sim/simulation';
import { healthyOn, verdict } from './helpers';

const ALIAS: Command[] = [
  { kind: 'pci_device_add', dev: 'dev0', rid: 0x100, msi: 0, msix: 4 },
  { kind: 'pci_device_add', dev: 'dev1', rid: 0x101, msi: 0, msix: 4, alias: 0x100 },
  { kind: 'pci_alloc_irq_vectors', dev: 'dev0', min: 1, max: 4, flags: 4 },
  { kind: 'pci_alloc_irq_vectors', dev: 'dev1', min: 1, max: 1, flags: 4 },
  { kind: 'device_del', dev: 'dev0' },
];

describe('object-audit: what is kept needs an owner that is still there', () => {
  test('silent while a device holds MSI state, however much is allocated', () => {
    const { sim, record } = healthyOn('gic-v3-its', 'v6.18', ALIAS.slice(0, 4));
    (sim.platform as ItsPlatform).its.lpis.allocRange(32);
    expect(verdict('object-audit', sim, record)).toBeNull();
  });

  test('a shared its_device stays while a function that signals with its DeviceID is on the bus', () => {
    const { sim, record } = healthyOn('gic-v3-its', 'v6.18', [...ALIAS, { kind: 'device_release_driver', dev: 'dev1' }]);
    expect((sim.platform as ItsPlatform).its.devices[0]?.shared).toBe(true);
    expect(verdict('object-audit', sim, record)).toBeNull();
    // ... but none of its events may be left allocated once no irq holds them
    const d = (sim.platform as ItsPlatform).its.devices[0];
    d?.lpiMap.bitmap.findFreeRegion(0);
    expect(verdict('object-audit', sim, record)).toMatch(/^ITS event: its_device@0x[0-9a-f]+ \(DeviceID 0x100\) event 0 leaked, allocation not recorded$/);
  });

  test('once no requester can use its DeviceID, the shared its_device is named (not its ITT), with where it came from', () => {
    const p = findPlatform('gic-v3-its');
    if (p === undefined) throw new Error('no ITS');
    const r = runCommandsAt('gic-v3-its', 'v6.18', [...ALIAS, { kind: 'device_del', dev: 'dev1' }]);
    expect(r).toMatch(/^its_device@0x[0-9a-f]+ leaked, allocated in its_create_device, step 3: pci_alloc_irq_vectors\(dev0, 1, 4, PCI_IRQ_MSIX\) \(and 3 more: itt@0x[0-9a-f]+, lpi_map@0x[0-9a-f]+, col_map@0x[0-9a-f]+\)$/);
  });

  test('functions behind a PCIe-to-PCI bridge share an its_device the bridge keeps', () => {
    const cmds: Command[] = [
      { kind: 'pci_bridge_add', bridge: 'br0', rid: 0x10 },
      { kind: 'pci_device_add', dev: 'dev0', rid: 0x200, msi: 0, msix: 2, bridge: 'br0' },
      { kind: 'pci_alloc_irq_vectors', dev: 'dev0', min: 1, max: 2, flags: 4 },
      { kind: 'device_del', dev: 'dev0' },
    ];
    const { sim, record } = healthyOn('gic-v3-its', 'v6.18', cmds);
    expect((sim.platform as ItsPlatform).its.devices.map((d) => [d.deviceId, d.shared])).toEqual([[0x10, true]]);
    expect(verdict('object-audit', sim, record)).toBeNull();
    // the bridge hot-removed with its functions: nobody is left to signal with its RID
    for (const br of sim.bridges.values()) sim.kernel.heap.kfree('pci_release_dev', br);
    sim.bridges.clear();
    expect(verdict('object-audit', sim, record)).toMatch(/^its_device@0x[0-9a-f]+ leaked, allocated in its_create_device, step 3/);
  });

  test('x86-amd-ir: a remap table outlives its users while irq_lookup_table keeps it', () => {
    const cmds: Command[] = [
      { kind: 'pci_device_add', dev: 'dev0', rid: 0x100, msi: 0, msix: 2 },
      { kind: 'pci_alloc_irq_vectors', dev: 'dev0', min: 1, max: 2, flags: 4 },
      { kind: 'device_del', dev: 'dev0' },
    ];
    const { sim, record } = healthyOn('x86-amd-ir', 'v6.18', cmds);
    const amd = (sim.platform as X86Platform).amd;
    if (amd === null) throw new Error('no AMD IOMMU');
    // dev0's, and the one the IOAPIC's pins use (from boot)
    expect(amd.tables()).toHaveLength(2);
    expect(verdict('object-audit', sim, record)).toBeNull();
    amd.irqLookupTable.clear();
    expect(verdict('object-audit', sim, record)).toMatch(/^irq_remap_table@0x[0-9a-f]+ leaked, allocated in __alloc_irq_table, step 2: pci_alloc_irq_vectors\(dev0, 1, 2, PCI_IRQ_MSIX\)$/);
  });

  test('x86: an HPET channel\'s irq is kept by the channel; forgotten by it, the irq and everything its levels hold leak', () => {
    const { sim, record } = healthyOn('x86-intel-ir', 'v6.18', [{ kind: 'hpet_assign_irq', channel: 0 }]);
    expect(verdict('object-audit', sim, record)).toBeNull();
    const hc = (sim.platform as X86Platform).hpet.channels[0];
    if (hc === undefined) throw new Error('no HPET channel 0');
    hc.irq = 0;
    expect(verdict('object-audit', sim, record)).toMatch(/^irq_desc@0x[0-9a-f]+ leaked, allocated in alloc_desc, step 1: hpet_assign_irq\(channel=0\) \(and \d+ more: irq_data@0x[0-9a-f]+, .*\)$/);
  });

  test('powernv: a KVM device keeps its sources\' interrupts while open; one OPAL left allocated after release is a leak', () => {
    const cmds: Command[] = [
      { kind: 'kvm_xive_create', kvm: 'kvm0' },
      { kind: 'kvm_xive_set_source', kvm: 'kvm0', irq: 3 },
    ];
    const { sim, record } = healthyOn('powernv', 'v6.18.y', cmds);
    expect(verdict('object-audit', sim, record)).toBeNull();
    const p = sim.platform as PowernvPlatform;
    const state = p.kvmDevices[0]?.sources.get(3);
    if (state === undefined) throw new Error('no source 3');
    const hw = state.ipiNumber;
    // the release unmaps the source's ESB page but forgets to give the interrupt back to OPAL
    sim.kernel.heap.kfree('xive_cleanup_irq_data', state.ipiData.eoiMmio);
    state.ipiData.eoiMmio = null;
    state.ipiNumber = 0;
    p.xive.issued.splice(p.xive.issued.findIndex((e) => e.hwIrq === hw), 1);
    expect(verdict('object-audit', sim, record)).toMatch(new RegExp(`^OPAL irq: OPAL irq 0x${hw.toString(16)} leaked, allocated in xive_native_alloc_irq_on_chip, step 2: kvm_xive_set_source\\(kvm0, 3\\)$`));
  });

  test('pseries: MSIs left enabled in the firmware for a function without MSI state', () => {
    const cmds: Command[] = [
      { kind: 'pci_device_add', dev: 'dev0', rid: 0x100, msi: 0, msix: 4 },
      { kind: 'pci_alloc_irq_vectors', dev: 'dev0', min: 1, max: 4, flags: 4 },
      { kind: 'device_release_driver', dev: 'dev0' },
    ];
    const { sim, record } = healthyOn('pseries', 'v6.18.y', cmds);
    expect(verdict('object-audit', sim, record)).toBeNull();
    const slot = (sim.platform as PseriesPlatform).hv.slotOf(sim.device('dev0') as PciDev);
    if (slot === null) throw new Error('no slot');
    slot.enabled = 1;
    expect(verdict('object-audit', sim, record)).toMatch(/^RTAS MSI: dev0 RTAS MSI 0 leaked, allocation not recorded$/);
  });
});

describe('object-audit catches the class around its-v6.15-failed-alloc-leak', () => {
  // At v6.15 prepare runs per allocation and the ITS frees its_device on the last LPI free:
  // whatever makes the allocation fail after prepare created the its_device leaves it behind.
  test.each(['alloc_lpi_range', 'iommu_dma_prepare_msi'])('an allocation failing in %s after prepare', (site) => {
    const p = findPlatform('gic-v3-its');
    if (p === undefined) throw new Error('no ITS');
    const sim = new Simulation({ platform: p, revision: resolveRevision(p, 'v6.15'), faultClasses: ['resource', 'kmalloc'] });
    const cmds: Command[] = [
      { kind: 'pci_device_add', dev: 'dev0', rid: 0x100, msi: 2, msix: 0 },
      { kind: 'fail_next', site, nth: 0 },
      { kind: 'pci_alloc_irq_vectors', dev: 'dev0', min: 2, max: 2, flags: 2 },
      { kind: 'device_release_driver', dev: 'dev0' },
    ];
    let record = sim.execute(cmds[0] as Command);
    for (const c of cmds.slice(1)) record = sim.execute(c);
    expect(verdict('object-audit', sim, record)).toMatch(/^its_device@0x[0-9a-f]+ leaked, allocated in its_create_device, step 3: pci_alloc_irq_vectors\(dev0, 2, 2, PCI_IRQ_MSI\)/);
  });
});

describe('deactivation followed by activation restores a working message (message-routing)', () => {
  const AGAIN: Command[] = [
    { kind: 'pci_device_add', dev: 'dev0', rid: 0x100, msi: 0, msix: 2 },
    { kind: 'pci_alloc_irq_vectors', dev: 'dev0', min: 1, max: 2, flags: 4 },
    { kind: 'request_irq', dev: 'dev0', vec: 0 },
    { kind: 'free_irq', dev: 'dev0', vec: 0 },
    { kind: 'request_irq', dev: 'dev0', vec: 0 },
  ];

  test.each(['gic-v3-its', 'x86-intel-ir', 'x86-amd-ir', 'x86-noir', 'powernv'])('%s: the entry free_irq() zeroed is written again, or routing fails', (platform) => {
    const { sim, record } = healthyOn(platform, undefined, AGAIN);
    expect(verdict('message-routing', sim, record)).toBeNull();
    // the reactivation that forgot to write the message back: the entry keeps the zero message
    const dev = sim.device('dev0') as PciDev;
    const e = dev.msixTable[0];
    if (e === null || e === undefined) throw new Error('no MSI-X entry 0');
    dev.msixTable[0] = { ...e, addressHi: 0, addressLo: 0, data: 0 };
    expect(verdict('message-routing', sim, record)).toMatch(/dev0 MSI-X entry 0 \(irq \d+\)/);
  });
});

describe('every allocation is recorded where it happens', () => {
  // Random runs at each platform's current revision with every fault class: after every step,
  // every live heap object the models allocated names its site, and every unit of every pool
  // has an allocation record (the audit's report depends on both).
  // (the audit runs on every platform)
  test.each(allPlatforms().map((p) => [p.name]))('%s', (name) => {
    const p = findPlatform(name);
    if (p === undefined) throw new Error(`no platform ${name}`);
    const config = { platform: p, revision: resolveRevision(p, undefined), faultClasses: ['resource', 'kmalloc', 'firmware'] as const };
    const unrecorded: string[] = [];
    for (let run = 0; run < 25 && unrecorded.length === 0; run++) {
      const rng = new SeededRng(runSeed(7, run));
      const sim = new Simulation(config);
      const ctx = { faultSites: sim.faultSites, platform: name };
      for (let i = 0; i < 40 && !sim.dead && unrecorded.length === 0; i++) {
        const cmd = generateCommand(sim.state, rng, ctx);
        if (cmd === null) break;
        sim.execute(cmd);
        for (const o of sim.kernel.heap.liveObjects()) if (o.alloc === null || o.alloc.site === 'kmalloc') unrecorded.push(`run ${run} step ${i}: ${o.kind} with no site`);
        for (const pool of sim.kernel.audit.pools()) for (const u of pool.units()) if (u.stamp === null) unrecorded.push(`run ${run} step ${i}: ${pool.name} ${u.id} with no record`);
      }
    }
    expect(unrecorded.slice(0, 3)).toEqual([]);
  });
});

/** The object audit's message after running `commands` (which must stay clean until the last). */
function runCommandsAt(platform: string, revision: string, commands: Command[]): string | null {
  const { sim, record } = healthyOnLast(platform, revision, commands);
  return verdict('object-audit', sim, record);
}

/** Like healthyOn, but the last command may break an invariant: its record is returned unchecked. */
function healthyOnLast(platform: string, revision: string, commands: Command[]): ReturnType<typeof healthyOn> {
  const { sim } = healthyOn(platform, revision, commands.slice(0, -1));
  const record = sim.execute(commands[commands.length - 1] as Command);
  return { sim, record };
}
