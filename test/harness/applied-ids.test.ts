// Every k.applied('id') in the models names a patch some platform's pool (or the core) defines:
// a typo or a patch entry left out would make the gated code unreachable at every revision.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CORE_PATCHES } from '../../models/kernel/core-patches';
import { allPlatforms } from '../../src/platforms';

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

const known = new Set<string>([...CORE_PATCHES.map((p) => p.id), ...allPlatforms().flatMap((p) => p.patches.map((x) => x.id))]);
const uses = sources(path.join(__dirname, '..', '..', 'models')).flatMap((file) =>
  [...fs.readFileSync(file, 'utf8').matchAll(/\bapplied\('([^']+)'\)/g)].map((m) => [path.relative(path.join(__dirname, '..', '..'), file), m[1] as string] as const),
);

describe('applied() ids', () => {
  test('the models gate code on patches', () => {
    expect(uses.length).toBeGreaterThan(20);
  });

  test.each(uses)('%s: applied(%s) is a known patch', (_file, id) => {
    expect(known.has(id)).toBe(true);
  });
});
