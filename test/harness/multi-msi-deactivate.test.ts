// The open model finding multi-msi-deactivate-zeroes-block: free_irq() of the first vector of a
// multi-MSI block deactivates it and msi_domain_deactivate()'s zero message becomes the whole
// block's message. It fires at the current revision of every platform whose MSI chip writes the
// device (not pseries, where the hypervisor programs it), triage recognises it there as the
// known open issue, and msi-fuzz's proposed core patch cures it.
import type { Command } from '../../src/commands/command';
import { runCommands } from '../../src/engine/runner';
import { matchOpenIssue } from '../../src/engine/triage';
import { findKnownBug } from '../../src/known-bugs';
import { findPlatform } from '../../src/platforms';
import { resolveRevision } from '../../src/revision';
import type { SimulationConfig } from '../../src/sim/simulation';

const FIX = 'msi-fuzz-multi-msi-deactivate';

function config(platform: string, revision?: string): SimulationConfig {
  const p = findPlatform(platform);
  if (p === undefined) throw new Error(platform);
  return { platform: p, revision: resolveRevision(p, revision ?? p.currentRevision), faultClasses: [] };
}

const repro: Command[] = [
  { kind: 'pci_device_add', dev: 'dev0', rid: 0x100, msi: 2, msix: 0 },
  { kind: 'pci_alloc_irq_vectors', dev: 'dev0', min: 2, max: 2, flags: 2 },
  { kind: 'request_irq', dev: 'dev0', vec: 0 },
  { kind: 'free_irq', dev: 'dev0', vec: 0 },
];

const MULTI_MSI = ['gic-v3-its', 'gic-v3-its-dt', 'gic-v3-its-acpi', 'gic-v5', 'x86-intel-ir', 'x86-amd-ir', 'powernv', 'x86-hyperv', 'x86-vmd'];

describe('multi-MSI block zeroed by the first vector\'s free_irq()', () => {
  test.each(MULTI_MSI)('%s: message-routing at current, known open, cured by the proposal', (platform) => {
    const cfg = config(platform);
    // A vPCI vector is routed once started (hv_irq_unmask()'s retarget): vector 1 must be requested
    const cmds: Command[] = platform === 'x86-hyperv' ? [...repro.slice(0, 3), { kind: 'request_irq', dev: 'dev0', vec: 1 }, ...repro.slice(3)] : repro;
    const r = runCommands(cfg, cmds);
    expect(r.violation?.invariant).toBe('message-routing');
    expect(matchOpenIssue(cfg, cmds, 'message-routing')?.id).toBe('multi-msi-deactivate-zeroes-block');
    const fixed = runCommands(config(platform, `${cfg.revision.spec}+${FIX}`), cmds);
    expect(fixed.violation).toBeNull();
  });

  // pseries_msi_write_msg() only caches the message in the msi_desc: the hypervisor programmed
  // the device at ibm,change-msi, so the zero message of the deactivation never reaches it
  test('pseries: the deactivation leaves the device alone, vector 1 still works', () => {
    const cmds: Command[] = [...repro, { kind: 'msi_raise', dev: 'dev0', vec: 1 }, ...[0, 1, 2, 3].map((cpu): Command => ({ kind: 'cpu_handle_irq', cpu }))];
    const r = runCommands(config('pseries'), [...repro.slice(0, 2), { kind: 'request_irq', dev: 'dev0', vec: 1 }, ...cmds.slice(2)]);
    expect(r.violation).toBeNull();
    expect(r.records.flatMap((x) => x.notes).join('\n')).toMatch(/handler dev0:1/);
  });

  test('the registry lists every platform where it fires', () => {
    const bug = findKnownBug('multi-msi-deactivate-zeroes-block');
    expect([bug?.platform, ...(bug?.alsoOn ?? [])].sort()).toEqual([...MULTI_MSI].sort());
    expect(bug?.fixPatch).toBe(FIX);
  });

  // With the proposal, the block keeps working through every order of free and re-request:
  // free vector 1, then 0 (the block goes to zero only now), then request vector 1 again
  test.each(MULTI_MSI)('%s: with the proposal, the block is written again when vector 1 comes back alone', (platform) => {
    const base = config(platform);
    const cmds: Command[] = [
      repro[0] as Command,
      repro[1] as Command,
      { kind: 'request_irq', dev: 'dev0', vec: 1 },
      { kind: 'free_irq', dev: 'dev0', vec: 1 },
      { kind: 'request_irq', dev: 'dev0', vec: 0 },
      { kind: 'free_irq', dev: 'dev0', vec: 0 },
      { kind: 'request_irq', dev: 'dev0', vec: 1 },
      { kind: 'msi_raise', dev: 'dev0', vec: 1 },
      { kind: 'cpu_handle_irq', cpu: 0 },
      { kind: 'cpu_handle_irq', cpu: 1 },
      { kind: 'cpu_handle_irq', cpu: 2 },
      { kind: 'cpu_handle_irq', cpu: 3 },
    ];
    const without = runCommands(base, cmds);
    expect(without.violation?.invariant).toBe('message-routing');
    const fixed = runCommands(config(platform, `${base.revision.spec}+${FIX}`), cmds);
    expect(fixed.violation).toBeNull();
    expect(fixed.records.flatMap((x) => x.notes).join('\n')).toMatch(/handler dev0:1/);
  });
});
