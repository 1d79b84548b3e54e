// Invariants over what the kernel itself reported during the step: sanitizer findings,
// oopses and WARN splats. The model produces these reports from generic instrumentation
// (KASAN-like deref, bitmap release checks, the union, WARN_ON sites the kernel has).
import type { ReportKind } from '../../models/kernel/report';
import type { CheckContext, Invariant } from './invariant';

function firstOf(kind: ReportKind) {
  return (ctx: CheckContext): string | null => {
    const r = ctx.reports.find((x) => x.kind === kind);
    return r === undefined ? null : `${r.site}: ${r.message}`;
  };
}

export const scratchpadUnionAliasing: Invariant = {
  id: 'scratchpad-union-aliasing',
  statement: 'msi_alloc_info_t::scratchpad is read through the union member last written',
  rule: 'scratchpad[] is a union {ul, ptr}: once msi_prepare() stores a pointer, the integer it replaced is gone (I13)',
  check: firstOf('union-confusion'),
};

export const noKernelOops: Invariant = {
  id: 'no-kernel-oops',
  statement: 'the kernel never dereferences NULL or calls through a missing callback',
  rule: 'mandatory msi_domain_ops and pointers handed between levels must be valid',
  check: firstOf('oops'),
};

export const noUseAfterFree: Invariant = {
  id: 'no-use-after-free',
  statement: 'no kernel object is used after it was freed',
  rule: 'objects a parent hands out through the template (its_dev, pseries_dev) live until msi_teardown() (I4)',
  check: firstOf('kasan-use-after-free'),
};

export const noDoubleFree: Invariant = {
  id: 'no-double-free',
  statement: 'every irq, LPI, event, vector and table entry is released once, with the size it was allocated with',
  rule: 'each level frees exactly what it allocated (I7, I8)',
  check: firstOf('double-free'),
};

export const noSoftLockup: Invariant = {
  id: 'no-soft-lockup',
  statement: 'no free loop runs over a wrapped (negative) count',
  rule: 'error paths free exactly the i parents already allocated, never i - 1 (I7)',
  check: firstOf('soft-lockup'),
};

export const noKernelWarning: Invariant = {
  id: 'no-kernel-warning',
  statement: 'no WARN_ON() fires',
  rule: 'the kernel\'s own assertions (teardown with LPIs mapped, descriptors freed while associated, occupied domain slot...)',
  check: firstOf('warn'),
};
