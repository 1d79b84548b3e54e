// Firmware ID mapping: the kernel's path (pci_msi_map_rid_ctlr_node() for the controller, then
// pci_msi_domain_get_msi_rid() on it: of_map_id()/of_msi_xlate() for DT, iort_node_map_id() for
// ACPI) and the machines' declarative view (arm64-firmware.ts msiTargetOf(), which the identity
// checks and the capacity oracle read) agree on every requester ID of both segments, both
// machines, with and without a PCIe-to-PCI bridge; so two devices share a DeviceID exactly when
// the firmware maps them together. The kernel-side corner cases are pinned on their own.
import { PciBridge, PciDev } from '../../models/kernel/device';
import { EAGAIN } from '../../models/kernel/errno';
import { iortNodeMapId, iortRootComplex } from '../../models/kernel/iort';
import { ofMapMsiId } from '../../models/kernel/of-msi-map';
import { pciMsiAliasRid, pciMsiDomainGetMsiRid, pciMsiMapRidCtlrNode } from '../../models/kernel/pci-msi-rid';
import { acpiMachine, dtMachine, msiTargetOf, sharesDeviceId, type Arm64Firmware } from '../../models/platforms/arm64-firmware';

const MACHINES: [string, Arm64Firmware][] = [
  ['dt', dtMachine('its1', 0x40000)],
  ['acpi', acpiMachine('its1', 0x40000)],
];

/** Requester IDs around every range edge of both machines, on both segments. */
const RIDS: number[] = [];
for (const seg of [0, 1]) for (const r of [0x0000, 0x0008, 0x00ff, 0x0100, 0x02ff, 0x0300, 0x0301, 0x0307, 0x0308, 0x03ff, 0x0400, 0x04fe, 0x04ff, 0x0500, 0xfff8, 0xffff]) RIDS.push(seg * 0x10000 + r);

function kernelTarget(f: Arm64Firmware, pdev: PciDev): { controller: string; deviceId: number } {
  const controller = pciMsiMapRidCtlrNode(f.fw, pdev).controller ?? f.defaultController;
  return { controller, deviceId: pciMsiDomainGetMsiRid(f.fw, controller, pdev) };
}

describe.each(MACHINES)('%s machine: the kernel path and the DeviceID view agree', (_name, f) => {
  test.each(RIDS)('requester ID %s', (rid) => {
    const pdev = new PciDev('d', rid, 0, 4, null, null);
    expect(msiTargetOf(f, pdev)).toEqual(kernelTarget(f, pdev));
  });

  test('behind a PCIe-to-PCI bridge a function carries the bridge\'s ID, on both paths', () => {
    const br = new PciBridge('br', 0x0200);
    const pdev = new PciDev('d', 0x0308, 0, 4, null, br);
    expect(pciMsiAliasRid(pdev)).toBe(0x0200);
    expect(msiTargetOf(f, pdev)).toEqual(kernelTarget(f, pdev));
  });
});

describe('sharing follows the mapping only', () => {
  const dt = dtMachine('its1', 0x40000);
  const acpi = acpiMachine('its1', 0x40000);
  const dev = (rid: number, alias: number | null = null): PciDev => new PciDev(`d${rid}`, rid, 0, 4, alias, null);

  test('DT segment 1 masks the function: 0001:03:00.0 and .1 share, 0001:03:01.0 does not', () => {
    expect(sharesDeviceId(dt, dev(0x10300), [dev(0x10301)])).toBe(true);
    expect(sharesDeviceId(dt, dev(0x10300), [dev(0x10308)])).toBe(false);
  });

  test('the same requester ID on another segment is another DeviceID', () => {
    expect(sharesDeviceId(dt, dev(0x0300), [dev(0x10300)])).toBe(false);
    expect(sharesDeviceId(acpi, dev(0x0300), [dev(0x10300)])).toBe(false);
  });

  test('a quirk DMA alias on the function\'s own bus does not change its ID (get_msi_id_cb ignores same-bus aliases)', () => {
    expect(pciMsiAliasRid(dev(0x0101, 0x0100))).toBe(0x0101);
    expect(sharesDeviceId(dt, dev(0x0101, 0x0100), [dev(0x0100)])).toBe(false);
  });
});

describe('kernel corner cases', () => {
  test('of_map_id(): an msi-map entry whose id-base has bits outside msi-map-mask is -EFAULT', () => {
    const r = ofMapMsiId({ name: 'hb', msiMapMask: 0xff00, msiMap: [{ idBase: 0x0001, controller: 'its0', outBase: 0, length: 0x100 }] }, 0x0100, undefined);
    expect(r.ret).toBeLessThan(0);
  });

  test('of_map_id(): no entry covers the ID: the ID bypasses translation, no controller', () => {
    expect(ofMapMsiId({ name: 'hb', msiMap: [{ idBase: 0x100, controller: 'its0', outBase: 0, length: 0x10 }] }, 0x200, { controller: null })).toEqual({ ret: 0, controller: null, id: 0x200 });
  });

  test('iort_id_map(): the ID at the inclusive end of a range (-EAGAIN) is superseded by a range starting there', () => {
    const iort = acpiMachine('its1', 0x40000);
    if (iort.fw.kind !== 'acpi') throw new Error('acpi');
    const rc = iortRootComplex(iort.fw.iort, 0);
    if (rc === null) throw new Error('rc0');
    // 0x2ff: inside the first range, straight to group A
    expect(iortNodeMapId(iort.fw.iort, rc, 0x2ff)).toMatchObject({ group: { name: 'groupA' }, id: 0x2ff });
    // 0x300: the end of the first range (id_count 0x300) and the start of the second: the second
    expect(iortNodeMapId(iort.fw.iort, rc, 0x300)).toMatchObject({ group: { name: 'groupB' }, id: 0x10000 });
    expect(EAGAIN).toBe(11);
  });
});
