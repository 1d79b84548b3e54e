// A managed irq restarted when a CPU of its mask comes back (irq_affinity_online_cpu() ->
// irq_restore_affinity_of_irq() -> irq_startup_managed(), kernel/irq/cpuhotplug.c and chip.c):
// when the hypervisor refuses H_INT_SET_SOURCE_CONFIG, xive_irq_startup() returns the error with
// the source still off (PQ=01), irq_startup_managed() returns void and __irq_startup() marks the
// irq started anyway. The device's next interrupt is dropped: the open known bug
// xive-managed-restart-refused, whose golden repro golden.test.ts replays with its proposed fix.
import { readFileSync } from 'fs';
import { join } from 'path';
import { runCommands } from '../../src/engine/runner';
import { findPlatform } from '../../src/platforms';
import { parseRepro } from '../../src/repro/parse';
import { resolveRevision } from '../../src/revision';

const FILE = join(__dirname, 'fixtures', 'xive-managed-restart-refused.repro');

function replay(withFault: boolean) {
  const repro = parseRepro(readFileSync(FILE, 'utf8'), FILE);
  const p = findPlatform(repro.platform);
  if (p === undefined) throw new Error('no platform');
  const commands = withFault ? repro.commands : repro.commands.filter((c) => c.kind !== 'fail_next');
  return runCommands({ platform: p, revision: resolveRevision(p, repro.revision), faultClasses: repro.faults }, commands);
}

test('a restart refused by the hypervisor leaves a started irq on a source that is off: the next interrupt is lost', () => {
  const r = replay(true);
  expect(r.violation?.invariant).toBe('irq-not-lost');
  // the one irq with a handler (dev0 vec 1) counts as started
  const handled = [...r.sim.kernel.irqs.descs.values()].filter((d) => d.action !== null);
  expect(handled.map((d) => d.started)).toEqual([true]);
  expect(r.sim.kernel.dmesg.join('\n')).toMatch(/xive_irq_startup: irq \d+: configure_irq failed/);
});

test('without the refused hypercall the same sequence delivers the interrupt', () => {
  const r = replay(false);
  expect(r.violation).toBeNull();
});
