// The mutants of models/: every model file through the Stryker instrumenter at once, which
// returns the mutants (Stryker's mutators, with its ids) and the files with every mutant placed
// behind a switch (mutation switching: one build, one mutant activated per process).
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Instrumenter } from '@stryker-mutator/instrumenter';
import { textOnlyIgnorer } from './text-ignorer';

export interface ModelMutant {
  /** The instrumenter's id: what activates the mutant in the instrumented build of this population. */
  readonly switchId: string;
  /** Stable across edits elsewhere: ten hex digits of the hash of `identity`. */
  readonly key: string;
  /** File, mutator, original text, replacement and the occurrence of that combination in the file. */
  readonly identity: string;
  readonly file: string;
  /** 1-based line and column of the mutated code's start, and its end. */
  readonly line: number;
  readonly col: number;
  readonly endLine: number;
  readonly endCol: number;
  readonly mutator: string;
  readonly original: string;
  readonly replacement: string;
  /** The sampling stratum: 'kernel' or the platform family folder. */
  readonly group: string;
}

export interface Population {
  readonly mutants: readonly ModelMutant[];
  /** Mutants the text ignorer left out, with their reason, by count. */
  readonly ignored: ReadonlyMap<string, number>;
  /** Instrumented model files (repository-relative name to content), header-less (src/mutate/runtime.ts defines the switch helpers). */
  readonly files: ReadonlyMap<string, string>;
}

interface Position {
  readonly line: number;
  readonly column: number;
}

interface InstrumentedMutant {
  readonly id: string;
  readonly fileName: string;
  readonly mutatorName: string;
  readonly replacement: string;
  readonly location: { readonly start: Position; readonly end: Position };
  readonly status?: string;
  readonly statusReason?: string;
}

const silentLogger = {
  isTraceEnabled: () => false,
  isDebugEnabled: () => false,
  isInfoEnabled: () => false,
  isWarnEnabled: () => false,
  isErrorEnabled: () => false,
  isFatalEnabled: () => false,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  fatal: () => undefined,
};

/** Every .ts file under `dir`, repository-relative with '/' separators, sorted (the instrumenter numbers mutants in this order). */
export function modelFiles(root: string, dir = 'models'): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const child = `${rel}/${e.name}`;
      if (e.isDirectory()) walk(child);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(child);
    }
  };
  walk(dir);
  return out.sort();
}

/** The stratum of a model file: the kernel core (with the platform interface) or its platform family. */
export function groupOf(file: string): string {
  const m = /^models\/platforms\/([^/]+)\//.exec(file);
  return m === null ? 'kernel' : (m[1] as string);
}

/** The source text a mutant replaces, whitespace collapsed (Stryker positions: 0-based lines and columns). */
function sliceOriginal(lines: readonly string[], start: Position, end: Position): string {
  if (start.line === end.line) return (lines[start.line] ?? '').slice(start.column, end.column);
  const parts = [(lines[start.line] ?? '').slice(start.column), ...lines.slice(start.line + 1, end.line), (lines[end.line] ?? '').slice(0, end.column)];
  return parts.join('\n');
}

export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

export async function buildPopulation(root: string): Promise<Population> {
  const names = modelFiles(root);
  const sources = new Map(names.map((n) => [n, fs.readFileSync(path.join(root, n), 'utf8')]));
  const instrumenter = new Instrumenter(silentLogger);
  const result = await instrumenter.instrument(
    names.map((name) => ({ name, content: sources.get(name) as string, mutate: true })),
    { plugins: null, excludedMutations: [], ignorers: [textOnlyIgnorer], noHeader: true },
  );
  const split = new Map<string, string[]>();
  const seen = new Map<string, number>();
  const mutants: ModelMutant[] = [];
  const ignored = new Map<string, number>();
  for (const m of result.mutants as readonly InstrumentedMutant[]) {
    if (m.status === 'Ignored') {
      const why = m.statusReason ?? 'ignored';
      ignored.set(why, (ignored.get(why) ?? 0) + 1);
      continue;
    }
    const file = m.fileName;
    let lines = split.get(file);
    if (lines === undefined) split.set(file, (lines = (sources.get(file) ?? '').split('\n')));
    const original = sliceOriginal(lines, m.location.start, m.location.end);
    const base = [file, m.mutatorName, original, m.replacement].join('\0');
    const nth = seen.get(base) ?? 0;
    seen.set(base, nth + 1);
    const identity = `${base}\0${nth}`;
    mutants.push({
      switchId: m.id,
      key: crypto.createHash('sha1').update(identity).digest('hex').slice(0, 10),
      identity,
      file,
      line: m.location.start.line + 1,
      col: m.location.start.column + 1,
      endLine: m.location.end.line + 1,
      endCol: m.location.end.column + 1,
      mutator: m.mutatorName,
      original,
      replacement: m.replacement,
      group: groupOf(file),
    });
  }
  return { mutants, ignored, files: new Map(result.files.map((f: { name: string; content: string }) => [f.name, f.content])) };
}
