// Which upload of a pinned kernel to fetch: the pin while the archive has it, otherwise the
// newest upload of the same series with a notice. A series the archive no longer carries is
// an error: moving to another series is a deliberate change of the pin and the model revision.
import type { PrivateApt } from './apt';
import { ProvisionError } from './exec';
import type { KernelPin } from './pins';

export interface Resolution {
  readonly version: string;
  /** Set when the pin could not be used: the notice to print (and record). */
  readonly notice: string | null;
}

export function resolveVersion(apt: Pick<PrivateApt, 'versions' | 'kernelSeries'>, pin: KernelPin): Resolution {
  const available = apt.versions(pin.pkg);
  if (available.includes(pin.version)) return { version: pin.version, notice: null };
  const newest = available[0];
  if (newest !== undefined) {
    return {
      version: newest,
      notice:
        `${pin.pkg} ${pin.version} (the pin the model revision ${pin.modelRevision} was checked against) is no longer in ` +
        `${pin.suites.map((s) => s.suite).join('/')}; using ${newest}, the newest of the series. Divergences may come from ` +
        `the kernel having moved: check them against the pinned upload before fixing the model.`,
    };
  }
  const others = apt.kernelSeries().filter((s) => s !== pin.pkg);
  throw new ProvisionError(
    `${pin.pkg} is no longer in ${pin.suites.map((s) => s.suite).join('/')}` +
      (others.length > 0 ? ` (the archive has ${others.join(', ')})` : '') +
      `: move the '${pin.name}' pin in src/kernel/pins.ts together with the model revision, or build your own tree with --tree`,
  );
}
