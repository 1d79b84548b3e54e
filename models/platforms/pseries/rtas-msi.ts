// The RTAS half of arch/powerpc/platforms/pseries/msi.c: rtas_change_msi(),
// rtas_disable_msi(), rtas_query_irq_number(), check_req(), msi_quota_for_device() and
// rtas_prepare_msi_irqs(). Every firmware call goes through rtasCall(), where the
// 'rtas_call' fault makes the firmware answer -1 (hardware error).
import { getCountOrder } from '../../kernel/bitmap';
import type { PciDev } from '../../kernel/device';
import { ENOENT, ENOSPC } from '../../kernel/errno';
import type { Kernel } from '../../kernel/kernel';
import { UnitStamps, type AuditPool, type AuditUnit } from '../../kernel/audit';
import { RTAS_HARDWARE_ERROR } from '../powerpc-common/firmware-codes';
import { RTAS_CHANGE_FN, RTAS_CHANGE_MSI_FN, RTAS_CHANGE_MSIX_FN, type RtasResult, type SpaprHypervisor } from './hypervisor';

export const PCI_CAP_ID_MSI = 0x05;
export const PCI_CAP_ID_MSIX = 0x11;

// rtas_call(): the busy/extended-delay retry loop (rtas_busy_delay) is elided; the model's
// firmware never answers busy.
function rtasCall(k: Kernel, name: string, call: () => RtasResult): RtasResult {
  if (k.faults.shouldFail('rtas_call')) {
    k.printk(`rtas: ${name} failed ${RTAS_HARDWARE_ERROR} (injected)`);
    return { status: RTAS_HARDWARE_ERROR, rets: [] };
  }
  return call();
}

/** The audit's id of the i-th MSI ibm,change-msi enabled for a function. */
export function rtasMsiUnit(pdev: PciDev, i: number): string {
  return `${pdev.name} RTAS MSI ${i}`;
}

/** Where Linux had the firmware enable each function's MSIs, per hypervisor (for the audit). */
const RTAS_STAMPS = new WeakMap<SpaprHypervisor, UnitStamps>();

/** The MSIs the firmware has enabled for Linux (ibm,change-msi), as an audit pool. */
export function rtasMsiPool(k: Kernel, hv: SpaprHypervisor): AuditPool {
  const stamps = new UnitStamps(k);
  RTAS_STAMPS.set(hv, stamps);
  return {
    name: 'RTAS MSI',
    count: () => hv.phbs.reduce((n, phb) => n + phb.slots.reduce((m, s) => m + s.enabled, 0), 0),
    *units(): Iterable<AuditUnit> {
      for (const phb of hv.phbs) {
        for (const s of phb.slots) for (let i = 0; i < s.enabled; i++) yield { id: rtasMsiUnit(s.dev, i), stamp: stamps.of(rtasMsiUnit(s.dev, i)) };
      }
    },
  };
}

// rtas_change_msi(): 0.. = number of MSIs now configured, <0 = RTAS error
export function rtasChangeMsi(k: Kernel, hv: SpaprHypervisor, pdev: PciDev, func: number, numIrqs: number): number {
  const before = hv.slotOf(pdev)?.enabled ?? 0;
  const r = rtasCall(k, 'ibm,change-msi', () => hv.changeMsi(pdev, func, numIrqs));
  const after = hv.slotOf(pdev)?.enabled ?? 0;
  const stamps = RTAS_STAMPS.get(hv);
  if (stamps !== undefined && after !== before) {
    for (let i = 0; i < before; i++) stamps.drop(rtasMsiUnit(pdev, i));
    for (let i = 0; i < after; i++) stamps.take(rtasMsiUnit(pdev, i), 'rtas_change_msi');
  }
  if (r.status === 0) return r.rets[0] ?? 0;
  // rtas_call() returns the status; a positive one is negated, a negative one passed as is
  return r.status > 0 ? -r.status : r.status;
}

// rtas_disable_msi(): "disabling MSI with the explicit interface also disables MSI-X"
export function rtasDisableMsi(k: Kernel, hv: SpaprHypervisor, pdev: PciDev): void {
  if (rtasChangeMsi(k, hv, pdev, RTAS_CHANGE_MSI_FN, 0) !== 0) {
    // Try the old interface
    if (rtasChangeMsi(k, hv, pdev, RTAS_CHANGE_FN, 0) !== 0) k.printk(`rtas_msi: Setting MSIs to 0 failed on ${pdev.name}`);
  }
}

// rtas_query_irq_number(): the LISN of MSI `offset`, or the (negative) RTAS status
export function rtasQueryIrqNumber(k: Kernel, hv: SpaprHypervisor, pdev: PciDev, offset: number): number {
  const r = rtasCall(k, 'ibm,query-interrupt-source-number', () => hv.queryInterruptSourceNumber(pdev, offset));
  if (r.status !== 0) {
    k.printk(`rtas_msi: error (${r.status}) querying source number`);
    return r.status;
  }
  return r.rets[0] ?? 0;
}

// check_req(): what ibm,req#msi(-x) allows
function checkReq(k: Kernel, hv: SpaprHypervisor, pdev: PciDev, nvec: number, prop: 'msi' | 'msix'): number {
  const slot = hv.slotOf(pdev);
  const req = slot === null ? null : prop === 'msi' ? slot.reqMsi : slot.reqMsix;
  if (req === null) return -ENOENT; // no ibm,req#msi(-x) property
  if (req < nvec) {
    k.printk(`rtas_msi: ibm,req#msi${prop === 'msix' ? '-x' : ''} requests < ${nvec} (${req})`);
    return req === 0 ? -ENOSPC : req;
  }
  return 0;
}

// msi_quota_for_device(): split ibm,pe-total-#msi over the PE's functions, handing the
// spare of those asking less to those asking more
export function msiQuotaForDevice(hv: SpaprHypervisor, pdev: PciDev, request: number): number {
  const slot = hv.slotOf(pdev);
  if (slot === null) return request;
  const devices = slot.phb.slots.filter((s) => !s.dev.removed);
  const total = slot.phb.totalMsi;
  if (devices.length === 0) return request;
  let quota = Math.floor(total / devices.length);
  if (request <= quota) return request;
  // count_spare_msis()
  let spare = 0;
  let overQuota = 0;
  for (const s of devices) {
    const req = s === slot ? request : Math.max(s.reqMsi ?? 0, s.reqMsix ?? 0);
    if (req < quota) spare += quota - req;
    else if (req > quota) overQuota++;
  }
  spare += total % devices.length;
  if (overQuota > 0) quota += Math.floor(spare / overQuota);
  return Math.min(quota, request);
}

// rtas_prepare_msi_irqs(): 0 = nvec MSIs configured, >0 = "only this many", <0 = error
export function rtasPrepareMsiIrqs(k: Kernel, hv: SpaprHypervisor, pdev: PciDev, nvecIn: number, type: number): number {
  let nvec = nvecIn;
  let rc = type === PCI_CAP_ID_MSI ? checkReq(k, hv, pdev, nvec, 'msi') : checkReq(k, hv, pdev, nvec, 'msix');
  if (rc !== 0) return rc;
  let quota = msiQuotaForDevice(hv, pdev, nvec);
  if (quota !== 0 && quota < nvec) return quota;
  // Firmware currently refuses any non power of two allocation, so round up if the quota allows.
  if (type === PCI_CAP_ID_MSIX) {
    const m = 1 << getCountOrder(nvec);
    quota = msiQuotaForDevice(hv, pdev, m);
    if (quota >= m) nvec = m;
  }
  for (;;) {
    if (type === PCI_CAP_ID_MSI) {
      rc = rtasChangeMsi(k, hv, pdev, RTAS_CHANGE_MSI_FN, nvec);
      if (rc < 0) {
        k.printk('rtas_msi: trying the old firmware call.');
        rc = rtasChangeMsi(k, hv, pdev, RTAS_CHANGE_FN, nvec);
      }
    } else {
      rc = rtasChangeMsi(k, hv, pdev, RTAS_CHANGE_MSIX_FN, nvec);
    }
    if (rc === nvec) return 0;
    if (nvec !== nvecIn) {
      nvec = nvecIn; // the rounded-up request was refused: try the exact one
      continue;
    }
    k.printk('rtas_msi: rtas_change_msi() failed');
    return rc;
  }
}

