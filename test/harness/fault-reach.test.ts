// Systematic reach: a fault aimed at the k-th call of a site within one command fires on exactly
// that call and is disarmed when its command ends; a drained pool (per CPU during a CPU
// hot-unplug) sends the kernel down its error path; coverage counts the sites and call indices
// that fired; every site the models ask about is registered, and every registered one is asked.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FaultInjector } from '../../models/kernel/faults';
import type { Command } from '../../src/commands/command';
import { specOf } from '../../src/commands/vocabulary';
import { aimFault, exhaustCmd, failNextCmd, pickNth } from '../../src/commands/vocabulary/faults';
import { formatCommand } from '../../src/commands/spec';
import { SeededRng } from '../../src/engine/random-engine';
import { beforeStep, emptyCoverage, noteStep } from '../../src/engine/coverage';
import { runCommands } from '../../src/engine/runner';
import { faultSitesOf, poolsOf } from '../../src/fault-sites';
import { allPlatforms, findPlatform } from '../../src/platforms';
import { parseRepro } from '../../src/repro/parse';
import { resolveRevision } from '../../src/revision';
import { Simulation, type FaultClass, type SimulationConfig } from '../../src/sim/simulation';
import { Kernel } from '../../models/kernel/kernel';
import { PatchSet } from '../../models/kernel/patches';

function config(name: string, faults: FaultClass[] = ['resource', 'kmalloc', 'firmware'], revision?: string): SimulationConfig {
  const platform = findPlatform(name);
  if (platform === undefined) throw new Error(name);
  return { platform, revision: resolveRevision(platform, revision ?? platform.currentRevision), faultClasses: faults };
}

const dev0: Command = { kind: 'pci_device_add', dev: 'dev0', rid: 0x100, msi: 4, msix: 4 };
const msix4: Command = { kind: 'pci_alloc_irq_vectors', dev: 'dev0', min: 1, max: 4, flags: 4 };

describe('the fault injector', () => {
  test('the k-th call of a site within one command fails, and only that one', () => {
    for (const k of [0, 1, 4]) {
      const f = new FaultInjector();
      f.arm('s', k);
      f.beginCommand(7);
      const fails = Array.from({ length: 6 }, () => f.shouldFail('s'));
      f.endCommand();
      expect(fails.map((x, i) => (x ? i : -1)).filter((i) => i >= 0)).toEqual([k]);
      expect(f.fired()).toEqual([{ kind: 'fail', site: 's', nth: k, step: 7 }]);
    }
  });

  test('calls of other sites and of earlier commands do not count; an unfired fault is disarmed at the end of its command', () => {
    const f = new FaultInjector();
    f.beginCommand(0);
    f.shouldFail('s');
    f.endCommand();
    f.arm('s', 1);
    f.beginCommand(1);
    expect(f.shouldFail('other')).toBe(false);
    expect(f.shouldFail('s')).toBe(false);
    f.endCommand();
    expect(f.missed()).toEqual([{ kind: 'fail', site: 's', nth: 1, cpu: null }]);
    f.beginCommand(2);
    expect([f.shouldFail('s'), f.shouldFail('s')]).toEqual([false, false]);
    f.endCommand();
    expect(f.fired()).toEqual([]);
  });

  test('a drained pool is drained from the start of its command to the end, then given back', () => {
    const f = new FaultInjector();
    const log: string[] = [];
    f.registerPool('p', (cpu) => {
      log.push(`drain ${cpu}`);
      return () => log.push(`release ${cpu}`);
    });
    f.exhaust('p', 2);
    expect(f.armed()).toEqual([{ kind: 'exhaust', site: 'p', nth: 0, cpu: 2 }]);
    expect(f.exhausted('p', 2)).toBe(false);
    f.beginCommand(3);
    expect([f.exhausted('p', 2), f.exhausted('p', 1)]).toEqual([true, false]);
    f.endCommand();
    expect(log).toEqual(['drain 2', 'release 2']);
    expect(f.armed()).toEqual([]);
  });
});

describe('k-th call aiming through the driver API', () => {
  // x86: each MSI-X vector is its own irq allocation, so alloc_apic_chip_data runs once per vector;
  // a failure at vector k leaves k allocated and pci_alloc_irq_vectors() retries with k (msi_handle_pci_fail)
  test.each([0, 1, 2, 3, 4])('x86-noir: fail_next(alloc_apic_chip_data, nth=%d) during a 4-vector MSI-X allocation', (k) => {
    const r = runCommands(config('x86-noir'), [dev0, { kind: 'fail_next', site: 'alloc_apic_chip_data', nth: k }, msix4]);
    expect(r.invalidAt).toBeNull();
    expect(r.violation).toBeNull();
    expect(r.records[2]?.outcome?.ret).toBe(k === 0 ? -28 : k);
    const fired = r.sim.kernel.faults.fired();
    expect(fired.map((f) => f.nth)).toEqual(k < 4 ? [k] : []);
    expect(r.sim.kernel.faults.missed().map((m) => m.site)).toEqual(k < 4 ? [] : ['alloc_apic_chip_data']);
    expect(r.sim.state.armed.size).toBe(0);
  });

  test('a parent level: the last intel_ir_data of a 4-irq multi-MSI block fails the block, the retry with one vector succeeds', () => {
    const msi4: Command = { kind: 'pci_alloc_irq_vectors', dev: 'dev0', min: 1, max: 4, flags: 2 };
    const r = runCommands(config('x86-intel-ir'), [dev0, { kind: 'fail_next', site: 'intel_ir_data', nth: 3 }, msi4]);
    expect(r.violation).toBeNull();
    expect(r.records[2]?.outcome?.ret).toBe(1);
    expect(r.sim.kernel.faults.fired().map((f) => `${f.site}#${f.nth}`)).toEqual(['intel_ir_data#3']);
  });

  test('every level of the hierarchy: irq_domain_alloc_irq_data is called once per parent level and irq', () => {
    const r = runCommands(config('x86-intel-ir'), [dev0, msix4]);
    // PCI-MSIX device domain over INTEL-IR over VECTOR: two parent levels, four irqs
    expect(r.sim.kernel.faults.commandCalls().get('irq_domain_alloc_irq_data')).toBe(8);
    const last = runCommands(config('x86-intel-ir'), [dev0, { kind: 'fail_next', site: 'irq_domain_alloc_irq_data', nth: 7 }, msix4]);
    expect(last.violation).toBeNull();
    expect(last.records[2]?.outcome?.ret).toBe(3);
  });

  test('a fault that does not fire within its command is gone: the next command is not affected', () => {
    const dev1: Command = { kind: 'pci_device_add', dev: 'dev1', rid: 0x200, msi: 0, msix: 2 };
    const r = runCommands(config('x86-noir'), [dev0, dev1, { kind: 'fail_next', site: 'alloc_apic_chip_data', nth: 9 }, msix4, { kind: 'pci_alloc_irq_vectors', dev: 'dev1', min: 1, max: 2, flags: 4 }]);
    expect(r.records.map((x) => x.outcome?.ret ?? null)).toEqual([null, null, null, 4, 2]);
    expect(r.sim.kernel.faults.fired()).toEqual([]);
  });
});

describe('per-CPU exhaustion during CPU hot-unplug', () => {
  // An irq affine to CPUs 1 and 2, routed to `at`; the other CPU of the mask drained for cpu_down(at)
  function movedOff(name: string, extra: Command[]): { r: ReturnType<typeof runCommands>; at: number } {
    const setup: Command[] = [dev0, msix4, { kind: 'irq_set_affinity', target: 'dev0', vec: 0, cpus: 0x6 }];
    const first = runCommands(config(name), setup);
    const at = first.records[2]?.outcome?.moved?.[1] ?? -1;
    expect([1, 2]).toContain(at);
    const r = runCommands(config(name), [...setup, ...extra.map((c) => (c.kind === 'exhaust' ? { ...c, cpu: 3 - at } : c)), { kind: 'cpu_down', cpu: at }]);
    return { r, at };
  }

  test('x86: the mask\'s other CPU has no vector, so migrate_one_irq() breaks the affinity with the online mask', () => {
    const { r, at } = movedOff('x86-noir', [{ kind: 'exhaust', pool: 'vector', cpu: 0 }]);
    expect(r.violation).toBeNull();
    expect(r.records[r.records.length - 1]?.outcome?.ret).toBe(0);
    expect(r.sim.kernel.dmesg.some((l) => l.includes(`no longer affine to CPU${at}`))).toBe(true);
    expect(r.sim.kernel.faults.fired().some((f) => f.kind === 'exhaust' && f.site === 'vector' && f.nth === 3 - at)).toBe(true);
    // Without the exhaustion the irq just moves to the other CPU of its mask
    const plain = movedOff('x86-noir', []);
    expect(plain.r.sim.kernel.dmesg.some((l) => l.includes('no longer affine'))).toBe(false);
  });

  test('x86: with every other online CPU drained, lapic_can_unplug_cpu() refuses the unplug (-ENOSPC)', () => {
    const cmds: Command[] = [dev0, msix4, { kind: 'irq_set_affinity', target: 'dev0', vec: 0, cpus: 0x4 }];
    for (const cpu of [0, 1, 3]) cmds.push({ kind: 'exhaust', pool: 'vector', cpu });
    cmds.push({ kind: 'cpu_down', cpu: 2 });
    const r = runCommands(config('x86-noir'), cmds);
    expect(r.records[r.records.length - 1]?.outcome?.ret).toBe(-28);
    expect(r.sim.kernel.dmesg.some((l) => l.includes('Cannot disable CPU'))).toBe(true);
    // The exhaustion ended with its command: the CPU goes down now
    expect(runCommands(config('x86-noir'), [...cmds, { kind: 'cpu_down', cpu: 2 }]).records.at(-1)?.outcome?.ret).toBe(0);
  });

  test('XIVE: the mask\'s other CPU has a full queue, set_affinity says -ENXIO and the irq stays on the dying CPU (an open finding); -ENOSPC would move it', () => {
    const { r, at } = movedOff('pseries', [{ kind: 'exhaust', pool: 'xive-queue', cpu: 0 }]);
    expect(r.sim.kernel.dmesg.some((l) => l.includes('set affinity failed(-6)'))).toBe(true);
    expect(r.violation?.invariant).toBe('nothing-left-behind');
    expect(r.violation?.message).toContain(`offline CPU ${at}`);
    const fixed = runCommands(config('pseries', undefined, 'v6.18.y+msi-fuzz-xive-can-unplug'), r.records.map((x) => x.command));
    expect(fixed.violation).toBeNull();
    expect(fixed.sim.kernel.dmesg.some((l) => l.includes(`no longer affine to CPU${at}`))).toBe(true);
  });

  test('XIVE: with every queue the irq may go to full, the proposal refuses the unplug as x86 does', () => {
    const cmds: Command[] = [dev0, msix4, { kind: 'request_irq', dev: 'dev0', vec: 0 }, { kind: 'irq_set_affinity', target: 'dev0', vec: 0, cpus: 0x4 }];
    for (const cpu of [0, 1, 3]) cmds.push({ kind: 'exhaust', pool: 'xive-queue', cpu });
    cmds.push({ kind: 'cpu_down', cpu: 2 });
    const upstream = runCommands(config('powernv'), cmds);
    expect(upstream.violation?.invariant).toBe('nothing-left-behind');
    const fixed = runCommands(config('powernv', undefined, 'v6.18.y+msi-fuzz-xive-can-unplug'), cmds);
    expect(fixed.records.at(-1)?.outcome?.ret).toBe(-28);
    expect(fixed.violation).toBeNull();
  });
});

describe('coverage of fault sites', () => {
  test('a fired site and its call index are counted; sites that never fired stay at 0', () => {
    const cfg = config('x86-noir');
    const sim = new Simulation(cfg);
    const cov = emptyCoverage(cfg);
    for (const f of faultSitesOf(cfg.platform)) expect(cov[`site:${f.name}`]).toBe(0);
    expect(cov['pool:vector']).toBe(0);
    const modes = new Map<string, string>();
    for (const c of [dev0, { kind: 'fail_next', site: 'alloc_apic_chip_data', nth: 2 }, msix4] as Command[]) {
      const before = beforeStep(sim, c, modes);
      noteStep(cov, sim, c, before, sim.execute(c), modes);
    }
    expect(cov['site:alloc_apic_chip_data']).toBe(1);
    expect(cov['site:alloc_apic_chip_data#2']).toBe(1);
    expect(cov['state:fault-fired']).toBe(1);
    expect(cov['site:irq_matrix_alloc']).toBe(0);
  });

  test('emptyCoverage has no fault keys for classes a run does not inject', () => {
    const cov = emptyCoverage(config('x86-noir', []));
    expect(Object.keys(cov).filter((k) => k.startsWith('site:') || k.startsWith('pool:'))).toEqual([]);
  });
});

describe('the fault vocabulary', () => {
  test('fail_next and exhaust print and parse back', () => {
    const samples: Command[] = [
      { kind: 'fail_next', site: 'irq_matrix_alloc', nth: 0 },
      { kind: 'fail_next', site: 'intel_ir_data', nth: 3 },
      { kind: 'exhaust', pool: 'vector', cpu: 2 },
      { kind: 'exhaust', pool: 'LPI', cpu: null },
    ];
    for (const c of samples) {
      const text = formatCommand(specOf(c.kind), c);
      const back = parseRepro(`# platform: x86-noir\n# revision: v6.18\n${text}\nexpect clean\n`, 'x').commands[0];
      expect(back).toEqual(c);
    }
  });

  test('the shrinker simplifies the call index towards 0', () => {
    expect(failNextCmd.simplify({ kind: 'fail_next', site: 's', nth: 6 }).map((c) => c.nth)).toEqual([0, 3, 5]);
    expect(failNextCmd.simplify({ kind: 'fail_next', site: 's', nth: 1 }).map((c) => c.nth)).toEqual([0]);
    expect(failNextCmd.simplify({ kind: 'fail_next', site: 's', nth: 0 })).toEqual([]);
  });

  test('generation aims at the first, the second or the last call the site was seen to make', () => {
    const rng = new SeededRng('nth');
    const seen = new Set(Array.from({ length: 400 }, () => pickNth(rng, 8)));
    expect([...seen].sort((a, b) => a - b)).toEqual([0, 1, 7]);
    expect(new Set(Array.from({ length: 100 }, () => pickNth(rng, 0)))).toEqual(new Set([0, 1]));
  });

  test('a driver entry point boot ran counts as its command: a fault before the first vmd_probe aims at a site vmd_probe calls', () => {
    const sim = new Simulation(config('x86-vmd', ['kmalloc']));
    // vmd_probe() at boot called both of its own sites once
    expect(sim.state.machine?.faultCalls?.('vmd_probe', 'vmd_alloc_irqs')).toBe(1);
    expect(sim.state.machine?.faultCalls?.('vmd_probe', 'vmd_create_irq_domain')).toBe(1);
    const ctx = { faultSites: sim.faultSites, platform: 'x86-vmd' };
    const rng = new SeededRng('vmd-aim');
    const aimed = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const f = aimFault({ kind: 'vmd_probe' }, sim.state, rng, ctx);
      if (f?.kind === 'fail_next') aimed.add(f.site);
    }
    // only sites the boot-time probe reached (the VMD's own and the MSI-X path under it), and
    // its own two among them; nothing vmd_probe never calls (a child's vmd_msi_alloc)
    for (const site of aimed) expect(sim.state.machine?.faultCalls?.('vmd_probe', site)).toBeGreaterThan(0);
    expect(aimed).toContain('vmd_alloc_irqs');
    expect(aimed).toContain('vmd_create_irq_domain');
    expect(aimed).not.toContain('vmd_msi_alloc');
  });

  test('exhaust accepts a per-CPU pool with a CPU and a whole pool without, on the platforms that have them', () => {
    const x86 = new Simulation(config('x86-noir'));
    const ctx = { faultSites: x86.faultSites, pools: x86.pools, platform: 'x86-noir' };
    expect(exhaustCmd.valid({ kind: 'exhaust', pool: 'vector', cpu: 1 }, x86.state, ctx)).toBe(true);
    expect(exhaustCmd.valid({ kind: 'exhaust', pool: 'vector', cpu: null }, x86.state, ctx)).toBe(false);
    expect(exhaustCmd.valid({ kind: 'exhaust', pool: 'LPI', cpu: null }, x86.state, ctx)).toBe(false);
    const none = new Simulation(config('x86-noir', ['kmalloc']));
    expect(none.pools).toEqual([]);
  });
});

describe('the fault site registry', () => {
  const root = path.join(__dirname, '..', '..', 'models');
  const files = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
  const asked = new Set<string>();
  for (const f of files(root)) for (const m of fs.readFileSync(f, 'utf8').matchAll(/shouldFail\('([^']+)'\)/g)) asked.add(m[1] as string);
  const registered = new Set(allPlatforms().flatMap((p) => faultSitesOf(p).map((s) => s.name)));

  test('every site a model asks about is registered, and every registered site is asked about', () => {
    expect([...asked].filter((s) => !registered.has(s))).toEqual([]);
    expect([...registered].filter((s) => !asked.has(s))).toEqual([]);
  });

  test.each(allPlatforms().map((p) => [p.name]))('%s: every pool it lists has a drain once booted, and no other', (name) => {
    const p = findPlatform(name);
    if (p === undefined) throw new Error(name);
    const k = new Kernel(new PatchSet(resolveRevision(p, p.currentRevision).patches));
    p.boot(k);
    expect(k.faults.registeredPools().sort()).toEqual(poolsOf(p).map((x) => x.name).sort());
  });

  test('every site and pool says which kernel function fails', () => {
    for (const p of allPlatforms()) for (const s of [...faultSitesOf(p), ...poolsOf(p)]) expect([s.name, s.kernel ?? '']).toEqual([s.name, expect.stringMatching(/\.[ch]: /)]);
  });
});
