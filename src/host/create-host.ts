import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { autoNAT } from '@libp2p/autonat'
import { bootstrap } from '@libp2p/bootstrap'
import { circuitRelayServer, circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { dcutr } from '@libp2p/dcutr'
import { StrictNoSign, gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { mdns } from '@libp2p/mdns'
import { ping } from '@libp2p/ping'
import { prometheusMetrics } from '@libp2p/prometheus-metrics'
import { tcp } from '@libp2p/tcp'
import { uPnPNAT } from '@libp2p/upnp-nat'
import { createLibp2p } from 'libp2p'
import { DEFAULT_COLOCATION_WHITELIST, DHT_PROTOCOL, GOSSIP_LAZY_PEERS, GOSSIP_MESH, IDONTWANT_MIN_BYTES, MDNS_SERVICE_TAG, SOCKET_HIGH_WATER_MARK, STREAM_INITIAL_WINDOW, STREAM_WINDOW } from './constants.js'
import { swarmDhtProtocol } from '../swarm/index.js'
import { batchedWindowUpdates } from './batched-window-updates.js'
import { coalescedWrites } from './coalesced-writes.js'
import { ConnectionLimits } from './connection-limits.js'
import { dialFound } from './dial-found.js'
import { specStreamWindows } from './spec-stream-windows.js'
import { swarmNoise } from './swarm-encrypter.js'
import type { SwarmHandshake } from '../swarm/index.js'
import type { ConnectionsConfig, NatConfig, RelayConfig } from '../config/schema.js'
import type { CircuitRelayService } from '@libp2p/circuit-relay-v2'
import type { GossipSub } from '@libp2p/gossipsub'
import type { Identify } from '@libp2p/identify'
import type { PeerDiscovery, PrivateKey, ComponentLogger, Libp2p } from '@libp2p/interface'
import type { KadDHT, Selectors, Validators } from '@libp2p/kad-dht'
import type { Ping } from '@libp2p/ping'
import type { Registry } from 'prom-client'

// A type alias, not an interface: libp2p's ServiceMap needs an implicit index signature.
export type HostServices = {
  identify: Identify
  ping: Ping
  dht: KadDHT
  pubsub: GossipSub
  /** Present when this node offers to relay (config relay.serve). */
  relay?: CircuitRelayService
}

export type Host = Libp2p<HostServices>

export interface HostInit {
  privateKey: PrivateKey
  listen: string[]
  bootstrap: string[]
  mdns: boolean
  relay: RelayConfig
  nat: NatConfig
  connections: ConnectionsConfig
  /**
   * A private swarm this node is in: every connection must pass its handshake, and the DHT and
   * LAN discovery are the swarm's own.
   */
  swarm?: { id: string, handshake: SwarmHandshake }
  /** DHT record validators and selectors by key namespace (the part after the first '/'). */
  dhtValidators?: Validators
  dhtSelectors?: Selectors
  /** IPs whose many peers gossipsub should not penalise, beside loopback (always exempt). */
  colocationWhitelist?: string[]
  logger?: ComponentLogger
  /** Where libp2p's own metrics (connections, streams, DHT, gossipsub) are registered. */
  metricsRegistry?: Registry
}

/**
 * The one place that builds the libp2p host. Everything else talks to the returned node through
 * its services; nothing else imports transports, muxers or the DHT factory.
 */
export async function createHost (init: HostInit): Promise<Host> {
  const peerDiscovery: Array<(components: any) => PeerDiscovery> = []
  if (init.bootstrap.length > 0) peerDiscovery.push(bootstrap({ list: init.bootstrap, timeout: 0 }))
  if (init.mdns) peerDiscovery.push(dialFound(mdns({ serviceTag: init.swarm != null ? `${init.swarm.id.slice(-16).toLowerCase()}.${MDNS_SERVICE_TAG}` : MDNS_SERVICE_TAG }), init.logger?.forComponent('p2prc:mdns')))

  // Reachability services, each only when configured: libp2p lists services by name, so the
  // absent ones are simply left out of the map.
  const optional: Record<string, (components: any) => unknown> = {}
  if (init.nat.autonat) optional.autoNAT = autoNAT()
  if (init.nat.holePunch) optional.dcutr = dcutr()
  if (init.nat.upnp) optional.upnp = uPnPNAT()
  if (init.relay.serve) {
    const limit = init.relay.connectionLimit
    optional.relay = circuitRelayServer({
      reservations: {
        maxReservations: init.relay.maxReservations,
        reservationTtl: init.relay.reservationTtl,
        applyDefaultLimit: limit != null,
        defaultDurationLimit: limit?.duration,
        defaultDataLimit: limit != null ? BigInt(limit.data) : undefined
      }
    })
  }

  const limits = init.connections
  const perAddress = new ConnectionLimits(limits, init.logger?.forComponent('p2prc:connection-limits'))
  return createLibp2p({
    privateKey: init.privateKey,
    start: false,
    logger: init.logger,
    addresses: { listen: init.listen },
    connectionManager: {
      maxConnections: limits.maxConnections,
      maxIncomingPendingConnections: limits.maxPendingInbound,
      inboundUpgradeTimeout: limits.inboundUpgradeTimeout,
      inboundConnectionThreshold: limits.perIpPerSecond,
      allow: perAddress.allowList(),
      // A stream that never names its protocol holds its slot no longer than a connection's setup may take.
      inboundStreamProtocolNegotiationTimeout: limits.inboundUpgradeTimeout
    },
    connectionGater: {
      ...perAddress.gater(),
      // A revoked member is neither dialled nor let in, before its handshake is even looked at.
      denyDialPeer: peer => init.swarm?.handshake.isRevoked(peer.toString()) ?? false,
      denyInboundEncryptedConnection: peer => init.swarm?.handshake.isRevoked(peer.toString()) ?? false
    },
    // The relay transport dials /p2p-circuit addresses of peers behind NAT, and holds a
    // reservation on a relay when a listen address ends in /p2p-circuit.
    // `highWaterMark` is net's own option, passed on by @libp2p/tcp (its type lists only some).
    transports: [tcp({ dialOpts: { highWaterMark: SOCKET_HIGH_WATER_MARK } as object, listenOpts: { highWaterMark: SOCKET_HIGH_WATER_MARK } as object }), circuitRelayTransport()],
    connectionEncrypters: [batchedWindowUpdates(coalescedWrites(init.swarm != null ? swarmNoise(init.swarm.handshake) : noise()), STREAM_INITIAL_WINDOW)],
    // A paused stream (a tunnel whose TCP reader is slow) holds at most the window it granted:
    // the read buffer must hold a whole window, or yamux aborts the stream instead of waiting.
    // Yamux's own keep-alive would ping every connection every 30 s, busy or not: quiet ones are
    // pinged by the node (core/connection-liveness.ts), which also gives the latency.
    streamMuxers: [specStreamWindows(yamux({
      enableKeepAlive: false,
      maxInboundStreams: limits.maxStreamsPerConnection,
      streamOptions: { initialStreamWindowSize: STREAM_INITIAL_WINDOW, maxStreamWindowSize: STREAM_WINDOW, maxReadBufferLength: 2 * STREAM_WINDOW }
    }))],
    peerDiscovery,
    // Connections are pinged only when their peer goes quiet, by the node (core/connection-liveness.ts).
    connectionMonitor: { enabled: false },
    // A registry per node (not prom-client's global one), so several nodes fit in one process. The
    // module keeps its metrics in a map shared by every node of the process: not preserving them
    // gives each new node its own in its own registry (a node restarted in place, say, into a
    // swarm, would otherwise count into the stopped node's). Node's default metrics are the
    // registry's own (src/metrics/registry.ts): libp2p's would put them in a second time.
    metrics: init.metricsRegistry != null ? prometheusMetrics({ registry: init.metricsRegistry, preserveExistingMetrics: false, collectDefaultMetrics: false }) : undefined,
    services: {
      identify: identify(),
      // kad-dht pings peers in parallel before admitting them to its routing table.
      ping: ping({ maxOutboundStreams: 16 }),
      dht: kadDHT({
        protocol: init.swarm != null ? swarmDhtProtocol(init.swarm.id) : DHT_PROTOCOL,
        // A private network of peers on LANs, loopback and the internet: server mode from the start
        // and keep every address, since the default mapper drops exactly the private ones we use.
        clientMode: false,
        peerInfoMapper: passthroughMapper,
        validators: init.dhtValidators,
        selectors: init.dhtSelectors
      }),
      pubsub: gossipsub({
        // What goes on our topics is a record its subject signed: a second signature over the
        // gossip message would be checked at every hop for nothing (it was half an idle node's
        // validation cost). Messages carry no author or sequence number, and are told apart by
        // a hash of their content. Every node must accept its own topics even while alone.
        globalSignaturePolicy: StrictNoSign,
        allowPublishToZeroTopicPeers: true,
        idontwantMinDataSize: IDONTWANT_MIN_BYTES,
        // Every heartbeat, gossipsub offers what it saw lately (IHAVE) to peers outside its mesh,
        // as a repair for messages the mesh lost: by default to a quarter of them, at least six.
        // In a network where every node is connected to most others, that was the largest share
        // of an idle node's frames once the pings were fewer (see GOSSIP_LAZY_PEERS).
        Dlazy: GOSSIP_LAZY_PEERS,
        gossipFactor: 0,
        ...GOSSIP_MESH,
        scoreParams: {
          IPColocationFactorWhitelist: new Set([...DEFAULT_COLOCATION_WHITELIST, ...(init.colocationWhitelist ?? [])])
        }
      }),
      ...optional
    }
  }) as Promise<Host>
}
