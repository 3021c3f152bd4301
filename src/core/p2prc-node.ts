import { TypedEventEmitter, start, stop } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { HostContainers } from '../containers/host-containers.js'
import { runRequestFromSpec } from '../containers/run-request.js'
import { AddressChanges, DhtRecords, GossipAdverts, RecordIssuer } from '../discovery/index.js'
import { DialError, InvalidArgumentError, NoComputeError, NotFoundError, NotStartedError } from '../errors.js'
import { containerProtocols } from '../protocols/containers/index.js'
import { runProtocol } from '../protocols/run/index.js'
import { specs } from '../protocols/specs/index.js'
import { tunnelProtocol } from '../protocols/tunnel/index.js'
import { RecordMetrics, toRecordView } from '../records/index.js'
import { withTimeout } from '../signals.js'
import { BootstrapRedialer } from './bootstrap-redialer.js'
import { localContainers, remoteContainers } from './container-service.js'
import { DIAL_TIMEOUT, LIST_TIMEOUT } from './constants.js'
import { Forwards } from './forwards.js'
import { peerDialer } from './peer-dialer.js'
import { PeerTracker } from './peer-tracker.js'
import { runOnBestPeer } from './placement.js'
import type { ContainerService, RemoteProtocols } from './container-service.js'
import type { DataDirLock } from './data-dir-lock.js'
import type { LocalProbe } from './local-probe.js'
import type { ResolvedConfig } from '../config/load-config.js'
import type { ConnectResult, ContainerView, ForwardView, LogChunk, LogsQuery, NodeEvents, NodeInfo, PeerFilter, PeerRecordView, PeerSummary, RunSpec, StatsView } from '../contract/index.js'
import type { Capability } from '../discovery/index.js'
import type { Host } from '../host/create-host.js'
import type { RunOptions } from '../protocols/run/index.js'
import type { Specs } from '../protocols/specs/index.js'
import type { ResourceRecord, SignedResourceRecord } from '../records/index.js'
import type { EngineInfo } from '../runtime/docker-engine.js'
import type { DockerRuntime } from '../runtime/index.js'
import type { AbortOptions, PrivateKey, Startable } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Registry } from 'prom-client'

export interface P2PRCNodeComponents {
  config: ResolvedConfig
  host: Host
  privateKey: PrivateKey
  metrics: Registry
  probe: LocalProbe
  /** The Docker runtime, or null for a client-only node. */
  runtime: DockerRuntime | null
  /** Held while the node runs, so no other node uses its identity. */
  lock: DataDirLock
}

export interface NodeRunOptions extends RunOptions {
  /** With peer `auto`: only peers with these labels. */
  labels?: Array<readonly [string, string]>
}

/**
 * A p2prc node: the libp2p host and the services built on it (resource records on gossip, the DHT
 * and the specs protocol; the peer tracker they feed; the container protocols and the host side
 * for guests). This class only wires them together and dispatches; the daemon adds the control
 * API around it, and embedding programs use it directly.
 */
export class P2PRCNode extends TypedEventEmitter<NodeEvents> {
  readonly config: ResolvedConfig
  /** Prometheus metrics of this node and its libp2p host (`GET /metrics`). */
  readonly metrics: Registry
  /** Local listeners tunnelled to containers on peers (`p2prc forward`). */
  readonly forwards: Forwards
  private readonly host: Host
  private readonly components: P2PRCNodeComponents
  private readonly issuer: RecordIssuer
  private readonly tracker: PeerTracker
  private readonly dhtRecords: DhtRecords
  private readonly specs: Specs
  /** What reaches my containers on peers. */
  private readonly remote: RemoteProtocols
  private readonly guests: HostContainers | null
  /** Started together once the host runs, and stopped together before it stops. */
  private readonly services: Startable[]
  private guestsStarted = false
  private started = false

  constructor (components: P2PRCNodeComponents) {
    super()
    const { config, host, privateKey, metrics, probe, runtime } = this.components = components
    this.config = config
    this.host = host
    this.metrics = metrics
    const logger = host.logger
    const dialer = peerDialer(host, logger.forComponent('p2prc:dial'))
    const recordMetrics = new RecordMetrics(metrics)
    const guests = (): HostContainers => this.containerHost
    this.issuer = new RecordIssuer({
      privateKey,
      name: config.name,
      labels: config.labels,
      offer: config.offer,
      ttl: config.recordTtl,
      addresses: () => this.multiaddrs,
      probe: async options => probe.machine(options),
      usage: () => this.guestsStarted ? this.containerHost.usage() : { cpus: 0, memoryBytes: 0, gpus: 0, containers: 0 }
    })
    this.specs = specs()({
      registrar: host,
      dialer,
      logger,
      metrics: recordMetrics,
      ownRecord: async options => (await this.issuer.issue(options)).signed.envelope,
      knownRecords: () => [this.issuer.current, ...this.tracker.table.records()].flatMap(r => r != null ? [r.envelope] : [])
    })
    this.tracker = new PeerTracker({ host, specs: this.specs, logger, events: this }, { name: config.name, recordTtl: config.recordTtl })
    const gossip = new GossipAdverts({
      pubsub: host.services.pubsub,
      issuer: this.issuer,
      metrics: recordMetrics,
      log: logger.forComponent('p2prc:adverts'),
      accept: signed => this.tracker.acceptRecord(signed)
    }, { interval: config.advertInterval })
    this.dhtRecords = new DhtRecords({ dht: host.services.dht, host, issuer: this.issuer, metrics: recordMetrics, log: logger.forComponent('p2prc:dht-records') })
    this.guests = runtime == null
      ? null
      : new HostContainers({
        selfPeerId: host.peerId.toString(),
        runtime,
        policy: config.policy,
        offer: () => this.issuer.current?.record.resources.offer ?? { cpus: 0, memoryBytes: 0, gpus: 0, containers: 0 },
        gpuVendor: () => gpuVendorOf(this.issuer.current?.record),
        log: logger.forComponent('p2prc:containers'),
        onChange: () => { gossip.advertiseSoon() }
      })
    const run = runProtocol()({ registrar: host, dialer, logger, guests })
    const containers = containerProtocols()({ registrar: host, dialer, logger, guests })
    const tunnel = tunnelProtocol()({ registrar: host, dialer, logger, guests })
    this.remote = { run, containers }
    this.forwards = new Forwards(tunnel, logger.forComponent('p2prc:forwards'))
    const addresses = new AddressChanges({ host, onChange: () => { gossip.advertiseSoon(); this.dhtRecords.republishSoon() } })
    const redialer = new BootstrapRedialer(host, config.bootstrap, logger.forComponent('p2prc:bootstrap'))
    this.services = [this.specs, run, containers, tunnel, this.tracker, addresses, gossip, this.dhtRecords, redialer]
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
    return this.components.probe.engine()
  }

  info (): NodeInfo {
    return { peerId: this.peerId, multiaddrs: this.multiaddrs, name: this.config.name, labels: this.config.labels }
  }

  /** This node's current resource record, measured now. */
  async ownRecord (options: AbortOptions = {}): Promise<ResourceRecord> {
    return (await this.issuer.issue(options)).signed.record
  }

  /** Joins the network. A stopped node may be started again. */
  async start (options: AbortOptions = {}): Promise<void> {
    if (this.started) return
    await this.components.lock.acquire()
    try {
      await this.host.start()
      // The first record is issued before anything is announced, so the first advert is complete.
      await this.issuer.issue(options)
      if (this.guests != null && this.engine.available) {
        await this.guests.start(options)
        this.guestsStarted = true
      }
      await start(...this.services)
    } catch (err) {
      await stop(...this.services).catch(() => {})
      await this.shutdown()
      throw err
    }
    this.started = true
  }

  /** Leaves the network. Containers run for others keep running; the next start takes them back. */
  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    await this.forwards.closeAll()
    await stop(...this.services)
    await this.shutdown()
  }

  private async shutdown (): Promise<void> {
    if (this.guestsStarted) this.guests?.stop()
    this.guestsStarted = false
    await this.host.stop()
    await this.components.lock.release()
  }

  /** Dials a peer by multiaddr, or a known peer by ID, ID prefix or name. */
  async connect (address: string, options: AbortOptions = {}): Promise<ConnectResult> {
    this.assertStarted()
    const target = address.startsWith('/') ? parseMultiaddr(address) : peerIdFromString(this.tracker.resolve(address))
    try {
      const connection = await this.host.dial(target, { signal: withTimeout(options.signal, DIAL_TIMEOUT) })
      return { peerId: connection.remotePeer.toString(), multiaddr: connection.remoteAddr.toString() }
    } catch (err: any) {
      throw new DialError(`could not connect to ${address}: ${err.message}`)
    }
  }

  /** The p2prc peers we know, freshest first, with their round-trip time where connected. */
  peers (filter: PeerFilter = {}): PeerSummary[] {
    return this.tracker.list(filter)
  }

  /**
   * One peer's full, fresh record, asked of the peer itself (a peer not in the table may be named
   * by its full ID). With `source: 'dht'` the record stored in the DHT is read instead.
   */
  async resources (ref: string, options: AbortOptions & { source?: 'peer' | 'dht' } = {}): Promise<PeerRecordView> {
    this.assertStarted()
    const peerId = this.tracker.resolve(ref)
    if (options.source === 'dht') {
      const found = await this.dhtRecords.get(peerId, options)
      if (found == null) throw new NotFoundError(`no record of ${peerId} in the DHT`)
      return toRecordView(found.record)
    }
    if (peerId === this.peerId) return toRecordView(await this.ownRecord(options))
    try {
      const signed = await this.specs.fetchSelf(peerId, { signal: withTimeout(options.signal, DIAL_TIMEOUT) })
      this.tracker.acceptRecord(signed)
      return toRecordView(signed.record)
    } catch (err: any) {
      if (err.name === 'InvalidRecordError') throw err
      throw new DialError(`could not ask ${peerId} for its resources: ${err.message}`)
    }
  }

  /** A peer's record as stored in the DHT (verified), or null. */
  async findRecord (peerId: string, options: AbortOptions = {}): Promise<SignedResourceRecord | null> {
    this.assertStarted()
    return this.dhtRecords.get(peerId, options)
  }

  /** Finds peers with a capability through the DHT's provider records, and asks each for its record. */
  async discover (capability: Capability, options: AbortOptions = {}): Promise<PeerSummary[]> {
    this.assertStarted()
    const providers = (await this.dhtRecords.findProviders(capability, options)).filter(id => id !== this.peerId)
    await Promise.allSettled(providers.map(async peerId => {
      if (this.tracker.table.get(peerId)?.record != null) return
      this.tracker.acceptRecord(await this.specs.fetchSelf(peerId, { signal: withTimeout(options.signal, DIAL_TIMEOUT) }))
    }))
    return providers.flatMap(id => this.tracker.summary(id) ?? [])
  }

  /** The containers this node runs for others: the operator's view and kill. */
  get containerHost (): HostContainers {
    if (this.guests == null || !this.guestsStarted) throw new NoComputeError(`this node runs no containers: ${this.engine.reason ?? 'no Docker engine'}`)
    return this.guests
  }

  /** My containers on a peer (ID, unique prefix or name; this node too). */
  containersOn (ref: string): ContainerService {
    this.assertStarted()
    const peerId = this.tracker.resolve(ref)
    if (peerId === this.peerId) return localContainers(this.peerId, () => this.containerHost)
    return remoteContainers(peerId, this.remote)
  }

  /** Runs a container on a peer (`auto`: the best one that fits) and answers once it runs. */
  async run (ref: string, spec: RunSpec, options: NodeRunOptions = {}): Promise<ContainerView> {
    const request = runRequestFromSpec(spec)
    if (ref !== 'auto') return this.containersOn(ref).run(request, options)
    return runOnBestPeer(this.peers(), request, options.labels ?? [], async peerId => this.containersOn(peerId).run(request, options), options.signal)
  }

  /**
   * The containers I started, on one peer or on every peer that offers compute (this node
   * included). Peers that do not answer in time are left out of the list.
   */
  async list (ref?: string, options: AbortOptions = {}): Promise<ContainerView[]> {
    if (ref != null) return this.containersOn(ref).list(options)
    const targets = [...(this.guestsStarted ? [this.peerId] : []), ...this.peers().filter(p => p.resources?.docker === true).map(p => p.peerId)]
    const lists = await Promise.allSettled(targets.map(async peerId => this.containersOn(peerId).list({ signal: withTimeout(options.signal, LIST_TIMEOUT) })))
    return lists.flatMap(l => l.status === 'fulfilled' ? l.value : [])
  }

  async stats (ref: string, container: string, options: AbortOptions = {}): Promise<StatsView> {
    return this.containersOn(ref).stats(container, options)
  }

  statsStream (ref: string, container: string, options: AbortOptions = {}): AsyncGenerator<StatsView> {
    return this.containersOn(ref).statsStream(container, options)
  }

  logs (ref: string, container: string, query: LogsQuery, options: AbortOptions = {}): AsyncGenerator<LogChunk> {
    return this.containersOn(ref).logs(container, query, options)
  }

  async kill (ref: string, container: string, options: AbortOptions = {}): Promise<ContainerView> {
    return this.containersOn(ref).kill(container, options)
  }

  /** Forwards a local TCP port to a published port of one of my containers on a peer. */
  async forward (ref: string, container: string, port: number, local: { host: string, port: number }, options: AbortOptions = {}): Promise<ForwardView> {
    const containers = this.containersOn(ref)
    if (containers.peerId === this.peerId) throw new InvalidArgumentError('forward reaches containers on other peers; this node\'s own are on its loopback already')
    return this.forwards.open(containers, container, port, local, { signal: withTimeout(options.signal, LIST_TIMEOUT) })
  }

  private assertStarted (): void {
    if (!this.started) throw new NotStartedError('the node is not started')
  }
}

function parseMultiaddr (text: string): Multiaddr {
  try {
    return multiaddr(text)
  } catch (err: any) {
    throw new InvalidArgumentError(`'${text}' is not a multiaddr: ${err.message}`)
  }
}

function gpuVendorOf (record: ResourceRecord | undefined): 'nvidia' | 'amd' | null {
  const gpus = record?.resources.gpus ?? []
  if (gpus.some(g => g.vendor === 'nvidia')) return 'nvidia'
  if (gpus.some(g => g.vendor === 'amd')) return 'amd'
  return null
}
