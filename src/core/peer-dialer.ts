import { isPeerId } from '@libp2p/interface'
import { DialError } from '../errors.js'
import type { Host } from '../host/create-host.js'
import type { Dialer } from '../protocols/rpc.js'
import type { Logger } from '@libp2p/interface'

/**
 * How our protocols open streams to peers: libp2p's dialProtocol, with two additions. An open connection to the peer is used
 * even when it is relayed. When every known address of a peer fails,
 * its current addresses are looked up in the DHT and the dial is tried once more. Addresses go
 * stale (a peer behind NAT moves to another relay, an advert from before its reservation), and
 * libp2p asks peer routing only when it knows no address at all. A dial that still fails is a
 * DialError naming the peer, not libp2p's bare "All multiaddr dials failed".
 */
export function peerDialer (host: Host, log: Logger): Dialer {
  return {
    dialProtocol: async (peer, protocols, options = {}) => {
      const aborted = (): boolean => options.signal?.aborted === true
      // libp2p reuses only unlimited connections and otherwise dials again: to a peer behind NAT,
      // reached only through a relay, every call would open another relayed connection. Use the
      // open one (a direct one first).
      if (isPeerId(peer)) {
        const open = host.getConnections(peer).filter(c => c.status === 'open')
        const best = open.find(c => c.limits == null) ?? open[0]
        if (best != null) {
          try {
            return await best.newStream(protocols, options)
          } catch (err: any) {
            if (aborted() || err.name === 'UnsupportedProtocolError') throw err
          }
        }
      }
      try {
        return await host.dialProtocol(peer, protocols, options)
      } catch (first: any) {
        if (aborted() || !isPeerId(peer) || first.name === 'UnsupportedProtocolError') throw first
        try {
          const found = await host.peerRouting.findPeer(peer, { signal: options.signal })
          await host.peerStore.merge(peer, { multiaddrs: found.multiaddrs })
          log('dial to %p failed (%s); retrying with %d addresses from the DHT', peer, first.message, found.multiaddrs.length)
          return await host.dialProtocol(peer, protocols, options)
        } catch (err: any) {
          if (aborted()) throw err
          // The first failure is the cause: whether it was refused (nothing there) or timed out matters to callers.
          throw new DialError(`cannot reach peer ${peer.toString()}: ${first.message}`, { cause: first })
        }
      }
    }
  }
}
