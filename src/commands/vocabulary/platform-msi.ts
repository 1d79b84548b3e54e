// Platform device MSI: platform_device_msi_init_and_alloc_irqs / platform_device_msi_free_irqs_all.
import type { PlatformDevice } from '../../../models/kernel/device';
import { platformDeviceMsiFreeIrqsAll, platformDeviceMsiInitAndAllocIrqs } from '../../../models/kernel/platform-msi';
import { checkArgs, deviceName, int, positional } from '../args';
import { count } from '../../abstract/state';
import { pick } from '../rng';
import type { CommandSpec } from '../spec';
import { deviceOnlySyntax, forgetVectors, noDevice } from './common';

export const platformMsiAllocCmd: CommandSpec<'platform_device_msi_init_and_alloc_irqs'> = {
  kind: 'platform_device_msi_init_and_alloc_irqs',
  summary: 'platform_device_msi_init_and_alloc_irqs(dev, nvec): create the device MSI domain and allocate nvec vectors',
  weight: 5,
  choices: (s) => (s.caps.platformMsi ? count(s, (d) => d.bus === 'platform' && d.mode === 'none') : 0),
  valid(c, s) {
    const d = s.devices.get(c.dev);
    return s.caps.platformMsi && d?.bus === 'platform' && d.mode === 'none' && c.nvec >= 1 && c.nvec <= 256;
  },
  invalid(c, s) {
    if (!s.caps.platformMsi) return 'this platform has no platform-MSI parent';
    const d = s.devices.get(c.dev);
    if (d === undefined) return noDevice(c.dev);
    if (d.bus !== 'platform') return `${c.dev} is not a platform device`;
    if (d.mode !== 'none') return `${c.dev} already holds vectors: platform_device_msi_free_irqs_all() first`;
    if (c.nvec < 1 || c.nvec > 256) return `nvec=${c.nvec}: 1 to 256 vectors`;
    return null;
  },
  generate(s, rng) {
    const idle = [...s.devices.values()].filter((d) => d.bus === 'platform' && d.mode === 'none');
    if (!s.caps.platformMsi || idle.length === 0) return null;
    return { kind: 'platform_device_msi_init_and_alloc_irqs', dev: pick(rng, idle).name, nvec: pick(rng, [1, 2, 4, 33, 64]) };
  },
  // All or nothing (no retry with fewer for platform MSI: msi_handle_pci_fail()), as the
  // parent's room says; an injected failure firing in the call excuses an error
  expect(c, s, sim) {
    const d = s.devices.get(c.dev);
    if (d === undefined) return { kind: 'none' };
    const room = sim.platform.vectorRoom(sim.device(c.dev), { path: 'platform', hwsize: c.nvec, nvec: c.nvec, managed: false });
    if (room.sure >= c.nvec) return { kind: 'exact', ret: 0, why: `${c.nvec} vectors with room in the parent` };
    if (room.most < c.nvec) return { kind: 'error', why: `room for ${room.most} of ${c.nvec} vectors in the parent` };
    return { kind: 'none' };
  },
  run(c, sim) {
    return { ret: platformDeviceMsiInitAndAllocIrqs(sim.kernel, sim.device(c.dev) as PlatformDevice, c.nvec) };
  },
  update(c, o, s) {
    const d = s.devices.get(c.dev);
    if (d === undefined) return;
    // A failed probe keeps whatever the core set up (the domain when only the allocation
    // failed) until unbind releases the devres MSI data; drivers register their
    // platform_device_msi_free_irqs_all() action only once the allocation succeeded
    // (arm_smmu_setup_msis(), smmu_pmu_setup_msi()), and calling it with no device domain is
    // a WARN in msi_ctrl_valid(). No second init either: the domain slot may be taken.
    d.mode = 'platform';
    // and the MSI device data stays after platform_device_msi_free_irqs_all(), until unbind
    d.msiData = true;
    d.nvec = o.ret === 0 ? c.nvec : 0;
  },
  format: (c) => [c.dev, String(c.nvec)],
  parse(args) {
    checkArgs(args, 2, []);
    return { kind: 'platform_device_msi_init_and_alloc_irqs', dev: deviceName(positional(args, 0, 'device', 1)), nvec: int(positional(args, 1, 'nvec', 1), 'nvec') };
  },
  simplify: (c) => (c.nvec > 1 ? [{ ...c, nvec: 1 }] : []),
};

export const platformMsiFreeAllCmd: CommandSpec<'platform_device_msi_free_irqs_all'> = {
  kind: 'platform_device_msi_free_irqs_all',
  summary: 'platform_device_msi_free_irqs_all(dev): free the vectors and remove the device MSI domain',
  weight: 4,
  choices: (s) => count(s, holdsPlatformVectors),
  valid: (c, s) => holdsPlatformVectors(s.devices.get(c.dev)),
  invalid: (c, s) => (!s.devices.has(c.dev) ? noDevice(c.dev) : holdsPlatformVectors(s.devices.get(c.dev)) ? null : `${c.dev} holds no platform MSI vectors (a failed init is undone by unbinding)`),
  generate(s, rng) {
    const busy = [...s.devices.values()].filter(holdsPlatformVectors);
    return busy.length === 0 ? null : { kind: 'platform_device_msi_free_irqs_all', dev: pick(rng, busy).name };
  },
  expect: () => ({ kind: 'none' }),
  run(c, sim) {
    platformDeviceMsiFreeIrqsAll(sim.kernel, sim.device(c.dev) as PlatformDevice);
    return { ret: null };
  },
  update(c, _o, s) {
    forgetVectors(s, c.dev);
  },
  ...deviceOnlySyntax('platform_device_msi_free_irqs_all'),
  simplify: () => [],
};

/** A platform device whose platform_device_msi_init_and_alloc_irqs() succeeded: its driver frees them. */
export function holdsPlatformVectors(d: { mode: string; nvec: number } | undefined): boolean {
  return d !== undefined && d.mode === 'platform' && d.nvec > 0;
}
