// Argument parsing and printing helpers shared by the command specs.
import { formatRid } from '../../models/kernel/device';
import { ArgError, type Arg } from './spec';
import { PCI_IRQ_AFFINITY, PCI_IRQ_MSI, PCI_IRQ_MSIX } from './command';
import { clip } from '../text';

export function positional(args: readonly Arg[], i: number, what: string, lastCol: number): Arg {
  const a = args.filter((x) => x.name === null)[i];
  if (a === undefined) throw new ArgError(`missing argument ${i + 1} (${what})`, lastCol);
  return a;
}

export function named(args: readonly Arg[], name: string): Arg | undefined {
  return args.find((a) => a.name === name);
}

export function checkArgs(args: readonly Arg[], positionalCount: number, names: readonly string[]): void {
  const pos = args.filter((a) => a.name === null);
  const extra = pos[positionalCount];
  if (extra !== undefined) throw new ArgError(`unexpected argument '${clip(extra.value)}'`, extra.col);
  for (const a of args) {
    if (a.name !== null && !names.includes(a.name)) throw new ArgError(`unknown argument '${clip(a.name)}' (expected ${names.join(', ') || 'none'})`, a.col);
  }
}

export function int(a: Arg, what: string): number {
  const v = /^0x[0-9a-f]+$/i.test(a.value) ? parseInt(a.value, 16) : /^\d+$/.test(a.value) ? parseInt(a.value, 10) : NaN;
  if (!Number.isSafeInteger(v)) throw new ArgError(`${what} must be a number, got '${clip(a.value)}'`, a.col);
  return v;
}

/** The column just past the last argument: where a missing one would have been written. */
export function endCol(args: readonly Arg[]): number {
  const last = args[args.length - 1];
  return last === undefined ? 1 : last.col + (last.name !== null ? last.name.length + 1 : 0) + last.value.length;
}

/** The integer of `name=N`; a missing one is an error at `col` (default: past the last argument). */
export function requiredInt(args: readonly Arg[], name: string, col: number = endCol(args)): number {
  const a = named(args, name);
  if (a === undefined) throw new ArgError(`missing ${name}=N`, col);
  return int(a, name);
}

export function deviceName(a: Arg): string {
  if (!/^[a-z][a-z0-9_]*$/.test(a.value)) throw new ArgError(`expected a device name like dev0, got '${clip(a.value)}'`, a.col);
  return a.value;
}

export function rid(a: Arg): number {
  const m = /^([0-9a-f]{1,2}):([0-9a-f]{1,2})\.([0-7])$/i.exec(a.value);
  if (m === null) throw new ArgError(`expected a requester ID like 01:00.0, got '${clip(a.value)}'`, a.col);
  const bus = parseInt(m[1] as string, 16);
  const dev = parseInt(m[2] as string, 16);
  if (dev > 0x1f) throw new ArgError(`device number ${dev} out of range (0-1f)`, a.col);
  return (bus << 8) | (dev << 3) | parseInt(m[3] as string, 10);
}

export { formatRid };

const FLAG_NAMES: readonly [string, number][] = [
  ['PCI_IRQ_MSI', PCI_IRQ_MSI],
  ['PCI_IRQ_MSIX', PCI_IRQ_MSIX],
  ['PCI_IRQ_AFFINITY', PCI_IRQ_AFFINITY],
];

export function irqFlags(a: Arg): number {
  let flags = 0;
  for (const part of a.value.split('|').map((p) => p.trim())) {
    const f = FLAG_NAMES.find(([n]) => n === part);
    if (f === undefined) throw new ArgError(`unknown flag '${clip(part)}' (expected PCI_IRQ_MSI, PCI_IRQ_MSIX, PCI_IRQ_AFFINITY)`, a.col);
    flags |= f[1];
  }
  return flags;
}

export function formatIrqFlags(flags: number): string {
  return FLAG_NAMES.filter(([, v]) => (flags & v) !== 0)
    .map(([n]) => n)
    .join('|');
}

export function hex(n: number): string {
  return `0x${n.toString(16)}`;
}
