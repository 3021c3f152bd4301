const second = 1000
const minute = 60 * second

/**
 * How often the host re-reads what Docker really runs, as a safety net: it follows the engine's
 * events, so this only catches what an event stream that broke for a moment missed.
 */
export const SWEEP_INTERVAL = 30 * second

/** After the engine's event stream breaks, it is followed again after this long (doubling, up to the max). */
export const EVENTS_RETRY_MIN = 1 * second
export const EVENTS_RETRY_MAX = 30 * second

/**
 * An owner's network stays this long after its last container here goes: a kill is then one
 * engine call (the network's removal no longer follows it at once), and the owner's next run does
 * not make the network again. Address ranges are few: a run that finds none frees these first.
 */
export const NETWORK_LINGER = 60 * second

/** Docker calls on behalf of a remote request that take longer than this fail (pulls excepted). */
export const DOCKER_CALL_TIMEOUT = 60 * second

/** setTimeout's ceiling (~24.8 days); longer expiries are re-armed when it fires. */
export const MAX_TIMER = 2 ** 31 - 1

/** A removal that failed (the engine away for a moment) is tried again after this long, doubling up to the max. */
export const REMOVE_RETRY_MIN = 1 * second
export const REMOVE_RETRY_MAX = 30 * second

/**
 * Memory each container costs the engine beyond its own limit (its shim and runtime, about 9 MB
 * measured here), counted against the offer so that many tiny containers cannot exceed it.
 */
export const CONTAINER_OVERHEAD_BYTES = 12 * 1024 * 1024

/** Guests together may hold at most this share of the host's pid_max, so their pids limits cannot add up to all of it. */
export const PID_SHARE = 0.5

/** How often guests' writable layers are measured when the storage driver cannot limit them itself. */
export const DISK_CHECK_INTERVAL = 10 * second

/** How long the host remembers why it ended a container, for its owner's next question. */
export const ENDED_RETENTION = 60 * minute
/** The most ended containers remembered at once (the oldest are forgotten first). */
export const MAX_ENDED = 1000
