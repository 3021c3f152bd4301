/**
 * Owners that get a label of their own on the usage counters; later ones count under
 * `owner="other"`. A label value per peer ID without a cap would let any peer grow the scrape
 * (and Prometheus' index) without end. @default 64
 */
export const MAX_OWNER_LABELS = 64

/** The owner label of usage past MAX_OWNER_LABELS owners. */
export const OTHER_OWNER = 'other'

/**
 * The states the engine gives a container (Docker's `State.Status`): each is reported, zero
 * included, so that a state's series does not vanish when its last container leaves it.
 */
export const CONTAINER_STATES = ['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead'] as const

/**
 * Control API latency buckets, in seconds: most answers are local and take milliseconds; a run
 * on a peer (an image pull included) can take minutes.
 */
export const API_LATENCY_BUCKETS = [0.005, 0.025, 0.1, 0.5, 2.5, 10, 60]

/** The route label of a request no route matched (its raw URL would be unbounded). */
export const UNMATCHED_ROUTE = 'unmatched'
