// What the current driver-level step changed, recorded by the model at the moment it changes
// it: the irqs whose descriptor or hierarchy data changed, the devices whose MSI state
// (descriptors, device domains, message or table entries) changed, and other objects
// (resource pools, translation tables) that say they changed. It lets the harness check
// invariants whose full scan grows with the machine on what a step touched only.
import type { KObject } from './heap';

export class StepDirty {
  readonly irqs = new Set<number>();
  readonly devices = new Set<KObject>();
  readonly objects = new Set<object>();
  /**
   * A translation that more than one device may use changed (an ITS MAPD: every function
   * behind the DeviceID): where messages go can no longer be judged from the dirty devices.
   */
  sharedRouting = false;

  clear(): void {
    this.sharedRouting = false;
    this.irqs.clear();
    this.devices.clear();
    this.objects.clear();
  }
}
