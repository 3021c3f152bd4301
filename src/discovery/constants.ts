const second = 1000
const minute = 60 * second

/** Gossipsub topic of resource adverts. */
export const RESOURCES_TOPIC = 'p2prc/resources/1'

/** How often the machine is measured; a significant change is advertised at once. */
export const PROBE_INTERVAL = 10 * second

/** Adverts go out every interval ± this fraction, so nodes started together do not pulse together. */
export const ADVERT_JITTER = 0.2

/** A publish that reached nobody is retried when a subscriber appears, at most this often. */
export const REPUBLISH_DEBOUNCE = 250

/** The DHT copy of the record lives longer than a gossip advert; it is for finding, not liveness. */
export const DHT_RECORD_TTL = 60 * minute
export const DHT_REPUBLISH_INTERVAL = 20 * minute

/** Per DHT put, provide or lookup. */
export const DHT_OPERATION_TIMEOUT = 30 * second

/** Free memory or disk moving by more than this share of the total counts as a significant change. */
export const SIGNIFICANT_SHARE = 0.1
