// Platform device MSI: platform_device_msi_init_and_alloc_irqs / platform_device_msi_free_irqs_all.
import type { PlatformDevice } from '../../../models/kernel/device';
import { platformDeviceMsiFreeIrqsAll, platformDeviceMsiInitAndAllocIrqs } from '../../../models/kernel/platform-msi';
import { checkArgs, deviceName, int, positional } from '../args';
import { count } from '../../abstract/state';
import { pick } from '../rng';
import type { CommandSpec } from '../spec';
import { deviceOnlySyntax, forgetVectors } from './common';

export const platformMsiAllocCmd: CommandSpec<'platform_device_msi_init_and_alloc_irqs'> = {
  kind: 'platform_device_msi_init_and_alloc_irqs',
  summary: 'platform_device_msi_init_and_alloc_irqs(dev, nvec): create the device MSI domain and allocate nvec vectors',
  weight: 5,
  choices: (s) => (s.caps.platformMsi ? count(s, (d) => d.bus === 'platform' && d.mode === 'none') : 0),
  valid(c, s) {
    const d = s.devices.get(c.dev);
    return s.caps.platformMsi && d?.bus === 'platform' && d.mode === 'none' && c.nvec >= 1 && c.nvec <= 256;
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
    // Even a failed allocation leaves the domain: the driver's error path frees all.
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
  choices: (s) => count(s, (d) => d.mode === 'platform'),
  valid: (c, s) => s.devices.get(c.dev)?.mode === 'platform',
  generate(s, rng) {
    const busy = [...s.devices.values()].filter((d) => d.mode === 'platform');
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
