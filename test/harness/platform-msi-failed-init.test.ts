// A driver whose platform_device_msi_init_and_alloc_irqs() failed registers no free action
// (arm_smmu_setup_msis(), smmu_pmu_setup_msi() return early): unbinding it must not call
// platform_device_msi_free_irqs_all(), which WARNs in msi_ctrl_valid() when the failure came
// from the domain's creation (prepare at creation since v6.16), and the harness refuses the
// explicit free on such a device.
import type { Command } from '../../src/commands/command';
import { runCommands } from '../../src/engine/runner';
import { findPlatform } from '../../src/platforms';
import { resolveRevision } from '../../src/revision';
import type { SimulationConfig } from '../../src/sim/simulation';

function config(revision: string): SimulationConfig {
  const p = findPlatform('gic-v3-its');
  if (p === undefined) throw new Error('no gic-v3-its');
  return { platform: p, revision: resolveRevision(p, revision), faultClasses: ['resource'] };
}

const FAILED_PROBE: Command[] = [
  { kind: 'platform_device_add', dev: 'pdev0', devid: 0xf002 },
  { kind: 'exhaust', pool: 'LPI', cpu: null },
  { kind: 'platform_device_msi_init_and_alloc_irqs', dev: 'pdev0', nvec: 1 },
];

describe('platform MSI after a failed probe', () => {
  test.each(['v6.16', 'v6.18'])('%s: init fails with -ENODEV, unbind frees nothing and warns nothing', (rev) => {
    const r = runCommands(config(rev), [...FAILED_PROBE, { kind: 'device_release_driver', dev: 'pdev0' }]);
    expect(r.invalidAt).toBeNull();
    expect(r.records[2]?.outcome?.ret).toBe(-19);
    expect(r.violation).toBeNull();
  });

  test('the explicit free is not something that driver issues', () => {
    const r = runCommands(config('v6.18'), [...FAILED_PROBE, { kind: 'platform_device_msi_free_irqs_all', dev: 'pdev0' }]);
    expect(r.invalidAt).toBe(3);
  });
});
