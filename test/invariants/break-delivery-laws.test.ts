// msix-mask-honoured and no-spurious-delivery: each holds on a healthy machine that masks,
// raises and handles, and fires when what it guards is broken by hand (a device or kernel that
// ignores the mask bit, an interrupt delivered twice).
import { PciDev } from '../../models/kernel/device';
import { msiStore } from '../../models/kernel/msi';
import { MSI_DEFAULT_DOMAIN } from '../../models/kernel/msi-desc';
import { PowernvPlatform } from '../../models/platforms/powernv';
import type { Command } from '../../src/commands/command';
import type { Simulation } from '../../src/sim/simulation';
import { healthyOn, verdict } from './helpers';

const HANDLED: Command[] = [
  { kind: 'pci_device_add', dev: 'dev0', rid: 0x100, msi: 4, msix: 8 },
  { kind: 'pci_alloc_irq_vectors', dev: 'dev0', min: 1, max: 8, flags: 4 },
  { kind: 'request_irq', dev: 'dev0', vec: 0 },
];

/** vec 0 masked by the driver, raised (its Pending Bit set), nothing taken. */
const MASKED_RAISE: Command[] = [...HANDLED, { kind: 'pci_msix_mask', dev: 'dev0', vec: 0 }, { kind: 'msi_raise', dev: 'dev0', vec: 0 }];

function dev0(sim: Simulation): PciDev {
  const d = sim.device('dev0');
  if (!(d instanceof PciDev)) throw new Error('dev0 is not a PCI function');
  return d;
}

function entry0(sim: Simulation): { masked: boolean; addressHi: number; addressLo: number; data: number } {
  const e = dev0(sim).msixTable[0];
  if (e === null || e === undefined) throw new Error('MSI-X entry 0 not programmed');
  return e;
}

describe('msix-mask-honoured', () => {
  test.each(['gic-v3-its', 'x86-intel-ir', 'powernv', 'pseries'])('%s: a masked raise waits in the Pending Bit and goes out at unmask, within the law', (platform) => {
    const { sim, record } = healthyOn(platform, undefined, MASKED_RAISE);
    expect(dev0(sim).msixPending.has(0)).toBe(true);
    expect(verdict('msix-mask-honoured', sim, record)).toBeNull();
    const after = healthyOn(platform, undefined, [...MASKED_RAISE, { kind: 'pci_msix_unmask', dev: 'dev0', vec: 0 }, { kind: 'cpu_handle_irq', cpu: 0 }]);
    expect(dev0(after.sim).msixPending.has(0)).toBe(false);
    expect(verdict('msix-mask-honoured', after.sim, after.record)).toBeNull();
  });

  test('fires when the entry stays unmasked although the kernel masked it (pci_msix_mask() lost its write)', () => {
    const { sim, record } = healthyOn('gic-v3-its', 'v6.18', [...HANDLED, { kind: 'pci_msix_mask', dev: 'dev0', vec: 0 }]);
    expect(verdict('msix-mask-honoured', sim, record)).toBeNull();
    entry0(sim).masked = false;
    expect(verdict('msix-mask-honoured', sim, record)).toMatch(/dev0 MSI-X entry 0 \(irq \d+\): the kernel masked it .* mask bit is clear/);
  });

  test('fires on free_irq() whose shutdown did not mask the entry', () => {
    const { sim, record } = healthyOn('x86-intel-ir', undefined, [...HANDLED, { kind: 'free_irq', dev: 'dev0', vec: 0 }]);
    expect(msiStore(dev0(sim), MSI_DEFAULT_DOMAIN)?.get(0)?.msixCtrlMasked).toBe(true);
    expect(verdict('msix-mask-honoured', sim, record)).toBeNull();
    entry0(sim).masked = false;
    expect(verdict('msix-mask-honoured', sim, record)).toMatch(/the kernel masked it/);
  });

  test('fires when an unmasked entry keeps its Pending Bit (the message never sent)', () => {
    const { sim, record } = healthyOn('gic-v3-its', 'v6.18', MASKED_RAISE);
    const desc = msiStore(dev0(sim), MSI_DEFAULT_DOMAIN)?.get(0);
    if (desc === undefined) throw new Error('no descriptor');
    // the kernel unmasked it, the device cleared the bit but sent nothing
    desc.msixCtrlMasked = false;
    entry0(sim).masked = false;
    expect(verdict('msix-mask-honoured', sim, record)).toMatch(/dev0 MSI-X entry 0 is unmasked with its Pending Bit set/);
  });

  test('fires when a masked entry\'s raise reaches the controller', () => {
    const { sim, record } = healthyOn('gic-v3-its', 'v6.18', [...HANDLED, { kind: 'pci_msix_mask', dev: 'dev0', vec: 0 }]);
    const fabric = sim.kernel.fabric;
    if (fabric === null) throw new Error('no fabric');
    const e = entry0(sim);
    // a device that ignores its mask bit: the message goes out
    fabric.signal(dev0(sim), { addressHi: e.addressHi, addressLo: e.addressLo, data: e.data }, { dev: 'dev0', vec: 0, step: record.step });
    expect(verdict('msix-mask-honoured', sim, record)).toMatch(/dev0 MSI-X entry 0 is masked, yet its raise at step \d+ reached the controller/);
  });
});

describe('no-spurious-delivery', () => {
  test('a raise handled once, then handled again', () => {
    const { sim, record } = healthyOn('gic-v3-its', 'v6.18', [...HANDLED, { kind: 'msi_raise', dev: 'dev0', vec: 0 }, { kind: 'cpu_handle_irq', cpu: 0 }]);
    expect(verdict('no-spurious-delivery', sim, record)).toBeNull();
    const ev = sim.kernel.irqEvents.find((e) => e.ranFor !== null);
    if (ev === undefined) throw new Error('no handler ran');
    sim.kernel.irqEvents.push({ ...ev, step: record.step });
    expect(verdict('no-spurious-delivery', sim, record)).toMatch(/the interrupt dev0 vec 0 \(step \d+\) raised ran a handler twice/);
  });

  test('XIVE: raises while P is set coalesce (Q), within the law; a second queue entry before the EOI breaks it', () => {
    const raises: Command[] = [...HANDLED, ...[1, 2, 3].map((): Command => ({ kind: 'msi_raise', dev: 'dev0', vec: 0 }))];
    const { sim, record } = healthyOn('powernv', undefined, raises);
    expect(verdict('no-spurious-delivery', sim, record)).toBeNull();
    const queues = (sim.platform as PowernvPlatform).fw.presenter.queues;
    const q = queues.find((x) => x.length > 0);
    const first = q?.[0];
    if (q === undefined || first === undefined) throw new Error('nothing queued');
    expect(q.length).toBe(1);
    // a trigger that ignored P: the source's event is queued a second time
    q.push({ ...first });
    expect(verdict('no-spurious-delivery', sim, record)).toMatch(/irq \d+ waits in the XIVE event queue of CPU \d+ and again in the XIVE event queue of CPU \d+/);
  });
});


