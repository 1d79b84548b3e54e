// The model's half of the differential trace: the lines kunit/mf_trace.c prints, in the same
// words. Irq numbers become v0, v1, ... by first appearance (the kernel's numbers depend on
// what it allocated at boot). WARN lines follow the kernel's rules: WARN_ON_ONCE() prints
// once per statement and boot, WARN_ON() every time.
import { Kernel } from '../../kernel/kernel';
import type { PatchSet } from '../../kernel/patches';
import type { ReportKind } from '../../kernel/report';

/**
 * Sites whose WARN is a WARN_ON() (printed every time). Every other modelled warn in the
 * paths the differential reaches is a WARN_ON_ONCE(). A function with two WARN_ON_ONCE()
 * statements names the second `function@what`; the trace prints the function only.
 */
const WARN_EVERY_TIME: ReadonlySet<string> = new Set(['irq_domain_remove']);

export class FakeTrace {
  readonly lines: string[] = [];
  private readonly names = new Map<number, string>();
  private readonly warnedOnce = new Set<string>();

  line(text: string): void {
    this.lines.push(text);
  }

  /** mf_virq(): the stable name of a Linux irq number ("-" for 0). */
  virq(irq: number): string {
    if (irq === 0) return '-';
    let name = this.names.get(irq);
    if (name === undefined) {
      name = `v${this.names.size}`;
      this.names.set(irq, name);
    }
    return name;
  }

  /** A WARN splat as the kernel-side parser reduces it: "WARN <function>". */
  warn(site: string): void {
    if (!WARN_EVERY_TIME.has(site)) {
      if (this.warnedOnce.has(site)) return;
      this.warnedOnce.add(site);
    }
    this.line(`WARN ${site.split('@')[0] as string}`);
  }
}

/** A model kernel whose WARNs land in the trace where they happen, as on the console. */
export class TracingKernel extends Kernel {
  constructor(
    patches: PatchSet,
    readonly trace: FakeTrace,
  ) {
    // UML is uniprocessor
    super(patches, 1);
  }

  override report(kind: ReportKind, site: string, message: string): void {
    super.report(kind, site, message);
    if (kind === 'warn') this.trace.warn(site);
  }
}
