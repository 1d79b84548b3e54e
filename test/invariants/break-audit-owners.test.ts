// The object audit's owners on the parents modelled later: each keeps what the kernel keeps on
// purpose only while its owner is there, and the object or unit is named, with where and by
// which command it was allocated, once the owner lets go of it without freeing it.
import type { Command } from '../../src/commands/command';
import type { ItsServerPlatform } from '../../models/platforms/gic-v3-its-server';
import type { RiscvAiaPlatform } from '../../models/platforms/riscv-aia';
import type { X86Platform } from '../../models/platforms/x86/instance';
import type { X86VmdPlatform } from '../../models/platforms/x86/vmd-platform';
import { healthyOn, verdict } from './helpers';

describe('object-audit owners: Hyper-V vPCI', () => {
  test('an hv_pci_dev is kept while its function is on the bus; dropped from the bus without kfree() it is named', () => {
    const { sim, record } = healthyOn('x86-hyperv', 'v7.2', [{ kind: 'pci_device_add', dev: 'dev0', rid: 0x100, msi: 0, msix: 1 }]);
    expect(verdict('object-audit', sim, record)).toBeNull();
    const hbus = (sim.platform as X86Platform).hyperv?.buses[0];
    if (hbus === undefined) throw new Error('no vPCI bus');
    // hv_eject_device_work() that forgets put_pcichild(): the function leaves the list, its hv_pci_dev stays
    hbus.children.splice(0, 1);
    expect(verdict('object-audit', sim, record)).toMatch(/^hv_pci_dev@0x[0-9a-f]+ leaked, allocated in new_pcichild_device, step 1: pci_device_add\(dev0, rid=01:00\.0, msi=0, msix=1\)$/);
  });

  test('a vPCI bus probed for a new bus number is kept while the guest has it; forgotten, it is named with its hv_pci_dev', () => {
    const { sim, record } = healthyOn('x86-hyperv', 'v7.2', [{ kind: 'pci_device_add', dev: 'dev0', rid: 0x200, msi: 0, msix: 1 }]);
    expect(verdict('object-audit', sim, record)).toBeNull();
    const hv = (sim.platform as X86Platform).hyperv;
    if (hv === null) throw new Error('no Hyper-V');
    expect(hv.buses).toHaveLength(2);
    hv.buses.splice(1, 1);
    expect(verdict('object-audit', sim, record)).toMatch(/^hv_pcibus_device@0x[0-9a-f]+ leaked, allocated in hv_pci_probe, step 1: pci_device_add\(dev0, rid=02:00\.0, msi=0, msix=1\) \(and 1 more: hv_pci_dev@0x[0-9a-f]+\)$/);
  });

  test('a removed function takes its hv_pci_dev with it', () => {
    const cmds: Command[] = [
      { kind: 'pci_device_add', dev: 'dev0', rid: 0x100, msi: 0, msix: 2 },
      { kind: 'pci_alloc_irq_vectors', dev: 'dev0', min: 1, max: 2, flags: 4 },
      { kind: 'device_del', dev: 'dev0' },
    ];
    const { sim, record } = healthyOn('x86-hyperv', 'v7.2', cmds);
    expect((sim.platform as X86Platform).hyperv?.buses[0]?.children).toHaveLength(0);
    expect(verdict('object-audit', sim, record)).toBeNull();
  });
});

describe('object-audit owners: Intel VMD', () => {
  const REPROBE: Command[] = [{ kind: 'vmd_remove' }, { kind: 'vmd_probe' }];

  test('the VMD endpoint\'s own vectors moved by a CPU going down stay the bound driver\'s', () => {
    const { sim, record } = healthyOn('x86-vmd', 'v7.2', [{ kind: 'cpu_down', cpu: 1 }]);
    expect(verdict('object-audit', sim, record)).toBeNull();
    // the driver that forgets its vmd_dev: the vector the move allocated is nobody's
    (sim.platform as X86VmdPlatform).vmd.vmd = null;
    expect(verdict('object-audit', sim, record)).toMatch(/^vector: CPU \d vector 0x[0-9a-f]+ leaked, allocated in irq_matrix_alloc, step 1: cpu_down\(cpu=1\)$/);
  });

  test('a VMD probed at run time keeps its vmd_dev, lists and vectors while bound; unbound without freeing them, vmd_dev is named', () => {
    const { sim, record } = healthyOn('x86-vmd', 'v7.2', REPROBE);
    expect(verdict('object-audit', sim, record)).toBeNull();
    (sim.platform as X86VmdPlatform).vmd.vmd = null;
    expect(verdict('object-audit', sim, record)).toMatch(/^vmd_dev@0x[0-9a-f]+ leaked, allocated in vmd_probe, step 2: vmd_probe\(\) \(and \d+ more: /);
  });

  test('vmd_remove() gives everything back', () => {
    const { sim, record } = healthyOn('x86-vmd', 'v7.2', [...REPROBE, { kind: 'vmd_remove' }]);
    expect((sim.platform as X86VmdPlatform).vmd.vmd).toBeNull();
    expect(verdict('object-audit', sim, record)).toBeNull();
  });
});

describe('object-audit owners: the ARM64 servers', () => {
  test.each(['gic-v3-its-dt', 'gic-v3-its-acpi'])('%s: a VM\'s vPEs, tables and doorbells are kept while KVM has the VM; forgotten, its doorbell irq is named', (platform) => {
    const { sim, record } = healthyOn(platform, 'v7.2', [{ kind: 'vgic_v4_init', vm: 'vm0', vcpus: 2 }]);
    expect(verdict('object-audit', sim, record)).toBeNull();
    // KVM that drops the VM without vgic_v4_teardown()
    (sim.platform as ItsServerPlatform).vms.delete('vm0');
    expect(verdict('object-audit', sim, record)).toMatch(/^irq_desc@0x[0-9a-f]+ leaked, allocated in alloc_desc, step 1: vgic_v4_init\(vm0, vcpus=2\) \(and \d+ more: its_vm@0x[0-9a-f]+, its_vpe@0x[0-9a-f]+, /);
  });

  test('vgic_v4_teardown() leaves nothing behind', () => {
    const { sim, record } = healthyOn('gic-v3-its-dt', 'v7.2', [
      { kind: 'vgic_v4_init', vm: 'vm0', vcpus: 2 },
      { kind: 'vgic_v4_teardown', vm: 'vm0' },
    ]);
    expect(verdict('object-audit', sim, record)).toBeNull();
  });

  test('a shared its_device is kept while a requester can use the DeviceID the firmware maps; with the bridge gone it is named', () => {
    const cmds: Command[] = [
      { kind: 'pci_bridge_add', bridge: 'br0', rid: 0x18 },
      { kind: 'pci_device_add', dev: 'dev0', rid: 0x100, msi: 0, msix: 1, bridge: 'br0' },
      { kind: 'pci_alloc_irq_vectors', dev: 'dev0', min: 1, max: 1, flags: 4 },
      { kind: 'device_del', dev: 'dev0' },
    ];
    const { sim, record } = healthyOn('gic-v3-its-dt', 'v7.2', cmds);
    const devs = [...(sim.platform as ItsServerPlatform).itses.values()].flatMap((its) => its.devices);
    expect(devs.map((d) => d.shared)).toEqual([true]);
    expect(verdict('object-audit', sim, record)).toBeNull();
    for (const br of sim.bridges.values()) sim.kernel.heap.kfree('pci_release_dev', br);
    sim.bridges.clear();
    expect(verdict('object-audit', sim, record)).toMatch(/^its_device@0x[0-9a-f]+ leaked, allocated in its_create_device, step 3: pci_alloc_irq_vectors\(dev0, 1, 1, PCI_IRQ_MSIX\) \(and 3 more: /);
  });
});

describe('object-audit owners: RISC-V IMSIC', () => {
  // A managed irq moved to its CPU at activation; freed while the old vector's hart has not
  // synced yet: imsic_irq_domain_free() frees the new vector, the old one waits for its hart
  const MOVED: Command[] = [
    { kind: 'pci_device_add', dev: 'dev0', rid: 0x100, msi: 0, msix: 2 },
    { kind: 'pci_alloc_irq_vectors', dev: 'dev0', min: 1, max: 2, flags: 12 },
    { kind: 'request_irq', dev: 'dev0', vec: 1 },
    { kind: 'free_irq', dev: 'dev0', vec: 1 },
    { kind: 'device_release_driver', dev: 'dev0' },
  ];

  test('the old vector of a move is kept while its hart\'s sync is due; the sync frees it', () => {
    const { sim, record } = healthyOn('riscv-aia', 'v7.2', MOVED);
    const p = sim.platform as RiscvAiaPlatform;
    const queued = p.imsic.lpriv.flatMap((lp) => [...lp.dirty].map((id) => lp.vectors[id]).filter((v) => v !== undefined && v.moveNext !== null));
    expect(queued).toHaveLength(1);
    const cpu = queued[0]?.cpu ?? -1;
    expect(p.imsic.lpriv[cpu]?.timerPending).toBe(true);
    expect(verdict('object-audit', sim, record)).toBeNull();
    // imsic_local_timer_callback() on that CPU: __imsic_local_sync() gives the identity back
    const after = healthyOn('riscv-aia', 'v7.2', [...MOVED, { kind: 'imsic_local_timer_callback', cpu }]);
    expect((after.sim.platform as RiscvAiaPlatform).imsic.matrix.maps[cpu]?.allocated).toBe(0);
    expect(verdict('object-audit', after.sim, after.record)).toBeNull();
  });

  test('with no sync to come (the dirty bit lost), the identity is named', () => {
    const { sim, record } = healthyOn('riscv-aia', 'v7.2', MOVED);
    for (const lp of (sim.platform as RiscvAiaPlatform).imsic.lpriv) lp.dirty.clear();
    expect(verdict('object-audit', sim, record)).toMatch(/^vector: CPU \d vector 0x[0-9a-f]+ leaked, allocated in irq_matrix_alloc, step 2: pci_alloc_irq_vectors\(dev0, 1, 2, PCI_IRQ_MSIX\|PCI_IRQ_AFFINITY\)$/);
  });

  test('with the timer not armed on an online CPU, the identity is named', () => {
    const { sim, record } = healthyOn('riscv-aia', 'v7.2', MOVED);
    for (const lp of (sim.platform as RiscvAiaPlatform).imsic.lpriv) lp.timerPending = false;
    expect(verdict('object-audit', sim, record)).toMatch(/^vector: CPU \d vector 0x[0-9a-f]+ leaked, allocated in irq_matrix_alloc, step 2/);
  });
});
