// Intel VMD driver lifetime: unbinding the vmd driver (vmd_remove(): pci_stop_root_bus() takes
// the functions of its PCI domain away, then the domain and the VMD's own vectors go) and
// binding it again (vmd_probe()). Only on platforms with a VMD.
import { X86VmdPlatform } from '../../../models/platforms/x86/vmd-platform';
import { hasHandlers } from '../../abstract/state';
import type { Simulation } from '../../sim/simulation';
import { checkArgs } from '../args';
import type { CommandSpec } from '../spec';
import { hotRemove } from './devices';
import { pciSegmentDown, pciSegments, pciSegmentUp } from './segments';

/** The emulated PCI domain of the modelled VMD (vmd_find_free_domain() / pci_bus_find_emul_domain_nr()). */
const VMD_DOMAIN = 0x10000;
const VMD_PLATFORM = 'x86-vmd';

function vmdOf(sim: Simulation): X86VmdPlatform {
  if (!(sim.platform instanceof X86VmdPlatform)) throw new Error(`${sim.config.platform.name} has no VMD`);
  return sim.platform;
}

export const vmdRemoveCmd: CommandSpec<'vmd_remove'> = {
  kind: 'vmd_remove',
  summary: 'vmd_remove(): unbind the vmd driver: the functions of its domain are removed (pci_stop_root_bus), then vmd_remove_irq_domain() and the VMD\'s vectors',
  weight: 1,
  // off a VMD platform the kind weighs nothing (other platforms draw what they drew before)
  choices: (s) => (s.caps.pciSegments === true ? 1 : 0),
  // the functions' drivers free their irqs before they go (as for device_del)
  valid: (_c, s, ctx) => ctx.platform === VMD_PLATFORM && pciSegments(s, ctx).includes(VMD_DOMAIN) && ![...s.devices.values()].some((d) => d.segment === VMD_DOMAIN && hasHandlers(s, d.name)),
  invalid(_c, s, ctx) {
    if (ctx.platform !== VMD_PLATFORM) return `this platform has no VMD (only ${VMD_PLATFORM})`;
    if (!pciSegments(s, ctx).includes(VMD_DOMAIN)) return 'the vmd driver is not bound (no PCI domain 0x10000)';
    const busy = [...s.devices.values()].find((d) => d.segment === VMD_DOMAIN && hasHandlers(s, d.name));
    if (busy !== undefined) return `${busy.name} below the VMD still has handlers (its driver frees them before the device goes)`;
    return null;
  },
  generate(s, _rng, ctx) {
    return vmdRemoveCmd.valid({ kind: 'vmd_remove' }, s, ctx) ? { kind: 'vmd_remove' } : null;
  },
  expect: () => ({ kind: 'exact', ret: 0, why: 'the vmd driver is bound' }),
  run(_c, sim) {
    // (a PF takes its VFs with it: beforeDeviceRemove)
    for (const [name, d] of [...sim.state.devices]) if (d.segment === VMD_DOMAIN && sim.devices.get(name)?.removed === false) hotRemove(sim, name, 'pci_remove_root_bus');
    return { ret: vmdOf(sim).vmdRemove() };
  },
  update(_c, _o, s, sim) {
    for (const [name, d] of [...s.devices]) if (d.segment === VMD_DOMAIN) s.devices.delete(name);
    for (const [name, d] of [...sim.devices]) if (d.removed) sim.devices.delete(name);
    pciSegmentDown(s, VMD_DOMAIN);
  },
  format: () => [],
  parse(args) {
    checkArgs(args, 0, []);
    return { kind: 'vmd_remove' };
  },
  simplify: () => [],
};

export const vmdProbeCmd: CommandSpec<'vmd_probe'> = {
  kind: 'vmd_probe',
  summary: 'vmd_probe(): bind the vmd driver again: its MSI-X vectors through the x86 parent, vmd_irq() on each, the child irq domain',
  weight: 1,
  choices: (s) => (s.caps.pciSegments === true ? 1 : 0),
  valid: (_c, s, ctx) => ctx.platform === VMD_PLATFORM && !pciSegments(s, ctx).includes(VMD_DOMAIN),
  invalid(_c, s, ctx) {
    if (ctx.platform !== VMD_PLATFORM) return `this platform has no VMD (only ${VMD_PLATFORM})`;
    if (pciSegments(s, ctx).includes(VMD_DOMAIN)) return 'the vmd driver is already bound';
    return null;
  },
  generate(s, _rng, ctx) {
    return vmdProbeCmd.valid({ kind: 'vmd_probe' }, s, ctx) ? { kind: 'vmd_probe' } : null;
  },
  // the VMD's vectors come from the same matrix and IRTEs as everything else: no promise
  expect: () => ({ kind: 'none' }),
  run: (_c, sim) => ({ ret: vmdOf(sim).vmdProbe() }),
  update(_c, o, s) {
    if (o.ret === 0) pciSegmentUp(s, VMD_DOMAIN);
  },
  format: () => [],
  parse(args) {
    checkArgs(args, 0, []);
    return { kind: 'vmd_probe' };
  },
  simplify: () => [],
};

export const VMD_COMMANDS = [vmdRemoveCmd, vmdProbeCmd] as const;
