// drivers/pci/msi/irqdomain.c: the requester ID a PCI function's MSIs carry and which MSI
// controller gets them, from its DMA aliases (pci_for_each_dma_alias() with get_msi_id_cb():
// an alias counts only when it crosses a bus, as a PCIe-to-PCI bridge's does; a quirk alias on
// the function's own bus does not) and the firmware's mapping: DT msi-map on the host bridge of
// the function's segment, or the ACPI IORT root complex of that segment.
import { pciDevId, pciDomainNr, type PciDev } from './device';
import { iortNodeMapId, iortRootComplex, type Iort } from './iort';
import { ofMsiXlate, type OfNode } from './of-msi-map';

/** The firmware's description of MSI routing, DT or ACPI. */
export type MsiFirmware =
  | { readonly kind: 'dt'; readonly hostBridges: ReadonlyMap<number, OfNode> }
  | { readonly kind: 'acpi'; readonly iort: Iort; readonly itsName: (itsId: number) => string };

/**
 * pci_for_each_dma_alias(pdev, get_msi_id_cb, &rid): the function itself, its quirk aliases,
 * then the bridges above it; an alias replaces the ID only when it is on another bus
 */
export function pciMsiAliasRid(pdev: PciDev): number {
  let rid = pciDevId(pdev.rid);
  const cb = (devBus: number, alias: number): void => {
    const bus = (rid >> 8) & 0xff;
    if (devBus !== bus || ((alias >> 8) & 0xff) !== bus) rid = alias;
  };
  const ownBus = (pciDevId(pdev.rid) >> 8) & 0xff;
  cb(ownBus, pciDevId(pdev.rid));
  if (pdev.dmaAliasRid !== null) cb(ownBus, pciDevId(pdev.dmaAliasRid));
  // A PCIe-to-PCI bridge takes ownership of its secondary bus's requests
  if (pdev.bridge !== null) cb((pdev.bridge.rid >> 8) & 0xff, pciDevId(pdev.bridge.rid));
  return rid;
}

/** The DT nodes of_msi_xlate() walks for a function: its segment's host bridge. */
function hostBridgeChain(fw: MsiFirmware & { kind: 'dt' }, pdev: PciDev): OfNode[] {
  const hb = fw.hostBridges.get(pciDomainNr(pdev.rid));
  return hb === undefined ? [] : [hb];
}

/** pci_msi_domain_get_msi_rid(): the ID on the MSI controller `controller` (DT: filtered by it). */
export function pciMsiDomainGetMsiRid(fw: MsiFirmware, controller: string, pdev: PciDev): number {
  const rid = pciMsiAliasRid(pdev);
  if (fw.kind === 'dt') return ofMsiXlate(hostBridgeChain(fw, pdev), { controller }, rid);
  // iort_msi_map_id()
  const rc = iortRootComplex(fw.iort, pciDomainNr(pdev.rid));
  return rc === null ? rid : (iortNodeMapId(fw.iort, rc, rid)?.id ?? rid);
}

/** pci_msi_map_rid_ctlr_node(): the ID and the controller the firmware maps it to (null: none). */
export function pciMsiMapRidCtlrNode(fw: MsiFirmware, pdev: PciDev): { rid: number; controller: string | null } {
  const rid = pciMsiAliasRid(pdev);
  if (fw.kind === 'dt') {
    const filter = { controller: null as string | null };
    const out = ofMsiXlate(hostBridgeChain(fw, pdev), filter, rid);
    return { rid: out, controller: filter.controller };
  }
  // iort_msi_xlate(): the ITS group's first ITS
  const rc = iortRootComplex(fw.iort, pciDomainNr(pdev.rid));
  const m = rc === null ? null : iortNodeMapId(fw.iort, rc, rid);
  const its = m?.group.itsIds[0];
  return m === null || its === undefined ? { rid, controller: null } : { rid: m.id, controller: fw.itsName(its) };
}

/** pci_msi_get_device_domain(): the controller whose domain the function gets, or null. */
export function pciMsiGetDeviceController(fw: MsiFirmware, pdev: PciDev): string | null {
  return pciMsiMapRidCtlrNode(fw, pdev).controller;
}
