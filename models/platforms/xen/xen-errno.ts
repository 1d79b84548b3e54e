// The errno values the Xen paths answer with. Xen's public errno.h uses the Linux numbers;
// ESRCH ("no such domain") is the one the kernel's own list lacks.
export { EBUSY, EEXIST, EINVAL, ENODEV, ENOENT, ENOMEM, ENOSPC, ENOSYS, ENXIO } from '../../kernel/errno';
export const ESRCH = 3;
export const EALREADY = 114;
