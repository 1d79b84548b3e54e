// The random engine finds each known bug of the ARM64 server machines (all open: msi-fuzz model
// findings at the newest kernel, in the GICv3 ITS driver, GICv4 and KVM's vgic-v4) and shrinks
// it to its known minimal length; the proposed fix cures the repro. The ITS driver's error-path
// findings recorded on gic-v3-its fail here too.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCampaign } from '../../src/engine/campaign';
import { runCommands } from '../../src/engine/runner';
import { matchOpenIssue } from '../../src/engine/triage';
import { GOLDEN_DIR, KNOWN_BUGS } from '../../src/known-bugs';
import { parseRepro } from '../../src/repro/parse';
import { findPlatform } from '../../src/platforms';
import { resolveRevision } from '../../src/revision';

const dt = findPlatform('gic-v3-its-dt');
/** Seeds whose 3000 runs reach each bug at its minimal length. */
const SEEDS: Record<string, readonly number[]> = {
  'vlpi-unmap-offline-collection': [2, 3],
  'vpe-doorbell-request-teardown-leak': [16, 17],
  'vpe-sgi-alloc-unwind-leak': [2, 4],
  'mbigen-stale-pin-event': [2, 6],
};
const bugs = KNOWN_BUGS.filter((b) => b.platform === 'gic-v3-its-dt');

describe('ARM64 server known bugs', () => {
  test('every gic-v3-its-dt known bug has seeds here', () => {
    expect(bugs.map((b) => b.id).sort()).toEqual(Object.keys(SEEDS).sort());
  });

  test.each(bugs.flatMap((b) => (SEEDS[b.id] ?? []).map((seed) => [b.id, seed] as const)))('%s is found, shrunk, and cured by its fix (seed %d)', (id, seed) => {
    const bug = bugs.find((b) => b.id === id);
    if (bug === undefined || dt === undefined) throw new Error('registry');
    const config = { platform: dt, revision: resolveRevision(dt, bug.revision), faultClasses: bug.faults, ...(bug.commands !== undefined ? { hunt: bug.commands } : {}) };
    const r = runCampaign({ config, seed, runs: 3000, target: bug.invariant, skipOpenIssues: false });
    expect(r.findings).toHaveLength(1);
    const f = r.findings[0];
    if (f === undefined) return;
    expect(f.repro.commands.length).toBeLessThanOrEqual(bug.minimalLength);
    const fixed = runCommands({ ...config, revision: resolveRevision(dt, `${bug.revision}+${bug.fixPatch ?? ''}`) }, f.repro.commands);
    expect(fixed.violation).toBeNull();
  });

  // The GICv3 ITS driver's error-path findings (recorded on gic-v3-its) run the same code here:
  // their golden repros fail on the server machines too, triage names them, their fixes cure them
  test.each(['its-create-device-lpi-leak', 'its-alloc-events-leak', 'its-lpi-free-alloc-leak'])('%s: the gic-v3-its golden fails on the servers too', (id) => {
    const bug = KNOWN_BUGS.find((b) => b.id === id);
    if (bug === undefined || dt === undefined) throw new Error('registry');
    expect(bug.alsoOn).toEqual(['gic-v3-its-dt', 'gic-v3-its-acpi']);
    const file = path.join(__dirname, '..', '..', GOLDEN_DIR, `${id}.repro`);
    const commands = parseRepro(fs.readFileSync(file, 'utf8'), file).commands;
    const config = { platform: dt, revision: resolveRevision(dt, 'v7.2'), faultClasses: bug.faults };
    const r = runCommands(config, commands);
    expect(r.violation).not.toBeNull();
    expect(matchOpenIssue(config, commands, r.violation?.invariant ?? '')?.id).toBe(id);
    const fixed = runCommands({ ...config, revision: resolveRevision(dt, `v7.2+${bug.fixPatch ?? ''}`) }, commands);
    expect(fixed.violation).toBeNull();
  });

  // Two functions of segment 1, which the DT machine's msi-map-mask 0xfff8 collapses onto one
  // DeviceID, both hot-removed (found by a 2x10^6-command campaign at v7.2): the shared
  // its_device stays, as on gic-v3-its with a DMA alias
  test('its-shared-device-kept: two functions under msi-map-mask share an its_device that outlives both', () => {
    const bug = KNOWN_BUGS.find((b) => b.id === 'its-shared-device-kept');
    if (bug === undefined || dt === undefined) throw new Error('registry');
    expect(bug.alsoOn).toEqual(['gic-v3-its-dt', 'gic-v3-its-acpi']);
    const commands = parseRepro(
      [
        '# msi-fuzz repro',
        '# platform: gic-v3-its-dt',
        '# revision: v7.2',
        'pci_device_add(dev0, rid=0001:01:00.1, msi=0, msix=1)',
        'pci_device_add(dev1, rid=0001:01:00.0, msi=1, msix=0)',
        'pci_alloc_irq_vectors(dev1, 1, 1, PCI_IRQ_MSI)',
        'pci_alloc_irq_vectors(dev0, 1, 1, PCI_IRQ_MSIX)',
        'device_del(dev1)',
        'device_del(dev0)',
        'expect violation object-audit',
        '',
      ].join('\n'),
      'inline',
    ).commands;
    const config = { platform: dt, revision: resolveRevision(dt, 'v7.2'), faultClasses: [] };
    const r = runCommands(config, commands);
    expect(r.violation?.invariant).toBe('object-audit');
    expect(r.violation?.message).toMatch(/its_device@\S+ leaked, allocated in its_create_device/);
    expect(matchOpenIssue(config, commands, 'object-audit')?.id).toBe('its-shared-device-kept');
    const fixed = runCommands({ ...config, revision: resolveRevision(dt, `v7.2+${bug.fixPatch ?? ''}`) }, commands);
    expect(fixed.violation).toBeNull();
  });
});
