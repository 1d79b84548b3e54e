// The documentation stays true to the code: the generated sections of the reference pages are
// what `npm run docs` writes now (a change that adds an invariant, a platform, a revision, a
// command or a known bug must regenerate them), every dependency is explained, every relative
// link resolves, and the README stays an index that opens with the two set-up commands.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Invariant } from '../../src/invariants/invariant';
import { BEGIN, END, code, md, pageStates, PAGES, renderInvariants, renderKnownBugs, renderPlatforms, slug, splice, withoutLabels, wrap } from '../../src/docs/generate';
import { INVARIANTS } from '../../src/invariants/registry';
import { KNOWN_BUGS } from '../../src/known-bugs';
import { allPlatforms } from '../../src/platforms';
import { CORE_PATCHES } from '../../models/kernel/core-patches';

const root = path.join(__dirname, '..', '..');
const read = (file: string): string => fs.readFileSync(path.join(root, file), 'utf8');

function markdownFiles(dir: string): string[] {
  return fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(dir, e.name);
    return e.isDirectory() ? markdownFiles(rel) : e.name.endsWith('.md') ? [rel] : [];
  });
}

const DOCS = ['README.md', ...markdownFiles('docs')];

function withoutCode(text: string): string {
  return text.replace(/```[\s\S]*?```/g, '');
}

/** The anchors GitHub gives the headings of a page. */
function headingAnchors(file: string): Set<string> {
  return new Set([...withoutCode(read(file)).matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1] ?? '')));
}

describe('generated reference pages', () => {
  test.each(pageStates().map((s) => [s.file, s]))('%s is what npm run docs writes', (_file, s) => {
    // On failure: run `npm run docs` and commit the pages it rewrites.
    expect(s.committed).toBe(s.expected);
  });

  test('a new invariant makes the committed invariants page stale', () => {
    const extra: Invariant = { id: 'extra-law', statement: 'an extra statement', rule: 'an extra rule', check: () => null };
    const page = read('docs/reference/invariants.md');
    const regenerated = splice(page, renderInvariants([...INVARIANTS, extra]), 'invariants.md');
    expect(regenerated).not.toBe(page);
    expect(regenerated).toContain('## extra-law');
    expect(regenerated).toContain('an extra rule');
  });

  test('a new named revision makes the committed platforms page stale', () => {
    const [first, ...rest] = allPlatforms();
    if (first === undefined) throw new Error('no platform');
    const changed = { ...first, revisions: [...first.revisions, { name: 'v9.9-extra', description: 'an extra state', patches: [], correct: false }] };
    const page = read('docs/reference/platforms.md');
    const regenerated = splice(page, renderPlatforms([changed, ...rest], CORE_PATCHES, INVARIANTS, KNOWN_BUGS), 'platforms.md');
    expect(regenerated).not.toBe(page);
    expect(regenerated).toContain('`v9.9-extra` (known-bad)');
  });

  test('every known bug, invariant, platform and command appears in its page', () => {
    const text = Object.fromEntries(PAGES.map((p) => [p.file, read(p.file)]));
    for (const i of INVARIANTS) expect(text['docs/reference/invariants.md']).toContain(`## ${i.id}\n`);
    for (const b of KNOWN_BUGS) expect(text['docs/reference/known-bugs.md']).toContain(`## ${b.id}\n`);
    for (const p of allPlatforms()) {
      expect(text['docs/reference/platforms.md']).toContain(`## ${p.name}\n`);
      for (const r of p.revisions) expect(text['docs/reference/platforms.md']).toContain(`${code(r.name)} (${r.correct ? 'correct' : 'known-bad'}`);
      for (const f of p.faultSites) expect(text['docs/reference/platforms.md']).toContain(`${code(f.name)} (${f.class})`);
    }
  });

  test('a golden repro that is missing shows as missing', () => {
    const bug = KNOWN_BUGS[0];
    if (bug === undefined) throw new Error('no known bug');
    expect(renderKnownBugs([bug], () => null)).toContain('(missing)');
  });

  test('a page without markers is refused with its name', () => {
    expect(() => splice('# no markers\n', 'x', 'docs/x.md')).toThrow(/docs\/x\.md: no generated section/);
    expect(splice(`a\n${BEGIN}\nold\n${END}\nb\n`, 'new', 'f')).toBe(`a\n${BEGIN}\n\nnew\n\n${END}\nb\n`);
  });

  test('helpers: Markdown escaping, code spans, wrapping, anchors, design-note labels', () => {
    expect(md('a*b <tag> x|y __free_irq()')).toBe('a\\*b &lt;tag> x\\|y \\_\\_free_irq()');
    expect(md('msi_used <= msi_quota')).toBe('msi_used <= msi_quota');
    expect(code('a`b')).toBe('`` a`b ``');
    expect(wrap('word '.repeat(40).trim(), '* ', '  ').split('\n').every((l) => l.length <= 100)).toBe(true);
    expect(slug('its-v6.15-failed-alloc-leak')).toBe('its-v615-failed-alloc-leak');
    expect(withoutLabels('each level frees exactly what it allocated (I7, I8)')).toBe('each level frees exactly what it allocated');
    expect(withoutLabels('msi_desc association (I10) and index bounds (I11)')).toBe('msi_desc association and index bounds');
  });
});

describe('the documentation', () => {
  test('every dependency in package.json is named in the architecture page, with a reason', () => {
    const pkg = JSON.parse(read('package.json')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    const page = read('docs/explanation/architecture.md');
    const section = page.slice(page.indexOf('## Dependencies'));
    for (const name of [...Object.keys(pkg.dependencies), ...Object.keys(pkg.devDependencies)]) expect(section).toContain(`\`${name}\``);
  });

  test.each(DOCS.map((f) => [f]))('%s: every relative link and anchor resolves', (file) => {
    const text = withoutCode(read(file));
    const broken: string[] = [];
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const [target = '', anchor] = (m[1] ?? '').split('#');
      if (/^[a-z]+:/.test(target)) continue;
      const resolved = target === '' ? file : path.normalize(path.join(path.dirname(file), target));
      if (!fs.existsSync(path.join(root, resolved))) broken.push(m[1] ?? '');
      else if (anchor !== undefined && resolved.endsWith('.md') && !headingAnchors(resolved).has(anchor)) broken.push(m[1] ?? '');
    }
    expect(broken).toEqual([]);
  });

  test.each(DOCS.map((f) => [f]))('%s speaks of the project, not of its history', (file) => {
    const text = read(file);
    expect(text).not.toMatch(/\bthis session\b|\bissues? #?\d+\b|\bbranch issue|\bh1\d\w*\b/i);
  });

  test('the README is an index of about 250 lines that opens with the two set-up commands', () => {
    const readme = read('README.md');
    expect(readme.split('\n').length).toBeLessThanOrEqual(250);
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    expect(firstBlock.split('\n').map((l) => l.split('#')[0]?.trim())).toEqual(['npm ci && npm run fuzz', 'npm test', '']);
  });
});
