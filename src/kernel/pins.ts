// The kernels the differential runs, pinned to the Debian source packages the model's
// revisions were checked against. Archives move: unstable replaces its kernel every few
// weeks and security suites drop old uploads. The rule (resolve.ts): the pin while the
// archive has it, otherwise the newest upload of the same series with a notice; a series
// that left the archive is an error, because moving a pin is a deliberate change that brings
// the model's revision along (models/platforms/kunit-fake/revisions.ts).

export interface KernelPin {
  /** What `--kernel` accepts. */
  readonly name: '6.12' | 'latest';
  /** The Debian binary package that carries the source tarball. */
  readonly pkg: string;
  /** The upload the model revision below was checked against. */
  readonly version: string;
  /** Suites of the private apt configuration that may carry the package, newest first. */
  readonly suites: readonly { readonly uri: 'debian' | 'debian-security'; readonly suite: string }[];
  /** The kunit-fake named revision that mirrors this kernel's core. */
  readonly modelRevision: string;
}

export const KERNEL_PINS: readonly KernelPin[] = [
  {
    name: '6.12',
    pkg: 'linux-source-6.12',
    version: '6.12.118-1~deb12u1',
    suites: [
      { uri: 'debian-security', suite: 'bookworm-security' },
      { uri: 'debian', suite: 'bookworm' },
    ],
    modelRevision: 'kernel-6.12',
  },
  {
    name: 'latest',
    pkg: 'linux-source-7.2',
    version: '7.2.13-1',
    suites: [{ uri: 'debian', suite: 'sid' }],
    modelRevision: 'kernel-7.2',
  },
];

export function findPin(name: string): KernelPin | undefined {
  return KERNEL_PINS.find((p) => p.name === name);
}
