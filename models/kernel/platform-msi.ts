// drivers/base/platform-msi.c: per-device MSI for platform devices (wired-to-MSI bridges,
// SMMU, mbigen-like users). One descriptor per vector, created by the core.
import type { PlatformDevice } from './device';
import { EINVAL, ENODEV } from './errno';
import type { IrqChip, IrqData, MsiMsg } from './irqdomain';
import type { Kernel } from './kernel';
import { msiCreateDeviceIrqDomain, msiDomainAllocIrqsRange, msiDomainFreeIrqsAll, msiRemoveDeviceIrqDomain } from './msi';
import { MSI_DEFAULT_DOMAIN, type MsiDesc } from './msi-desc';
import { MSI_FLAG_ALLOC_SIMPLE_MSI_DESCS, MSI_FLAG_FREE_MSI_DESCS, MSI_FLAG_USE_DEV_FWNODE, type MsiDomainInfo, type MsiDomainTemplate } from './msi-types';

/** irq_write_msi_msg_t: the driver's callback that puts a message into its device. */
export type IrqWriteMsiMsg = (desc: MsiDesc, msg: MsiMsg) => void;

// platform_msi_write_msi_msg(): the message is the driver's to store, through the callback
// kept in chip_data; the model also caches it in the descriptor
const platformMsiChip: IrqChip = {
  name: 'pMSI',
  writeMsiMsg(k: Kernel, data: IrqData, msg) {
    const desc = k.irqs.desc(data.irq)?.msiDesc;
    if (desc !== undefined && desc !== null) {
      desc.msg = { ...msg };
      const write = (data.domain.hostData as MsiDomainInfo).chip_data as IrqWriteMsiMsg | null;
      write?.(desc, msg);
    }
    k.touchIrq(data.irq);
  },
};

export const platformMsiTemplate: MsiDomainTemplate = {
  name: 'pMSI',
  chip: platformMsiChip,
  // platform_msi_set_desc_byindex(): the device-level hwirq is the MSI index
  ops: {
    set_desc: (arg, desc) => {
      arg.desc = desc;
      arg.hwirq = desc.msiIndex;
    },
  },
  info: { flags: MSI_FLAG_ALLOC_SIMPLE_MSI_DESCS | MSI_FLAG_FREE_MSI_DESCS | MSI_FLAG_USE_DEV_FWNODE, bus_token: 'DEVICE_MSI' },
};

// platform_device_msi_init_and_alloc_irqs(): `write` is the driver's write_msi_msg (the
// driver-level commands pass none: the model caches the message in the descriptor)
export function platformDeviceMsiInitAndAllocIrqs(k: Kernel, dev: PlatformDevice, nvec: number, write: IrqWriteMsiMsg | null = null): number {
  if (dev.msiParent === null) return -EINVAL;
  if (!msiCreateDeviceIrqDomain(k, dev, MSI_DEFAULT_DOMAIN, platformMsiTemplate, nvec, null, write)) return -ENODEV;
  return msiDomainAllocIrqsRange(k, dev, MSI_DEFAULT_DOMAIN, 0, nvec - 1);
}

// platform_device_msi_free_irqs_all(): frees the vectors and (since 2025) removes the domain
export function platformDeviceMsiFreeIrqsAll(k: Kernel, dev: PlatformDevice): void {
  msiDomainFreeIrqsAll(k, dev, MSI_DEFAULT_DOMAIN);
  msiRemoveDeviceIrqDomain(k, dev, MSI_DEFAULT_DOMAIN);
}
