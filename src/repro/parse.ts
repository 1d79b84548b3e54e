// Parses a repro script. Every problem is reported as FILE:LINE:COL: what is wrong.
import type { Command } from '../commands/command';
import { ArgError, type Arg } from '../commands/spec';
import { isCommandKind, specOf } from '../commands/vocabulary';
import type { FaultClass } from '../sim/simulation';
import { clip } from '../text';
import type { Loc, Repro } from './repro';

export class ReproSyntaxError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly col: number,
    readonly what: string,
  ) {
    super(`${file}:${line}:${col}: ${what}`);
  }
}

const FAULT_CLASSES: readonly FaultClass[] = ['resource', 'kmalloc', 'firmware'];

export function parseRepro(text: string, file: string): Repro {
  const header = new Map<string, { value: string; line: number; col: number }>();
  const commands: Command[] = [];
  const at: Loc[] = [];
  let expect: Repro['expect'] | undefined;
  let expectAt: Loc = { line: 1, col: 1 };
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const lineNo = i + 1;
    const err = (col: number, what: string): ReproSyntaxError => new ReproSyntaxError(file, lineNo, col, what);
    const trimmed = raw.trim();
    if (trimmed === '') return;
    const indent = raw.length - raw.trimStart().length;
    if (trimmed.startsWith('#')) {
      const m = /^#\s*(platform|revision|seed|faults|invariant|found):\s*(.*)$/.exec(trimmed);
      if (m !== null && commands.length === 0) {
        const value = (m[2] as string).trim();
        const colon = raw.indexOf(':');
        const start = value === '' ? colon + 2 : raw.indexOf(value, colon + 1) + 1;
        header.set(m[1] as string, { value, line: lineNo, col: start });
      }
      return;
    }
    if (expect !== undefined) throw err(indent + 1, 'nothing may follow the expect line');
    const code = stripComment(raw);
    if (/^\s*expect\b/.test(code)) {
      const em = /^\s*expect\s+(?:(clean)|violation\s+([a-z0-9-]+))\s*$/.exec(code);
      if (em === null) throw err(indent + 1, "expected 'expect violation <invariant-id>' or 'expect clean'");
      expect = em[1] !== undefined ? 'clean' : { violation: em[2] as string };
      expectAt = { line: lineNo, col: em[2] !== undefined ? code.lastIndexOf(em[2]) + 1 : indent + 1 };
      return;
    }
    commands.push(parseCall(code, indent, err));
    at.push({ line: lineNo, col: indent + 1 });
  });
  const need = (key: string): { value: string; at: Loc } => {
    const h = header.get(key);
    if (h === undefined) throw new ReproSyntaxError(file, 1, 1, `missing '# ${key}:' header line`);
    if (h.value === '') throw new ReproSyntaxError(file, h.line, h.col, `empty '# ${key}:' header line`);
    return { value: h.value.split(/\s+/)[0] as string, at: { line: h.line, col: h.col } };
  };
  const platform = need('platform');
  const revision = need('revision');
  let seed: number | undefined;
  const seedH = header.get('seed');
  if (seedH !== undefined) {
    seed = Number(seedH.value);
    if (!Number.isSafeInteger(seed)) throw new ReproSyntaxError(file, seedH.line, seedH.col, `seed must be an integer, got '${clip(seedH.value)}'`);
  }
  let faults: FaultClass[] = ['resource', 'firmware'];
  const fh = header.get('faults');
  if (fh !== undefined) {
    faults = fh.value === 'none' ? [] : (fh.value.split(',').map((s) => s.trim()) as FaultClass[]);
    const bad = faults.find((f) => !FAULT_CLASSES.includes(f));
    if (bad !== undefined) throw new ReproSyntaxError(file, fh.line, fh.col, `unknown fault class '${clip(bad)}' (expected ${FAULT_CLASSES.join(', ')} or none)`);
  }
  if (expect === undefined) throw new ReproSyntaxError(file, lines.length, 1, "missing final 'expect violation <invariant-id>' or 'expect clean' line");
  if (commands.length === 0) throw new ReproSyntaxError(file, 1, 1, 'no commands');
  return {
    platform: platform.value,
    revision: revision.value,
    ...(seed !== undefined ? { seed } : {}),
    faults,
    commands,
    expect,
    where: { platform: platform.at, revision: revision.at, commands: at, expect: expectAt },
  };
}

function stripComment(line: string): string {
  const i = line.indexOf('#');
  return (i < 0 ? line : line.slice(0, i)).replace(/\s+$/, '');
}

function parseCall(code: string, indent: number, err: (col: number, what: string) => ReproSyntaxError): Command {
  const m = /^(\s*)([a-z_][a-z0-9_]*)\s*\(/.exec(code);
  if (m === null) throw err(indent + 1, "expected a call like 'pci_alloc_irq_vectors(dev0, 1, 4, PCI_IRQ_MSIX)'");
  const name = m[2] as string;
  if (!isCommandKind(name)) throw err(indent + 1, `unknown command '${clip(name)}'`);
  const open = (m[0] as string).length;
  const close = code.lastIndexOf(')');
  if (close < open - 1) throw err(code.length + 1, "missing ')'");
  if (code.slice(close + 1).trim() !== '') throw err(close + 2, 'unexpected text after the call');
  const args: Arg[] = [];
  let start = open;
  const body = code.slice(open, close);
  if (body.trim() !== '') {
    for (const part of body.split(',')) {
      const lead = part.length - part.trimStart().length;
      const col = start + lead + 1;
      const t = part.trim();
      if (t === '') throw err(col, 'empty argument');
      const eq = t.indexOf('=');
      args.push(eq < 0 ? { name: null, value: t, col } : { name: t.slice(0, eq).trim(), value: t.slice(eq + 1).trim(), col });
      start += part.length + 1;
    }
  }
  try {
    return specOf(name).parse(args);
  } catch (e) {
    if (e instanceof ArgError) throw err(e.col, `${name}: ${e.message}`);
    throw e;
  }
}
