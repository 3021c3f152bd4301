import { logger } from '@libp2p/logger'
import { TypedEventEmitter } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { collectDefaultMetrics, Registry } from 'prom-client'
import { loadConfig } from '../config/load-config.js'
import { DialError, InvalidArgumentError, NotStartedError } from '../errors.js'
import { createHost } from '../host/create-host.js'
import { DHT_PROTOCOL } from '../host/constants.js'
import { loadIdentity } from '../identity/load-identity.js'
import { dockerClient, probeEngine } from '../runtime/docker-engine.js'
import { BootstrapRedialer } from './bootstrap-redialer.js'
import { DIAL_TIMEOUT, PEER_PRUNE_INTERVAL, PEER_TTL } from './constants.js'
import { matchesFilter } from './peer-filter.js'
import { PeerTable } from './peer-table.js'
import type { LoadConfigInit, ResolvedConfig } from '../config/load-config.js'
import type { PartialConfig } from '../config/schema.js'
import type { Host } from '../host/create-host.js'
import type { EngineInfo } from '../runtime/docker-engine.js'
import type { PeerFilter } from './peer-filter.js'
import type { PeerResources } from './peer-resources.js'
import type { PeerEntry } from './peer-table.js'
import type { AbortOptions, IdentifyResult, PeerId, PeerInfo } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

export interface NodeOptions extends PartialConfig {
  /** Identity, config and state. @default env P2PRC_DATA_DIR or ~/.p2prc */
  dataDir?: string
  /** A JSON config file; without it DATA_DIR/config.json is read when present. */
  configFile?: string
  /** Environment to read P2PRC_DATA_DIR and DOCKER_HOST from. @default process.env */
  env?: Record<string, string | undefined>
}

export interface NodeInfo {
  peerId: string
  multiaddrs: string[]
  name: string
  labels: Record<string, string>
}

export interface PeerSummary extends Omit<PeerEntry, 'lastSeen'> {
  lastSeen: string
  latencyMs: number | null
  /** Filled in by the resource adverts; null until the peer's record arrives. */
  resources: PeerResources | null
}

export interface NodeEvents {
  'peer:connect': CustomEvent<string>
  'peer:disconnect': CustomEvent<string>
  /** A p2prc peer entered or changed in the peer table. */
  'peer:update': CustomEvent<PeerEntry>
}

/**
 * A p2prc node: the libp2p host plus what we build on it. The daemon and embedding programs use
 * this class the same way; the daemon only adds the control API around it.
 */
export class P2PRCNode extends TypedEventEmitter<NodeEvents> {
  readonly config: ResolvedConfig
  readonly peerTable = new PeerTable()
  /** Prometheus metrics of this node and its libp2p host (`GET /metrics`). */
  readonly metrics: Registry
  private readonly host: Host
  private readonly log = logger('p2prc:node')
  private readonly redialer: BootstrapRedialer
  private pruneTimer?: ReturnType<typeof setInterval>
  private started = false
  private engineInfo: EngineInfo = { available: false, version: null, gpuRuntimes: [], reason: 'not probed yet' }

  constructor (config: ResolvedConfig, host: Host, metrics: Registry) {
    super()
    this.config = config
    this.host = host
    this.metrics = metrics
    this.redialer = new BootstrapRedialer(host, config.bootstrap, logger('p2prc:bootstrap'))
  }

  /** The underlying libp2p node, for embedders that need more than this class offers. */
  get libp2p (): Host {
    return this.host
  }

  get peerId (): string {
    return this.host.peerId.toString()
  }

  get multiaddrs (): string[] {
    return this.host.getMultiaddrs().map(ma => ma.toString())
  }

  get isStarted (): boolean {
    return this.started
  }

  /** What the local Docker engine said at start: a node without one offers no compute. */
  get engine (): EngineInfo {
    return this.engineInfo
  }

  info (): NodeInfo {
    return { peerId: this.peerId, multiaddrs: this.multiaddrs, name: this.config.name, labels: this.config.labels }
  }

  async start (options: AbortOptions = {}): Promise<void> {
    if (this.started) return
    this.host.addEventListener('peer:identify', this.onIdentify)
    this.host.addEventListener('peer:connect', this.onConnect)
    this.host.addEventListener('peer:disconnect', this.onDisconnect)
    this.host.addEventListener('peer:discovery', this.onDiscovery)
    const [engine] = await Promise.all([
      this.config.docker == null
        ? { available: false, version: null, gpuRuntimes: [], reason: 'disabled (--no-docker)' }
        : probeEngine(dockerClient(this.config.docker), options),
      this.host.start()
    ])
    this.engineInfo = engine
    this.redialer.start()
    this.pruneTimer = setInterval(() => { this.prune() }, PEER_PRUNE_INTERVAL)
    this.started = true
    this.log('started %s', this.peerId)
  }

  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    clearInterval(this.pruneTimer)
    this.redialer.stop()
    this.host.removeEventListener('peer:identify', this.onIdentify)
    this.host.removeEventListener('peer:connect', this.onConnect)
    this.host.removeEventListener('peer:disconnect', this.onDisconnect)
    this.host.removeEventListener('peer:discovery', this.onDiscovery)
    await this.host.stop()
    this.log('stopped')
  }

  /**
   * Dials a peer by multiaddr, or a known peer by ID, ID prefix or name; answers with the peer's ID
   * once the connection is up.
   */
  async connect (address: string, options: AbortOptions = {}): Promise<{ peerId: string, multiaddr: string }> {
    this.assertStarted()
    let ma: Multiaddr | PeerId
    if (address.startsWith('/')) {
      try {
        ma = multiaddr(address)
      } catch (err: any) {
        throw new InvalidArgumentError(`'${address}' is not a multiaddr: ${err.message}`)
      }
    } else {
      ma = peerIdFromString(this.peerTable.resolve(address).peerId)
    }
    const signal = AbortSignal.any([options.signal ?? AbortSignal.timeout(DIAL_TIMEOUT), AbortSignal.timeout(DIAL_TIMEOUT)])
    try {
      const connection = await this.host.dial(ma, { signal })
      return { peerId: connection.remotePeer.toString(), multiaddr: connection.remoteAddr.toString() }
    } catch (err: any) {
      throw new DialError(`could not connect to ${address}: ${err.message}`)
    }
  }

  /** The p2prc peers we know, freshest first, with their round-trip time where connected. */
  peers (filter: PeerFilter = {}): PeerSummary[] {
    return this.peerTable.list()
      .map(entry => ({
        ...entry,
        lastSeen: new Date(entry.lastSeen).toISOString(),
        latencyMs: this.latencyOf(entry.peerId) ?? entry.latencyMs,
        resources: null
      }))
      .filter(peer => matchesFilter(peer, filter))
      .sort((a, b) => b.lastSeen.localeCompare(a.lastSeen))
  }

  private latencyOf (peerId: string): number | null {
    const rtts = this.host.getConnections()
      .filter(c => c.remotePeer.toString() === peerId && c.rtt != null)
      .map(c => c.rtt as number)
    return rtts.length > 0 ? Math.round(Math.min(...rtts) * 10) / 10 : null
  }

  private isConnected (peerId: string): boolean {
    return this.host.getConnections().some(c => c.remotePeer.toString() === peerId)
  }

  private prune (): void {
    for (const peerId of this.peerTable.prune(Date.now() - PEER_TTL, id => this.isConnected(id))) {
      this.log('forgot silent peer %s', peerId)
    }
  }

  private assertStarted (): void {
    if (!this.started) throw new NotStartedError('the node is not started')
  }

  private readonly onIdentify = (event: CustomEvent<IdentifyResult>): void => {
    const { peerId, protocols, listenAddrs } = event.detail
    // Only p2prc nodes speak our DHT protocol; other libp2p peers stay out of the table.
    if (!protocols.includes(DHT_PROTOCOL)) return
    const entry = this.peerTable.upsert(peerId.toString(), {
      multiaddrs: listenAddrs.map(ma => ma.toString()),
      lastSeen: Date.now()
    })
    this.safeDispatchEvent('peer:update', { detail: entry })
    void this.measureLatency(peerId)
  }

  /** libp2p's connection monitor measures RTT only every few seconds; a peer shows one at once. */
  private async measureLatency (peerId: PeerId): Promise<void> {
    try {
      const rtt = await this.host.services.ping.ping(peerId, { signal: AbortSignal.timeout(DIAL_TIMEOUT) })
      if (this.peerTable.get(peerId.toString()) != null) this.peerTable.upsert(peerId.toString(), { latencyMs: rtt })
    } catch (err: any) {
      this.log('ping %p failed: %s', peerId, err.message)
    }
  }

  private readonly onConnect = (event: CustomEvent<PeerId>): void => {
    const id = event.detail.toString()
    if (this.peerTable.get(id) != null) this.peerTable.upsert(id, { lastSeen: Date.now() })
    this.safeDispatchEvent('peer:connect', { detail: id })
  }

  private readonly onDisconnect = (event: CustomEvent<PeerId>): void => {
    const id = event.detail.toString()
    if (this.peerTable.get(id) != null) this.peerTable.upsert(id, { lastSeen: Date.now() })
    this.safeDispatchEvent('peer:disconnect', { detail: id })
  }

  /** mDNS finds peers but libp2p no longer dials what it discovers; we do, for p2prc's own tag. */
  private readonly onDiscovery = (event: CustomEvent<PeerInfo>): void => {
    const { id } = event.detail
    if (this.isConnected(id.toString())) return
    this.host.dial(id, { signal: AbortSignal.timeout(DIAL_TIMEOUT) })
      .catch(err => { this.log('could not dial discovered peer %p: %s', id, err.message) })
  }
}

/**
 * Creates a node from options (the same fields as the config file, plus dataDir/configFile):
 * loads config and identity and builds the libp2p host. Call `start()` to join the network.
 */
export async function createNode (options: NodeOptions = {}): Promise<P2PRCNode> {
  const { dataDir, configFile, env, ...flags } = options
  const init: LoadConfigInit = { dataDir, configFile, env, flags }
  const config = await loadConfig(init)
  const privateKey = await loadIdentity(config.dataDir)
  const metrics = new Registry()
  collectDefaultMetrics({ register: metrics, prefix: 'p2prc_' })
  const host = await createHost({
    privateKey,
    listen: config.listen,
    bootstrap: config.bootstrap,
    mdns: config.mdns,
    metricsRegistry: metrics
  })
  return new P2PRCNode(config, host, metrics)
}
