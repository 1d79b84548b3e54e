// The RISC-V IMSIC invariant fires when what it guards is broken by hand, and it is the one
// that fires: an identity freed in the matrix behind its irq's back, and one allocated that no
// irq, move or queued free holds (a leak).
import { RiscvAiaPlatform } from '../../models/platforms/riscv-aia';
import type { ImsicVector } from '../../models/platforms/riscv-aia/imsic-state';
import type { Command } from '../../src/commands/command';
import { checkRecord } from '../../src/engine/runner';
import { invariantsFor } from '../../src/invariants/registry';
import { healthyOn, verdict } from './helpers';

const SETUP: Command[] = [
  { kind: 'pci_device_add', dev: 'dev0', rid: 0x100, msi: 0, msix: 4 },
  { kind: 'pci_alloc_irq_vectors', dev: 'dev0', min: 1, max: 4, flags: 4 },
];

describe('imsic-identity-ownership', () => {
  test('holds on a healthy machine', () => {
    const { sim, record } = healthyOn('riscv-aia', 'v7.2', SETUP);
    expect(verdict('imsic-identity-ownership', sim, record)).toBeNull();
  });

  test('an identity freed in the matrix while its irq still holds it', () => {
    const { sim, record } = healthyOn('riscv-aia', 'v7.2', SETUP);
    const p = sim.platform as RiscvAiaPlatform;
    const d = [...p.baseDomain.revmap.values()][0];
    const vec = d?.chipData as ImsicVector;
    p.imsic.matrix.free(vec.cpu, vec.localId, false);
    expect(verdict('imsic-identity-ownership', sim, record)).toMatch(/is not allocated in the matrix/);
    // it is this invariant that reports first
    expect(checkRecord(sim, record, invariantsFor('riscv-aia'), true)?.invariant).toBe('imsic-identity-ownership');
  });

  test('an identity allocated that nothing holds (a leaked vector)', () => {
    const { sim, record } = healthyOn('riscv-aia', 'v7.2', SETUP);
    const p = sim.platform as RiscvAiaPlatform;
    p.imsic.matrix.alloc([3], false);
    expect(verdict('imsic-identity-ownership', sim, record)).toMatch(/allocated in the matrix but no irq, move or queued free holds it/);
  });
});
