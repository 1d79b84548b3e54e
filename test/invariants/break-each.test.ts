// Each invariant is shown to fire: build a healthy machine, break exactly what the invariant
// guards (by hand, as a buggy kernel would), and check that it is that invariant which fails.
import { PciDev } from '../../models/kernel/device';
import { IrqAction } from '../../models/kernel/irq-action';
import { IrqFwnode, type IrqData, type IrqDesc } from '../../models/kernel/irqdomain';
import type { KernelReport, ReportKind } from '../../models/kernel/report';
import type { ItsDevice } from '../../models/platforms/gic-v3-its/its';
import { ItsPlatform } from '../../models/platforms/gic-v3-its';
import type { Command } from '../../src/commands/command';
import { INVARIANTS } from '../../src/invariants/registry';
import type { Simulation, StepRecord } from '../../src/sim/simulation';
import { healthyOn, verdict } from './helpers';

const SETUP: Command[] = [
  { kind: 'pci_device_add', dev: 'dev0', rid: 0x100, msi: 4, msix: 8 },
  { kind: 'pci_alloc_irq_vectors', dev: 'dev0', min: 1, max: 8, flags: 4 },
];

function healthy(commands: Command[] = SETUP): { sim: Simulation; record: StepRecord } {
  return healthyOn('gic-v3-its', 'v6.18', commands);
}

function report(sim: Simulation, kind: ReportKind): void {
  const r: KernelReport = { kind, site: 'test', message: `injected ${kind}`, step: sim.kernel.step };
  sim.kernel.reports.push(r);
}

const itsOf = (sim: Simulation): ItsPlatform => sim.platform as ItsPlatform;

describe('every invariant fires when its rule is broken', () => {
  test('every registered invariant has a breakage case below', () => {
    const covered = new Set([
      'scratchpad-union-aliasing',
      'no-kernel-oops',
      'no-use-after-free',
      'no-double-free',
      'no-soft-lockup',
      'no-kernel-warning',
      'prepare-teardown-pairing',
      'msi-desc-association',
      'hwirq-unique',
      'kernel-lists-live',
      'resources-baseline',
      'requester-id-identity',
      'irq-state-machine',
      'activate-early',
      'activation-released',
      'its-lpi-accounting',
      'its-device-lifetime',
      'its-device-sizing',
      'message-routing',
      'object-audit',
      'driver-outcome',
      'irq-handled-for-owner',
      'cpu-priority-restored',
      'irq-not-lost',
      // test/invariants/break-left-behind.test.ts
      'nothing-left-behind',
      // test/invariants/break-delivery-laws.test.ts
      'msix-mask-honoured',
      'no-spurious-delivery',
    ]);
    const platformSpecific = INVARIANTS.filter((i) => i.platforms !== undefined && !i.platforms.includes('gic-v3-its')).map((i) => i.id);
    for (const inv of INVARIANTS) if (!platformSpecific.includes(inv.id)) expect(covered).toContain(inv.id);
  });

  test.each([
    ['scratchpad-union-aliasing', 'union-confusion'],
    ['no-kernel-oops', 'oops'],
    ['no-use-after-free', 'kasan-use-after-free'],
    ['no-double-free', 'double-free'],
    ['no-soft-lockup', 'soft-lockup'],
    ['no-kernel-warning', 'warn'],
  ] as const)('%s fires on a %s report', (id, kind) => {
    const { sim, record } = healthy();
    expect(verdict(id, sim, record)).toBeNull();
    report(sim, kind);
    expect(verdict(id, sim, record)).toContain(`injected ${kind}`);
  });

  test('prepare-teardown-pairing: a removed domain that was prepared but never torn down', () => {
    const { sim, record } = healthy();
    const bundle = [...sim.kernel.msiDomains][0];
    if (bundle === undefined) throw new Error('no domain');
    sim.kernel.msiDomains.delete(bundle);
    sim.kernel.retiredMsiDomains.push(bundle);
    expect(verdict('prepare-teardown-pairing', sim, record)).toMatch(/1 prepare\(s\) of its template, 0 teardown/);
  });

  test('prepare-teardown-pairing: a template prepared twice', () => {
    const { sim, record } = healthy();
    const bundle = [...sim.kernel.msiDomains][0];
    if (bundle === undefined) throw new Error('no domain');
    bundle.templatePrepares = 2;
    expect(verdict('prepare-teardown-pairing', sim, record)).toMatch(/prepared 2 times/);
  });

  test('msi-desc-association: an irq pointing at a descriptor that no longer owns it', () => {
    const { sim, record } = healthy();
    const dev = sim.device('dev0');
    const desc = dev.msiData?.domains[0].store.get(0);
    if (desc === undefined) throw new Error('no desc');
    desc.irq = 0;
    expect(verdict('msi-desc-association', sim, record)).toMatch(/does not own it/);
  });

  test('hwirq-unique: two irqs with one hwirq in a domain', () => {
    const { sim, record } = healthy();
    const [a, b] = [...sim.kernel.irqs.descs.values()];
    if (a === undefined || b === undefined) throw new Error('need two irqs');
    b.irqData.hwirq = a.irqData.hwirq;
    expect(verdict('hwirq-unique', sim, record)).toMatch(/used by irq/);
  });

  test('kernel-lists-live: a freed domain left on irq_domain_list, a deleted device left on the device list', () => {
    const { sim, record } = healthy();
    expect(verdict('kernel-lists-live', sim, record)).toBeNull();
    const d = sim.kernel.irqs.domains.find((x) => x.dev !== null);
    if (d === undefined) throw new Error('no device domain');
    d.removed = true;
    expect(verdict('kernel-lists-live', sim, record)).toMatch(/still on irq_domain_list after irq_domain_remove\(\)/);
    d.removed = false;
    const dev = sim.kernel.devices[0];
    if (dev === undefined) throw new Error('no device');
    dev.removed = true;
    expect(verdict('kernel-lists-live', sim, record)).toMatch(/still on the device list after device_del\(\)/);
  });

  test('requester-id-identity: an event mapped under a DeviceID its device does not carry', () => {
    const two: Command[] = [...SETUP, { kind: 'pci_device_add', dev: 'dev1', rid: 0x200, msi: 1, msix: 0 }, { kind: 'pci_alloc_irq_vectors', dev: 'dev1', min: 1, max: 1, flags: 2 }];
    const { sim, record } = healthy(two);
    expect(verdict('requester-id-identity', sim, record)).toBeNull();
    const its = itsOf(sim).its;
    const dev0Its = its.findDevice(0x100);
    const dev1Irq = sim.device('dev1').msiData?.domains[0].store.get(0)?.irq ?? 0;
    const level = (irq: number) => {
      for (let l = sim.kernel.irqs.desc(irq)?.irqData ?? null; l !== null; l = l.parentData) if (l.domain === itsOf(sim).itsDomain) return l;
      throw new Error('no ITS level');
    };
    // dev1's LPI looked up under dev0's DeviceID
    level(dev1Irq).chipData = dev0Its;
    expect(verdict('requester-id-identity', sim, record)).toMatch(/dev1 irq \d+: its_device 100 is not found by requester ID 200/);
    // (the sharing half, with a translation two requester IDs reach: test/invariants/break-x86.test.ts)
  });

  test('resources-baseline: state a parent keeps outside the kernel\'s objects, left over at quiescence', () => {
    // a device added, holding no MSI state
    const { sim, record } = healthy([{ kind: 'pci_device_add', dev: 'dev0', rid: 0x100, msi: 4, msix: 8 }]);
    expect(verdict('resources-baseline', sim, record)).toBeNull();
    const own = sim.platform.resources();
    // a hypervisor's or firmware's pool (a pirq, a host interrupt entry) still in use
    sim.platform.resources = () => [...own, { pool: 'host interrupt entry', inUse: 1, baseline: 0 }];
    expect(verdict('resources-baseline', sim, record)).toMatch(/^host interrupt entry: 1 in use with no device holding MSI state/);
    // a pool the object audit reads is the audit's to judge
    const audited = sim.kernel.audit.pools()[0]?.name ?? 'LPI';
    sim.platform.resources = () => [...own, { pool: audited, inUse: 99, baseline: 0 }];
    expect(verdict('resources-baseline', sim, record)).toBeNull();
  });

  test('its-lpi-accounting: a range neither free nor owned', () => {
    const { sim, record } = healthy();
    itsOf(sim).its.lpis.allocRange(64);
    expect(verdict('its-lpi-accounting', sim, record)).toMatch(/neither free nor owned/);
  });

  test('its-lpi-accounting: a range handed out twice', () => {
    const { sim, record } = healthy();
    const dev = itsOf(sim).its.devices[0] as ItsDevice;
    itsOf(sim).its.lpis.freeRange(dev.lpiBase, dev.nrLpis);
    expect(verdict('its-lpi-accounting', sim, record)).toMatch(/overlap/);
  });

  test('its-device-lifetime: a live LPI whose its_device was freed', () => {
    const { sim, record } = healthy();
    const dev = itsOf(sim).its.devices[0] as ItsDevice;
    sim.kernel.heap.kfree('test', dev);
    expect(verdict('its-device-lifetime', sim, record)).toMatch(/after kfree|was freed/);
  });

  test('its-device-sizing: an ITT sized for more events than the request, or DeviceID 0\'s 32 given to another device', () => {
    const { sim, record } = healthy();
    expect(verdict('its-device-sizing', sim, record)).toBeNull();
    const dev = itsOf(sim).its.devices[0] as ItsDevice;
    // what its_pci_msi_prepare() with minnvec = 32 for every DeviceID would have asked for
    (dev as unknown as { nrItes: number }).nrItes = 32;
    expect(verdict('its-device-sizing', sim, record)).toMatch(/has 32 ITT entries; a request of 8 from DeviceID 100 gives 8/);
  });

  test('its-device-sizing: DeviceID 0 gets at least 32 events', () => {
    const { sim, record } = healthy([
      { kind: 'pci_device_add', dev: 'dev0', rid: 0x0, msi: 4, msix: 0 },
      { kind: 'pci_alloc_irq_vectors', dev: 'dev0', min: 1, max: 4, flags: 2 },
    ]);
    const dev = itsOf(sim).its.devices[0] as ItsDevice;
    expect(dev.nrItes).toBe(32);
    expect(verdict('its-device-sizing', sim, record)).toBeNull();
    (dev as unknown as { nrItes: number }).nrItes = 4;
    expect(verdict('its-device-sizing', sim, record)).toMatch(/has 4 ITT entries; a request of 4 from DeviceID 0 gives 32/);
  });

  test('message-routing: an event unmapped behind the driver\'s back', () => {
    const { sim, record } = healthy();
    const dev = itsOf(sim).its.devices[0] as ItsDevice;
    itsOf(sim).its.send({ op: 'DISCARD', devId: dev.deviceId, event: 0 });
    expect(verdict('message-routing', sim, record)).toMatch(/EventID 0 .* is not mapped/);
  });

  test('object-audit: LPIs held with no device left, named with where they were allocated', () => {
    const { sim, record } = healthy([{ kind: 'pci_device_add', dev: 'dev0', rid: 0x100, msi: 4, msix: 8 }, { kind: 'device_del', dev: 'dev0' }]);
    expect(verdict('object-audit', sim, record)).toBeNull();
    itsOf(sim).its.lpis.allocRange(32);
    expect(verdict('object-audit', sim, record)).toMatch(/^LPI: LPIs \d+\.\.\d+ leaked, allocated in alloc_lpi_range, step 2: device_del\(dev0\)$/);
  });

  test('object-audit: a heap object with no owner once no device holds MSI state', () => {
    const { sim, record } = healthy([{ kind: 'pci_device_add', dev: 'dev0', rid: 0x100, msi: 4, msix: 8 }, { kind: 'device_del', dev: 'dev0' }]);
    sim.kernel.heap.kmalloc(new IrqFwnode('lost'), 'irq_domain_alloc_named_fwnode');
    expect(verdict('object-audit', sim, record)).toMatch(/^fwnode@0x[0-9a-f]+ leaked, allocated in irq_domain_alloc_named_fwnode, step 2: device_del\(dev0\)$/);
  });

  const firstDesc = (sim: Simulation): IrqDesc => {
    const irq = sim.device('dev0').msiData?.domains[0].store.get(0)?.irq ?? 0;
    const desc = sim.kernel.irqs.desc(irq);
    if (desc === undefined) throw new Error('dev0 has no irq');
    return desc;
  };
  const deactivateBehindTheBack = (desc: IrqDesc): void => {
    for (let d: IrqData | null = desc.irqData; d !== null; d = d.parentData) d.activated = false;
  };

  test.each([
    ['a level taken out of its reverse map', (d: IrqDesc): void => void ((d.irqData.parentData as IrqData).mapped = false), /level ITS is allocated but not in its domain's reverse map/],
    ['one level deactivated alone', (d: IrqDesc): void => void ((d.irqData.parentData as IrqData).activated = false), /level ITS is not activated, the irq is/],
    [
      'started without activation',
      (d: IrqDesc): void => {
        d.action = new IrqAction('x', { dev: 'dev0', vec: 0 });
        d.started = true;
        d.disabled = false;
        deactivateBehindTheBack(d);
      },
      /is started but not activated/,
    ],
    ['enabled without a startup', (d: IrqDesc): void => void (d.disabled = false), /not started but not disabled/],
    ['a handler never started', (d: IrqDesc): void => void (d.action = new IrqAction('x', { dev: 'dev0', vec: 0 })), /has a handler but is neither started nor in managed shutdown/],
    [
      'started with no handler',
      (d: IrqDesc): void => {
        d.started = true;
        d.disabled = false;
      },
      /started with no handler/,
    ],
    ['managed shutdown of an unmanaged irq', (d: IrqDesc): void => void (d.managedShutdown = true), /managed shutdown but not managed/],
    ['in progress with no CPU in the handler', (d: IrqDesc): void => void (d.inProgress = true), /IRQD_IRQ_INPROGRESS with no CPU in its handler/],
  ] as const)('irq-state-machine: %s', (_what, breakIt, message) => {
    const { sim, record } = healthy();
    expect(verdict('irq-state-machine', sim, record)).toBeNull();
    breakIt(firstDesc(sim));
    expect(verdict('irq-state-machine', sim, record)).toMatch(message);
  });

  test('activate-early: an irq the early-activating allocation returned unactivated', () => {
    const { sim, record } = healthy();
    expect(verdict('activate-early', sim, record)).toBeNull();
    deactivateBehindTheBack(firstDesc(sim));
    expect(verdict('activate-early', sim, record)).toMatch(/allocated from ITS-PCI-MSIX-dev0 \(MSI_FLAG_ACTIVATE_EARLY\) but is not activated/);
  });

  test('activation-released: a translation entry kept after the irq was marked deactivated', () => {
    const { sim, record } = healthy();
    expect(verdict('activation-released', sim, record)).toBeNull();
    deactivateBehindTheBack(firstDesc(sim));
    expect(verdict('activation-released', sim, record)).toMatch(/EventID 0 still translates to LPI \d+, though it is not activated/);
  });

  test('driver-outcome: fewer vectors than promised', () => {
    const { sim, record } = healthy();
    expect(record.expectation).toEqual(expect.objectContaining({ kind: 'exact', ret: 8 }));
    const short = { ...record, outcome: { ret: 4 } };
    expect(verdict('driver-outcome', sim, short)).toMatch(/returned 4, expected 8/);
  });

  const DELIVERY: Command[] = [
    ...SETUP,
    { kind: 'request_irq', dev: 'dev0', vec: 0 },
    { kind: 'request_irq', dev: 'dev0', vec: 1 },
    { kind: 'msi_raise', dev: 'dev0', vec: 0 },
  ];

  test('irq-not-lost: a pending interrupt dropped by the controller', () => {
    const { sim, record } = healthy(DELIVERY);
    // the LPI of vec 0 is pending on CPU 0 until the driver's next call; a second device raise later is owed too
    expect(verdict('irq-not-lost', sim, record)).toBeNull();
    sim.ledger.raised('dev0', 1, record.step);
    expect(verdict('irq-not-lost', sim, record)).toMatch(/dev0 vec 1 raised at step \d+ .* neither handled nor pending/);
  });

  test('cpu-priority-restored: an interrupt taken and never EOIed', () => {
    const { sim, record } = healthy(DELIVERY);
    const fabric = sim.kernel.fabric;
    if (fabric === null) throw new Error('no fabric');
    expect(fabric.takeNext(0)).not.toBeNull();
    expect(verdict('cpu-priority-restored', sim, record)).toMatch(/CPU 0: irq \d+ taken and never EOIed/);
  });

  test('irq-handled-for-owner: a handler runs for another device\'s interrupt, and an irq with no descriptor is taken', () => {
    const { sim, record } = healthy(DELIVERY);
    const base = { step: record.step, cpu: 1, irq: 1, what: 'test' };
    sim.kernel.irqEvents.push({ ...base, origin: { dev: 'dev0', vec: 0, step: 0 }, hadDesc: true, ranFor: { dev: 'dev0', vec: 1 } });
    expect(verdict('irq-handled-for-owner', sim, record)).toMatch(/ran the handler of dev0 vec 1 .* raised by dev0 vec 0/);
    sim.kernel.irqEvents.length = 0;
    sim.kernel.irqEvents.push({ ...base, origin: null, hadDesc: false, ranFor: null });
    expect(verdict('irq-handled-for-owner', sim, record)).toMatch(/after the irq was freed/);
  });

  test('the device under test is a PCI function', () => {
    expect(healthy().sim.device('dev0')).toBeInstanceOf(PciDev);
  });
});
