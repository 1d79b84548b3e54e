// Where provisioned kernels live: a cache outside the clone (sources are 1.7 GB unpacked, a
// build about 100 MB more), shared by every clone of the project on the machine.
import * as os from 'node:os';
import * as path from 'node:path';
import { UsageError } from '../cli/errors';

/** The project root (the directory holding package.json), from dist/src/kernel or src/kernel. */
export function projectRoot(): string {
  const up = path.basename(path.resolve(__dirname, '..', '..')) === 'dist' ? 3 : 2;
  return path.resolve(__dirname, ...Array<string>(up).fill('..'));
}

/**
 * $MSI_FUZZ_CACHE, else $XDG_CACHE_HOME/msi-fuzz, else ~/.cache/msi-fuzz. A cache inside the
 * clone is refused: git would see gigabytes of kernel sources.
 */
export function cacheDir(flag = '--cache', explicit?: string): string {
  const env = process.env;
  const dir = path.resolve(
    explicit ?? env['MSI_FUZZ_CACHE'] ?? path.join(env['XDG_CACHE_HOME'] ?? path.join(os.homedir(), '.cache'), 'msi-fuzz'),
  );
  const rel = path.relative(projectRoot(), dir);
  if (rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))) {
    throw new UsageError(`${flag}: the kernel cache must live outside the clone (${dir} is inside ${projectRoot()})`);
  }
  return dir;
}

/** The layout of the cache; `id` is `<package>_<version>`. */
export const layout = {
  apt: (cache: string) => path.join(cache, 'apt'),
  debs: (cache: string) => path.join(cache, 'debs'),
  source: (cache: string, id: string) => path.join(cache, 'src', id),
  build: (cache: string, id: string) => path.join(cache, 'build', id),
  record: (cache: string, name: string) => path.join(cache, 'kernels', `${name}.json`),
};
