// Return codes of the three powerpc firmware interfaces the models call: RTAS status words
// (PAPR), hypervisor call returns (arch/powerpc/include/asm/hvcall.h) and OPAL returns
// (arch/powerpc/include/asm/opal-api.h). Firmware models answer with these exact values so an
// error path sees what the kernel would see.

// RTAS
export const RTAS_SUCCESS = 0;
export const RTAS_HARDWARE_ERROR = -1;
export const RTAS_PARAMETER_ERROR = -3;

// hcalls
export const H_SUCCESS = 0;
export const H_HARDWARE = -1;
export const H_FUNCTION = -2;
export const H_PARAMETER = -4;
/** "Parameter 2 invalid": for H_INT_GET_SOURCE_INFO, the LISN. */
export const H_P2 = -55;

// OPAL
export const OPAL_SUCCESS = 0;
export const OPAL_PARAMETER = -1;
export const OPAL_BUSY = -2;
export const OPAL_HARDWARE = -6;
export const OPAL_RESOURCE = -10;
export const OPAL_WRONG_STATE = -14;

/** OPAL_XIVE_ANY_CHIP, and the same bit pattern old skiboot returned on exhaustion. */
export const OPAL_XIVE_ANY_CHIP = 0xffffffff;
