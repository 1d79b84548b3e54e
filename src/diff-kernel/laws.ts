// Kernel-wide laws checked on a trace, the real kernel's as much as the model's. Where the two
// sides agree and a law fails, the real kernel did it: a kernel finding, reported with its
// trace. The laws read only trace lines, which both sides print from the same state (the
// parents' callbacks and the descriptor snapshots), and none knows which kernel it reads.

export interface Law {
  readonly id: string;
  readonly statement: string;
  /** The kernel rule behind it. */
  readonly rule: string;
  /** A description of the first violation, with its trace line (1-based), or null. */
  check(trace: readonly string[]): { message: string; line: number } | null;
}

export interface LawViolation {
  readonly law: string;
  readonly statement: string;
  readonly message: string;
  readonly line: number;
}

const ALLOC = /^(\S+)\.alloc (v\d+) \S+ hwirq=(\d+)/;
const FREE = /^(\S+)\.free (v\d+) hwirq=(\d+)/;

/** A parent never hands out a hwirq it already gave to a live irq, and frees only what it gave. */
export const parentHwirqUnique: Law = {
  id: 'parent-hwirq-unique',
  statement: 'a parent hwirq belongs to one live irq at a time, and only allocated hwirqs are freed',
  rule: 'irq_domain_set_hwirq_and_chip() / irq_domain_free_irqs_parent(): one hwirq per live irq per domain (I9)',
  check(trace) {
    const live = new Map<string, string>();
    for (let i = 0; i < trace.length; i++) {
      const line = trace[i] as string;
      const a = ALLOC.exec(line);
      if (a !== null) {
        const key = `${a[1]}:${a[3]}`;
        const holder = live.get(key);
        if (holder !== undefined) return { message: `${a[1]} hwirq ${a[3]} given to ${a[2]} while ${holder} holds it`, line: i + 1 };
        live.set(key, a[2] as string);
        continue;
      }
      const f = FREE.exec(line);
      if (f !== null) {
        const key = `${f[1]}:${f[3]}`;
        if (live.get(key) !== f[2]) return { message: `${f[1]} frees hwirq ${f[3]} of ${f[2]}, which ${live.has(key) ? `belongs to ${live.get(key)}` : 'is not allocated'}`, line: i + 1 };
        live.delete(key);
      }
    }
    return null;
  },
};

/** In every snapshot, an irq is owned by at most one MSI descriptor. */
export const irqOneDescriptor: Law = {
  id: 'irq-one-descriptor',
  statement: 'in every snapshot, a Linux irq belongs to at most one MSI descriptor',
  rule: 'msi_desc association: irq_set_msi_desc_off() ties an irq to one descriptor (I10)',
  check(trace) {
    let seen = new Map<string, string>();
    for (let i = 0; i < trace.length; i++) {
      const line = trace[i] as string;
      if (!line.startsWith('| dev')) {
        seen = new Map();
        continue;
      }
      const [slot, ...cells] = line.slice(2).split(' ');
      for (const c of cells.slice(1)) {
        const m = /^(\d+):(v\d+)/.exec(c);
        if (m === null) continue;
        const other = seen.get(m[2] as string);
        if (other !== undefined) return { message: `${m[2]} is owned by ${other} and by ${slot} index ${m[1]}`, line: i + 1 };
        seen.set(m[2] as string, `${slot} index ${m[1]}`);
      }
    }
    return null;
  },
};

/**
 * With msi_teardown() (v6.16+), msi_prepare() runs only when a device domain is created (the
 * allocations copy its result): once every device is gone, each successful prepare was
 * undone by exactly one teardown.
 */
export const prepareTeardownOnce: Law = {
  id: 'prepare-teardown-once',
  statement: 'where the kernel tears down, every device domain prepared at creation is torn down exactly once by the time its device is gone',
  rule: 'msi_create_device_irq_domain() prepares once, msi_remove_device_irq_domain() calls msi_teardown() once (v6.16+)',
  check(trace) {
    if (!trace.some((l) => /^\S+\.teardown /.test(l))) return null;
    const balance = new Map<string, number>();
    for (let i = 0; i < trace.length; i++) {
      const line = trace[i] as string;
      const p = /^\S+\.prepare (\S+) .*?(new|found|->\d+)$/.exec(line);
      if (p !== null) balance.set(p[1] as string, (balance.get(p[1] as string) ?? 0) + 1);
      const t = /^\S+\.teardown (\S+) /.exec(line);
      if (t !== null) {
        const n = (balance.get(t[1] as string) ?? 0) - 1;
        if (n < 0) return { message: `${t[1]} torn down without a prepare at its creation`, line: i + 1 };
        balance.set(t[1] as string, n);
      }
    }
    if (trace[trace.length - 1] !== 'done') return null;
    for (const [dom, n] of balance) if (n !== 0) return { message: `${dom}: ${n} creation prepare(s) never torn down`, line: trace.length };
    return null;
  },
};

/** What the parents still hold after every device went is announced by a WARN. */
export const noSilentLeak: Law = {
  id: 'no-silent-leak',
  statement: 'when every device is gone, a parent still holding irqs or objects was warned about',
  rule: 'msi_device_data_release() / irq_domain_remove() warn when a device leaves with MSI state behind',
  check(trace) {
    const end = trace.lastIndexOf('> end');
    if (end < 0 || trace[trace.length - 1] !== 'done') return null;
    const left = trace.slice(end).filter((l) => /^\| \S+ (hwirqs=|obj=|fw )/.test(l));
    if (left.length === 0 || trace.some((l) => l.startsWith('WARN '))) return null;
    return { message: `left behind without a warning: ${left.map((l) => l.slice(2)).join('; ')}`, line: trace.length };
  },
};

/** Whatever misuse the core detects, it answers with a warning and an error, never a crash. */
export const noOops: Law = {
  id: 'no-oops',
  statement: 'no op sequence the guards allow crashes the kernel: what the core checks it answers with a warning and an error',
  rule: 'a WARN_ON_ONCE() that detects a bad state returns instead of going on to dereference it',
  check(trace) {
    const i = trace.indexOf('OOPS');
    if (i < 0) return null;
    const op = trace.slice(0, i).reverse().find((l) => l.startsWith('> '));
    const warn = trace[i - 1]?.startsWith('WARN ') === true ? `, right after ${trace[i - 1]}` : '';
    return { message: `the kernel oopsed in ${op === undefined ? 'the set-up' : `'${op.slice(2)}'`}${warn}`, line: i + 1 };
  },
};

export const LAWS: readonly Law[] = [noOops, parentHwirqUnique, irqOneDescriptor, prepareTeardownOnce, noSilentLeak];

export function checkLaws(trace: readonly string[]): LawViolation[] {
  const out: LawViolation[] = [];
  for (const law of LAWS) {
    const v = law.check(trace);
    if (v !== null) out.push({ law: law.id, statement: law.statement, ...v });
  }
  return out;
}
