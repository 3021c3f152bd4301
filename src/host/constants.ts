/** The ping protocol's name, for the node's own pings (core/connection-liveness.ts); libp2p's ping service answers it. */
export { PING_PROTOCOL } from '@libp2p/ping'

/** Our own Kademlia protocol: a p2prc node must never join (or be found on) the public IPFS DHT. */
export const DHT_PROTOCOL = '/p2prc/kad/1.0.0'

/** mDNS service name, so LAN discovery finds p2prc nodes and not every libp2p node on the LAN. */
export const MDNS_SERVICE_TAG = 'p2prc.local'

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

/**
 * The window a stream starts with (yamux's default is 256 KiB). Yamux hands a data frame on only
 * once all of it has arrived, and a tunnel sends frames of 256 KiB (protocols/tunnel/pipe.ts): in
 * a 256 KiB window one frame was in flight at a time, the sender waiting a round trip after each,
 * both daemons idle 40% of a transfer. Yamux grows a window only when it knows the connection's
 * round trip, from its own keep-alive pings, which are off (below in create-host.ts): it never
 * does. 2 MiB holds eight frames: the tunnel went from 0.66x to ~1.0x of `ssh -L`. Letting it
 * grow to 8 MiB (keep-alive on) cost 10-20% more CPU per byte in two runs each here; on a 50 ms
 * link 2 MiB still allows 40 MB/s per stream, where 256 KiB allowed 5. A stream still starts at
 * the spec's 256 KiB and announces the rest in its first window update (spec-stream-windows.ts),
 * so peers with other windows are never overrun. What a stream can make its receiver hold stays
 * bounded by maxReadBufferLength (2 x STREAM_WINDOW).
 */
export const STREAM_INITIAL_WINDOW = 2 * 1024 * 1024

/**
 * Bytes a connection's socket queues before it reports "needs drain". Node's 16 KiB is less than
 * one Noise message (64 KiB): every message made the connection and all its streams wait a drain
 * turn through four layers of events. 1 MiB holds a few of a tunnel's frames; a slow peer's
 * connection still stops taking writes there.
 */
export const SOCKET_HIGH_WATER_MARK = 1024 * 1024

/**
 * Peers outside its mesh a node offers recent message IDs to every heartbeat (gossipsub's D_lazy;
 * its default is 6). An advert lost on the way is repaired by this, or by the next advert: one
 * peer a heartbeat is enough. At 20 idle nodes, 3 peers cost 0.92 CPU s a minute, 1 peer 0.80.
 */
export const GOSSIP_LAZY_PEERS = 1

/**
 * Gossipsub's mesh degree: each node forwards a message to D peers (keeping between Dlo and Dhi),
 * and so hears each one about D times. The publisher also floods it to every peer it is connected
 * to, which in our networks (every verified peer is dialled, up to connections.maxConnections) is
 * most of them: the mesh is the path to the rest and the copies beyond the first are waste. D = 4
 * instead of the default 6 still gives every node several paths; at 20 idle nodes it took a node
 * from 1.02 to 0.92 CPU s a minute. Dout stays gossipsub's 2 (at most D/2, under Dlo).
 */
export const GOSSIP_MESH = { D: 4, Dlo: 3, Dhi: 8, Dscore: 3 }
