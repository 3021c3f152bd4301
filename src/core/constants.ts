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

/**
 * A peer whose last connection closed while its record still counts is dialled once to see whether
 * it is still there, at most once in this long (a peer that keeps closing on us is not dialled in a
 * loop): a second loss within it is checked when it ends.
 */
export const GONE_CHECK_EVERY = 1 * minute

/**
 * A gone-check dial that is refused outright (nothing listens where the peer was: it crashed)
 * forgets the peer at once. One that fails otherwise (a timeout, a handshake cut short) may be a
 * busy peer, not a gone one: it is tried once more this much later before the peer is forgotten.
 */
export const GONE_RECHECK_DELAY = 10 * second

/** A new node asks this many of its first neighbours for every record they know. */
export const INITIAL_SYNC_PEERS = 3

/** `run auto` tries this many of the best-fitting peers before giving up. */
export const AUTO_ATTEMPTS = 3

/** `ps` across peers waits this long for each; silent peers are left out. */
export const LIST_TIMEOUT = 5 * second

/** Peers a node remembers as running containers of its own, for `ps` to ask when their records lapse. */
export const MAX_KNOWN_HOSTS = 1000

/** How often connections are looked over for one whose peer has gone quiet (ConnectionLiveness). */
export const LIVENESS_CHECK_INTERVAL = 10 * second
/**
 * A connection is pinged once its peer has been quiet for a record lifetime, and never more often
 * than this (a lifetime configured shorter): a link gone dead without a reset is closed within a
 * record lifetime, a check and the ping's timeout.
 */
export const LIVENESS_QUIET_MIN = 10 * second
/** A ping not answered in this long (libp2p's ping waits as long) closes the connection. */
export const LIVENESS_PING_TIMEOUT = 10 * second
/** A connection's RTT (the latency shown) is measured again after this long even if its peer is heard. */
export const LIVENESS_RTT_REFRESH = 10 * minute
/** Pings at once, so a node with many quiet connections spreads them over checks. */
export const LIVENESS_PINGS_IN_FLIGHT = 16
