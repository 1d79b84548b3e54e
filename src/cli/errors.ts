// Bad input is a UsageError: one line on stderr (naming the flag or FILE:LINE:COL), exit 2.
export class UsageError extends Error {}

export const EXIT_CLEAN = 0;
export const EXIT_VIOLATION = 1;
export const EXIT_USAGE = 2;
