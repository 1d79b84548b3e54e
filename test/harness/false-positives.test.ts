// Findings at revisions marked correct that turned out to be model or oracle errors (see
// docs/results/false-positives.md): each shrunk repro under shrink-reports/false-positives/
// replays clean on its revision, and each one's fix is pinned by a check that fails without it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ENOSPC } from '../../models/kernel/errno';
import { PciDev } from '../../models/kernel/device';
import { pciIrqVector } from '../../models/kernel/pci-msi';
import { X86Platform } from '../../models/platforms/x86/instance';
import { freeIrte } from '../../models/platforms/x86/amd-ir';
import { runCommands } from '../../src/engine/runner';
import { findPlatform } from '../../src/platforms';
import { parseRepro } from '../../src/repro/parse';
import type { Repro } from '../../src/repro/repro';
import { resolveRevision } from '../../src/revision';
import { verdict } from '../invariants/helpers';

const DIR = path.join(__dirname, '..', '..', 'shrink-reports', 'false-positives');
const files = fs.readdirSync(DIR).filter((f) => f.endsWith('.repro'));

function load(file: string): Repro {
  return parseRepro(fs.readFileSync(path.join(DIR, file), 'utf8'), file);
}

function replay(repro: Repro): ReturnType<typeof runCommands> {
  const platform = findPlatform(repro.platform);
  if (platform === undefined) throw new Error(`no platform ${repro.platform}`);
  return runCommands({ platform, revision: resolveRevision(platform, repro.revision), faultClasses: repro.faults }, repro.commands);
}

describe('false positives at correct revisions', () => {
  test('there are regression repros', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  test.each(files.map((f) => [f]))('%s replays clean on its revision', (file) => {
    const repro = load(file);
    expect(repro.expect).toBe('clean');
    const r = replay(repro);
    expect(r.invalidAt).toBeNull();
    expect(r.violation).toBeNull();
  });

  test('request_irq() may fail where an injected failure fired in it, and only there', () => {
    const r = replay(load('x86-request-irq-activation-fault.repro'));
    const last = r.records[r.records.length - 1];
    if (last === undefined) throw new Error('no record');
    expect(last.outcome?.ret).toBe(-ENOSPC);
    expect(last.faultsFired).toEqual(['irq_matrix_alloc']);
    // The same error without the injected failure breaks the promise
    expect(verdict('driver-outcome', r.sim, { ...last, faultsFired: [] })).toMatch(/returned -ENOSPC, expected 0/);
  });

  test('an LPI range halved under exhaust(LPI) counts as the exhaustion firing', () => {
    const r = replay(load('its-lpi-halving-under-exhaust.repro'));
    const last = r.records[r.records.length - 1];
    if (last === undefined) throw new Error('no record');
    expect(last.outcome?.ret).toBe(1);
    expect(last.faultsFired).toEqual(['LPI']);
    // The same count with nothing fired breaks the promise
    expect(verdict('driver-outcome', r.sim, { ...last, faultsFired: [] })).toMatch(/returned 1, expected 2/);
  });

  test('a Hyper-V retarget failed under an injected fault leaves the route stale, accepted only by the fault record', () => {
    const r = replay(load('hyperv-retarget-fault-stale-route.repro'));
    const last = r.records[r.records.length - 1];
    if (last === undefined) throw new Error('no record');
    expect(last.faultsFired).toEqual(['hv_irq_retarget_interrupt']);
    // the same stale route with nothing in the fault record is a violation
    const fired = r.sim.kernel.faults.fired() as unknown[];
    const saved = fired.splice(0);
    expect(verdict('message-routing', r.sim, last)).toMatch(/dev0 MSI-X entry 3 \(irq 4\): CPU 3 is offline/);
    fired.push(...saved);
  });

  test('an interrupt raised while a failed retarget left the route stale is judged by the route at the raise, not now', () => {
    const r = replay(load('hyperv-stale-route-window.repro'));
    const last = r.records[r.records.length - 1];
    if (last === undefined) throw new Error('no record');
    expect(last.command.kind).toBe('cpu_down');
    const dev = r.sim.devices.get('dev0');
    if (!(dev instanceof PciDev)) throw new Error('no dev0');
    const irq = pciIrqVector(dev, 2);
    // the failure at request_irq (step 7, 0-based 6) left it stale; cpu_down(1)'s retarget ended that
    expect(r.sim.platform.staleRoute?.(irq)).toBeNull();
    expect(r.sim.platform.staleRoute?.(irq, 7)).toEqual({ step: 6, site: 'HVCALL_RETARGET_INTERRUPT' });
    // the same loss with nothing in the fault record is a violation
    const fired = r.sim.kernel.faults.fired() as unknown[];
    const saved = fired.splice(0);
    expect(verdict('irq-not-lost', r.sim, last)).toMatch(/dev0 vec 2 raised at step 8 while its driver had a handler/);
    fired.push(...saved);
  });

  test('exhaust(AMD-IRTE) fills what alloc_irq_index() could hand out, never the IOAPIC pins below min_index', () => {
    const r = replay(load('amd-ioapic-pin-entry-drained.repro'));
    const p = r.sim.platform;
    if (!(p instanceof X86Platform) || p.amd === null) throw new Error('not AMD-Vi');
    const table = p.amd.tables().find((t) => t.minIndex === 32);
    if (table === undefined) throw new Error('no IOAPIC table');
    expect(table.table[18]).toMatchObject({ allocated: true, valid: true });
    const before = table.table.map((e) => e.allocated);
    const release = p.amd.drain();
    // below min_index nothing changes; from it up, every entry is taken
    expect(table.table.slice(0, 32).map((e) => e.allocated)).toEqual(before.slice(0, 32));
    expect(table.table.slice(32).every((e) => e.allocated)).toBe(true);
    release();
    expect(table.table.map((e) => e.allocated)).toEqual(before);
  });

  test('freeing an IOAPIC pin\'s IRTE that reads as free is no double free; any other entry is', () => {
    const r = replay(load('amd-ioapic-pin-unwind-free.repro'));
    const p = r.sim.platform;
    if (!(p instanceof X86Platform) || p.amd === null) throw new Error('not AMD-Vi');
    const table = p.amd.tables().find((t) => t.minIndex === 32);
    const devid = [...p.amd.irqLookupTable].find(([, t]) => t === table)?.[0];
    if (table === undefined || devid === undefined) throw new Error('no IOAPIC table');
    const k = r.sim.kernel;
    const doubleFrees = (): number => k.reports.filter((x) => x.kind === 'double-free').length;
    expect(table.table[18]?.allocated).toBe(false);
    freeIrte(k, p.amd, devid, 18);
    expect(doubleFrees()).toBe(0);
    // an entry alloc_irq_index() hands out, freed while free: reported
    const free = table.table.findIndex((e, i) => i >= 32 && !e.allocated);
    freeIrte(k, p.amd, devid, free);
    expect(doubleFrees()).toBe(1);
  });

  test('cpu_down() lets the handler another CPU is in return before the CPU goes', () => {
    const r = replay(load('x86-cpu-down-waits-for-handler.repro'));
    const last = r.records[r.records.length - 1];
    expect(last?.command.kind).toBe('cpu_down');
    expect(last?.notes.join('\n')).toMatch(/cpu3: handler dev0:4 of irq \d+ returns[^]*cpu3: takes irq \d+ \(raised by dev0 vec 1/);
    expect(r.sim.state.inHandler.has(3)).toBe(false);
    expect(r.sim.kernel.hardirq[3]).toBeNull();
  });
});
