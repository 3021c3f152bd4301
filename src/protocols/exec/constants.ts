export const EXEC_PROTOCOL = '/p2prc/exec/1.0.0'

/** A command with its arguments and environment (each bounded in exec-request.ts). */
export const MAX_REQUEST_BYTES = 256 * 1024
/** Input and output travel in pieces of at most this. */
export const MAX_CHUNK = 64 * 1024
/** An input or output message: a chunk and its framing. */
export const MAX_MESSAGE_BYTES = MAX_CHUNK + 1024
/** The requester has this long to send its request; starting the command gives up after it too. */
export const REQUEST_TIMEOUT = 10_000
/** Streams one peer may hold on this protocol (each a command; GuestSessions caps commands too). */
export const MAX_STREAMS = 32
/** New commands per peer: a script's loop of short commands is fine, a flood is not. */
export const RATE_LIMIT = { perSecond: 10, burst: 30 }
/** Resizes and signals per session: a terminal being dragged sends many, a flood aimed at the engine more. */
export const CONTROL_RATE = { perSecond: 20, burst: 40 }
/** Bytes a sender keeps in flight beyond what the far side said it took (flow control). */
export const WINDOW = 4 * 1024 * 1024
/** A receiver says what it has taken at least this often. */
export const ACK_EVERY = 1024 * 1024
