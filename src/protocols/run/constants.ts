export const RUN_PROTOCOL = '/p2prc/run/1.0.0'

export const MAX_REQUEST_BYTES = 128 * 1024
export const MAX_RESPONSE_BYTES = 64 * 1024
/** The requester has this long to send its request. */
export const REQUEST_TIMEOUT = 10_000
export const MAX_STREAMS = 32
/** Runs one peer may ask for: a job's burst of tasks, not a flood. */
export const RATE_LIMIT = { perSecond: 5, burst: 20 }
/** A run answers once the container runs; a pull of a large image may take this long. */
export const RUN_TIMEOUT = 30 * 60_000
