// The repro script: a line-oriented text file a kernel developer reads in ten seconds.
//
//   # msi-fuzz repro
//   # platform: gic-v3-its
//   # revision: prepare-before-its-teardown
//   # seed: 3
//   # invariant: no-use-after-free: no kernel object is used after it was freed
//   pci_device_add(dev0, rid=01:00.0, msi=1, msix=32)
//   pci_alloc_irq_vectors(dev0, 1, 1, PCI_IRQ_MSI|PCI_IRQ_MSIX)   # -> 1
//   ...
//   expect violation no-use-after-free
//
// Header lines are `# key: value`; other `#` text is a comment. One driver call per line.
import type { Command } from '../commands/command';
import type { FaultClass } from '../sim/simulation';

/** A 1-based position in a repro file. */
export interface Loc {
  readonly line: number;
  readonly col: number;
}

/** Where things were in the parsed file (for messages about them: FILE:LINE:COL). */
export interface ReproLocations {
  readonly platform: Loc;
  readonly revision: Loc;
  /** Per command, the position of its name. */
  readonly commands: readonly Loc[];
  readonly expect: Loc;
}

export interface Repro {
  readonly platform: string;
  readonly revision: string;
  readonly seed?: number;
  readonly faults: readonly FaultClass[];
  readonly commands: readonly Command[];
  /** Per command: the annotation printed after it (return value, kernel report). */
  readonly notes?: readonly (string | undefined)[];
  /** `expect violation <id>` or `expect clean`. */
  readonly expect: { readonly violation: string } | 'clean';
  /** Human lines for the header (invariant statement, what was found). */
  readonly about?: readonly string[];
  /** Set by the parser. */
  readonly where?: ReproLocations;
}
