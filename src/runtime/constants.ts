const second = 1000

/**
 * Capabilities kept after dropping ALL. Docker's default set also grants MKNOD, NET_RAW,
 * SETPCAP, SETFCAP, SYS_CHROOT, AUDIT_WRITE and FSETID; a stranger's workload needs none of
 * them (NET_RAW alone allows ARP/ICMP spoofing on the bridge). What stays is what ordinary
 * images do while starting as root: fix file ownership and permissions (CHOWN, DAC_OVERRIDE,
 * FOWNER), drop to an unprivileged user (SETGID, SETUID), signal their own children (KILL) and
 * listen on ports below 1024 inside the container (NET_BIND_SERVICE).
 */
export const KEPT_CAPABILITIES = ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'SETGID', 'SETUID', 'KILL', 'NET_BIND_SERVICE']

/** Published ports listen on loopback only: the node forwards them to the owner, nobody else. */
export const PORT_HOST_IP = '127.0.0.1'

/**
 * Bounds the disk a chatty container can fill with logs (Docker's json-file driver, rotated).
 * @default 10 MiB x 3 files
 */
export const LOG_MAX_SIZE = '10m'
export const LOG_MAX_FILES = '3'

/**
 * Removing a container we must not leave behind uses its own deadline: the caller's signal may
 * be the reason we are cleaning up, so it is already aborted.
 */
export const CLEANUP_TIMEOUT = 10 * second

/**
 * Creating a container is a local call of a few milliseconds. It is not cut by the caller's
 * signal (an interrupted create may still create the container, which we could then not find),
 * only by this deadline; the caller is released at once on abort and the container removed.
 */
export const CREATE_TIMEOUT = 60 * second

/** Longest image reference we pass to the engine. */
export const MAX_REFERENCE_LENGTH = 512

/**
 * Open files a guest may hold. Containers otherwise inherit the engine's limit (often 1M, or
 * 20000 here), which lets one guest exhaust the host's file table. @default 4096 (soft 1024)
 */
export const NOFILE_SOFT = 1024
export const NOFILE_HARD = 4096

/** Scratch space on /tmp for a container with a read-only root file system (counted as its memory). */
export const READ_ONLY_TMPFS = 'rw,noexec,nosuid,size=64m'
