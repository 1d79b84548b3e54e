// Each known bug is filed once: triage recognises a finding as a fixed known bug by replaying
// it with the bug's fix (src/engine/triage.ts matchKnownBug), and the finding's signature is
// then the bug, not the command its shrunk repro happens to end in.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runMulti } from '../../src/engine/multi';
import { planConfigs, type PlanOptions } from '../../src/engine/plan';
import { FindingStore } from '../../src/engine/state-dir';
import { fixedRevisionSpec, matchKnownBug } from '../../src/engine/triage';
import { GOLDEN_DIR, KNOWN_BUGS } from '../../src/known-bugs';
import { findPlatform } from '../../src/platforms';
import { parseRepro } from '../../src/repro/parse';
import { resolveRevision } from '../../src/revision';
import { lastJson, run } from '../cli-helpers';

const root = path.join(__dirname, '..', '..');

describe('known bugs are filed once', () => {
  test('every fixed known bug recognises its own golden repro, through its fix', () => {
    for (const bug of KNOWN_BUGS.filter((b) => b.status === 'fixed')) {
      const platform = findPlatform(bug.platform);
      if (platform === undefined) throw new Error(bug.platform);
      expect(() => resolveRevision(platform, fixedRevisionSpec(bug, platform.currentRevision))).not.toThrow();
      const r = parseRepro(fs.readFileSync(path.join(root, GOLDEN_DIR, `${bug.id}.repro`), 'utf8'), bug.id);
      const config = { platform, revision: resolveRevision(platform, bug.revision), faultClasses: r.faults, ...(bug.commands !== undefined ? { hunt: bug.commands } : {}) };
      expect(`${bug.id}: ${matchKnownBug(config, r.commands, bug.invariant)?.id ?? 'not recognised'}`).toBe(`${bug.id}: ${bug.id}`);
      // On another revision of the platform it is not this bug (no known bug lives there with this invariant).
      const elsewhere = { ...config, revision: resolveRevision(platform, platform.currentRevision) };
      expect(matchKnownBug(elsewhere, r.commands, bug.invariant)).toBeNull();
    }
  });

  test('the DMAR and the HPET oops of x86-dmar-null-callback are one finding of that bug', async () => {
    // Seeds are searched rather than named, so that model changes that shift the traces do not
    // silently turn this into a test of one path: both paths must show up, and the store must
    // keep one finding for both.
    const store = new FindingStore();
    const kinds = new Set<string>();
    for (let seed = 1; seed <= 16 && kinds.size < 2; seed++) {
      const plan: PlanOptions = { platform: 'x86-intel-ir', revision: 'next-2020-09-25', seed, runsPerUnit: 50, swarm: false, faults: ['resource', 'firmware'], maxSteps: 40 };
      const r = await runMulti({ plan, rounds: 1, workers: 0 });
      for (const f of r.findings.filter((x) => x.invariant === 'no-kernel-oops')) {
        expect(f).toMatchObject({ known: 'x86-dmar-null-callback', signature: 'no-kernel-oops|x86-intel-ir|next-2020-09-25|known:x86-dmar-null-callback', length: 1 });
        kinds.add(f.lastKind);
        store.add(f, seed, f.hits);
      }
    }
    expect([...kinds].sort()).toEqual(['dmar_set_interrupt', 'hpet_assign_irq']);
    expect(store.list().filter((f) => f.invariant === 'no-kernel-oops')).toHaveLength(1);
  });

  test('the same bug at another revision or platform that carries the broken code is that known bug, filed once', async () => {
    const store = new FindingStore();
    for (const [platform, revision] of [['x86-intel-ir', 'next-2020-09-25'], ['x86-amd-ir', 'next-2020-09-25'], ['x86-noir', 'tip-x86-irq-generic-ops']] as const) {
      const plan: PlanOptions = { platform, revision, seed: 1, runsPerUnit: 50, swarm: false, faults: ['resource', 'firmware'], maxSteps: 40 };
      const r = await runMulti({ plan, rounds: 2, workers: 0 });
      const oops = r.findings.filter((f) => f.invariant === 'no-kernel-oops');
      expect(oops.map((f) => [f.known, f.platform, f.revision])).toEqual([['x86-dmar-null-callback', platform, revision]]);
      for (const f of r.findings) store.add(f, f.unitIndex, f.hits);
    }
    expect(store.list().filter((f) => f.invariant === 'no-kernel-oops').map((f) => f.signature)).toEqual(['no-kernel-oops|x86-intel-ir|next-2020-09-25|known:x86-dmar-null-callback']);
    // Where the fix is already applied, nothing is cured by it: not that bug.
    const platform = findPlatform('x86-amd-ir');
    if (platform === undefined) throw new Error('x86-amd-ir');
    const golden = parseRepro(fs.readFileSync(path.join(root, GOLDEN_DIR, 'x86-dmar-null-callback.repro'), 'utf8'), 'golden');
    const fixed = { platform, revision: resolveRevision(platform, 'v5.10-rc1'), faultClasses: golden.faults };
    expect(matchKnownBug(fixed, golden.commands, 'no-kernel-oops')).toBeNull();
  });

  test('a campaign hunts the commands of a known bug where it lives, and names them in the reproduce command', async () => {
    const hunted = planConfigs('all', 'all').filter((c) => c.hunt !== undefined);
    expect(hunted).toEqual([
      { platform: 'gic-v3-its', revision: 'v6.15', hunt: ['fail_next'] },
      { platform: 'powernv', revision: 'xive-opal-pre-v5.4', hunt: ['xive_native_alloc_irq'] },
      { platform: 'x86-noir', revision: 'v5.10', hunt: ['vfio_pci_set_irqs_ioctl'] },
    ]);
    const plan: PlanOptions = { platform: 'x86-noir', revision: 'v5.10', seed: 3, runsPerUnit: 20, swarm: false, faults: ['resource', 'firmware'], maxSteps: 40 };
    const r = await runMulti({ plan, rounds: 1, workers: 0 });
    const f = r.findings.find((x) => x.known === 'vfio-msix-reenable-lost-irq');
    expect(f?.reproduce).toMatch(/ --hunt vfio_pci_set_irqs_ioctl$/);
    const again = run(...(f?.reproduce ?? '').replace(/^msi-fuzz /, '').split(' '), '--out', fs.mkdtempSync(path.join(os.tmpdir(), 'msi-fuzz-hunt-')), '--json');
    expect(again.code).toBe(1);
    expect(lastJson(again.stdout)).toMatchObject({ runs: 1, violations: [{ invariant: 'irq-not-lost', length: f?.length }] });
    // Without the hunt the same run does not reach it: the command kind is hidden by default.
    const bare = run(...(f?.reproduce ?? '').replace(/^msi-fuzz /, '').replace(/ --hunt \S+$/, '').split(' '), '--out', fs.mkdtempSync(path.join(os.tmpdir(), 'msi-fuzz-hunt-')), '--json');
    expect(lastJson(bare.stdout)['violations']).toEqual([]);
  });
});
