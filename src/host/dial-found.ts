import type { AbortOptions, Logger, PeerDiscovery, PeerId, PeerInfo, PeerStore } from '@libp2p/interface'

/** What of libp2p's components the dialling takes (its connection manager's type is internal to libp2p). */
interface DialFoundComponents {
  peerId: PeerId
  peerStore: Pick<PeerStore, 'merge'>
  connectionManager: {
    getConnections: (peerId: PeerId) => unknown[]
    openConnection: (peerId: PeerId, options: AbortOptions) => Promise<unknown>
  }
}

/** How long dialling a peer found on the LAN may take. */
const DIAL_TIMEOUT = 10_000

/**
 * libp2p no longer dials what peer discovery finds; a peer that mDNS finds on the LAN is dialled
 * here, as soon as it is found. Not on libp2p's peer:discovery event: that fires for every peer
 * that enters the peer store (each relayed record's subject, each DHT contact), and dialling on
 * it had every node dial every other the moment it heard of it.
 */
export function dialFound <C> (factory: (components: C) => PeerDiscovery, log?: Logger): (components: C & DialFoundComponents) => PeerDiscovery {
  return components => {
    const service = factory(components)
    service.addEventListener('peer', (event: CustomEvent<PeerInfo>) => {
      const { id, multiaddrs } = event.detail
      if (id.equals(components.peerId) || components.connectionManager.getConnections(id).length > 0) return
      // Into the peer store first (libp2p does it too, in its own time), so the dial has the addresses.
      components.peerStore.merge(id, { multiaddrs })
        .then(async () => components.connectionManager.openConnection(id, { signal: AbortSignal.timeout(DIAL_TIMEOUT) }))
        .catch(err => { log?.('could not dial %p, found on the LAN: %s', id, err.message) })
    })
    return service
  }
}
