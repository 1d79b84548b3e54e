// A failed HVCALL_RETARGET_INTERRUPT (or its cpumask allocation) at unmask is only logged by
// hv_irq_retarget_interrupt(): the host entry keeps the vector and vCPU it had. The routing
// invariant accepts that irq's stale route only while the fault record shows the failure.
import type { Command } from '../../src/commands/command';
import { runCommands } from '../../src/engine/runner';
import { findPlatform } from '../../src/platforms';
import { resolveRevision } from '../../src/revision';
import type { StepRecord } from '../../src/sim/simulation';
import { PCI_IRQ_MSI, PCI_IRQ_MSIX } from '../../models/kernel/pci-msi';
import { PciDev } from '../../models/kernel/device';
import { X86Platform } from '../../models/platforms/x86/instance';
import { verdict } from './helpers';

/** The irq's start retargets it at CPU 1's vector, CPU 1 goes down: the move's retarget fails. */
function script(site: string): Command[] {
  return [
    { kind: 'pci_device_add', dev: 'dev0', rid: 0x100, msi: 0, msix: 2 },
    { kind: 'pci_alloc_irq_vectors', dev: 'dev0', min: 1, max: 2, flags: PCI_IRQ_MSIX },
    { kind: 'request_irq', dev: 'dev0', vec: 1 },
    { kind: 'fail_next', site, nth: 0 },
    { kind: 'cpu_down', cpu: 1 },
  ];
}

function run(revision: string, site: string) {
  const platform = findPlatform('x86-hyperv');
  if (platform === undefined) throw new Error('no x86-hyperv');
  return runCommands({ platform, revision: resolveRevision(platform, revision), faultClasses: ['kmalloc', 'firmware'] }, script(site));
}

describe.each(['v6.12', 'v7.2'])('x86-hyperv %s: a failed retarget at unmask', (revision) => {
  test.each(['HVCALL_RETARGET_INTERRUPT', 'hv_irq_retarget_interrupt'])('%s: logged, the host entry stays on the offline CPU, and the routing invariant accepts it by the fault record', (site) => {
    const r = run(revision, site);
    expect(r.invalidAt).toBeNull();
    expect(r.violation).toBeNull();
    const { sim } = r;
    const record = r.records[r.records.length - 1] as StepRecord;
    expect(record.faultsFired).toEqual([site]);
    expect(sim.kernel.dmesg.some((l) => l.startsWith('hv_irq_retarget_interrupt() failed'))).toBe(true);
    const p = sim.platform;
    if (!(p instanceof X86Platform)) throw new Error('not x86');
    const dev = sim.devices.get('dev0');
    if (!(dev instanceof PciDev)) throw new Error('no dev0');
    const e = dev.msixTable[1];
    if (e === null || e === undefined) throw new Error('no entry');
    // the write reaches nobody: the entry still names CPU 1
    expect(p.deliver(dev, e)).toEqual({ blocked: 'CPU 1 is offline' });
    expect(p.staleRoute(2)).toEqual({ step: record.step, site });
    expect(verdict('message-routing', sim, record)).toBeNull();
    // the same stale route without the failure in the fault record is a violation
    const fired = sim.kernel.faults.fired() as unknown as { site: string }[];
    const saved = fired.splice(0);
    expect(verdict('message-routing', sim, record)).toMatch(/dev0 MSI-X entry 1 \(irq 2\): CPU 1 is offline/);
    fired.push(...saved);
  });

  test('the device raises the irq after the failure: lost, and irq-not-lost accepts it only by the fault record', () => {
    const platform = findPlatform('x86-hyperv');
    if (platform === undefined) throw new Error('no x86-hyperv');
    const r = runCommands({ platform, revision: resolveRevision(platform, revision), faultClasses: ['firmware'] }, [...script('HVCALL_RETARGET_INTERRUPT'), { kind: 'msi_raise', dev: 'dev0', vec: 1 }]);
    expect(r.violation).toBeNull();
    const record = r.records[r.records.length - 1] as StepRecord;
    expect(record.notes.join('\n')).toMatch(/blocked: CPU 1 is offline/);
    expect(verdict('irq-not-lost', r.sim, record)).toBeNull();
    const fired = r.sim.kernel.faults.fired() as unknown[];
    const saved = fired.splice(0);
    expect(verdict('irq-not-lost', r.sim, record)).toMatch(/dev0 vec 1 raised at step 6 while its driver had a handler/);
    fired.push(...saved);
  });
});

describe('x86-hyperv v7.2 with the multi-MSI fix: the compose-time retarget fails', () => {
  // msi-fuzz's fix retargets a multi-MSI entry at compose; when that retarget fails (only
  // logged), vec 1's entry stays on the dummy vector, which request_irq(vec=4) then gets
  const commands: Command[] = [
    { kind: 'pci_device_add', dev: 'dev0', rid: 0x100, msi: 8, msix: 0 },
    { kind: 'fail_next', site: 'HVCALL_RETARGET_INTERRUPT', nth: 1 },
    { kind: 'pci_alloc_irq_vectors', dev: 'dev0', min: 1, max: 8, flags: PCI_IRQ_MSI },
    { kind: 'request_irq', dev: 'dev0', vec: 4 },
    { kind: 'msi_raise', dev: 'dev0', vec: 1 },
    { kind: 'irq_set_affinity', target: 'dev0', vec: 0, cpus: 0x1 },
  ];

  test('the interrupt runs another irq\'s handler, and irq-handled-for-owner accepts it only by the fault record', () => {
    const platform = findPlatform('x86-hyperv');
    if (platform === undefined) throw new Error('no x86-hyperv');
    const r = runCommands({ platform, revision: resolveRevision(platform, 'v7.2+msi-fuzz-hv-multi-msi-entry-follows-irq'), faultClasses: ['firmware'] }, commands);
    expect(r.violation).toBeNull();
    const record = r.records[r.records.length - 1] as StepRecord;
    expect(record.notes.join('\n')).toMatch(/handler dev0:4/);
    expect(r.records[2]?.faultsFired).toEqual(['HVCALL_RETARGET_INTERRUPT']);
    const fired = r.sim.kernel.faults.fired() as unknown[];
    const saved = fired.splice(0);
    expect(verdict('irq-handled-for-owner', r.sim, record)).toMatch(/ran the handler of dev0 vec 4 \(irq \d+\) for an interrupt raised by dev0 vec 1/);
    fired.push(...saved);
  });
});
