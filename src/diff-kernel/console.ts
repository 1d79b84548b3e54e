// From a UML boot's console to the trace the model prints: the suite's "MF: " lines from
// "begin" on, each kernel WARNING reduced to "WARN <function>" and an oops or panic to
// "OOPS". The function of a WARNING is found from its file:line in the kernel tree, not from
// the symbol the splat prints: a static function is often inlined into its caller, and which
// one differs between compilers and kernels.
import * as fs from 'node:fs';
import * as path from 'node:path';

const WARNING = /WARNING:.*?\b((?:[\w.-]+\/)*[\w.-]+\.[ch]):(\d+)/;
const WARNING_SYMBOL = /\b([A-Za-z_]\w*)\+0x[0-9a-f]+\/0x[0-9a-f]+/;
const OOPS = /(Kernel panic|BUG: |Oops|general protection fault|Segfault with no mm|kernel BUG at|Unable to handle kernel)/;

/** The enclosing C function of file:line, by kernel coding style: `{` alone at column 0 opens a body. */
export class SourceIndex {
  private readonly files = new Map<string, string[] | null>();
  constructor(private readonly tree: string) {}

  functionAt(file: string, line: number): string | null {
    let lines = this.files.get(file);
    if (lines === undefined) {
      const p = path.join(this.tree, file);
      lines = fs.existsSync(p) ? fs.readFileSync(p, 'utf8').split('\n') : null;
      this.files.set(file, lines);
    }
    if (lines === null) return null;
    let i = Math.min(line - 1, lines.length - 1);
    while (i >= 0 && lines[i] !== '{') i--;
    for (let j = i - 1; j >= 0 && j >= i - 6; j--) {
      const m = /^[A-Za-z_][\w\s*]*?\b([A-Za-z_]\w*)\s*\(/.exec(lines[j] as string);
      if (m !== null && !/;\s*$/.test(lines[j] as string)) return m[1] as string;
    }
    return null;
  }
}

export interface KernelTrace {
  readonly lines: string[];
  /** The boot reached the suite's "done": the whole sequence ran. */
  readonly complete: boolean;
}

export function parseConsole(raw: string, src: SourceIndex): KernelTrace {
  const lines: string[] = [];
  let started = false;
  let complete = false;
  for (const text of raw.split('\n')) {
    const mf = /MF: (.*)$/.exec(text);
    if (mf !== null) {
      const body = (mf[1] as string).trimEnd();
      if (body === 'begin') started = true;
      if (started) lines.push(body);
      if (body === 'done') {
        complete = true;
        break;
      }
      continue;
    }
    if (!started) continue;
    const w = WARNING.exec(text);
    if (w !== null) {
      const fn = src.functionAt(w[1] as string, Number(w[2])) ?? WARNING_SYMBOL.exec(text)?.[1] ?? `${w[1]}:${w[2]}`;
      lines.push(`WARN ${fn}`);
      continue;
    }
    if (OOPS.test(text)) {
      lines.push('OOPS');
      break;
    }
  }
  return { lines, complete };
}
