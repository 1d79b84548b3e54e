// Incremental invariant checks (checkTouched): they look only at what the step touched, as the
// kernel model recorded it. Broken on purpose, they must catch a violation the step touched
// exactly as the full check does; a violation on something the step did not touch is left to
// the safety net (the full check every FULL_CHECK_EVERY steps and at the end of a run).
// Equivalence over random runs: step by step, the incremental and the full verdicts agree.
import { PciDev } from '../../models/kernel/device';
import { IrqAction } from '../../models/kernel/irq-action';
import { MsiDomainBundle } from '../../models/kernel/msi';
import type { ItsDevice } from '../../models/platforms/gic-v3-its/its';
import { ItsPlatform } from '../../models/platforms/gic-v3-its';
import type { Command } from '../../src/commands/command';
import { generateCommand } from '../../src/engine/generate';
import { runSeed, SeededRng } from '../../src/engine/random-engine';
import { checkRecord, finalCheck } from '../../src/engine/runner';
import { findInvariant, INVARIANTS, invariantsFor } from '../../src/invariants/registry';
import { KNOWN_BUGS } from '../../src/known-bugs';
import { allPlatforms, findPlatform } from '../../src/platforms';
import { resolveRevision } from '../../src/revision';
import { Simulation, type StepRecord } from '../../src/sim/simulation';
import { healthyOn } from './helpers';

// dev1 is set up first; the last step touches dev0 only.
const SETUP: Command[] = [
  { kind: 'pci_device_add', dev: 'dev1', rid: 0x200, msi: 4, msix: 8 },
  { kind: 'pci_alloc_irq_vectors', dev: 'dev1', min: 1, max: 4, flags: 4 },
  { kind: 'pci_device_add', dev: 'dev0', rid: 0x100, msi: 4, msix: 8 },
  { kind: 'pci_alloc_irq_vectors', dev: 'dev0', min: 1, max: 4, flags: 4 },
];

/** The invariant's verdict on the last step: incremental (what it touched) and full. */
function verdicts(id: string, sim: Simulation, record: StepRecord): { touched: string | null; full: string | null } {
  const inv = findInvariant(id);
  if (inv === undefined) throw new Error(`no invariant ${id}`);
  expect(inv.checkTouched).toBeDefined();
  expect(sim.touched()).not.toBeNull();
  return { touched: checkRecord(sim, record, [inv])?.message ?? null, full: checkRecord(sim, record, [inv], true)?.message ?? null };
}

const itsOf = (sim: Simulation): ItsPlatform => sim.platform as ItsPlatform;
const firstIrq = (sim: Simulation, dev: string): number => {
  const md = sim.device(dev).msiData;
  const desc = md?.domains[0]?.store.get(0);
  if (desc === undefined || desc.irq === 0) throw new Error(`${dev} has no irq`);
  return desc.irq;
};
const itsDeviceOf = (sim: Simulation, irq: number): ItsDevice => {
  for (let l = sim.kernel.irqs.desc(irq)?.irqData ?? null; l !== null; l = l.parentData) {
    if (l.domain === itsOf(sim).itsDomain) return l.chipData as ItsDevice;
  }
  throw new Error(`irq ${irq} has no ITS level`);
};

type Breakage = (sim: Simulation, dev: string) => void;

function deactivateBehindTheBack(sim: Simulation, irq: number): void {
  for (let d = sim.kernel.irqs.desc(irq)?.irqData ?? null; d !== null; d = d.parentData) d.activated = false;
}

// Each breaks one device's state the way a buggy kernel would.
const BREAKAGES: readonly (readonly [string, Breakage])[] = [
  ['msi-desc-association', (sim, dev) => void ((sim.kernel.irqs.desc(firstIrq(sim, dev)) ?? { msiDesc: null }).msiDesc = null)],
  [
    'hwirq-unique',
    (sim, dev) => {
      const data = sim.kernel.irqs.desc(firstIrq(sim, dev))?.irqData;
      if (data === undefined) throw new Error('no irq data');
      data.domain.revmap.delete(data.hwirq);
    },
  ],
  [
    'message-routing',
    (sim, dev) => {
      const pdev = sim.device(dev) as PciDev;
      const e = pdev.msixTable[0];
      if (e === null || e === undefined) throw new Error('no MSI-X entry 0');
      pdev.msixTable[0] = { ...e, data: e.data + 1 };
    },
  ],
  [
    'prepare-teardown-pairing',
    (sim, dev) => {
      // The device domain's template prepared a second time, as before the prepare-once patch.
      const bundle = [...sim.kernel.msiDomains].find((b) => b.dev === sim.device(dev));
      if (!(bundle instanceof MsiDomainBundle)) throw new Error(`${dev} has no device domain`);
      bundle.templatePrepares += 1;
    },
  ],
  [
    'nothing-left-behind',
    (sim, dev) => {
      // A managed irq with a handler left shut down although its CPUs are online.
      const desc = sim.kernel.irqs.desc(firstIrq(sim, dev));
      if (desc === undefined) throw new Error('no irq desc');
      desc.action = new IrqAction(dev, { dev, vec: 0 });
      desc.managedShutdown = true;
    },
  ],
  ['its-device-lifetime', (sim, dev) => void (itsDeviceOf(sim, firstIrq(sim, dev)).freed = true)],
  // The its_device sized for 32 events where the domain asked for 8 (sizes are set when it is created)
  ['its-device-sizing', (sim, dev) => void ((itsDeviceOf(sim, firstIrq(sim, dev)) as unknown as { nrItes: number }).nrItes = 32)],
  ['irq-state-machine', (sim, dev) => void ((sim.kernel.irqs.desc(firstIrq(sim, dev)) ?? { disabled: true }).disabled = false)],
  // The irq's activation bit cleared behind the levels' backs: the ITS still translates its event.
  ['activate-early', (sim, dev) => deactivateBehindTheBack(sim, firstIrq(sim, dev))],
  ['activation-released', (sim, dev) => deactivateBehindTheBack(sim, firstIrq(sim, dev))],
  [
    'requester-id-identity',
    (sim, dev) => {
      // The device's first event mapped under another DeviceID's its_device
      const other = itsOf(sim).its.devices.find((d) => d !== itsDeviceOf(sim, firstIrq(sim, dev)));
      const data = sim.kernel.irqs.desc(firstIrq(sim, dev))?.irqData;
      for (let l = data ?? null; l !== null; l = l.parentData) if (l.domain === itsOf(sim).itsDomain) l.chipData = other;
    },
  ],
  [
    'its-lpi-accounting',
    (sim, dev) => {
      // The its_device's LPI range handed out a second time: put it back on the free list.
      const d = itsDeviceOf(sim, firstIrq(sim, dev));
      const free = itsOf(sim).its.lpis.free;
      const at = free.findIndex((r) => r.base > d.lpiBase);
      free.splice(at < 0 ? free.length : at, 0, { base: d.lpiBase, span: 1 });
    },
  ],
];

describe('incremental checks', () => {
  test('every incremental invariant has a breakage case below', () => {
    const incremental = INVARIANTS.filter((i) => i.checkTouched !== undefined).map((i) => i.id);
    expect(incremental.sort()).toEqual(BREAKAGES.map(([id]) => id).sort());
  });

  test.each(BREAKAGES)('%s: a breakage of what the step touched is caught incrementally, with the full check\'s message', (id, breakIt) => {
    const { sim, record } = healthyOn('gic-v3-its', 'v6.18', SETUP);
    expect(verdicts(id, sim, record)).toEqual({ touched: null, full: null });
    breakIt(sim, 'dev0');
    const v = verdicts(id, sim, record);
    expect(v.full).not.toBeNull();
    expect(v.touched).toBe(v.full);
  });

  // activate-early speaks of the irqs allocated in the step being checked, which are dirty
  // by construction: a breakage elsewhere is no violation of it, at any check.
  test.each(BREAKAGES.filter(([id]) => id !== 'its-lpi-accounting' && id !== 'activate-early'))('%s: a breakage of an untouched device is left to the safety net, which catches it', (id, breakIt) => {
    // A last step on dev0 that maps no DeviceID (a MAPD would send routing back to a full scan).
    const { sim, record } = healthyOn('gic-v3-its', 'v6.18', [...SETUP, { kind: 'request_irq', dev: 'dev0', vec: 0 }]);
    breakIt(sim, 'dev1');
    const v = verdicts(id, sim, record);
    expect(v.touched).toBeNull();
    expect(v.full).not.toBeNull();
    const inv = findInvariant(id);
    if (inv === undefined) throw new Error(`no invariant ${id}`);
    expect(finalCheck(sim, record, [inv])?.message).toBe(v.full);
  });

  test('a step that names no device is checked in full', () => {
    const { sim } = healthyOn('gic-v3-its', 'v6.18', SETUP);
    sim.execute({ kind: 'cpu_handle_irq', cpu: 1 });
    expect(sim.touched()).toBeNull();
  });

  // Every platform at its current revision and at every known bug's revision, with every fault
  // class: step by step, the incremental verdict (invariant and message) is the full one.
  const configs = allPlatforms().flatMap((p) => {
    const revisions = new Set([undefined, ...KNOWN_BUGS.filter((b) => b.platform === p.name).map((b) => b.revision)]);
    return [...revisions].map((rev) => [p.name, rev ?? 'current'] as const);
  });
  test.each(configs)('%s %s: incremental and full verdicts agree on every step of 40 random runs', (name, rev) => {
    const p = findPlatform(name);
    if (p === undefined) throw new Error(`no platform ${name}`);
    const config = { platform: p, revision: resolveRevision(p, rev === 'current' ? undefined : rev), faultClasses: ['resource', 'kmalloc', 'firmware'] as const };
    const invariants = invariantsFor(name);
    let steps = 0;
    for (let run = 0; run < 40; run++) {
      const rng = new SeededRng(runSeed(11, run));
      const sim = new Simulation(config);
      const ctx = { faultSites: sim.faultSites, platform: name };
      for (let i = 0; i < 40 && !sim.dead; i++) {
        const cmd = generateCommand(sim.state, rng, ctx);
        if (cmd === null) break;
        const record = sim.execute(cmd);
        steps++;
        const touched = checkRecord(sim, record, invariants);
        const full = checkRecord(sim, record, invariants, true);
        expect({ run, step: i, v: touched }).toEqual({ run, step: i, v: full });
        if (full !== null) break;
      }
    }
    expect(steps).toBeGreaterThan(200);
  });
});
