export const TUNNEL_PROTOCOL = '/p2prc/tunnel/1.0.0'

export const MAX_REQUEST_BYTES = 1024
/** The requester has this long to send its request; opening a tunnel gives up after it too. */
export const REQUEST_TIMEOUT = 10_000
/** Connecting to the container's port on the host. */
export const CONNECT_TIMEOUT = 10_000
/** Tunnels one peer may hold open on this host at once. */
export const MAX_TUNNELS_PER_PEER = 64
export const MAX_STREAMS = 256
/** New tunnel connections per peer: a browser opens many at once, a loop many more. */
export const RATE_LIMIT = { perSecond: 50, burst: 100 }
