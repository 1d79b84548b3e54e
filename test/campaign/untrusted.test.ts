// A state directory is input like any other: a damaged or crafted file given to --resume or
// merge is refused in one line naming the file and the field (zod, src/engine/state-schema.ts),
// and the HTML report escapes every value it inserts, so even values that never went through
// the schema (strings where numbers belong, markup, quotes) stay text.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Progress, StoredFinding } from '../../src/engine/state-dir';
import { lastJson, run } from '../cli-helpers';
import { HOSTILE, hostileReport } from './hostile';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'msi-fuzz-untrusted-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A small real state directory to tamper with. */
function campaign(name: string): string {
  const dir = path.join(tmp, name);
  const r = run('run', '--platform', 'gic-v3-its', '--revision', 'prepare-before-its-teardown', '--seeds', '1', '--runs-per-seed', '4', '--state', dir, '--json');
  expect(r.code).toBe(0);
  expect((lastJson(r.stdout)['findings'] as unknown[]).length).toBeGreaterThan(0);
  return dir;
}

function refused(args: readonly string[], message: string | RegExp): void {
  const r = run(...args);
  expect({ code: r.code, stdout: r.stdout, lines: r.stderr.trim().split('\n').length }).toEqual({ code: 2, stdout: '', lines: 1 });
  if (typeof message === 'string') expect(r.stderr.trim()).toBe(message);
  else expect(r.stderr.trim()).toMatch(message);
}

describe('damaged or crafted state files', () => {
  let base: string;
  beforeAll(() => {
    base = campaign('base');
  });

  const copy = (name: string): string => {
    const dir = path.join(tmp, name);
    fs.cpSync(base, dir, { recursive: true });
    return dir;
  };
  const edit = (file: string, change: (j: Record<string, unknown>) => void): void => {
    const j = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    change(j);
    fs.writeFileSync(file, JSON.stringify(j));
  };

  test('hits that are markup, in state.json: --resume and merge name the file and the field', () => {
    const dir = copy('crafted-hits');
    const file = path.join(dir, 'state.json');
    edit(file, (j) => ((j['findings'] as Record<string, unknown>[])[0]!['hits'] = HOSTILE));
    const message = `msi-fuzz: ${file}: findings[0].hits: Invalid input: expected number, received string`;
    refused(['run', '--state', dir, '--resume', '--seeds', '2'], message);
    refused(['merge', dir, '--into', path.join(tmp, 'never-merged')], message);
    expect(fs.existsSync(path.join(tmp, 'never-merged'))).toBe(false);
  });

  test('a length that is a string, a negative count, a revision with markup', () => {
    const dir = copy('crafted-fields');
    const file = path.join(dir, 'state.json');
    edit(file, (j) => ((j['findings'] as Record<string, unknown>[])[0]!['length'] = '7'));
    refused(['merge', dir], `msi-fuzz: ${file}: findings[0].length: Invalid input: expected number, received string`);
    edit(file, (j) => {
      (j['findings'] as Record<string, unknown>[])[0]!['length'] = 3;
      (j['progress'] as Record<string, unknown>)['runs'] = -1;
    });
    refused(['merge', dir], new RegExp(`^msi-fuzz: ${file}: progress.runs: Too small`));
    edit(file, (j) => {
      (j['progress'] as Record<string, unknown>)['runs'] = 4;
      (j['findings'] as Record<string, unknown>[])[0]!['revision'] = HOSTILE;
    });
    refused(['merge', dir], `msi-fuzz: ${file}: findings[0].revision: expected a name without spaces or markup`);
  });

  test('a truncated state.json and a plan naming an unknown platform', () => {
    const dir = copy('damaged');
    const file = path.join(dir, 'state.json');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').slice(0, 100));
    refused(['run', '--state', dir, '--resume'], new RegExp(`^msi-fuzz: ${file}: not JSON \\(`));
    const other = copy('bad-plan');
    edit(path.join(other, 'plan.json'), (j) => (j['platform'] = 'sparc64'));
    refused(['run', '--state', other, '--resume'], new RegExp(`^msi-fuzz: ${path.join(other, 'plan.json')}: platform: unknown platform 'sparc64'`));
    edit(path.join(other, 'plan.json'), (j) => (j['seed'] = 'one'));
    refused(['run', '--state', other, '--resume'], `msi-fuzz: ${path.join(other, 'plan.json')}: seed: Invalid input: expected number, received string`);
  });

  test('a crafted finding file of an older state directory (findings/NAME.json) given to merge', () => {
    const dir = copy('older');
    const state = JSON.parse(fs.readFileSync(path.join(dir, 'state.json'), 'utf8')) as { progress: Progress; findings: StoredFinding[] };
    fs.rmSync(path.join(dir, 'state.json'));
    fs.writeFileSync(path.join(dir, 'progress.json'), JSON.stringify(state.progress));
    const f = state.findings[0] as StoredFinding;
    const file = path.join(dir, 'findings', 'crafted.json');
    fs.writeFileSync(file, JSON.stringify(f));
    // As written, the older layout still loads.
    const ok = run('merge', dir, '--json');
    expect(ok.code).toBe(0);
    expect(lastJson(ok.stdout)['findings']).toHaveLength(1);
    fs.writeFileSync(file, JSON.stringify({ ...f, hits: HOSTILE }));
    refused(['merge', dir], `msi-fuzz: ${file}: hits: Invalid input: expected number, received string`);
  });
});

describe('the HTML report inserts every value as text', () => {
  test('no tag, attribute or script comes from the data', () => {
    const html = hostileReport();
    expect(html).not.toMatch(/<script|<img|onerror\s*=\s*"/i);
    // Every '<' in the document opens one of the report's own elements.
    const tags = new Set([...html.matchAll(/<\/?([a-zA-Z!][a-zA-Z0-9-]*)/g)].map((m) => (m[1] as string).toLowerCase()));
    expect([...tags].sort()).toEqual(['!doctype', 'b', 'body', 'circle', 'code', 'details', 'div', 'figure', 'h1', 'h2', 'head', 'html', 'li', 'line', 'meta', 'p', 'path', 'pre', 'rect', 'span', 'style', 'summary', 'svg', 'table', 'tbody', 'td', 'text', 'th', 'thead', 'title', 'tr', 'ul']);
    // The hostile text is there, escaped, and numbers that were not numbers drew nothing odd.
    expect(html).toContain('&quot;&gt;&lt;script&gt;window.pwned=1&lt;/script&gt;');
    expect(html).not.toMatch(/(x|y|cx|cy|width|height)="(NaN|Infinity|[^"0-9.-])/);
  });
});
