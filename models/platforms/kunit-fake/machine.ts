// kunit/mf_ops.c and mf_replay.c on the model: a machine booted with the four fake parents,
// devices dev0..dev15 named by the sequence, and the ops, each traced as "> op", the
// callbacks it caused, "= result" and a snapshot of every device's descriptor tables and of
// the parents. The trace is compared line by line with the one the real kernel prints.
import { PciDev, PlatformDevice, type Device } from '../../kernel/device';
import { errname } from '../../kernel/errno';
import type { IrqData, MsiMsg } from '../../kernel/irqdomain';
import { KernelOops } from '../../kernel/report';
import {
  msiCreateDeviceIrqDomain,
  msiDomainAllocIrqAt,
  msiDomainAllocIrqsRange,
  msiDomainFreeIrqsAll,
  msiDomainFreeIrqsRange,
  msiRemoveDeviceIrqDomain,
} from '../../kernel/msi';
import { MSI_ANY_INDEX, MSI_MAX_DEVICE_IRQDOMAINS, type MsiDesc } from '../../kernel/msi-desc';
import type { MsiDomainInfo, MsiDomainTemplate } from '../../kernel/msi-types';
import { PatchSet } from '../../kernel/patches';
import { deviceReleaseDriver, pciAllocIrqVectors, pciFreeIrqVectors, pciIrqVector, pciMsixAllocIrqAt, pciMsixFreeIrq } from '../../kernel/pci-msi';
import { platformDeviceMsiFreeIrqsAll, platformDeviceMsiInitAndAllocIrqs } from '../../kernel/platform-msi';
import { FakeParent } from './parent';
import { isPciOp, MAX_DEVS, opTraceText, PARENTS, type KernelOp, type ParentName } from './ops';
import { FakeTrace, TracingKernel } from './trace';

function hex(n: number): string {
  return (n >>> 0).toString(16);
}

interface FakeDevice {
  readonly dev: Device;
  readonly bus: 'kunit' | 'platform' | 'pci';
  readonly parent: ParentName;
  /** A PCI function's INTx irq: UML's virtual bus allocates one at registration (irq_alloc_desc()). */
  readonly intx?: number;
}

export class FakeMachine {
  readonly trace = new FakeTrace();
  readonly kernel: TracingKernel;
  readonly parents: ReadonlyMap<ParentName, FakeParent>;
  readonly devices = new Map<number, FakeDevice>();
  /** The kernel oopsed: the UML kernel stops there too. */
  dead = false;
  private readonly template: MsiDomainTemplate;

  constructor(patches: readonly string[]) {
    this.kernel = new TracingKernel(new PatchSet(patches), this.trace);
    this.parents = new Map(PARENTS.map((p) => [p, new FakeParent(this.kernel, p, this.trace)]));
    const t = this.trace;
    // mf_template: the device level writes the composed message into the trace
    this.template = {
      name: 'IMS',
      chip: {
        name: 'IMS',
        writeMsiMsg: (k, data: IrqData, msg: MsiMsg) => {
          const desc = k.irqs.desc(data.irq)?.msiDesc ?? null;
          t.line(`write_msg ${t.virq(data.irq)} index=${desc?.msiIndex ?? 0} msg=${hex(msg.addressHi)}:${hex(msg.addressLo)}:${hex(msg.data)}`);
        },
      },
      // mf_set_desc(): as platform MSI, the device-level hwirq is the MSI index
      ops: {
        set_desc: (arg, desc) => {
          arg.desc = desc;
          arg.hwirq = desc.msiIndex;
        },
      },
      info: { flags: 0, bus_token: 'DEVICE_MSI' },
    };
    t.line('begin');
  }

  /** mf_pmsi_write(): platform_device_msi_init_and_alloc_irqs()'s write callback. */
  private readonly pmsiWrite = (desc: MsiDesc, msg: MsiMsg): void => {
    const t = this.trace;
    t.line(`write_msg ${t.virq(desc.irq)} index=${desc.msiIndex} msg=${hex(msg.addressHi)}:${hex(msg.addressLo)}:${hex(msg.data)}`);
  };

  /** mf_run_op(): the op, its result, then a snapshot. Nothing runs after an oops. */
  run(op: KernelOp): void {
    if (this.dead) return;
    this.trace.line(`> ${opTraceText(op)}`);
    if (!this.guard(() => this.exec(op))) return;
    this.snapshot();
  }

  /** mf_end(): the devices still present go, in index order. */
  end(): void {
    if (this.dead) return;
    this.trace.line('> end');
    const ok = this.guard(() => {
      for (const d of [...this.devices.keys()].sort((a, b) => a - b)) this.removeDevice(d);
      this.trace.line('= void');
    });
    if (ok) this.snapshot();
    if (ok) this.trace.line('done');
  }

  private guard(fn: () => void): boolean {
    try {
      fn();
      return true;
    } catch (e) {
      if (!(e instanceof KernelOops)) throw e;
      this.trace.line('OOPS');
      this.dead = true;
      return false;
    }
  }

  private result(ret: number): void {
    this.trace.line(`= ${errname(ret)}`);
  }

  private exec(op: KernelOp): void {
    const k = this.kernel;
    const t = this.trace;
    if (op.op === 'dev_add') {
      if (this.devices.has(op.dev) || op.dev < 0 || op.dev >= MAX_DEVS) return t.line('= no-such-device');
      const dev = new PlatformDevice(`dev${op.dev}`, op.dev);
      k.addDevice(dev);
      // dev_set_msi_domain(): what firmware or the bus does at device add
      dev.msiParent = (this.parents.get(op.parent) as FakeParent).domain;
      this.devices.set(op.dev, { dev, bus: op.bus, parent: op.parent });
      return this.result(0);
    }
    if (op.op === 'pci_dev_add') {
      if (this.devices.has(op.dev) || op.dev < 0 || op.dev >= MAX_DEVS) return t.line('= no-such-device');
      // mf_pci_add(): a function with the capabilities asked for, enabled (pcim), under the fake parent
      const dev = new PciDev(`dev${op.dev}`, op.dev << 3, op.msi, Math.min(op.msix, 32), null, null);
      const intx = k.irqs.allocDesc();
      k.addDevice(dev);
      dev.msiParent = (this.parents.get(op.parent) as FakeParent).domain;
      this.devices.set(op.dev, { dev, bus: 'pci', parent: op.parent, intx });
      return this.result(0);
    }
    const fd = this.devices.get(op.dev);
    if (fd === undefined) return t.line('= no-such-device');
    if (isPciOp(op)) return this.execPci(op, fd.dev);
    const dev = fd.dev;
    switch (op.op) {
      case 'dev_del':
        this.removeDevice(op.dev);
        return t.line('= void');
      case 'msi_create_device_irq_domain':
        return t.line(`= ${msiCreateDeviceIrqDomain(k, dev, op.domid, this.template, op.hwsize, null, null)}`);
      case 'msi_remove_device_irq_domain':
        msiRemoveDeviceIrqDomain(k, dev, op.domid);
        return t.line('= void');
      case 'msi_domain_alloc_irqs_range':
        return this.result(msiDomainAllocIrqsRange(k, dev, op.domid, op.first, op.last));
      case 'msi_domain_free_irqs_range':
        msiDomainFreeIrqsRange(k, dev, op.domid, op.first, op.last);
        return t.line('= void');
      case 'msi_domain_alloc_irq_at': {
        const map = msiDomainAllocIrqAt(k, dev, op.domid, op.index === 'any' ? MSI_ANY_INDEX : op.index);
        return map.index < 0 ? this.result(map.index) : t.line(`= ${map.index} ${t.virq(map.virq)}`);
      }
      case 'msi_domain_free_irqs_all':
        msiDomainFreeIrqsAll(k, dev, op.domid);
        return t.line('= void');
      case 'platform_device_msi_init_and_alloc_irqs':
        if (!(dev instanceof PlatformDevice)) return t.line('= no-such-device');
        return this.result(platformDeviceMsiInitAndAllocIrqs(k, dev, op.nvec, this.pmsiWrite));
      case 'platform_device_msi_free_irqs_all':
        if (!(dev instanceof PlatformDevice)) return t.line('= no-such-device');
        platformDeviceMsiFreeIrqsAll(k, dev);
        return t.line('= void');
      default:
        return t.line('= no-such-device');
    }
  }

  /** mf_pci_*(): the PCI driver API on a fake function. */
  private execPci(op: KernelOp, d: Device): void {
    const k = this.kernel;
    const t = this.trace;
    if (!(d instanceof PciDev)) return t.line('= no-such-device');
    switch (op.op) {
      case 'pci_alloc_irq_vectors':
        return this.result(pciAllocIrqVectors(k, d, op.min, op.max, op.flags));
      case 'pci_free_irq_vectors':
        pciFreeIrqVectors(k, d);
        return t.line('= void');
      case 'pci_msix_alloc_irq_at': {
        const map = pciMsixAllocIrqAt(k, d, op.index === 'any' ? MSI_ANY_INDEX : op.index);
        return map.index < 0 ? this.result(map.index) : t.line(`= ${map.index} ${t.virq(map.virq)}`);
      }
      case 'pci_msix_free_irq': {
        // mf_pci_msix_free(): the map is the index and what pci_irq_vector() says of it now
        const virq = pciIrqVector(d, op.index);
        pciMsixFreeIrq(k, d, { index: op.index, virq: virq < 0 ? 0 : virq });
        return t.line('= void');
      }
      default:
        return t.line('= no-such-device');
    }
  }

  /** device_unregister(): unbinding releases the devres (msi_device_data_release()). */
  private removeDevice(d: number): void {
    const fd = this.devices.get(d);
    if (fd === undefined) return;
    deviceReleaseDriver(this.kernel, fd.dev);
    // um_pci_device_unregister(): the INTx irq goes after the function's devres
    if (fd.intx !== undefined && fd.intx > 0) this.kernel.irqs.freeDesc(fd.intx);
    fd.dev.removed = true;
    this.kernel.removeDevice(fd.dev);
    this.devices.delete(d);
  }

  /** mf_pci_snapshot(): the MSI capability as programmed, MSI-X enable and the entries written or unmasked. */
  private pciSnapshot(d: number, dev: PciDev): void {
    const t = this.trace;
    if (dev.msiCap > 0) {
      const m = dev.msiCapMsg ?? { addressHi: 0, addressLo: 0, data: 0 };
      const state = dev.msiEnabled ? `on x${Math.max(1, dev.msiMultipleEnabled)}` : 'off';
      t.line(`| dev${d} msi ${state} msg=${hex(m.addressHi)}:${hex(m.addressLo)}:${hex(m.data & 0xffff)}`);
    }
    if (dev.msixTableSize > 0) {
      t.line(`| dev${d} msix ${dev.msixEnabled ? 'on' : 'off'}`);
      dev.msixTable.forEach((e, i) => {
        if (e !== null && (e.addressLo !== 0 || e.data !== 0 || !e.masked)) {
          t.line(`| dev${d} msix ${i}: ${hex(e.addressHi)}:${hex(e.addressLo)}:${hex(e.data)} ${e.masked ? 'masked' : 'unmasked'}`);
        }
      });
    }
  }

  /** mf_snapshot(): one row per device domain slot in use, then the parents' rows. */
  snapshot(): void {
    const k = this.kernel;
    const t = this.trace;
    for (const d of [...this.devices.keys()].sort((a, b) => a - b)) {
      const md = (this.devices.get(d) as FakeDevice).dev.msiData;
      if (md === null) continue;
      for (let domid = 0; domid < MSI_MAX_DEVICE_IRQDOMAINS; domid++) {
        const slot = md.domains[domid];
        if (slot === undefined) continue;
        // mf_slot_kind(): msi_match_device_irq_domain() for each bus token the suite uses
        const domain = slot.domain;
        const token = domain !== null && domain.isMsiDevice() ? (domain.hostData as MsiDomainInfo).bus_token : null;
        const kind = token === null ? null : (SLOT_KINDS[token] ?? null);
        const cells = [...slot.store.entries()]
          .sort((a, b) => a[0] - b[0])
          .map(([idx, desc]) => {
            const active = desc.irq !== 0 && k.irqs.desc(desc.irq)?.irqData.activated === true;
            return ` ${idx}:${t.virq(desc.irq)}${active ? '*' : ''}${desc.nvecUsed > 1 ? `x${desc.nvecUsed}` : ''}`;
          });
        if (kind !== null || cells.length > 0) t.line(`| dev${d}/${domid} ${kind ?? 'nodom'}${cells.join('')}`);
      }
    }
    for (const d of [...this.devices.keys()].sort((a, b) => a - b)) {
      const dev = (this.devices.get(d) as FakeDevice).dev;
      if (dev instanceof PciDev) this.pciSnapshot(d, dev);
    }
    for (const p of this.parents.values()) p.snapshot();
  }
}

/** mf_slot_kind(): the bus tokens of the device domains the suite creates. */
const SLOT_KINDS: Partial<Record<string, string>> = { DEVICE_MSI: 'dom', PCI_DEVICE_MSI: 'pcimsi', PCI_DEVICE_MSIX: 'pcimsix' };

/** Runs a whole sequence (and the end) on a fresh machine; returns the trace. */
export function modelTrace(patches: readonly string[], ops: readonly KernelOp[]): string[] {
  const m = new FakeMachine(patches);
  for (const op of ops) m.run(op);
  m.end();
  return m.trace.lines;
}
