// `msi-fuzz kernel`: provision the kernels the differential runs (see src/kernel/).
import { describeKernel } from '../kernel/record';
import { ProvisionError } from '../kernel/exec';
import { cacheDir } from '../kernel/paths';
import { KERNEL_PINS, findPin } from '../kernel/pins';
import { provisionPinned, provisionTree, type ProvisionResult } from '../kernel/provision';
import { defaultJobs } from '../kernel/build';
import { EXIT_USAGE, UsageError } from './errors';
import { printJson } from './output';

export interface KernelOptions {
  /** `6.12`, `latest` or `all`. */
  readonly kernel: string;
  readonly tree?: string;
  readonly cache?: string;
  readonly jobs?: number;
  readonly json: boolean;
}

/** Provisions what was asked; prints one line per kernel. Exit 0, or 2 with one line when provisioning cannot proceed. */
export async function cmdKernel(o: KernelOptions): Promise<number> {
  const opts = { cache: cacheDir('--cache', o.cache), jobs: o.jobs ?? defaultJobs() };
  const results: ProvisionResult[] = [];
  try {
    if (o.tree !== undefined) {
      results.push(await provisionTree(o.tree, opts));
    } else {
      const pins = o.kernel === 'all' ? KERNEL_PINS : [findPin(o.kernel)];
      if (pins.some((p) => p === undefined)) throw new UsageError(`--kernel: expected 6.12, latest or all, got '${o.kernel}'`);
      for (const pin of pins) if (pin !== undefined) results.push(await provisionPinned(pin, opts));
    }
  } catch (e) {
    if (e instanceof ProvisionError) {
      process.stderr.write(`msi-fuzz: kernel: ${e.message}\n`);
      return EXIT_USAGE;
    }
    throw e;
  }
  for (const r of results) {
    const rec = r.record;
    const how = r.action === 'reused' ? 'cached' : r.action === 'rebuilt' ? `rebuilt in ${rec.lastBuildSeconds} s` : `fetched, cold build ${rec.coldBuildSeconds} s`;
    process.stdout.write(`${rec.name}: ${describeKernel(rec)}, model ${rec.modelRevision}, ${how}: ${rec.binary}\n`);
  }
  if (o.json) printJson({ kernels: results.map((r) => ({ ...r.record, action: r.action, notice: r.notice })) });
  return 0;
}
