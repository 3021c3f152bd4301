export const LIST_PROTOCOL = '/p2prc/list/1.0.0'
export const KILL_PROTOCOL = '/p2prc/kill/1.0.0'
export const REMOVE_PROTOCOL = '/p2prc/remove/1.0.0'
export const START_PROTOCOL = '/p2prc/start/1.0.0'
export const STATS_PROTOCOL = '/p2prc/stats/1.0.0'
export const LOGS_PROTOCOL = '/p2prc/logs/1.0.0'

/** Requests name one container: small. */
export const MAX_REQUEST_BYTES = 1024
/** A list of up to a few thousand containers, or one log chunk. */
export const MAX_RESPONSE_BYTES = 4 * 1024 * 1024
/** Log output is sent in pieces of at most this. */
export const MAX_LOG_CHUNK = 64 * 1024

/** The requester has this long to send its request. */
export const REQUEST_TIMEOUT = 10_000
/** One-shot calls (list, kill, one stats sample) give up after this. */
export const CALL_TIMEOUT = 30_000
export const MAX_STREAMS = 32
/** Per peer and protocol: plenty for a person or a script, not for a loop aimed at the engine. */
export const RATE_LIMIT = { perSecond: 20, burst: 40 }
