export const PROTOCOL = '/p2prc/specs/1.0.0'

/** A request is one small message. */
export const MAX_REQUEST_BYTES = 64

/** A response holds at most MAX_RECORDS records of at most 8 KiB. */
export const MAX_RECORDS = 1000
export const MAX_RESPONSE_BYTES = 1024 * 1024

/** Inbound handlers finish within this; outbound calls default to it. */
export const TIMEOUT = 10_000

export const MAX_INBOUND_STREAMS = 8
/** Each SELF answer measures the machine: a peer may ask a few times a second. */
export const RATE_LIMIT = { perSecond: 5, burst: 20 }
export const MAX_OUTBOUND_STREAMS = 8
