// The modelled machine: one kernel instance with its heap, irq core, devices, fault
// injector and the patch set that decides which code paths run. Platform parents plug
// into it; the harness drives it through the driver APIs in pci-msi.ts and platform-msi.ts.
import { FaultInjector } from './faults';
import { Heap, hex, type AllocCause, type AllocStamp, type HeapSanitizer, type KObject } from './heap';
import { AuditRegistry } from './audit';
import { IrqCore, IrqData, IrqDesc } from './irqdomain';
import { MsiDesc } from './msi-desc';
import type { Device } from './device';
import type { PatchSet } from './patches';
import type { KernelReport, ReportKind } from './report';
import type { MsiDomainBundle } from './msi';
import type { InterruptFabric } from './irq-fabric';
import type { HardirqFrame, IrqEvent } from './irq-flow';
import { StepDirty } from './dirty';

/** dmesg is kept short: it is for annotating repros, not for invariants. */
const DMESG_LINES = 64;

export class Kernel implements HeapSanitizer {
  readonly reports: KernelReport[] = [];
  /** The driver-level command being executed, stamped on every report. */
  step = 0;
  /** The command running now, stamped on every allocation (null while the platform boots). */
  cause: AllocCause | null = null;
  /** Allocation stamps of the running command, one per site (its allocations share them). */
  private readonly stamps = new Map<string, AllocStamp>();
  readonly heap: Heap = new Heap(this);
  /** Resource pools the allocators registered, for the object audit. */
  readonly audit = new AuditRegistry();
  readonly faults = new FaultInjector();
  readonly irqs: IrqCore = new IrqCore(this);
  private readonly deviceList: Device[] = [];
  /** Devices present (device_add() to device_del()), in the order they were added. */
  readonly devices: readonly Device[] = this.deviceList;
  /** Bumped by every add and removal: what a platform derives from the device list it caches by this. */
  devicesVersion = 0;
  /** Per-device MSI domains that exist, with their prepare/teardown bookkeeping. */
  readonly msiDomains = new Set<MsiDomainBundle>();
  /** Per-device MSI domains removed during the current step (cleared by beginStep). */
  retiredMsiDomains: MsiDomainBundle[] = [];
  readonly dmesg: string[] = [];
  /** Interrupt presentation, set once the platform is booted (see irq-fabric.ts). */
  fabric: InterruptFabric | null = null;
  /** smp_processor_id() of the code running now: the driver thread runs on CPU 0. */
  currentCpu = 0;
  /** Every interrupt a CPU took (irq-flow.ts). */
  readonly irqEvents: IrqEvent[] = [];
  /** Per CPU: the handler it is inside (hardirq context), if any (irq-flow.ts). */
  readonly hardirq: (HardirqFrame | null)[];
  /**
   * CONFIG_GENERIC_IRQ_RESERVATION_MODE: selected by the architecture (x86 only), it makes the
   * PCI/MSI templates ask for MSI_FLAG_MUST_REACTIVATE. Set by the platform at boot.
   */
  genericIrqReservationMode = false;
  /** cpu_online_mask: every CPU is up after smp_init(); cpuhotplug.ts takes them down and up. */
  readonly cpuOnline: boolean[];
  /** What the current step changed (cleared by beginStep). */
  readonly dirty = new StepDirty();

  constructor(
    readonly patches: PatchSet,
    readonly nrCpus: number = 4,
  ) {
    this.hardirq = new Array<HardirqFrame | null>(nrCpus).fill(null);
    this.cpuOnline = new Array<boolean>(nrCpus).fill(true);
  }

  cpuIsOnline(cpu: number): boolean {
    return this.cpuOnline[cpu] === true;
  }

  /** cpu_online_mask as a list. */
  onlineCpus(): number[] {
    const out: number[] = [];
    this.cpuOnline.forEach((on, cpu) => on && out.push(cpu));
    return out;
  }

  /** Is the upstream commit `id` part of the kernel being modelled? */
  applied(id: string): boolean {
    return this.patches.has(id);
  }

  /** Start of a driver-level command; `describe` gives its repro line, for allocation records. */
  beginStep(step: number, describe: () => string = () => `step ${step + 1}`): void {
    this.step = step;
    this.cause = { step, describe };
    this.stamps.clear();
    this.retiredMsiDomains = [];
    this.dirty.clear();
  }

  // device_add(): the device joins the bus
  addDevice(dev: Device): void {
    this.deviceList.push(dev);
    this.devicesVersion++;
  }

  // device_del(): the device leaves the bus
  removeDevice(dev: Device): void {
    const i = this.deviceList.indexOf(dev);
    if (i >= 0) this.deviceList.splice(i, 1);
    this.devicesVersion++;
  }

  /** An irq's descriptor or hierarchy data changes: it, and the device whose descriptor owns it, are dirty. */
  touchIrq(irq: number): void {
    this.dirty.irqs.add(irq);
    const desc = this.irqs.desc(irq)?.msiDesc;
    if (desc !== null && desc !== undefined) this.dirty.devices.add(desc.dev);
  }

  /** A device's MSI state (descriptors, domains, message, table) changes. */
  touchDevice(dev: KObject): void {
    this.dirty.devices.add(dev);
  }

  report(kind: ReportKind, site: string, message: string): void {
    this.reports.push({ kind, site, message, step: this.step });
    this.printk(`${kind}: ${site}: ${message}`);
  }

  /** WARN_ON()/WARN_ONCE(): the kernel's own assertion fired. */
  warn(site: string, message: string): void {
    this.report('warn', site, message);
  }

  stamp(site: string): AllocStamp {
    let s = this.stamps.get(site);
    if (s === undefined) this.stamps.set(site, (s = { site, cause: this.cause }));
    return s;
  }

  useAfterFree(site: string, obj: KObject): void {
    this.report('kasan-use-after-free', site, `${obj.kind}@${hex(obj.addr)} used after kfree()`);
  }

  released(obj: KObject): void {
    // Descriptors and irq_data are recorded by irq number (touchIrq), MSI descriptors by device
    if (obj instanceof IrqDesc || obj instanceof IrqData || obj instanceof MsiDesc) return;
    this.dirty.objects.add(obj);
  }

  doubleFree(site: string, what: string): void {
    this.report('double-free', site, `kfree() of already freed ${what}`);
  }

  printk(line: string): void {
    this.dmesg.push(line);
    if (this.dmesg.length > DMESG_LINES) this.dmesg.shift();
  }
}
