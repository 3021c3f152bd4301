/** Our own Kademlia protocol: a p2prc node must never join (or be found on) the public IPFS DHT. */
export const DHT_PROTOCOL = '/p2prc/kad/1.0.0'

/** mDNS service name, so LAN discovery finds p2prc nodes and not every libp2p node on the LAN. */
export const MDNS_SERVICE_TAG = 'p2prc.local'

/**
 * How often libp2p's connection monitor pings each connection; its RTT is the latency we show
 * (a new peer is pinged at once, see PeerTracker). Each ping is a new stream, about eight frames
 * each way: at every 10 s on a node connected to 49 others, they were the largest share of an
 * idle node's frames. A dead connection is found by TCP and yamux's keep-alive long before.
 */
export const CONNECTION_PING_INTERVAL = 60_000

/**
 * Gossipsub tells its mesh peers "don't send me this" (IDONTWANT) for each message of at least
 * this size it receives. For adverts (under 1 KiB) the notice costs as much as the duplicate it
 * saves, so only messages larger than any advert get one.
 */
export const IDONTWANT_MIN_BYTES = 64 * 1024

/**
 * Gossipsub's peer scoring penalises many peers behind one IP, but peers on loopback are on this
 * machine by definition (tests, several nodes per host): they are exempt, and operators can add more.
 */
export const DEFAULT_COLOCATION_WHITELIST = ['127.0.0.1', '::1']

/** Yamux's largest per-stream receive window (its default is 16 MiB): bounds what one paused stream buffers. */
export const STREAM_WINDOW = 8 * 1024 * 1024

/** Peers outside its mesh a node offers recent message IDs to every heartbeat (gossipsub's D_lazy; its default is 6). */
export const GOSSIP_LAZY_PEERS = 3
