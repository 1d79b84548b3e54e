// What a platform with wire-to-MSI bridges (RISC-V APLIC in MSI mode, HiSilicon MBIGEN in front
// of the GICv3 ITS, the GICv5 IWB) offers the harness: the bridges its firmware describes, and
// the driver probe that gives a bridge device its wire-to-MSI domain. Consumers then map wires
// with irq_create_fwspec_mapping() (models/kernel/msi-wired.ts).
import type { PlatformDevice } from '../kernel/device';
import type { IrqOrigin } from '../kernel/irq-action';

/** A kind of bridge as the firmware describes it. */
export interface WiredBridgeKind {
  /** `aplic`, `mbigen`, `iwb`: also the prefix of the bridge devices' names. */
  readonly kind: string;
  /** Wires the domain is sized for (nr_irqs + 1 for the APLIC, num-pins for MBIGEN, IW_RANGE for the IWB). */
  readonly wires: number;
  /** The first and last wire number a consumer's interrupt specifier may name. */
  readonly firstWire: number;
  readonly lastWire: number;
  /** How many bridges of this kind the machine has at most. */
  readonly max: number;
  /**
   * Whether the bridge device can go (device_del: DT overlay removal, of_platform_depopulate);
   * false where the driver keeps memory it never frees (the GICv5 IWB has no remove path).
   */
  readonly removable: boolean;
}

export interface WiredBridgeHost {
  readonly wiredBridgeKinds: readonly WiredBridgeKind[];
  /** The bridge's platform device as firmware creates it (of_platform_device_create()). */
  createWiredBridge(name: string, kind: string): PlatformDevice;
  /** The bridge driver's probe (aplic_probe, mbigen_device_probe, gicv5_iwb_device_probe): 0 or a negative errno. */
  probeWiredBridge(dev: PlatformDevice): number;
  /** The fwspec parameters of a consumer's interrupt specifier for `hwirq` with trigger `type`. */
  wiredFwspec(dev: PlatformDevice, hwirq: number, type: number): number[];
  /** The wire `hwirq` asserts: the bridge forwards it as its MSI (or latches it); what happened. */
  raiseWire(dev: PlatformDevice, hwirq: number, origin: IrqOrigin): string;
}

/** Whether a platform instance has wire-to-MSI bridges (WiredBridgeHost). */
export function isWiredBridgeHost(p: unknown): p is WiredBridgeHost {
  return typeof p === 'object' && p !== null && Array.isArray((p as Partial<WiredBridgeHost>).wiredBridgeKinds) && typeof (p as Partial<WiredBridgeHost>).probeWiredBridge === 'function';
}
