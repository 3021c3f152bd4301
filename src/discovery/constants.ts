const second = 1000
const minute = 60 * second

/** Gossipsub topic of resource adverts. */
export const RESOURCES_TOPIC = 'p2prc/resources/1'

/** How often the machine is measured; a significant change is advertised at once. */
export const PROBE_INTERVAL = 10 * second

/** A peer asking for this node's record gets the current one while it is at most this old (see RecordIssuer.recent). */
export const RECENT_RECORD_AGE = 2 * PROBE_INTERVAL

/** Adverts go out every interval ± this fraction, so nodes started together do not pulse together. */
export const ADVERT_JITTER = 0.1

/**
 * A record is valid for this many advert intervals: a crashed node leaves every table within two
 * intervals of its last advert. An advert lost on every path (gossip repairs a lost message within
 * a heartbeat or two) lets a live peer lapse for at most a fifth of an interval, and only where it
 * is not connected: a lapsed peer that is connected stays in the table.
 */
export const ADVERT_RECORD_LIFETIMES = 2

/**
 * Up to this many peers a node advertises every advertInterval; beyond, the interval grows in
 * proportion, so the adverts a node receives per minute stay at this many per interval: 20 a
 * minute at the default 30 s, whatever the network's size. Receiving adverts (each several times
 * over, through the mesh) is most of what an idle node does. Liveness does not hang on them: a
 * change is advertised at once, a crashed neighbour is found when its connection closes, and a
 * quiet connection is pinged.
 */
export const PEERS_PER_INTERVAL = 10

/**
 * After start the first adverts follow quickly: gossipsub forms its mesh at heartbeats, and a
 * message that arrives at a node before its mesh exists is never passed on (gossip repair only
 * reaches peers outside the mesh). Three quick repeats cover a network that starts all at once.
 */
export const WARMUP_DELAYS = [1000, 2000, 4000]

/** A publish that reached nobody is retried when a subscriber appears: first after this, then doubling. */
export const REPUBLISH_FIRST_DELAY = 25
export const REPUBLISH_ATTEMPTS = 6

/** The DHT copy of the record lives longer than a gossip advert; it is for finding, not liveness. */
export const DHT_RECORD_TTL = 60 * minute
export const DHT_REPUBLISH_INTERVAL = 20 * minute

/** Per DHT put, provide or lookup. */
export const DHT_OPERATION_TIMEOUT = 30 * second

/** Free memory or disk moving by more than this share of the total counts as a significant change. */
export const SIGNIFICANT_SHARE = 0.1

/** A change in what runs here is advertised this soon, coalescing bursts. */
export const ADVERTISE_SOON_DELAY = 100

/** After our addresses change, the DHT record is put again this soon (batching a burst of changes). */
export const REPUBLISH_SOON_DELAY = 2_000

/** Lifetime of the last advert a stopping node sends: long enough to arrive, short enough to go at once. */
export const FAREWELL_TTL = 3_000

/** How long a stopping node spends on its farewell advert before it closes anyway. */
export const FAREWELL_TIMEOUT = 1_000
