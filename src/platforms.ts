// Finds the platform models: every directory under models/platforms/ whose index module
// exports PlatformModel objects. Adding a platform is adding a directory; nothing here changes.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PlatformModel } from '../models/platforms/platform';

function isPlatformModel(x: unknown): x is PlatformModel {
  if (typeof x !== 'object' || x === null) return false;
  const p = x as Partial<PlatformModel>;
  return typeof p.name === 'string' && typeof p.boot === 'function' && Array.isArray(p.revisions) && typeof p.currentRevision === 'string';
}

let cache: PlatformModel[] | null = null;

export function allPlatforms(): PlatformModel[] {
  if (cache !== null) return cache;
  const dir = path.join(__dirname, '..', 'models', 'platforms');
  const found = new Map<string, PlatformModel>();
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isDirectory()) continue;
    const base = path.join(dir, entry.name, 'index');
    if (!fs.existsSync(`${base}.ts`) && !fs.existsSync(`${base}.js`)) continue;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(base) as Record<string, unknown>;
    for (const value of Object.values(mod)) {
      const candidates = Array.isArray(value) ? value : [value];
      for (const c of candidates) if (isPlatformModel(c) && !found.has(c.name)) found.set(c.name, c);
    }
  }
  cache = [...found.values()].sort((a, b) => a.name.localeCompare(b.name));
  return cache;
}

export function findPlatform(name: string): PlatformModel | undefined {
  return allPlatforms().find((p) => p.name === name);
}
