// VFIO passthrough of a PCI function's MSI-X, as the user (QEMU) grows it: vectors 0..N-1
// signal the user's eventfds. Hidden from default fuzzing (weight 0): on a kernel whose VFIO
// cannot resize MSI-X the only way to grow is disabling and re-enabling it, a hazard known
// since the dynamic MSI-X work (`vfio-msix-reenable-lost-irq` hunts it). x86 only: the
// platforms modelled with MSI_FLAG_PCI_MSIX_ALLOC_DYN.
import { PciDev } from '../../../models/kernel/device';
import { EINVAL } from '../../../models/kernel/errno';
import { vfioHasDynMsix, vfioMsiEnable, vfioMsixGrowDyn, vfioMsixReenable } from '../../../models/kernel/vfio-pci-intrs';
import type { AbstractState } from '../../abstract/state';
import { checkArgs, deviceName, positional, requiredInt } from '../args';
import { pick } from '../rng';
import type { CommandSpec, VocabContext } from '../spec';
import { noDevice } from './common';

const X86 = ['x86-intel-ir', 'x86-amd-ir', 'x86-noir'];

/** Devices VFIO owns (the user enabled MSI-X through it), by name. */
function vfioOwned(s: AbstractState): Set<string> {
  let v = s.extra.get('vfio') as Set<string> | undefined;
  if (v === undefined) {
    v = new Set();
    s.extra.set('vfio', v);
  }
  return v;
}

function applies(ctx: VocabContext): boolean {
  return X86.includes(ctx.platform);
}

export const vfioPciSetIrqsIoctlCmd: CommandSpec<'vfio_pci_set_irqs_ioctl'> = {
  kind: 'vfio_pci_set_irqs_ioctl',
  summary:
    'vfio_pci_set_irqs_ioctl(dev, count=N): the user makes MSI-X vectors 0..N-1 signal its eventfds; growing is pci_msix_alloc_irq_at() where VFIO has dynamic MSI-X, else disable + re-enable (two VFIO_DEVICE_SET_IRQS calls)',
  weight: 0,
  huntWeight: 8,
  valid(c, s, ctx) {
    if (!applies(ctx)) return false;
    // the VFIO model does not wait in free_irq() (vfio_msi_disable): not while a handler runs
    if (s.inHandler.size > 0) return false;
    const d = s.devices.get(c.dev);
    if (d === undefined || d.bus !== 'pci' || c.count < 1 || c.count > d.msixSize) return false;
    if (d.mode === 'none') return true;
    return vfioOwned(s).has(c.dev) && d.mode === 'msix' && c.count > d.nvec + d.dynamic.size;
  },
  invalid(c, s, ctx) {
    if (!applies(ctx)) return `VFIO is modelled on ${X86.join(', ')} only`;
    if (s.inHandler.size > 0) return 'a CPU is inside a handler (the VFIO model does not wait in free_irq())';
    const d = s.devices.get(c.dev);
    if (d === undefined) return noDevice(c.dev);
    if (d.bus !== 'pci') return `${c.dev} is not a PCI function`;
    if (c.count < 1 || c.count > d.msixSize) return `count=${c.count}: 1 to the ${d.msixSize} entries of the MSI-X table (table size)`;
    if (d.mode === 'none') return null;
    if (!vfioOwned(s).has(c.dev) || d.mode !== 'msix') return `${c.dev} holds vectors its driver allocated, not VFIO's`;
    return c.count > d.nvec + d.dynamic.size ? null : `count=${c.count}: VFIO only grows MSI-X, and ${c.dev} has ${d.nvec + d.dynamic.size} already`;
  },
  generate(s, rng, ctx) {
    if (!applies(ctx) || s.inHandler.size > 0) return null;
    const owned = vfioOwned(s);
    // the hunt passes plain functions through (SR-IOV VFs behave the same and only make longer repros)
    const vfs = new Set([...((s.extra.get('x86') as { vfs?: Map<string, string[]> } | undefined)?.vfs?.values() ?? [])].flat());
    const cands = [...s.devices.values()].filter(
      (d) => d.bus === 'pci' && d.msixSize > 0 && !vfs.has(d.name) && (d.mode === 'none' || (owned.has(d.name) && d.mode === 'msix' && d.nvec + d.dynamic.size < d.msixSize)),
    );
    if (cands.length === 0) return null;
    const d = pick(rng, cands);
    const have = d.mode === 'none' ? 0 : d.nvec + d.dynamic.size;
    return { kind: 'vfio_pci_set_irqs_ioctl', dev: d.name, count: Math.min(d.msixSize, have + pick(rng, [1, 1, 2])) };
  },
  expect: () => ({ kind: 'none' }),
  run(c, sim) {
    const dev = sim.device(c.dev);
    if (!(dev instanceof PciDev)) return { ret: -EINVAL };
    const d = sim.state.devices.get(c.dev);
    const have = d === undefined || d.mode === 'none' ? 0 : d.nvec + d.dynamic.size;
    if (have === 0) return { ret: vfioMsiEnable(sim.kernel, dev, c.count) };
    if (vfioHasDynMsix(sim.kernel, dev)) {
      sim.note(`cpu0: has_dyn_msix: pci_msix_alloc_irq_at() for vectors ${have}..${c.count - 1}, MSI-X stays enabled`);
      return { ret: vfioMsixGrowDyn(sim.kernel, dev, have, c.count) };
    }
    sim.note(`cpu0: no dynamic MSI-X: the user disables MSI-X (vfio_msi_disable) to re-enable it with ${c.count} vectors`);
    sim.block(vfioMsixReenable(sim.kernel, dev, have, c.count));
    return { ret: 0 };
  },
  update(c, o, s, sim) {
    const d = s.devices.get(c.dev);
    if (d === undefined) return;
    // VFIO enables MSI-X through the PCI/MSI API: the device data stays after a failure too
    d.msiData = true;
    if (o.ret !== 0) return;
    const have = d.mode === 'none' ? 0 : d.nvec + d.dynamic.size;
    const dev = sim.device(c.dev);
    if (have > 0 && dev instanceof PciDev && vfioHasDynMsix(sim.kernel, dev)) {
      for (let v = have; v < c.count; v++) d.dynamic.add(v);
    } else {
      d.mode = 'msix';
      d.nvec = c.count;
      d.dynamic.clear();
    }
    vfioOwned(s).add(c.dev);
    let h = s.handlers.get(c.dev);
    if (h === undefined) {
      h = new Set();
      s.handlers.set(c.dev, h);
    }
    for (let v = 0; v < c.count; v++) h.add(v);
  },
  format: (c) => [c.dev, `count=${c.count}`],
  parse(args) {
    checkArgs(args, 1, ['count']);
    const count = requiredInt(args, 'count');
    return { kind: 'vfio_pci_set_irqs_ioctl', dev: deviceName(positional(args, 0, 'device', 1)), count };
  },
  simplify: () => [],
};
