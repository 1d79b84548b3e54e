// xive_flush_cpu_queue() on a dying CPU retriggers what it pops: an irq whose move off the CPU
// failed (a firmware error) is still targeted there, so its retrigger lands in the very queue
// being flushed. msi-fuzz's flush proposal leaves such an entry queued; the flush loop itself
// stops an irq popped twice with a soft-lockup report instead of spinning.
import { readFileSync } from 'fs';
import { join } from 'path';
import type { Kernel } from '../../models/kernel/kernel';
import { XiveCpu, XiveCpus } from '../../models/platforms/powerpc-common/xive-cpu';
import { runCommands } from '../../src/engine/runner';
import { findPlatform } from '../../src/platforms';
import { parseRepro } from '../../src/repro/parse';
import { resolveRevision } from '../../src/revision';

const FILE = join(__dirname, 'fixtures', 'xive-flush-failed-move.repro');

test('with the flush proposal, an entry of an irq whose move failed stays queued and the offline ends (no livelock)', () => {
  const repro = parseRepro(readFileSync(FILE, 'utf8'), FILE);
  const p = findPlatform(repro.platform);
  if (p === undefined) throw new Error('no platform');
  const r = runCommands({ platform: p, revision: resolveRevision(p, repro.revision), faultClasses: repro.faults }, repro.commands);
  expect(r.invalidAt).toBeNull();
  // the failed move is the open issue the repro ends in, not a hang or an oops
  expect(r.violation?.invariant).toBe('nothing-left-behind');
  expect(r.sim.kernel.reports.filter((x) => x.kind === 'soft-lockup')).toEqual([]);
  expect(r.sim.kernel.dmesg.join('\n')).toMatch(/still targeted at the dying CPU, left queued/);
});

test('the flush loop reports a soft lockup when an irq comes back into the queue it is flushing', () => {
  const cpus = Object.create(XiveCpus.prototype) as XiveCpus;
  Object.assign(cpus, { xc: [new XiveCpu(), new XiveCpu()] });
  // every scan pops irq 7 again, as a retrigger into this queue would make it
  Object.assign(cpus, { scan: () => ({ irq: 7 }) });
  const reports: { kind: string; site: string; message: string }[] = [];
  const k = { report: (kind: string, site: string, message: string) => reports.push({ kind, site, message }) } as unknown as Kernel;
  const popped: number[] = [];
  cpus.flushQueue(k, 1, (irq) => popped.push(irq));
  expect(popped).toEqual([7]);
  expect(reports).toEqual([{ kind: 'soft-lockup', site: 'xive_flush_cpu_queue', message: expect.stringMatching(/irq 7 retriggered into the queue being flushed/) }]);
});
