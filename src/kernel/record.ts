// What provisioning leaves behind for each kernel: a small JSON record next to the cache's
// trees, read by diff-kernel and export tests to find the binary and to stamp every result
// with the kernel that ran.
import * as fs from 'node:fs';
import * as path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { layout } from './paths';

export interface KernelRecord {
  /** `6.12`, `latest`, or `tree-<hash>` for a developer's own tree. */
  readonly name: string;
  /** The Debian package, or null for a developer's tree. */
  readonly pkg: string | null;
  /** The Debian upload, or the tree's `make kernelversion`. */
  readonly version: string;
  /** The pin this upload was resolved against (null for a tree). */
  readonly pin: string | null;
  /** The kunit-fake named revision the model runs against this kernel. */
  readonly modelRevision: string;
  readonly tree: string;
  readonly build: string;
  /** The UML kernel binary (build/linux). */
  readonly binary: string;
  /** suiteHash() of the KUnit suite the binary was built with. */
  readonly suiteHash: string;
  /** Wall seconds of the first (cold) build; null if the tree was built before we saw it. */
  readonly coldBuildSeconds: number | null;
  readonly lastBuildSeconds: number;
  readonly buildSteps: number;
  readonly builtAt: string;
}

export function readRecord(cache: string, name: string): KernelRecord | null {
  const f = layout.record(cache, name);
  if (!fs.existsSync(f)) return null;
  try {
    return JSON.parse(fs.readFileSync(f, 'utf8')) as KernelRecord;
  } catch {
    return null;
  }
}

export function writeRecord(cache: string, rec: KernelRecord): void {
  const f = layout.record(cache, rec.name);
  fs.mkdirSync(path.dirname(f), { recursive: true });
  writeFileAtomic.sync(f, JSON.stringify(rec, null, 2) + '\n');
}

/** One line naming the kernel, for result headers. */
export function describeKernel(rec: KernelRecord): string {
  const pin = rec.pin === null ? '' : rec.version === rec.pin ? ' (pinned)' : ` (pin ${rec.pin} unavailable)`;
  return rec.pkg === null ? `${rec.version} from ${rec.tree}` : `${rec.pkg} ${rec.version}${pin}`;
}
