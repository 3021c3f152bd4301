import { logger } from '@libp2p/logger'
import { TypedEventEmitter } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { DhtRecords } from '../discovery/dht-records.js'
import { GossipAdverts } from '../discovery/gossip-adverts.js'
import { RecordIssuer } from '../discovery/record-issuer.js'
import { RecordMetrics } from '../discovery/record-metrics.js'
import { ContainerNotFoundError, DialError, InvalidArgumentError, NotFoundError, NotStartedError, PeerNotFoundError } from '../errors.js'
import { DHT_PROTOCOL } from '../host/constants.js'
import { Specs } from '../protocols/specs/index.js'
import { killOn, listOn, logsOn, statsOn, statsStreamOn } from '../protocols/containers/container-protocols.js'
import { serveContainerProtocols } from '../protocols/containers/container-protocols.js'
import { runOn, serveRun } from '../protocols/run/run-protocol.js'
import { serveTunnels } from '../protocols/tunnel/tunnel-protocol.js'
import { Forwards } from './forwards.js'
import { peerDialer } from './peer-dialer.js'
import { HostContainers, publishedHostPort } from '../containers/host-containers.js'
import { NoComputeError, NoPeerFitsError } from '../errors.js'
import { placeRequest } from './placement.js'
import { BootstrapRedialer } from './bootstrap-redialer.js'
import { AUTO_ATTEMPTS, DIAL_TIMEOUT, FAREWELL_TIMEOUT, INITIAL_SYNC_PEERS, LIST_TIMEOUT, PEER_PRUNE_INTERVAL, PEER_TTL } from './constants.js'
import { matchesFilter } from './peer-filter.js'
import { PeerTable } from './peer-table.js'
import type { LocalProbe } from './local-probe.js'
import type { RpcHost } from '../protocols/rpc.js'
import type { ForwardView } from './forwards.js'
import type { PeerFilter } from './peer-filter.js'
import type { PeerEntry } from './peer-table.js'
import type { ResolvedConfig } from '../config/load-config.js'
import type { Capability } from '../discovery/capabilities.js'
import type { Host } from '../host/create-host.js'
import type { Capacity, ResourceRecord, Resources, SignedResourceRecord } from '../records/index.js'
import type { EngineInfo } from '../runtime/docker-engine.js'
import type { DockerRuntime } from '../runtime/index.js'
import type { ContainerView, LogLine, PullProgressEvent, RunRequest, StatsView } from '../containers/types.js'
import type { AbortOptions, IdentifyResult, PeerId, PeerInfo, PrivateKey } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Registry } from 'prom-client'

export interface NodeInfo {
  peerId: string
  multiaddrs: string[]
  name: string
  labels: Record<string, string>
}

export interface PeerSummary {
  peerId: string
  name: string | null
  multiaddrs: string[]
  labels: Record<string, string>
  lastSeen: string
  latencyMs: number | null
  /** How we are connected now: straight, or only through a relay (the peer is behind NAT); null: not connected. */
  connection: 'direct' | 'relayed' | null
  /** From the peer's signed resource record; null until one arrives. */
  resources: Resources | null
}

/** One peer's record as `p2prc specs` shows it. */
export interface PeerRecordView extends Omit<ResourceRecord, 'issuedAt' | 'expiresAt'> {
  issuedAt: string
  expiresAt: string
}

export interface NodeEvents {
  'peer:connect': CustomEvent<string>
  'peer:disconnect': CustomEvent<string>
  /** A p2prc peer entered the peer table or sent a newer record. */
  'peer:update': CustomEvent<PeerSummary>
}

export interface P2PRCNodeComponents {
  config: ResolvedConfig
  host: Host
  privateKey: PrivateKey
  metrics: Registry
  probe: LocalProbe
  /** The Docker runtime, or null for a client-only node. */
  runtime: DockerRuntime | null
}

export interface RunOptions extends AbortOptions {
  onProgress?: (progress: PullProgressEvent) => void
}

export interface RunAutoOptions extends RunOptions {
  /** Only peers with these labels. */
  labels?: Array<readonly [string, string]>
}

const NO_USAGE: Capacity = { cpus: 0, memoryBytes: 0, gpus: 0, containers: 0 }

export function toRecordView (record: ResourceRecord): PeerRecordView {
  return { ...record, issuedAt: new Date(record.issuedAt).toISOString(), expiresAt: new Date(record.expiresAt).toISOString() }
}

/**
 * A p2prc node: the libp2p host plus what we build on it (resource records on gossip, the DHT and
 * the specs protocol, and the peer table they feed). The daemon and embedding programs use this
 * class the same way; the daemon only adds the control API around it.
 */
export class P2PRCNode extends TypedEventEmitter<NodeEvents> {
  readonly config: ResolvedConfig
  readonly peerTable = new PeerTable()
  /** Prometheus metrics of this node and its libp2p host (`GET /metrics`). */
  readonly metrics: Registry
  private readonly host: Host
  private readonly probe: LocalProbe
  private readonly log = logger('p2prc:node')
  private readonly redialer: BootstrapRedialer
  private readonly issuer: RecordIssuer
  private readonly gossip: GossipAdverts
  private readonly dhtRecords: DhtRecords
  private readonly specs: Specs
  private readonly synced = new Set<string>()
  private readonly runtime: DockerRuntime | null
  /** Local listeners tunnelled to containers on peers (`p2prc forward`). */
  readonly forwards: Forwards
  /** The host for outbound protocol calls: reuses relayed connections, retries stale addresses via the DHT. */
  private readonly dialer: RpcHost
  private hostContainers?: HostContainers
  private pruneTimer?: ReturnType<typeof setInterval>
  private quickPrune?: ReturnType<typeof setTimeout>
  private quickPruneAt = 0
  /** How often the peer table is swept: often enough that a lapsed record goes within a third of its lifetime. */
  private readonly pruneEvery: number
  private started = false
  /** Our addresses as last announced, to tell an address change from other self updates. */
  private announced = ''

  constructor (components: P2PRCNodeComponents) {
    super()
    const { config, host, privateKey, metrics, probe, runtime } = components
    this.runtime = runtime
    this.config = config
    this.pruneEvery = Math.min(PEER_PRUNE_INTERVAL, config.recordTtl / 3)
    this.host = host
    this.metrics = metrics
    this.probe = probe
    this.redialer = new BootstrapRedialer(host, config.bootstrap, logger('p2prc:bootstrap'))
    this.dialer = peerDialer(host, logger('p2prc:dial'))
    this.forwards = new Forwards(this.dialer, logger('p2prc:forwards'))
    const recordMetrics = new RecordMetrics(metrics)
    this.issuer = new RecordIssuer({
      privateKey,
      name: config.name,
      labels: config.labels,
      offer: config.offer,
      ttl: config.recordTtl,
      addresses: () => this.multiaddrs,
      probe: async options => this.probe.machine(options),
      usage: () => this.hostContainers?.usage() ?? NO_USAGE
    })
    this.gossip = new GossipAdverts({
      pubsub: host.services.pubsub,
      issuer: this.issuer,
      metrics: recordMetrics,
      log: logger('p2prc:adverts'),
      accept: signed => this.acceptRecord(signed)
    }, { interval: config.advertInterval })
    this.dhtRecords = new DhtRecords({
      dht: host.services.dht,
      issuer: this.issuer,
      metrics: recordMetrics,
      log: logger('p2prc:dht-records'),
      connected: () => host.getConnections().length > 0
    })
    this.specs = new Specs({
      host: this.dialer,
      metrics: recordMetrics,
      log: logger('p2prc:specs'),
      ownRecord: async options => (await this.issuer.issue(options)).signed.envelope,
      knownRecords: () => [
        ...(this.issuer.current != null ? [this.issuer.current.envelope] : []),
        ...this.peerTable.records().map(r => r.envelope)
      ]
    })
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

  /** What the local Docker engine said at the last measurement: without one, no compute is offered. */
  get engine (): EngineInfo {
    return this.probe.engine()
  }

  info (): NodeInfo {
    return { peerId: this.peerId, multiaddrs: this.multiaddrs, name: this.config.name, labels: this.config.labels }
  }

  /** This node's current resource record, measured now. */
  async ownRecord (options: AbortOptions = {}): Promise<ResourceRecord> {
    return (await this.issuer.issue(options)).signed.record
  }

  async start (options: AbortOptions = {}): Promise<void> {
    if (this.started) return
    this.host.addEventListener('peer:identify', this.onIdentify)
    this.host.addEventListener('peer:connect', this.onConnect)
    this.host.addEventListener('peer:disconnect', this.onDisconnect)
    this.host.addEventListener('peer:discovery', this.onDiscovery)
    this.host.addEventListener('self:peer:update', this.onSelfUpdate)
    await this.host.start()
    // The first record is issued before anything is announced, so the first advert is complete.
    await this.issuer.issue(options)
    if (this.runtime != null && this.engine.available) {
      this.hostContainers = new HostContainers({
        selfPeerId: this.peerId,
        runtime: this.runtime,
        policy: this.config.policy,
        offer: () => this.issuer.current?.record.resources.offer ?? NO_USAGE,
        gpuVendor: () => gpuVendorOf(this.issuer.current?.record.resources),
        log: logger('p2prc:containers'),
        onChange: () => { this.gossip.advertiseSoon() }
      })
      await this.hostContainers.start(options)
    }
    const containerHost = (): HostContainers => this.containerHost
    await serveRun(this.host, containerHost, logger('p2prc:run'))
    await serveContainerProtocols(this.host, containerHost, logger('p2prc:container-protocols'))
    await serveTunnels(this.host, containerHost, logger('p2prc:tunnel'))
    await this.specs.start()
    this.gossip.start()
    this.dhtRecords.start()
    this.redialer.start()
    this.pruneTimer = setInterval(() => { this.prune() }, this.pruneEvery)
    this.started = true
    this.log('started %s', this.peerId)
  }

  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    clearInterval(this.pruneTimer)
    clearTimeout(this.quickPrune)
    await this.forwards.closeAll()
    this.hostContainers?.stop()
    this.redialer.stop()
    this.dhtRecords.stop()
    await this.gossip.farewell({ signal: AbortSignal.timeout(FAREWELL_TIMEOUT) })
      .catch(err => { this.log('farewell advert not sent: %s', err.message) })
    this.gossip.stop()
    await this.specs.stop()
    this.host.removeEventListener('peer:identify', this.onIdentify)
    this.host.removeEventListener('peer:connect', this.onConnect)
    this.host.removeEventListener('peer:disconnect', this.onDisconnect)
    this.host.removeEventListener('peer:discovery', this.onDiscovery)
    this.host.removeEventListener('self:peer:update', this.onSelfUpdate)
    await this.host.stop()
    this.log('stopped')
  }

  /**
   * Dials a peer by multiaddr, or a known peer by ID, ID prefix or name; answers with the peer's ID
   * once the connection is up.
   */
  async connect (address: string, options: AbortOptions = {}): Promise<{ peerId: string, multiaddr: string }> {
    this.assertStarted()
    let target: Multiaddr | PeerId
    if (address.startsWith('/')) {
      try {
        target = multiaddr(address)
      } catch (err: any) {
        throw new InvalidArgumentError(`'${address}' is not a multiaddr: ${err.message}`)
      }
    } else {
      target = peerIdFromString(this.peerTable.resolve(address).peerId)
    }
    try {
      const connection = await this.host.dial(target, { signal: withTimeout(options.signal, DIAL_TIMEOUT) })
      return { peerId: connection.remotePeer.toString(), multiaddr: connection.remoteAddr.toString() }
    } catch (err: any) {
      throw new DialError(`could not connect to ${address}: ${err.message}`)
    }
  }

  /** The p2prc peers we know, freshest first, with their round-trip time where connected. */
  peers (filter: PeerFilter = {}): PeerSummary[] {
    this.prune()
    return this.peerTable.list()
      .map(entry => this.summarise(entry))
      .filter(peer => matchesFilter(peer, filter))
      .sort((a, b) => b.lastSeen.localeCompare(a.lastSeen))
  }

  /**
   * One peer's full, fresh record, asked of the peer itself. A peer not in the table may be named
   * by its full ID: its addresses are then found through the DHT. With `source: 'dht'` the record
   * stored in the DHT is read instead, for a peer that cannot be reached.
   */
  async resources (ref: string, options: AbortOptions & { source?: 'peer' | 'dht' } = {}): Promise<PeerRecordView> {
    this.assertStarted()
    const peerId = this.resolvePeerId(ref)
    if (options.source === 'dht') {
      const found = await this.dhtRecords.get(peerId, options)
      if (found == null) throw new NotFoundError(`no record of ${peerId} in the DHT`)
      return toRecordView(found.record)
    }
    if (peerId === this.peerId) return toRecordView(await this.ownRecord(options))
    const signal = withTimeout(options.signal, DIAL_TIMEOUT)
    try {
      const signed = await this.specs.fetchSelf(peerId, { signal })
      this.acceptRecord(signed)
      return toRecordView(signed.record)
    } catch (err: any) {
      if (err.name === 'InvalidRecordError') throw err
      throw new DialError(`could not ask ${peerId} for its resources: ${err.message}`)
    }
  }

  /** The containers this node runs for others; a node without Docker has none to offer. */
  get containerHost (): HostContainers {
    if (this.hostContainers == null) throw new NoComputeError(`this node runs no containers: ${this.engine.reason ?? 'no Docker engine'}`)
    return this.hostContainers
  }

  /** Runs a container on a peer (or on this node) and answers once it runs. */
  async run (ref: string, request: RunRequest, options: RunOptions = {}): Promise<ContainerView> {
    this.assertStarted()
    const peerId = this.resolvePeerId(ref)
    if (peerId === this.peerId) return this.containerHost.run(this.peerId, request, options)
    return runOn(this.dialer, peerId, request, options)
  }

  /**
   * Runs on the best peer that fits: the candidates in order, until one accepts. When none does,
   * the error lists every peer and why it did not fit or refused.
   */
  async runAuto (request: RunRequest, options: RunAutoOptions = {}): Promise<ContainerView> {
    this.assertStarted()
    const { candidates, rejections } = placeRequest(this.peers(), request, options.labels)
    for (const { peer } of candidates.slice(0, AUTO_ATTEMPTS)) {
      try {
        return await this.run(peer.peerId, request, options)
      } catch (err: any) {
        if (options.signal?.aborted === true) throw err
        rejections.push({ peerId: peer.peerId, name: peer.name, reason: `refused: ${err.message}` })
      }
    }
    const lines = rejections.map(r => `${r.name ?? r.peerId.slice(0, 12)} (${r.peerId.slice(-6)}): ${r.reason}`)
    throw new NoPeerFitsError(rejections.length === 0 ? 'no compute peers are known yet (see `p2prc peers`)' : `no peer fits: ${lines.join('; ')}`)
  }

  /**
   * The containers this node started, on one peer or on every peer that offers compute (this
   * node included). Peers that do not answer in time are left out of the list.
   */
  async containers (ref?: string, options: AbortOptions = {}): Promise<ContainerView[]> {
    this.assertStarted()
    const targets = ref != null
      ? [this.resolvePeerId(ref)]
      : [...(this.hostContainers != null ? [this.peerId] : []), ...this.peers().filter(p => p.resources?.docker === true).map(p => p.peerId)]
    const lists = await Promise.allSettled(targets.map(async peerId => {
      if (peerId === this.peerId) return (await this.containerHost.list(this.peerId, options))
      return listOn(this.dialer, peerId, { signal: withTimeout(options.signal, LIST_TIMEOUT) })
    }))
    if (ref != null && lists[0].status === 'rejected') throw lists[0].reason
    return lists.flatMap(l => l.status === 'fulfilled' ? l.value : [])
  }

  async stats (ref: string, container: string, options: AbortOptions = {}): Promise<StatsView> {
    this.assertStarted()
    const peerId = this.resolvePeerId(ref)
    if (peerId === this.peerId) return this.containerHost.stats(this.peerId, container, options)
    return statsOn(this.dialer, peerId, container, options)
  }

  statsStream (ref: string, container: string, options: AbortOptions = {}): AsyncGenerator<StatsView> {
    this.assertStarted()
    const peerId = this.resolvePeerId(ref)
    if (peerId === this.peerId) return this.containerHost.statsStream(this.peerId, container, options)
    return statsStreamOn(this.dialer, peerId, container, options)
  }

  logs (ref: string, container: string, opts: { follow: boolean, tail: number | 'all' }, options: AbortOptions = {}): AsyncGenerator<LogLine> {
    this.assertStarted()
    const peerId = this.resolvePeerId(ref)
    if (peerId === this.peerId) return this.containerHost.logs(this.peerId, container, opts, options)
    return logsOn(this.dialer, peerId, container, opts, options)
  }

  async kill (ref: string, container: string, options: AbortOptions = {}): Promise<ContainerView> {
    this.assertStarted()
    const peerId = this.resolvePeerId(ref)
    if (peerId === this.peerId) return this.containerHost.kill(this.peerId, container, options)
    return killOn(this.dialer, peerId, container, options)
  }

  /**
   * Forwards a local TCP port to one of my containers' published ports on a peer. The container
   * is checked first, so a wrong peer, container or port fails here rather than per connection.
   */
  async forward (ref: string, container: string, port: number, local: { host: string, port: number }, options: AbortOptions = {}): Promise<ForwardView> {
    this.assertStarted()
    const peerId = this.resolvePeerId(ref)
    if (peerId === this.peerId) throw new InvalidArgumentError('forward reaches containers on other peers; this node\'s own are on its loopback already')
    const mine = await listOn(this.dialer, peerId, { signal: withTimeout(options.signal, LIST_TIMEOUT) })
    const target = mine.find(c => c.containerId === container || c.name === container || (container.length >= 4 && c.containerId.startsWith(container)))
    if (target == null) throw new ContainerNotFoundError(`you have no container '${container}' on ${peerId}`)
    publishedHostPort(target.name, target.ports, port)
    return this.forwards.open(peerId, target.containerId, port, local)
  }

  /** A peer's record as stored in the DHT (verified), or null. */
  async findRecord (peerId: string, options: AbortOptions = {}): Promise<SignedResourceRecord | null> {
    this.assertStarted()
    return this.dhtRecords.get(peerId, options)
  }

  /**
   * Finds peers with a capability through the DHT's provider records, asks each for its record and
   * adds it to the table: how a node finds, say, GPU peers it has never gossiped with.
   */
  async discover (capability: Capability, options: AbortOptions = {}): Promise<PeerSummary[]> {
    this.assertStarted()
    const providers = (await this.dhtRecords.findProviders(capability, options)).filter(id => id !== this.peerId)
    await Promise.allSettled(providers.map(async peerId => {
      if (this.peerTable.get(peerId)?.record != null) return
      this.acceptRecord(await this.specs.fetchSelf(peerId, { signal: withTimeout(options.signal, DIAL_TIMEOUT) }))
    }))
    return providers.flatMap(id => {
      const entry = this.peerTable.get(id)
      return entry != null ? [this.summarise(entry)] : []
    })
  }

  private resolvePeerId (ref: string): string {
    try {
      return this.peerTable.resolve(ref).peerId
    } catch (err) {
      if (ref === this.peerId || ref === this.config.name) return this.peerId
      if (err instanceof PeerNotFoundError) {
        try {
          return peerIdFromString(ref).toString()
        } catch {
          // Not a peer ID either: the table's error says best what went wrong.
        }
      }
      throw err
    }
  }

  private summarise (entry: PeerEntry): PeerSummary {
    return {
      peerId: entry.peerId,
      name: entry.name,
      multiaddrs: entry.multiaddrs,
      labels: entry.labels,
      lastSeen: new Date(entry.lastSeen).toISOString(),
      latencyMs: this.latencyOf(entry.peerId) ?? entry.latencyMs,
      connection: this.connectionKind(entry.peerId),
      resources: entry.record?.record.resources ?? null
    }
  }

  private acceptRecord (signed: SignedResourceRecord): boolean {
    if (signed.record.peerId === this.peerId) return false
    const before = this.peerTable.get(signed.record.peerId)?.multiaddrs.join()
    if (!this.peerTable.acceptRecord(signed)) return false
    // The record is signed by the peer: its addresses (a relayed one for a peer behind NAT) are
    // how to dial it, even when we learnt of it second-hand. Stored only when they changed: a
    // peer-store write per advert was a noticeable share of an idle node's CPU.
    if (signed.record.multiaddrs.join() !== before) {
      const addresses = signed.record.multiaddrs.flatMap(text => { try { return [multiaddr(text)] } catch { return [] } })
      this.host.peerStore.merge(peerIdFromString(signed.record.peerId), { multiaddrs: addresses })
        .catch(err => { this.log('could not store addresses of %s: %s', signed.record.peerId, err.message) })
    }
    this.pruneAt(signed.record.expiresAt)
    const entry = this.peerTable.get(signed.record.peerId)
    if (entry != null) this.safeDispatchEvent('peer:update', { detail: this.summarise(entry) })
    return true
  }

  private connectionKind (peerId: string): PeerSummary['connection'] {
    const connections = this.host.getConnections(peerIdFromString(peerId))
    if (connections.length === 0) return null
    return connections.some(c => !c.remoteAddr.toString().includes('/p2p-circuit')) ? 'direct' : 'relayed'
  }

  /**
   * Our addresses changed (a relay reservation made or lost, a UPnP mapping, a confirmed public
   * address): peers must learn how to reach us now, not at the next periodic advert.
   */
  private readonly onSelfUpdate = (): void => {
    const addresses = this.host.getMultiaddrs().map(a => a.toString()).sort().join()
    if (addresses === this.announced) return
    this.announced = addresses
    if (!this.started) return
    this.gossip.advertiseSoon()
    this.dhtRecords.republishSoon()
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

  /** Prunes when a record expires before the next periodic prune (a peer's farewell advert). */
  private pruneAt (expiresAt: number): void {
    const delay = expiresAt - Date.now() + 50
    if (delay > this.pruneEvery || (this.quickPrune != null && this.quickPruneAt <= expiresAt)) return
    clearTimeout(this.quickPrune)
    this.quickPruneAt = expiresAt
    this.quickPrune = setTimeout(() => {
      this.quickPrune = undefined
      if (this.started) this.prune()
    }, Math.max(0, delay))
  }

  private prune (): void {
    const now = Date.now()
    for (const peerId of this.peerTable.prune(now, now - PEER_TTL, id => this.isConnected(id))) {
      this.log('forgot peer %s', peerId)
    }
  }

  private assertStarted (): void {
    if (!this.started) throw new NotStartedError('the node is not started')
  }

  private readonly onIdentify = (event: CustomEvent<IdentifyResult>): void => {
    const { peerId, protocols, listenAddrs } = event.detail
    // Only p2prc nodes speak our DHT protocol; other libp2p peers stay out of the table.
    if (!protocols.includes(DHT_PROTOCOL)) return
    const id = peerId.toString()
    const known = this.peerTable.get(id)
    const entry = this.peerTable.upsert(id, {
      multiaddrs: known?.record != null ? known.multiaddrs : listenAddrs.map(ma => ma.toString()),
      lastSeen: Date.now()
    })
    this.safeDispatchEvent('peer:update', { detail: this.summarise(entry) })
    void this.measureLatency(peerId)
    if (this.synced.size < INITIAL_SYNC_PEERS && !this.synced.has(id)) {
      this.synced.add(id)
      void this.syncFrom(id)
    }
  }

  /** A new node fills its table from its first neighbours; gossip keeps it current after that. */
  private async syncFrom (peerId: string): Promise<void> {
    try {
      const records = await this.specs.fetchKnown(peerId, { signal: AbortSignal.timeout(DIAL_TIMEOUT) })
      let taken = 0
      for (const signed of records) if (this.acceptRecord(signed)) taken++
      this.log('took %d of %d records from %s', taken, records.length, peerId)
    } catch (err: any) {
      this.synced.delete(peerId)
      this.log('sync from %s failed: %s', peerId, err.message)
    }
  }

  /** libp2p's connection monitor measures RTT only every few seconds; a peer shows one at once. */
  private async measureLatency (peerId: PeerId): Promise<void> {
    // Over a relay only: pinging would dial yet another relayed connection (libp2p reuses only
    // unlimited ones); the connection monitor measures the relayed one in time.
    if (this.host.getConnections(peerId).every(c => c.limits != null)) return
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
    this.dhtRecords.onConnected()
    this.safeDispatchEvent('peer:connect', { detail: id })
  }

  private readonly onDisconnect = (event: CustomEvent<PeerId>): void => {
    const id = event.detail.toString()
    const entry = this.peerTable.get(id)
    if (entry != null) this.peerTable.upsert(id, { lastSeen: Date.now() })
    // A peer whose record lapsed (it said farewell, or went quiet) goes with its last connection.
    if (entry?.lapsed === true && !this.isConnected(id)) this.prune()
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

function gpuVendorOf (resources: Resources | undefined): 'nvidia' | 'amd' | null {
  if (resources?.gpus.some(g => g.vendor === 'nvidia') === true) return 'nvidia'
  if (resources?.gpus.some(g => g.vendor === 'amd') === true) return 'amd'
  return null
}

/** The caller's signal, bounded by a default deadline. */
function withTimeout (signal: AbortSignal | undefined, ms: number): AbortSignal {
  return signal == null ? AbortSignal.timeout(ms) : AbortSignal.any([signal, AbortSignal.timeout(ms)])
}
