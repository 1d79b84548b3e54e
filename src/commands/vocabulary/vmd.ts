// Intel VMD driver lifetime: unbinding the vmd driver (vmd_remove(): pci_stop_root_bus() takes
// the functions of its PCI domain away, then the domain and the VMD's own vectors go) and
// binding it again (vmd_probe()). Only on platforms with a VMD. A bind may present the VMD
// with the inputs of vmd_enable_domain()'s bypass choice: `features=can_bypass_msi_remap`
// (a 28C0-class device ID) and `membar_offset` (its shadow registers say it is passed through
// to a VM, where remapping stays on).
import { X86VmdPlatform } from '../../../models/platforms/x86/vmd-platform';
import { hasHandlers } from '../../abstract/state';
import type { Simulation } from '../../sim/simulation';
import { checkArgs, named } from '../args';
import { chance } from '../rng';
import { ArgError, type CommandSpec } from '../spec';
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
  summary: 'vmd_probe(): bind the vmd driver again: its MSI-X vectors through the x86 parent, vmd_irq() on each, the child irq domain; with features=can_bypass_msi_remap (and no membar_offset=1) MSI remapping is bypassed: no VMD vectors or domain, children on the VMD endpoint\'s MSI parent',
  weight: 1,
  choices: (s) => (s.caps.pciSegments === true ? 1 : 0),
  valid: (_c, s, ctx) => ctx.platform === VMD_PLATFORM && !pciSegments(s, ctx).includes(VMD_DOMAIN),
  invalid(_c, s, ctx) {
    if (ctx.platform !== VMD_PLATFORM) return `this platform has no VMD (only ${VMD_PLATFORM})`;
    if (pciSegments(s, ctx).includes(VMD_DOMAIN)) return 'the vmd driver is already bound';
    return null;
  },
  generate(s, rng, ctx) {
    if (!vmdProbeCmd.valid({ kind: 'vmd_probe' }, s, ctx)) return null;
    // mostly the boot VMD again (its probe is where the vmd_alloc_irqs and vmd_create_irq_domain faults aim)
    if (!chance(rng, 30)) return { kind: 'vmd_probe' };
    return chance(rng, 25) ? { kind: 'vmd_probe', canBypass: true, membarOffset: true } : { kind: 'vmd_probe', canBypass: true };
  },
  // the VMD's vectors come from the same matrix and IRTEs as everything else: no promise
  expect: () => ({ kind: 'none' }),
  run: (c, sim) => {
    const p = vmdOf(sim);
    // without arguments the VMD the machine booted with
    const inputs = c.canBypass === undefined && c.membarOffset === undefined ? undefined : { canBypassMsiRemap: c.canBypass === true, membarOffset: c.membarOffset === true };
    return { ret: p.vmdProbe(inputs) };
  },
  update(_c, o, s) {
    if (o.ret === 0) pciSegmentUp(s, VMD_DOMAIN);
  },
  format: (c) => [...(c.canBypass === true ? ['features=can_bypass_msi_remap'] : []), ...(c.membarOffset === true ? ['membar_offset=1'] : [])],
  parse(args) {
    checkArgs(args, 0, ['features', 'membar_offset']);
    const f = named(args, 'features');
    const m = named(args, 'membar_offset');
    if (f !== undefined && f.value !== 'can_bypass_msi_remap') throw new ArgError(`features=${f.value}: only features=can_bypass_msi_remap (VMD_FEAT_CAN_BYPASS_MSI_REMAP) is modelled`, f.col);
    if (m !== undefined && m.value !== '1') throw new ArgError(`membar_offset=${m.value}: only membar_offset=1 (a guest offset in the MEMBAR shadow registers)`, m.col);
    return { kind: 'vmd_probe', ...(f !== undefined ? { canBypass: true } : {}), ...(m !== undefined ? { membarOffset: true } : {}) };
  },
  // the VMD the machine booted with, then bypass without the guest offset
  simplify: (c) => (c.membarOffset === true ? [{ kind: 'vmd_probe' }, { kind: 'vmd_probe', canBypass: true }] : c.canBypass === true ? [{ kind: 'vmd_probe' }] : []),
};

export const VMD_COMMANDS = [vmdRemoveCmd, vmdProbeCmd] as const;
