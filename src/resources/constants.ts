/** A vendor tool that hangs (a wedged driver does that) must not hold up the probe */
export const TOOL_TIMEOUT = 5_000

/** Tool output larger than this is not a GPU list */
export const TOOL_MAX_OUTPUT_BYTES = 4 * 1024 * 1024

export const DEFAULT_SYSFS_ROOT = '/sys'

export const DEFAULT_DISK_PATH = '/var/lib/docker'

export const MIB = 1024 * 1024
