const second = 1000
const minute = 60 * second

/** A peer we are not connected to and have not heard from for this long leaves the peer table. */
export const PEER_TTL = 5 * minute

/**
 * A record counts here for at most this long after it arrived, whatever lifetime it claims: a
 * live peer re-advertises long before, and a fake (or a departed peer's long-lived DHT copy,
 * relayed) is gone within minutes rather than a day.
 */
export const MAX_RECORD_AGE = 5 * minute
/**
 * In a network so large that adverts are rarer than that (see AdvertSchedule), a record counts for
 * this many of the lifetimes this node's own records get: a peer that reckons the network a little
 * larger gives its records a little longer.
 */
export const MAX_RECORD_AGE_LIFETIMES = 1.5

/** How often the peer table is swept for silent peers. */
export const PEER_PRUNE_INTERVAL = 30 * second

/** Bootstrap re-dial: first retry after this long, doubling up to the maximum. */
export const BOOTSTRAP_RETRY_MIN = 1 * second
export const BOOTSTRAP_RETRY_MAX = 30 * second

/** Default deadline for an outbound dial started by a user. */
export const DIAL_TIMEOUT = 10 * second

/** A new node asks this many of its first neighbours for every record they know. */
export const INITIAL_SYNC_PEERS = 3

/** `run auto` tries this many of the best-fitting peers before giving up. */
export const AUTO_ATTEMPTS = 3

/** `ps` across peers waits this long for each; silent peers are left out. */
export const LIST_TIMEOUT = 5 * second

/** Peers a node remembers as running containers of its own, for `ps` to ask when their records lapse. */
export const MAX_KNOWN_HOSTS = 1000
