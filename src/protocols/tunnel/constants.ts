export const TUNNEL_PROTOCOL = '/p2prc/tunnel/1.0.0'

export const MAX_REQUEST_BYTES = 1024
export const REQUEST_TIMEOUT = 10_000
/** Connecting to the container's port on the host. */
export const CONNECT_TIMEOUT = 10_000
/** Tunnels one peer may hold open on this host at once. */
export const MAX_TUNNELS_PER_PEER = 64
export const MAX_INBOUND_STREAMS = 256
