// Exit codes (docs/reference/cli.md), and bad input as an error: a UsageError (or any
// InputError from the engine: a state file that does not load) is one line on stderr naming the
// flag, the file and field, or FILE:LINE:COL, and exit 2.
import { InputError } from '../engine/files';

export class UsageError extends InputError {}

/** Clean: nothing that matters was found (or, for replay, nothing reproduced). */
export const EXIT_CLEAN = 0;
/** A violation that matters: a new finding at a correct revision, a known bug lost, a violation found or reproduced. */
export const EXIT_VIOLATION = 1;
/** Bad input or usage, before any work: nothing ran. */
export const EXIT_USAGE = 2;
/** The work ran and was reported, but an output could not be written (or msi-fuzz failed inside). */
export const EXIT_INCOMPLETE = 3;

export { clip } from '../text';
