// powerpc: the random engine finds each pseries/powernv known bug and shrinks it to its known
// minimal length; the powerpc commands print and parse back; the fixed revisions stay clean.
import type { Command } from '../../src/commands/command';
import { formatCommand } from '../../src/commands/spec';
import { POWERPC_COMMANDS } from '../../src/commands/vocabulary/powerpc';
import { specOf } from '../../src/commands/vocabulary';
import { runCampaign } from '../../src/engine/campaign';
import { runCommands } from '../../src/engine/runner';
import { KNOWN_BUGS } from '../../src/known-bugs';
import { findPlatform } from '../../src/platforms';
import { parseRepro } from '../../src/repro/parse';
import { resolveRevision } from '../../src/revision';

const PPC = ['pseries', 'powernv'];
const bugs = KNOWN_BUGS.filter((b) => PPC.includes(b.platform));

function platform(name: string) {
  const p = findPlatform(name);
  if (p === undefined) throw new Error(`no platform ${name}`);
  return p;
}

describe('powerpc known bugs', () => {
  test('all eleven are registered', () => {
    expect(bugs.map((b) => b.id).sort()).toEqual([
      'powernv-compose-opal-error',
      'powernv-opal-bogus-irq',
      'pseries-alloc-error-underflow',
      'pseries-nvme-post-free',
      'pseries-quota-below-hwsize',
      'xive-managed-restart-refused',
      'xive-migrate-enxio-left-on-dead-cpu',
      'xive-offline-msi-left-in-queue',
      'xive-shutdown-race',
      'xive-startup-error-dead-line',
      'xive-unplug-strands-irq',
    ]);
  });

  // The open one (xive-offline-msi-left-in-queue) takes thousands of runs to hit: its golden
  // repro is replayed by golden.test.ts, failing at the current revision and clean with the fix.
  test.each(bugs.filter((b) => b.status === 'fixed').flatMap((b) => [1, 2].map((seed) => [b.id, seed] as const)))('%s is found and shrunk (seed %d)', (id, seed) => {
    const bug = bugs.find((b) => b.id === id);
    if (bug === undefined) throw new Error('registry');
    const p = platform(bug.platform);
    const config = { platform: p, revision: resolveRevision(p, bug.revision), faultClasses: bug.faults };
    const r = runCampaign({ config, seed, runs: 5000, target: bug.invariant, skipOpenIssues: bug.status !== 'open' });
    expect(r.findings).toHaveLength(1);
    const f = r.findings[0];
    expect(f?.finding.violation.invariant).toBe(bug.invariant);
    expect(f?.repro.commands.length).toBeLessThanOrEqual(bug.minimalLength);
    // the shrunk repro is clean where the bug is fixed
    if (f !== undefined) expect(runCommands({ ...config, revision: resolveRevision(p, p.currentRevision) }, f.repro.commands).violation).toBeNull();
  });

  test('pseries-nvme-post-free is the device, alloc 1, free, alloc N', () => {
    const bug = bugs.find((b) => b.id === 'pseries-nvme-post-free');
    if (bug === undefined) throw new Error('registry');
    const p = platform('pseries');
    const r = runCampaign({ config: { platform: p, revision: resolveRevision(p, bug.revision), faultClasses: bug.faults }, seed: 3, runs: 2000, target: bug.invariant });
    expect(r.findings[0]?.repro.commands.map((c) => c.kind)).toEqual(['pci_device_add', 'pci_alloc_irq_vectors', 'pci_free_irq_vectors', 'pci_alloc_irq_vectors']);
  });
});

describe('powerpc commands', () => {
  const samples: Command[] = [
    { kind: 'kvm_xive_create', kvm: 'kvm0' },
    { kind: 'kvm_xive_set_source', kvm: 'kvm0', irq: 7 },
    { kind: 'kvm_xive_release', kvm: 'kvm0' },
    { kind: 'xive_native_alloc_irq', hw: 'hw3' },
    { kind: 'xive_native_free_irq', hw: 'hw3' },
  ];

  test('every powerpc command kind has a sample', () => {
    expect(POWERPC_COMMANDS.map((s) => s.kind).sort()).toEqual(samples.map((c) => c.kind).sort());
  });

  test.each(samples.map((c) => [c.kind, c] as const))('%s prints and parses back', (_kind, cmd) => {
    const text = ['# platform: powernv', '# revision: v6.18.y', '# faults: none', formatCommand(specOf(cmd.kind) as never, cmd), 'expect clean'].join('\n');
    expect(parseRepro(text, 'x.repro').commands).toEqual([cmd]);
  });

  test('bad handles are parse errors with a column', () => {
    expect(() => parseRepro(['# platform: powernv', '# revision: v6.18.y', 'kvm_xive_set_source(dev0, 1)'].join('\n'), 'x.repro')).toThrow(/x\.repro:3:21: kvm_xive_set_source: expected a handle like kvm0, got 'dev0'/);
  });

  test('they are only valid on powernv', () => {
    const p = platform('pseries');
    const r = runCommands({ platform: p, revision: resolveRevision(p, p.currentRevision), faultClasses: [] }, [{ kind: 'kvm_xive_create', kvm: 'kvm0' }]);
    expect(r.invalidAt).toBe(0);
  });

  test('KVM sources and in-kernel users share the IPIs: clean exhaustion now, 0xffffffff on old kernel + old skiboot', () => {
    const p = platform('powernv');
    // 2 chips x 8 IPIs, 2 per chip taken by the boot CPUs: 12 left
    const cmds: Command[] = [{ kind: 'kvm_xive_create', kvm: 'kvm0' }];
    for (let i = 0; i < 8; i++) cmds.push({ kind: 'kvm_xive_set_source', kvm: 'kvm0', irq: i });
    for (let i = 0; i < 5; i++) cmds.push({ kind: 'xive_native_alloc_irq', hw: `hw${i}` });
    cmds.push({ kind: 'kvm_xive_release', kvm: 'kvm0' }, { kind: 'xive_native_alloc_irq', hw: 'hw9' }, { kind: 'xive_native_free_irq', hw: 'hw9' });
    const r = runCommands({ platform: p, revision: resolveRevision(p, p.currentRevision), faultClasses: [] }, cmds);
    expect(r.invalidAt).toBeNull();
    expect(r.violation).toBeNull();
    const rets = r.records.map((x) => x.outcome?.ret);
    expect(rets.slice(1, 9)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(rets.slice(9, 13).every((x) => typeof x === 'number' && x > 0)).toBe(true);
    expect(rets[13]).toBe(0); // exhausted: xive_native_alloc_irq() returns 0
    expect(rets[15]).toBeGreaterThan(0); // the released sources' IPIs are back

    const seven: Command[] = [0, 1, 2, 3, 4, 5, 6].map((i) => ({ kind: 'xive_native_alloc_irq', hw: `hw${i}` }));
    const old = runCommands({ platform: p, revision: resolveRevision(p, 'xive-opal-pre-v5.4'), faultClasses: [] }, seven);
    expect(old.violation?.invariant).toBe('powernv-opal-irq-valid');
    expect(old.records[6]?.outcome?.ret).toBe(0xffffffff);
  });
});

describe('powerpc current revisions', () => {
  test.each(PPC)('%s stays clean with every fault class (short campaign)', (name) => {
    const p = platform(name);
    const r = runCampaign({ config: { platform: p, revision: resolveRevision(p, p.currentRevision), faultClasses: ['resource', 'kmalloc', 'firmware'] }, seed: 7, runs: 1500, skipOpenIssues: true });
    expect(r.findings.map((f) => `${f.finding.violation.invariant}: ${f.finding.violation.message}`)).toEqual([]);
  });
});
