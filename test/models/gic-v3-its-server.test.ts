// The ARM64 server machines walked along the kernel's paths: requester IDs through DT msi-map /
// msi-map-mask and the ACPI IORT to a DeviceID on one of two ITSes (pci_msi_domain_get_msi_rid(),
// of_map_id(), iort_node_map_id()), PCI segments, aliases through a PCIe-to-PCI bridge
// (its_pci_msi_prepare(): a proxy device sized for everything behind the bridge), an MBIGEN pin
// mapped through the wire-to-MSI domain, and GICv4.1 vPEs: vgic_v4_init() ->
// its_alloc_vcpu_irqs() -> its_vpe_irq_domain_alloc(), forwarding (its_vlpi_map()), and
// vgic_v4_teardown() with a passed-through vector still forwarded.
import { writeIrqAffinity } from '../../models/kernel/affinity';
import { PciDev, PlatformDevice } from '../../models/kernel/device';
import { EINVAL } from '../../models/kernel/errno';
import { pciIrqVector } from '../../models/kernel/pci-msi';
import { MSI_ALLOC_FLAGS_PROXY_DEVICE } from '../../models/kernel/msi-alloc-info';
import { ItsServerPlatform } from '../../models/platforms/gic-v3-its-server';
import { ITS_MAX_VPEID } from '../../models/platforms/gic-v3-its-server/its-vpe';
import type { ItsNode } from '../../models/platforms/gic-v3-its/its';
import type { Command } from '../../src/commands/command';
import { runCommands } from '../../src/engine/runner';
import { findPlatform } from '../../src/platforms';
import { resolveRevision } from '../../src/revision';
import type { Simulation } from '../../src/sim/simulation';

function run(platformName: string, revision: string, commands: Command[]): { sim: Simulation; violation: string | null } {
  const platform = findPlatform(platformName);
  if (platform === undefined) throw new Error(`${platformName} not registered`);
  const r = runCommands({ platform, revision: resolveRevision(platform, revision), faultClasses: ['resource', 'kmalloc', 'firmware'] }, commands);
  expect(r.invalidAt).toBeNull();
  return { sim: r.sim, violation: r.violation === null ? null : `${r.violation.invariant}: ${r.violation.message}` };
}

const server = (sim: Simulation): ItsServerPlatform => sim.platform as ItsServerPlatform;
const its = (sim: Simulation, name: string): ItsNode => {
  const n = server(sim).itses.get(name);
  if (n === undefined) throw new Error(name);
  return n;
};

const add = (dev: string, rid: number, msix = 4, extra: Partial<Extract<Command, { kind: 'pci_device_add' }>> = {}): Command[] => [
  { kind: 'pci_device_add', dev, rid, msi: 0, msix, ...extra },
  { kind: 'pci_alloc_irq_vectors', dev, min: 1, max: msix, flags: 4 },
];

describe('DT msi-map / msi-map-mask (of_map_id) to one of two ITSes', () => {
  test('segment 0: buses 00-02 go to its0 with the RID as DeviceID, buses 03-04 to its1 at 0x10000 up', () => {
    const { sim, violation } = run('gic-v3-its-dt', 'v7.2', [...add('dev0', 0x0108), ...add('dev1', 0x0310)]);
    expect(violation).toBeNull();
    expect(its(sim, 'its0').findDevice(0x0108)).not.toBeNull();
    expect(its(sim, 'its1').findDevice(0x10010)).not.toBeNull();
    // the MSI-X entries point at each ITS's GITS_TRANSLATER
    expect((sim.device('dev0') as PciDev).msixTable[0]?.addressLo).toBe(its(sim, 'its0').translater);
    expect((sim.device('dev1') as PciDev).msixTable[0]?.addressLo).toBe(its(sim, 'its1').translater);
    expect(server(sim).msiTarget(sim.device('dev1'))).toEqual({ controller: 'its1', deviceId: 0x10010 });
  });

  test('segment 1 masks the function (msi-map-mask 0xfff8): 0001:03:00.0 and 0001:03:00.1 share one its_device, and both still route', () => {
    const { sim, violation } = run('gic-v3-its-dt', 'v7.2', [...add('dev0', 0x10300, 2), ...add('dev1', 0x10301, 2)]);
    expect(violation).toBeNull();
    const shared = its(sim, 'its1').findDevice(0x20300);
    expect(shared?.shared).toBe(true);
    expect(its(sim, 'its1').devices).toHaveLength(1);
    // the firmware view the identity checks read: both functions carry DeviceID 0x20300
    expect(server(sim).msiTarget(sim.device('dev0'))).toEqual(server(sim).msiTarget(sim.device('dev1')));
  });
});

describe('ACPI IORT (iort_node_map_id) through an SMMU', () => {
  test('RID 02ff goes straight to ITS group A; RID 0300, at the end of one range and the start of the next, takes the next (through smmu0 to its1)', () => {
    const { sim, violation } = run('gic-v3-its-acpi', 'v7.2', [...add('dev0', 0x02ff), ...add('dev1', 0x0300)]);
    expect(violation).toBeNull();
    expect(its(sim, 'its0').findDevice(0x02ff)).not.toBeNull();
    // stream ID 0x8000 -> DeviceID 0x10000 on group B
    expect(its(sim, 'its1').findDevice(0x10000)).not.toBeNull();
  });
});

describe('aliases through a PCIe-to-PCI bridge (its_pci_msi_prepare)', () => {
  test('functions behind the bridge carry its requester ID: one proxy its_device sized for every vector behind it', () => {
    const { sim, violation } = run('gic-v3-its-dt', 'v7.2', [
      { kind: 'pci_bridge_add', bridge: 'br0', rid: 0x0200 },
      { kind: 'pci_device_add', dev: 'dev0', rid: 0x0300, msi: 0, msix: 8, bridge: 'br0' },
      { kind: 'pci_device_add', dev: 'dev1', rid: 0x0308, msi: 0, msix: 16, bridge: 'br0' },
      { kind: 'pci_alloc_irq_vectors', dev: 'dev0', min: 1, max: 8, flags: 4 },
      { kind: 'pci_alloc_irq_vectors', dev: 'dev1', min: 1, max: 16, flags: 4 },
    ]);
    expect(violation).toBeNull();
    // the bridge's RID (00:02.0 -> 0x10 as devfn on bus 2 is 0x0200) on its0, not the functions' bus 03 on its1
    const proxy = its(sim, 'its0').findDevice(0x0200);
    expect(proxy?.shared).toBe(true);
    // alias_count: 8 + 16 vectors behind the bridge, rounded up
    expect(proxy?.nrItes).toBe(32);
    expect(its(sim, 'its1').devices).toHaveLength(0);
    expect(MSI_ALLOC_FLAGS_PROXY_DEVICE).toBeGreaterThan(0);
  });
});

describe('MBIGEN (irq-mbigen.c) in front of its1', () => {
  test('a pin mapped through the wire-to-MSI domain gets an event of the MBIGEN\'s DeviceID; the pin asserting reaches its irq', () => {
    const { sim, violation } = run('gic-v3-its-dt', 'v7.2', [
      { kind: 'wired_bridge_add', bridge: 'mbigen0' },
      { kind: 'irq_create_fwspec_mapping', bridge: 'mbigen0', hwirq: 66, type: 4 },
      { kind: 'request_irq', dev: 'mbigen0', vec: 66 },
      { kind: 'msi_raise', dev: 'mbigen0', vec: 66 },
    ]);
    expect(violation).toBeNull();
    const mbigen = sim.device('mbigen0') as PlatformDevice;
    const regs = server(sim).mbigens.get(mbigen);
    // mbigen_write_msi_msg(): the pin's vector register holds the EventID
    expect(regs?.vector.get(66)).toBe(0);
    const itsDev = its(sim, 'its1').findDevice(0x40000);
    expect(itsDev).not.toBeNull();
    expect(its(sim, 'its1').hwDeviceTable.get(0x40000)?.events.get(0)?.lpi).toBe(itsDev?.lpiBase);
  });

  test('a pin outside 64..1407 is refused by mbigen_domain_translate()', () => {
    const { sim } = run('gic-v3-its-dt', 'v7.2', [{ kind: 'wired_bridge_add', bridge: 'mbigen0' }]);
    // irq_create_fwspec_mapping() returns 0 when the translation fails
    const record = sim.execute({ kind: 'irq_create_fwspec_mapping', bridge: 'mbigen0', hwirq: 63, type: 4 });
    expect(record.outcome?.ret).toBe(0);
  });
});

describe('GICv4.1 vPEs (irq-gic-v4.c, its_vpe_irq_domain_*)', () => {
  const VM: Command[] = [...add('dev0', 0x0100), { kind: 'request_irq', dev: 'dev0', vec: 1 }, { kind: 'vgic_v4_init', vm: 'vm0', vcpus: 2 }];

  test('vgic_v4_init(): a doorbell LPI block, a vPE ID and VPT per vCPU, VMAPP on both ITSes, 16 vSGIs per vPE', () => {
    const { sim, violation } = run('gic-v3-its-dt', 'v7.2', VM);
    expect(violation).toBeNull();
    const p = server(sim);
    const kvm = p.vms.get('vm0');
    expect(kvm?.vm.vpes.map((v) => v.vpeId)).toEqual([0, 1]);
    // roundup_pow_of_two(nr_vpes) doorbells from the LPI allocator the ITSes share
    expect(kvm?.vm.nrDbLpis).toBe(2);
    expect(kvm?.vm.vpes.map((v) => v.vpeDbLpi)).toEqual([kvm?.vm.dbLpiBase, (kvm?.vm.dbLpiBase ?? 0) + 1]);
    for (const n of ['its0', 'its1']) expect([...(p.v4.vmapped.get(its(sim, n)) ?? [])].sort()).toEqual([0, 1]);
    expect(kvm?.vm.vpes.every((v) => v.sgiDomain !== null && v.sgiBase > 0)).toBe(true);
  });

  test('forwarding: its_vlpi_map() DISCARDs the LPI and flags the irq; its_set_affinity() then refuses to move it', () => {
    const { sim, violation } = run('gic-v3-its-dt', 'v7.2', [...VM, { kind: 'kvm_vgic_v4_set_forwarding', dev: 'dev0', vec: 1, vm: 'vm0', vcpu: 1 }]);
    expect(violation).toBeNull();
    const irq = pciIrqVector(sim.device('dev0') as PciDev, 1);
    expect(sim.kernel.irqs.desc(irq)?.forwardedToVcpu).toBe(true);
    const itsDev = its(sim, 'its0').findDevice(0x0100);
    expect(itsDev === null ? undefined : server(sim).v4.vlpiMaps.get(itsDev)?.maps.get(1)?.vpe.vpeId).toBe(1);
    // the ITS translation now ends at the vPE, not the host irq
    const got = server(sim).deliver(sim.device('dev0'), (sim.device('dev0') as PciDev).msixTable[1] ?? { addressHi: 0, addressLo: 0, data: 0 });
    expect('blocked' in got && got.blocked).toMatch(/is a vLPI/);
    // irq_set_affinity() from user space: msi_domain_set_affinity() -> its_set_affinity()
    expect(writeIrqAffinity(sim.kernel, irq, [2])).toBe(-EINVAL);
  });

  test('vgic_v4_teardown() with the vector still forwarded: unset first (MAPTI back), then doorbells, vPE IDs, tables and LPIs all go', () => {
    const { sim, violation } = run('gic-v3-its-dt', 'v7.2', [...VM, { kind: 'kvm_vgic_v4_set_forwarding', dev: 'dev0', vec: 1, vm: 'vm0', vcpu: 0 }, { kind: 'vgic_v4_teardown', vm: 'vm0' }]);
    expect(violation).toBeNull();
    const p = server(sim);
    const irq = pciIrqVector(sim.device('dev0') as PciDev, 1);
    expect(sim.kernel.irqs.desc(irq)?.forwardedToVcpu).toBe(false);
    expect(its(sim, 'its0').cmdLog.some((c) => c.op === 'MAPTI' && c.devId === 0x0100 && c.event === 1)).toBe(true);
    expect(p.v4.vpeIds.size).toBe(0);
    expect(p.v4.vlpiMaps.size).toBe(0);
    for (const n of ['its0', 'its1']) expect(p.v4.vmapped.get(its(sim, n))?.size).toBe(0);
    // only dev0's its_device holds LPIs now
    expect(p.lpis.nrLpis - p.lpis.freeCount()).toBe(its(sim, 'its0').findDevice(0x0100)?.nrLpis);
  });

  test('vPE IDs run out at ITS_MAX_VPEID: the allocation fails and leaves nothing behind', () => {
    const vms: Command[] = [];
    for (let i = 0; i < 3; i++) vms.push({ kind: 'vgic_v4_init', vm: `vm${i}`, vcpus: 4 });
    const { sim, violation } = run('gic-v3-its-dt', 'v7.2', vms);
    expect(violation).toBeNull();
    expect(server(sim).v4.vpeIds.size).toBe(12);
    expect(ITS_MAX_VPEID).toBe(16);
  });

  test('a doorbell request that fails: v7.2 tears down only the vCPUs before it and removes a domain with vPE irqs mapped (WARN); the proposal frees them all', () => {
    const cmds: Command[] = [{ kind: 'fail_next', site: 'vgic_v4_request_vpe_irq', nth: 0 }, { kind: 'vgic_v4_init', vm: 'vm0', vcpus: 2 }];
    expect(run('gic-v3-its-dt', 'v7.2', cmds).violation).toMatch(/^no-kernel-warning: irq_domain_remove: GICv4-vpe-vm0 removed by its_free_vcpu_irqs with 2 mapped interrupts/);
    const fixed = run('gic-v3-its-dt', 'v7.2+msi-fuzz-vgic-v4-init-teardown', cmds);
    expect(fixed.violation).toBeNull();
    expect(server(fixed.sim).v4.vpeIds.size).toBe(0);
  });
});
