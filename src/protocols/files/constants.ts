export const FILES_PROTOCOL = '/p2prc/files/1.0.0'

/** A request names a container and a path. */
export const MAX_REQUEST_BYTES = 8 * 1024
/** The tar stream travels in pieces of at most this. */
export const MAX_CHUNK = 256 * 1024
export const MAX_MESSAGE_BYTES = MAX_CHUNK + 1024
/** The requester has this long to send its request; stat and accepting a copy give up after it too. */
export const REQUEST_TIMEOUT = 30_000
/** Streams one peer may hold on this protocol (GuestSessions caps copies under way too). */
export const MAX_STREAMS = 16
/** Per peer: a copy of a tree is a stat and a read or write, not hundreds a second. */
export const RATE_LIMIT = { perSecond: 10, burst: 20 }
/** Tar bytes a sender keeps in flight beyond what the receiver has said it took. */
export const WINDOW = 8 * 1024 * 1024
/** The receiver says what it has taken at least this often. */
export const ACK_EVERY = 2 * 1024 * 1024
/** A download the host makes for a job's input (FETCH) may take this long. */
export const FETCH_TIMEOUT = 10 * 60_000
