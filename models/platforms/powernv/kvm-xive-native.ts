// arch/powerpc/kvm/book3s_xive_native.c, the part that allocates host interrupts: every guest
// source gets one hardware "IPI" from xive_native_alloc_irq() the first time it is set up
// (kvmppc_xive_native_set_source), and gives it back when the device is released. The
// ipi_data of a source is embedded in its state, not kmalloc()ed.
import { ENXIO } from '../../kernel/errno';
import { KObject } from '../../kernel/heap';
import type { Kernel } from '../../kernel/kernel';
import { XIVE_ESB_SET_PQ_01, XiveIrqData, xiveCleanupIrqData, xiveEsbRead } from '../powerpc-common/xive-irq-data';
import { xiveNativeAllocIrq, xiveNativeFreeIrq, xiveNativePopulateIrqData, type XiveNative } from './xive-native';

/** struct kvmppc_xive_irq_state (the part used here) */
export class KvmXiveIrqState {
  ipiNumber = 0;
  readonly ipiData = new XiveIrqData(0);
}

/** struct kvmppc_xive for a XIVE-native KVM device */
export class KvmXiveNativeDevice extends KObject {
  readonly kind = 'kvmppc_xive';
  readonly sources = new Map<number, KvmXiveIrqState>();
}

// kvmppc_xive_native_create()
export function kvmppcXiveNativeCreate(k: Kernel, devices: KvmXiveNativeDevice[]): KvmXiveNativeDevice {
  const xive = k.heap.kmalloc(new KvmXiveNativeDevice(), 'kvmppc_xive_native_create');
  devices.push(xive);
  return xive;
}

// kvmppc_xive_native_set_source(): KVM_DEV_XIVE_GRP_SOURCE for guest source `irq`
export function kvmppcXiveNativeSetSource(k: Kernel, xn: XiveNative, xive: KvmXiveNativeDevice, irq: number): number {
  k.heap.deref('kvmppc_xive_native_set_source', xive, 'xive');
  let state = xive.sources.get(irq);
  if (state === undefined) {
    state = new KvmXiveIrqState();
    xive.sources.set(irq, state);
  }
  if (state.ipiNumber === 0) {
    state.ipiNumber = xiveNativeAllocIrq(k, xn, `kvm-xive:src${irq}`);
    if (state.ipiNumber === 0) {
      k.printk('kvm: Failed to allocate IRQ number');
      return -ENXIO;
    }
    // The return value is not checked here.
    xiveNativePopulateIrqData(k, xn, state.ipiNumber, state.ipiData);
  }
  // Mask IRQ to start with: an ESB load through the source's mapping
  xiveEsbRead(k, 'xive_vm_esb_load', state.ipiData, XIVE_ESB_SET_PQ_01);
  return 0;
}

// kvmppc_xive_native_release() -> kvmppc_xive_native_cleanup_irq(): give the IPIs back
export function kvmppcXiveNativeRelease(k: Kernel, xn: XiveNative, devices: KvmXiveNativeDevice[], xive: KvmXiveNativeDevice): void {
  for (const state of xive.sources.values()) {
    if (state.ipiNumber === 0) continue;
    xiveCleanupIrqData(k, state.ipiData);
    xiveNativeFreeIrq(k, xn, state.ipiNumber);
    state.ipiNumber = 0;
  }
  const i = devices.indexOf(xive);
  if (i >= 0) devices.splice(i, 1);
  k.heap.kfree('kvmppc_xive_native_release', xive);
}
