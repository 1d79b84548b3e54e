// drivers/base/platform-msi.c: per-device MSI for platform devices (wired-to-MSI bridges,
// SMMU, mbigen-like users). One descriptor per vector, created by the core.
import type { PlatformDevice } from './device';
import { EINVAL, ENODEV } from './errno';
import type { IrqChip, IrqData } from './irqdomain';
import type { Kernel } from './kernel';
import { msiCreateDeviceIrqDomain, msiDomainAllocIrqsRange, msiDomainFreeIrqsAll, msiRemoveDeviceIrqDomain } from './msi';
import { MSI_DEFAULT_DOMAIN } from './msi-desc';
import { MSI_FLAG_ALLOC_SIMPLE_MSI_DESCS, MSI_FLAG_FREE_MSI_DESCS, MSI_FLAG_USE_DEV_FWNODE, type MsiDomainTemplate } from './msi-types';

// platform_msi_write_msg(): the driver's write_msi_msg callback stores the message
const platformMsiChip: IrqChip = {
  name: 'pMSI',
  writeMsiMsg(k: Kernel, data: IrqData, msg) {
    const desc = k.irqs.desc(data.irq)?.msiDesc;
    if (desc !== undefined && desc !== null) desc.msg = { ...msg };
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

// platform_device_msi_init_and_alloc_irqs()
export function platformDeviceMsiInitAndAllocIrqs(k: Kernel, dev: PlatformDevice, nvec: number): number {
  if (dev.msiParent === null) return -EINVAL;
  if (!msiCreateDeviceIrqDomain(k, dev, MSI_DEFAULT_DOMAIN, platformMsiTemplate, nvec, null, null)) return -ENODEV;
  return msiDomainAllocIrqsRange(k, dev, MSI_DEFAULT_DOMAIN, 0, nvec - 1);
}

// platform_device_msi_free_irqs_all(): frees the vectors and (since 2025) removes the domain
export function platformDeviceMsiFreeIrqsAll(k: Kernel, dev: PlatformDevice): void {
  msiDomainFreeIrqsAll(k, dev, MSI_DEFAULT_DOMAIN);
  msiRemoveDeviceIrqDomain(k, dev, MSI_DEFAULT_DOMAIN);
}
