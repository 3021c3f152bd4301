/** Our own Kademlia protocol: a p2prc node must never join (or be found on) the public IPFS DHT. */
export const DHT_PROTOCOL = '/p2prc/kad/1.0.0'

/** mDNS service name, so LAN discovery finds p2prc nodes and not every libp2p node on the LAN. */
export const MDNS_SERVICE_TAG = 'p2prc.local'

/** How often libp2p's connection monitor pings each connection; its RTT is the latency we show. */
export const CONNECTION_PING_INTERVAL = 10_000

/**
 * Gossipsub's peer scoring penalises many peers behind one IP, but peers on loopback are on this
 * machine by definition (tests, several nodes per host): they are exempt, and operators can add more.
 */
export const DEFAULT_COLOCATION_WHITELIST = ['127.0.0.1', '::1']

/** Yamux's largest per-stream receive window (its default is 16 MiB): bounds what one paused stream buffers. */
export const STREAM_WINDOW = 8 * 1024 * 1024
