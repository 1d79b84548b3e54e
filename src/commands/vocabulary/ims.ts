// PCI/IMS driver calls (v6.2..v6.9): an IMS domain next to the function's PCI/MSI(-X) one
// (pci_create_ims_domain()), interrupts at any free index (pci_ims_alloc_irq()) and their
// release (pci_ims_free_irq()). Generated only where the kernel has the API (caps.ims).
import { PciDev } from '../../../models/kernel/device';
import { MSI_SECONDARY_DOMAIN } from '../../../models/kernel/msi-desc';
import { msiStore } from '../../../models/kernel/msi';
import { imsDeviceTemplate, ImsStore, pciCreateImsDomain, pciImsAllocIrq, pciImsFreeIrq } from '../../../models/kernel/pci-ims';
import { count, sharesRequesterId, type AbstractDevice, type AbstractState } from '../../abstract/state';
import { checkArgs, deviceName, int, positional, requiredInt } from '../args';
import { pick } from '../rng';
import type { CommandSpec } from '../spec';
import { noDevice } from './common';

const IMS_SIZES = [1, 2, 8, 64];

function pciDevOf(s: AbstractState, name: string): AbstractDevice | undefined {
  const d = s.devices.get(name);
  return d?.bus === 'pci' ? d : undefined;
}

const canCreate = (s: AbstractState) => (d: AbstractDevice): boolean => s.caps.ims === true && d.bus === 'pci' && d.ims === undefined;
const hasFreeSlot = (d: AbstractDevice): boolean => d.ims !== undefined && d.ims.used.size < d.ims.size;

export const pciCreateImsDomainCmd: CommandSpec<'pci_create_ims_domain'> = {
  kind: 'pci_create_ims_domain',
  summary: 'pci_create_ims_domain(dev, size=N): a PCI/IMS domain of N slots in the function\'s secondary MSI domain slot (v6.2..v6.9; the parent must support MSI_FLAG_PCI_IMS)',
  weight: 2,
  choices: (s) => count(s, canCreate(s)),
  valid: (c, s) => {
    const d = pciDevOf(s, c.dev);
    return d !== undefined && canCreate(s)(d) && c.size >= 1 && c.size <= 2048;
  },
  invalid(c, s) {
    if (s.caps.ims !== true) return 'this kernel has no PCI/IMS (pci_create_ims_domain() exists in v6.2..v6.9 only)';
    const d = s.devices.get(c.dev);
    if (d === undefined) return noDevice(c.dev);
    if (d.bus !== 'pci') return `${c.dev} is not a PCI device`;
    if (d.ims !== undefined) return `${c.dev} already has an IMS domain`;
    if (c.size < 1 || c.size > 2048) return `size=${c.size}: an IMS domain has 1 to 2048 slots here`;
    return null;
  },
  generate(s, rng) {
    const cands = [...s.devices.values()].filter(canCreate(s));
    if (cands.length === 0) return null;
    return { kind: 'pci_create_ims_domain', dev: pick(rng, cands).name, size: pick(rng, IMS_SIZES) };
  },
  // true or false (the parent may not support IMS): the driver learns it from the call
  expect: () => ({ kind: 'none' }),
  run(c, sim) {
    const dev = sim.device(c.dev);
    if (!(dev instanceof PciDev)) return { ret: -22 };
    // the store is device memory; the template is the driver's
    const k = sim.kernel;
    if (!pciCreateImsDomain(k, dev, imsDeviceTemplate('IMS'), c.size, new ImsStore())) return { ret: 0 };
    // the driver's remove() gives its IMS interrupts back before the MSI device data goes
    // (a devm action registered after msi_setup_device_data()'s, so released before it)
    dev.devres.push({
      name: 'ims_driver_remove',
      release: () => {
        for (const [index, desc] of msiStore(dev, MSI_SECONDARY_DOMAIN) ?? []) if (desc.irq > 0) pciImsFreeIrq(k, dev, { index, virq: desc.irq });
      },
    });
    return { ret: 1 };
  },
  update(c, o, s) {
    const d = s.devices.get(c.dev);
    if (d === undefined) return;
    // a call to an MSI API sets up the device's MSI data whatever it returns
    d.msiData = true;
    if (o.ret === 1) d.ims = { size: c.size, used: new Set() };
  },
  format: (c) => [c.dev, `size=${c.size}`],
  parse(args) {
    checkArgs(args, 1, ['size']);
    return { kind: 'pci_create_ims_domain', dev: deviceName(positional(args, 0, 'device', 1)), size: requiredInt(args, 'size') };
  },
  simplify: (c) => (c.size > 1 ? [{ ...c, size: 1 }] : []),
};

export const pciImsAllocIrqCmd: CommandSpec<'pci_ims_alloc_irq'> = {
  kind: 'pci_ims_alloc_irq',
  summary: 'pci_ims_alloc_irq(dev): one interrupt at the first free IMS index (msi_domain_alloc_irq_at(MSI_SECONDARY_DOMAIN, MSI_ANY_INDEX))',
  weight: 4,
  choices: (s) => count(s, hasFreeSlot),
  valid: (c, s) => {
    const d = pciDevOf(s, c.dev);
    return d !== undefined && d.ims !== undefined;
  },
  invalid(c, s) {
    const d = s.devices.get(c.dev);
    if (d === undefined) return noDevice(c.dev);
    if (d.bus !== 'pci') return `${c.dev} is not a PCI device`;
    if (d.ims === undefined) return `${c.dev} has no IMS domain (pci_create_ims_domain() first)`;
    return null;
  },
  generate(s, rng) {
    const cands = [...s.devices.values()].filter(hasFreeSlot);
    return cands.length === 0 ? null : { kind: 'pci_ims_alloc_irq', dev: pick(rng, cands).name };
  },
  expect(c, s, sim) {
    const d = pciDevOf(s, c.dev);
    if (d?.ims === undefined) return { kind: 'none' };
    const ims = d.ims;
    const want = [...Array(ims.size).keys()].find((i) => !ims.used.has(i));
    if (want === undefined) return { kind: 'error', why: 'every IMS slot is in use' };
    // nothing excuses a failure: no fault armed, the RID alone, the parent has room for one more
    if (s.armed.size === 0 && !sharesRequesterId(s, d) && sim.platform.vectorRoom(sim.device(d.name), { path: 'platform', hwsize: 1, nvec: 1, managed: false }).sure >= 1) return { kind: 'exact', ret: want, why: `first free IMS index ${want}` };
    return { kind: 'none' };
  },
  run(c, sim) {
    const map = pciImsAllocIrq(sim.kernel, sim.device(c.dev) as PciDev);
    return { ret: map.index, virq: map.virq };
  },
  update(c, o, s) {
    if (o.ret !== null && o.ret >= 0) s.devices.get(c.dev)?.ims?.used.add(o.ret);
  },
  format: (c) => [c.dev],
  parse(args) {
    checkArgs(args, 1, []);
    return { kind: 'pci_ims_alloc_irq', dev: deviceName(positional(args, 0, 'device', 1)) };
  },
  simplify: () => [],
};

export const pciImsFreeIrqCmd: CommandSpec<'pci_ims_free_irq'> = {
  kind: 'pci_ims_free_irq',
  summary: 'pci_ims_free_irq(dev, index): free one IMS interrupt (the msi_map pci_ims_alloc_irq() returned)',
  weight: 3,
  choices: (s) => count(s, (d) => (d.ims?.used.size ?? 0) > 0),
  valid: (c, s) => pciDevOf(s, c.dev)?.ims?.used.has(c.index) === true,
  invalid(c, s) {
    const d = s.devices.get(c.dev);
    if (d === undefined) return noDevice(c.dev);
    if (d.bus !== 'pci') return `${c.dev} is not a PCI device`;
    if (d.ims === undefined) return `${c.dev} has no IMS domain`;
    if (!d.ims.used.has(c.index)) return `IMS index ${c.index} of ${c.dev} is not allocated (pci_ims_free_irq() takes the map pci_ims_alloc_irq() returned)`;
    return null;
  },
  generate(s, rng) {
    const cands = [...s.devices.values()].filter((d) => (d.ims?.used.size ?? 0) > 0);
    if (cands.length === 0) return null;
    const d = pick(rng, cands);
    return { kind: 'pci_ims_free_irq', dev: d.name, index: pick(rng, [...(d.ims?.used ?? [])]) };
  },
  expect: () => ({ kind: 'none' }),
  run(c, sim) {
    const dev = sim.device(c.dev) as PciDev;
    const virq = msiStore(dev, MSI_SECONDARY_DOMAIN)?.get(c.index)?.irq ?? 0;
    pciImsFreeIrq(sim.kernel, dev, { index: c.index, virq });
    return { ret: null };
  },
  update(c, _o, s) {
    s.devices.get(c.dev)?.ims?.used.delete(c.index);
  },
  format: (c) => [c.dev, String(c.index)],
  parse(args) {
    checkArgs(args, 2, []);
    return { kind: 'pci_ims_free_irq', dev: deviceName(positional(args, 0, 'device', 1)), index: int(positional(args, 1, 'index', 1), 'index') };
  },
  simplify: () => [],
};

export const IMS_COMMANDS = [pciCreateImsDomainCmd, pciImsAllocIrqCmd, pciImsFreeIrqCmd] as const;
