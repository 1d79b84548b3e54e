// Linux errno values the modelled code paths return (include/uapi/asm-generic/errno-base.h, errno.h).
// Kernel functions return them negated, as the C code does.
export const EPERM = 1;
export const ENOENT = 2;
export const EIO = 5;
export const ENXIO = 6;
export const ENOMEM = 12;
export const EFAULT = 14;
export const EBUSY = 16;
export const EEXIST = 17;
export const ENODEV = 19;
export const EINVAL = 22;
export const ENOSPC = 28;
export const ERANGE = 34;
export const ENOTSUPP = 524;
export const EOPNOTSUPP = 95;
export const ENOSYS = 38;
export const EAGAIN = 11;

const NAMES: Record<number, string> = {
  [EPERM]: 'EPERM',
  [ENOENT]: 'ENOENT',
  [EIO]: 'EIO',
  [ENXIO]: 'ENXIO',
  [ENOMEM]: 'ENOMEM',
  [EFAULT]: 'EFAULT',
  [EBUSY]: 'EBUSY',
  [EEXIST]: 'EEXIST',
  [ENODEV]: 'ENODEV',
  [EINVAL]: 'EINVAL',
  [ENOSPC]: 'ENOSPC',
  [ERANGE]: 'ERANGE',
  [ENOTSUPP]: 'ENOTSUPP',
  [EOPNOTSUPP]: 'EOPNOTSUPP',
  [ENOSYS]: 'ENOSYS',
  [EAGAIN]: 'EAGAIN',
};

/** Renders a kernel return value the way a kernel developer reads it: `-ENOSPC`, or the number. */
export function errname(ret: number): string {
  if (ret < 0 && NAMES[-ret] !== undefined) return `-${NAMES[-ret]}`;
  return String(ret);
}

/** Parses `-ENOSPC` back to -28 (used by the repro parser for expected return values). */
export function parseErrname(text: string): number | undefined {
  const m = /^-([A-Z]+)$/.exec(text);
  if (!m) return undefined;
  for (const [num, name] of Object.entries(NAMES)) if (name === m[1]) return -Number(num);
  return undefined;
}
