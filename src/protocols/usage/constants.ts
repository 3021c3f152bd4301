export const USAGE_PROTOCOL = '/p2prc/usage/1.0.0'

/** Receipts in one answer, and countersignatures in one request. */
export const MAX_RECEIPTS_PER_RESPONSE = 256
export const MAX_COUNTERSIGNS_PER_REQUEST = 64
/** 64 countersignatures of about 700 bytes each, with room. */
export const MAX_REQUEST_BYTES = 128 * 1024
/** 256 receipts of at most 4 KiB each. */
export const MAX_RESPONSE_BYTES = MAX_RECEIPTS_PER_RESPONSE * 4096 + 4096
export const REQUEST_TIMEOUT = 10_000
export const CALL_TIMEOUT = 15_000
export const MAX_STREAMS = 8
/** An owner syncs about once a minute per host: a few a second is already a loop. */
export const RATE_LIMIT = { perSecond: 2, burst: 10 }
