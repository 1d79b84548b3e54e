// drivers/iommu/intel/dmar.c: the DRHD units the ACPI DMAR table describes, each with its
// device scope, and the lookups that tie a PCI function to a unit. What the kernel reads from
// firmware is the platform configuration here.
import { PciDev, type Device } from '../../kernel/device';

/** One device-scope entry: an endpoint, or a bridge with the bus range below it. */
export type DmarScope =
  | { readonly kind: 'endpoint'; readonly rid: number }
  | { readonly kind: 'bridge'; readonly rid: number; readonly secondary: number; readonly subordinate: number };

/** struct acpi_dmar_hardware_unit as the model needs it. */
export interface DrhdConfig {
  readonly name: string;
  /** INCLUDE_PCI_ALL: every device of the segment not claimed by another unit. */
  readonly includeAll: boolean;
  readonly scope: readonly DmarScope[];
  /** HPET blocks in this unit's scope (ir_hpet[]): block id -> source id (bus << 8 | devfn). */
  readonly hpet: readonly { readonly id: number; readonly sourceId: number }[];
  /** IOAPICs in this unit's scope (ir_ioapic[]): IOAPIC id -> source id. */
  readonly ioapic?: readonly { readonly id: number; readonly sourceId: number }[];
}

/** pci_physfn() */
export function pciPhysfn(dev: PciDev): PciDev {
  return dev.physfn ?? dev;
}

const busOf = (rid: number): number => (rid >> 8) & 0xff;

// dmar_pci_device_match(): the device, or a bridge above it, is in the scope
function dmarPciDeviceMatch(scope: readonly DmarScope[], dev: PciDev): boolean {
  const upstream = dev.bridge?.rid ?? null;
  for (const s of scope) {
    if (s.rid === dev.rid || s.rid === upstream) return true;
    if (s.kind === 'bridge' && busOf(dev.rid) >= s.secondary && busOf(dev.rid) <= s.subordinate) return true;
  }
  return false;
}

// dmar_find_matched_drhd_unit(): VFs are looked up through their PF; INCLUDE_PCI_ALL units
// sit at the end of dmar_drhd_units, so scoped units win
export function dmarFindMatchedDrhdUnit<U extends { readonly drhd: DrhdConfig }>(units: readonly U[], dev: Device): U | null {
  if (!(dev instanceof PciDev)) return null;
  const pdev = pciPhysfn(dev);
  for (const u of units) if (!u.drhd.includeAll && dmarPciDeviceMatch(u.drhd.scope, pdev)) return u;
  for (const u of units) if (u.drhd.includeAll) return u;
  return null;
}

/** Two units: dmar0 scopes a root port over buses 1-2, dmar1 takes everything else, the HPET and the IOAPIC. */
export const DEFAULT_DRHD: readonly DrhdConfig[] = [
  { name: 'dmar0', includeAll: false, scope: [{ kind: 'bridge', rid: 0x0008, secondary: 1, subordinate: 2 }], hpet: [] },
  { name: 'dmar1', includeAll: true, scope: [], hpet: [{ id: 0, sourceId: 0x00f8 }], ioapic: [{ id: 0, sourceId: 0x00f7 }] },
];

/** pci_real_dma_dev() (arch/x86/pci/common.c): a function below a VMD issues its writes as the VMD endpoint. */
export function pciRealDmaDev(dev: PciDev): PciDev {
  return dev.vmdDev ?? dev;
}

/** The requester ID a PCI function's memory writes carry (quirk DMA alias, or the bridge taking ownership). */
export function requesterId(dev: PciDev): number {
  if (dev.bridge !== null) return dev.bridge.rid;
  if (dev.dmaAliasRid !== null) return dev.dmaAliasRid;
  return dev.rid;
}
