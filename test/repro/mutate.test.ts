// Every bad repro is located: thousands of seeded mutations of the golden repros (lines deleted,
// duplicated, swapped, characters and tokens changed, numbers blown up, headers changed, long
// junk and control characters inserted, the file cut short) go through what `replay` does, and
// every one it refuses gets one short line starting FILE:LINE:COL, with a line that exists in the
// file. Commands a driver could not issue say the rule they break. A few go through the real CLI.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import seedrandom from 'seedrandom';
import { replayText } from '../../src/cli/cmd-replay';
import { UsageError } from '../../src/cli/errors';
import { VOCABULARY } from '../../src/commands/vocabulary';
import { GOLDEN_DIR } from '../../src/known-bugs';
import { allPlatforms } from '../../src/platforms';
import { root, run } from '../cli-helpers';

const MUTANTS_PER_GOLDEN = 200;
const MAX_MESSAGE = 300;
const goldens = fs
  .readdirSync(path.join(root, GOLDEN_DIR))
  .filter((f) => f.endsWith('.repro'))
  .sort()
  .map((f) => ({ name: f, text: fs.readFileSync(path.join(root, GOLDEN_DIR, f), 'utf8') }));

type Rng = () => number;
const below = (rng: Rng, n: number): number => Math.floor(rng() * n);
const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[below(rng, xs.length)] as T;

const TOKENS = ['(', ')', ',', '=', '#', ':', '|', ' ', '\t', '\r', '\u0000', '0', '7', '-1', '0x', '99999999999999999999', 'dev0', 'dev1', 'dev9', 'br0', 'vec=', 'nth=', 'msix=4096', 'msi=3', 'PCI_IRQ_MSI', 'PCI_IRQ_FOO', 'expect clean', 'expect violation nope', '# platform: x', '# revision: y'];
const revisions = allPlatforms().flatMap((p) => p.revisions.map((r) => r.name));

/** One random change to a repro's text. */
function mutate(rng: Rng, text: string): string {
  const lines = text.split('\n');
  const i = below(rng, lines.length);
  const line = lines[i] as string;
  switch (below(rng, 12)) {
    case 0:
      lines.splice(i, 1);
      return lines.join('\n');
    case 1:
      lines.splice(i, 0, line);
      return lines.join('\n');
    case 2: {
      const j = below(rng, lines.length);
      [lines[i], lines[j]] = [lines[j] as string, line];
      return lines.join('\n');
    }
    case 3: {
      const at = below(rng, text.length);
      return text.slice(0, at) + String.fromCharCode(32 + below(rng, 95)) + text.slice(at + 1);
    }
    case 4: {
      const at = below(rng, text.length);
      return text.slice(0, at) + pick(rng, TOKENS) + text.slice(at);
    }
    case 5:
      return text.slice(0, below(rng, text.length));
    case 6:
      return text.replace(/\b\d+\b/g, (n) => (rng() < 0.3 ? pick(rng, ['0', '1', '4096', '65536', '-3', '99999999999999999999']) : n));
    case 7:
      return text.replace(/^# (platform|revision): .*$/m, (h) => (h.startsWith('# platform') ? `# platform: ${pick(rng, [...allPlatforms().map((p) => p.name), 'sparc', ''])}` : `# revision: ${pick(rng, [...revisions, 'v9.9', 'v6.18+nope', ''])}`));
    case 8: {
      const at = below(rng, text.length);
      return text.slice(0, at) + pick(rng, ['x', 'D', '(', '9']).repeat(5000) + text.slice(at);
    }
    case 9:
      return text.replace(/\bdev(\d)\b/g, (d, n: string) => (rng() < 0.5 ? `dev${(Number(n) + 1) % 3}` : d));
    case 10:
      lines[i] = line.replace(/^[a-z_]+(?=\()/, pick(rng, VOCABULARY).kind);
      return lines.join('\n');
    default: {
      const at = below(rng, text.length);
      return text.slice(0, at) + String.fromCharCode(below(rng, 32)) + text.slice(at);
    }
  }
}

interface Refusal {
  file: string;
  text: string;
  message: string;
}

describe('mutated repros are refused at FILE:LINE:COL, in one short line', () => {
  const refusals: Refusal[] = [];
  let accepted = 0;

  beforeAll(() => {
    const rng = seedrandom('msi-fuzz:repro-mutants:1');
    for (const g of goldens) {
      for (let m = 0; m < MUTANTS_PER_GOLDEN; m++) {
        let text = g.text;
        for (let k = 1 + below(rng, 3); k > 0; k--) text = mutate(rng, text);
        const file = `mutant-${m}-${g.name}`;
        try {
          replayText(text, file);
          accepted++;
        } catch (e) {
          if (!(e instanceof UsageError)) throw new Error(`${file}: not a UsageError: ${String((e as Error).stack)}\n--- input ---\n${text.slice(0, 2000)}`);
          refusals.push({ file, text, message: e.message });
        }
      }
    }
  });

  test('most mutants are refused, and a good share still replay', () => {
    expect(refusals.length + accepted).toBe(goldens.length * MUTANTS_PER_GOLDEN);
    expect(refusals.length).toBeGreaterThan(goldens.length * MUTANTS_PER_GOLDEN * 0.4);
    expect(accepted).toBeGreaterThan(100);
  });

  test('every refusal starts FILE:LINE:COL with a line of the file, and is one line of at most 300 characters', () => {
    const bad = refusals.filter((r) => {
      const m = /^(.+?):(\d+):(\d+): \S/.exec(r.message);
      const lines = r.text.split(/\r?\n/).length;
      return m === null || m[1] !== r.file || Number(m[2]) < 1 || Number(m[2]) > lines || Number(m[3]) < 1 || r.message.includes('\n') || r.message.length > MAX_MESSAGE;
    });
    expect(bad.slice(0, 5).map((r) => r.message.slice(0, 400))).toEqual([]);
  });

  test('invalid commands say which rule they break; header errors point at the header line', () => {
    const invalid = refusals.filter((r) => / (no device|already|not enabled|holds no|is not a|cap of the model|table size|outside|still has|is offline|is not inside|first)\b/.test(r.message));
    expect(invalid.length).toBeGreaterThan(100);
    expect(refusals.filter((r) => r.message.includes('precondition of'))).toEqual([]);
    const headers = refusals.filter((r) => /: unknown (platform|revision) '/.test(r.message));
    expect(headers.length).toBeGreaterThan(20);
    for (const h of headers) {
      const line = Number(/^.+?:(\d+):/.exec(h.message)?.[1]);
      expect(h.text.split(/\r?\n/)[line - 1]).toMatch(/^# (platform|revision):/);
    }
  });

  test('through the CLI: exit 2 and the same line', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'msi-fuzz-mutants-'));
    const sample = [...refusals.filter((r) => r.message.includes('no device')).slice(0, 2), ...refusals.filter((r) => r.message.includes('unknown revision')).slice(0, 1), ...refusals.filter((r) => r.message.length > 200).slice(0, 1)];
    expect(sample.length).toBeGreaterThanOrEqual(3);
    for (const r of sample) {
      const file = path.join(dir, r.file);
      fs.writeFileSync(file, r.text);
      const out = run('replay', file);
      expect({ code: out.code, stderr: out.stderr }).toEqual({ code: 2, stderr: `msi-fuzz: ${path.join(dir, r.message)}\n` });
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
