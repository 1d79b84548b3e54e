// The ARM64 controller invariants fire when what they guard is broken by hand, and each is the
// one that fires: a GICv5 ITTE naming an LPI the IRS released, a DTE left without its device;
// an LPI range of the shared allocator nobody owns; a vPE ID nobody holds, a vPE mapped on an
// ITS after its doorbell was deactivated, a vLPI map whose host irq is not forwarded.
import { GicV5Platform } from '../../models/platforms/gic-v5';
import { GicV5Itt } from '../../models/platforms/gic-v5/gic-v5-its';
import { ItsServerPlatform } from '../../models/platforms/gic-v3-its-server';
import type { Command } from '../../src/commands/command';
import { checkRecord } from '../../src/engine/runner';
import { invariantsFor } from '../../src/invariants/registry';
import { healthyOn, verdict } from './helpers';

const MSIX: Command[] = [
  { kind: 'pci_device_add', dev: 'dev0', rid: 0x100, msi: 0, msix: 4 },
  { kind: 'pci_alloc_irq_vectors', dev: 'dev0', min: 1, max: 4, flags: 4 },
];

const KVM: Command[] = [
  ...MSIX,
  { kind: 'request_irq', dev: 'dev0', vec: 1 },
  { kind: 'vgic_v4_init', vm: 'vm0', vcpus: 2 },
  { kind: 'kvm_vgic_v4_set_forwarding', dev: 'dev0', vec: 1, vm: 'vm0', vcpu: 1 },
];

function firstFires(platform: string, sim: Parameters<typeof checkRecord>[0], record: Parameters<typeof checkRecord>[1]): string | undefined {
  return checkRecord(sim, record, invariantsFor(platform), true)?.invariant;
}

describe('gicv5-its-tables', () => {
  test('holds on a healthy machine', () => {
    const { sim, record } = healthyOn('gic-v5', 'v7.2', MSIX);
    expect(verdict('gicv5-its-tables', sim, record)).toBeNull();
  });

  test('an ITTE naming an LPI the IRS has released', () => {
    const { sim, record } = healthyOn('gic-v5', 'v7.2', MSIX);
    const p = sim.platform as GicV5Platform;
    const itt = [...(p.itses.get('its0')?.deviceTable.values() ?? [])][0] as GicV5Itt;
    const lpi = [...itt.entries.values()][0] as number;
    p.irs.lpiIda.delete(lpi);
    expect(verdict('gicv5-its-tables', sim, record)).toMatch(/which the IRS LPI IDA does not hold/);
    expect(firstFires('gic-v5', sim, record)).toBe('gicv5-its-tables');
  });

  test('a valid DTE whose device is gone', () => {
    const { sim, record } = healthyOn('gic-v5', 'v7.2', MSIX);
    const its = (sim.platform as GicV5Platform).itses.get('its0');
    its?.devices.clear();
    expect(verdict('gicv5-its-tables', sim, record)).toMatch(/has a valid DTE but no registered device owns its ITT/);
  });
});

describe('its-shared-lpi-space', () => {
  test('holds with devices on both ITSes and a VM\'s doorbells', () => {
    const { sim, record } = healthyOn('gic-v3-its-dt', 'v7.2', [...KVM, { kind: 'pci_device_add', dev: 'dev1', rid: 0x300, msi: 0, msix: 2 }, { kind: 'pci_alloc_irq_vectors', dev: 'dev1', min: 1, max: 2, flags: 4 }]);
    const p = sim.platform as ItsServerPlatform;
    expect(p.itses.get('its1')?.devices.length).toBe(1);
    expect(verdict('its-shared-lpi-space', sim, record)).toBeNull();
  });

  test('an LPI range taken that no ITS device or VM owns (a leak)', () => {
    const { sim, record } = healthyOn('gic-v3-its-dt', 'v7.2', MSIX);
    const p = sim.platform as ItsServerPlatform;
    p.lpis.allocRange(32);
    expect(verdict('its-shared-lpi-space', sim, record)).toMatch(/neither free nor owned by a live its_device or VM/);
    expect(firstFires('gic-v3-its-dt', sim, record)).toBe('its-shared-lpi-space');
  });
});

describe('gicv4-vpe-tables', () => {
  test('holds with a VM whose vCPU 1 has a forwarded vector', () => {
    const { sim, record } = healthyOn('gic-v3-its-dt', 'v7.2', KVM);
    expect(verdict('gicv4-vpe-tables', sim, record)).toBeNull();
  });

  test('a vPE ID allocated that no live vPE holds', () => {
    const { sim, record } = healthyOn('gic-v3-its-dt', 'v7.2', KVM);
    (sim.platform as ItsServerPlatform).v4.vpeIds.add(15);
    expect(verdict('gicv4-vpe-tables', sim, record)).toMatch(/vPE ID 15 is allocated but no live VM's vPE holds it/);
    expect(firstFires('gic-v3-its-dt', sim, record)).toBe('gicv4-vpe-tables');
  });

  test('a vPE still mapped on an ITS after its doorbell went', () => {
    const { sim, record } = healthyOn('gic-v3-its-dt', 'v7.2', KVM);
    const p = sim.platform as ItsServerPlatform;
    const vpe = p.vms.get('vm0')?.vm.vpes[0];
    const d = sim.kernel.irqs.desc(vpe?.irq ?? 0)?.irqData;
    if (d === undefined) throw new Error('doorbell');
    d.activated = false;
    expect(verdict('gicv4-vpe-tables', sim, record)).toMatch(/mapped \(VMAPP V=1\) but its doorbell is not activated/);
  });

  test('a vLPI map whose host irq is not forwarded', () => {
    const { sim, record } = healthyOn('gic-v3-its-dt', 'v7.2', KVM);
    for (const desc of sim.kernel.irqs.descs.values()) desc.forwardedToVcpu = false;
    expect(verdict('gicv4-vpe-tables', sim, record)).toMatch(/VMAPTI'd to vPE \d+ but its host irq is not forwarded/);
  });
});
