const second = 1000
const minute = 60 * second
const hour = 60 * minute

/** Signed-envelope domain: a signature made for a resource record is valid for nothing else. */
export const RECORD_DOMAIN = 'p2prc-resource-record'

/** Envelope payload type: names the schema of the payload. */
export const RECORD_PAYLOAD_TYPE = new TextEncoder().encode('/p2prc/resource-record/1')

export const RECORD_SCHEMA_VERSION = 1

/** A signed record larger than this is refused unread; a real one is about 1 KiB. */
export const MAX_RECORD_BYTES = 8 * 1024

/** A record may not claim to stay valid longer than this, so a leaked one cannot live forever. */
export const MAX_RECORD_LIFETIME = 24 * hour

/** Records whose clocks run this far ahead of ours are still accepted (issued "in the future"). */
export const CLOCK_SKEW_ALLOWANCE = 5 * minute

/** DHT keys of resource records: `/p2prc/resources/<peer id>`; the validator is keyed by `p2prc`. */
export const DHT_NAMESPACE = 'p2prc'
export const DHT_KEY_PREFIX = `/${DHT_NAMESPACE}/resources/`
