// What a kernel build needs from the host. gcc, make, bc, python3 and xz come with the
// machines this project runs on; flex, bison and libelf-dev are the only system packages a
// provisioning run may ask for, and it asks with the one apt-get line that installs them.
import * as fs from 'node:fs';
import { onPath } from './exec';

/** Debian packages the build needs that may be missing, each with how to tell it is there. */
const INSTALLABLE: readonly { readonly pkg: string; readonly present: () => boolean }[] = [
  { pkg: 'flex', present: () => onPath('flex') },
  { pkg: 'bison', present: () => onPath('bison') },
  { pkg: 'libelf-dev', present: () => fs.existsSync('/usr/include/libelf.h') || fs.existsSync('/usr/include/gelf.h') },
];

/** Tools assumed present; missing ones are named, not installed. */
const ASSUMED: readonly string[] = ['gcc', 'make', 'bc', 'python3', 'xz', 'tar', 'dpkg', 'apt-get', 'apt-cache'];

export interface HostCheck {
  /** Packages to install, in the order of the apt-get line. */
  readonly missingPackages: readonly string[];
  /** Tools that are not there and that we do not install. */
  readonly missingTools: readonly string[];
}

export function checkHost(): HostCheck {
  return {
    missingPackages: INSTALLABLE.filter((p) => !p.present()).map((p) => p.pkg),
    missingTools: ASSUMED.filter((t) => !onPath(t)),
  };
}

/** The single line a user runs to install what is missing. */
export function installLine(pkgs: readonly string[]): string {
  const sudo = process.getuid !== undefined && process.getuid() === 0 ? '' : 'sudo ';
  return `${sudo}apt-get install -y --no-install-recommends ${pkgs.join(' ')}`;
}
