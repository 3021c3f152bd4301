import { TypedEventEmitter, start, stop } from '@libp2p/interface'
import { execCommandFromSpec } from '../containers/exec-request.js'
import { runRequestFromSpec } from '../containers/run-request.js'
import { InvalidArgumentError, NotStartedError, SwarmError } from '../errors.js'
import { untilAborted, withTimeout } from '../signals.js'
import { localContainers, remoteContainers } from './container-service.js'
import { LIST_TIMEOUT, MAX_KNOWN_HOSTS } from './constants.js'
import { createNodeServices } from './node-services.js'
import { runOnBestPeer } from './placement.js'
import type { Placement } from './placement.js'
import type { ContainerService } from './container-service.js'
import type { ActivityLog } from '../activity/index.js'
import type { Forwards } from './forwards.js'
import type { NodeServices, P2PRCNodeComponents } from './node-services.js'
import type { PeerRecords } from './peer-records.js'
import type { ResolvedConfig } from '../config/load-config.js'
import type { HostContainers } from '../containers/host-containers.js'
import { createSwarm, joinSwarm, leaveSwarm } from '../swarm/index.js'
import type { Swarm } from '../swarm/index.js'
import type { ReceiptFile, UsageQuery, UsageReport } from '../contract/index.js'
import type { ArchiveRead, ContainerList, ExecSession, ExecSpec, PathStat, InviteResult, SwarmInfo, SwarmRole, ConnectResult, ContainerView, HostCheck, ForwardView, LogChunk, LogsQuery, NodeEvents, NodeInfo, PeerFilter, PeerRecordView, PeerSummary, RunSpec, StatsView } from '../contract/index.js'
import type { RunOptions } from '../protocols/run/index.js'
import type { Host } from '../host/create-host.js'
import type { ResourceRecord } from '../records/index.js'
import type { EngineInfo } from '../runtime/docker-engine.js'
import type { AbortOptions } from '@libp2p/interface'
import type { Registry } from 'prom-client'

export interface NodeRunOptions extends RunOptions, Placement {}

/**
 * A p2prc node: the libp2p host and the services built on it (resource records on gossip, the DHT
 * and the specs protocol; the peer tracker they feed; the container protocols and the host side
 * for guests), assembled in node-services.ts. This class starts and stops them as a set and
 * dispatches to them; the daemon adds the control API around it, and embedding programs use it
 * directly.
 */
export class P2PRCNode extends TypedEventEmitter<NodeEvents> {
  private readonly components: P2PRCNodeComponents
  private readonly services: NodeServices
  private started = false
  /**
   * Peers known to run containers of mine: `ps` asks them even when their records have lapsed
   * (a host restarting, or gone), so their containers are reported missing rather than left out.
   */
  private readonly myHosts = new Set<string>()

  constructor (components: P2PRCNodeComponents) {
    super()
    this.components = components
    this.services = createNodeServices(components, this)
  }

  get config (): ResolvedConfig {
    return this.components.config
  }

  /** Prometheus metrics of this node and its libp2p host (`GET /metrics`). */
  get metrics (): Registry {
    return this.components.metrics
  }

  /** Local listeners tunnelled to containers on peers (`p2prc forward`). */
  get forwards (): Forwards {
    return this.services.forwards
  }

  /** What guests did here: runs, refusals, pulls, ends, commands and copies (`p2prc host log`). */
  get activity (): ActivityLog {
    return this.services.activity
  }

  /** Peers' resource records on demand (`p2prc specs`, `peers --discover`). */
  get records (): PeerRecords {
    return this.services.records
  }

  /** The underlying libp2p node, for embedders that need more than this class offers. */
  get libp2p (): Host {
    return this.components.host
  }

  get peerId (): string {
    return this.components.host.peerId.toString()
  }

  get multiaddrs (): string[] {
    return this.components.host.getMultiaddrs().map(ma => ma.toString())
  }

  get isStarted (): boolean {
    return this.started
  }

  /** What the local Docker engine said at the last measurement. */
  get engine (): EngineInfo {
    return this.components.probe.engine()
  }

  /** Whether this node takes guests now (an engine, with what the policy needs), and if not why. */
  get compute (): { available: boolean, reason: string | null } {
    return { available: this.services.guests.available, reason: this.services.guests.reason }
  }

  /** `p2prc host check`: what keeps guests apart from this host and each other, and what is missing. */
  async hostCheck (): Promise<HostCheck[]> {
    return this.services.guests.check()
  }

  info (): NodeInfo {
    return { peerId: this.peerId, multiaddrs: this.multiaddrs, name: this.config.name, labels: this.config.labels }
  }

  /** This node's current resource record, measured now. */
  async ownRecord (options: AbortOptions = {}): Promise<ResourceRecord> {
    return (await this.services.issuer.issue(options)).signed.record
  }

  /** Joins the network. A stopped node may be started again. */
  async start (options: AbortOptions = {}): Promise<void> {
    if (this.started) return
    await this.components.lock.acquire()
    try {
      await this.components.host.start()
      // The accounts are read before the host side takes its containers back and meters them.
      await this.services.hostUsage.open()
      this.services.guests.open()
      // The first record is issued before anything is announced, so the first advert is complete;
      // measuring the machine also starts the host side when there is an engine.
      await this.services.issuer.issue(options)
      await start(...this.services.startables)
    } catch (err) {
      await stop(...this.services.startables).catch(() => {})
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
    await stop(...this.services.startables)
    await this.shutdown()
  }

  private async shutdown (): Promise<void> {
    this.services.guests.shutdown()
    await this.components.host.stop()
    await this.components.lock.release()
  }

  /** Dials a peer by multiaddr, or a known peer by ID, ID prefix or name. */
  async connect (address: string, options: AbortOptions = {}): Promise<ConnectResult> {
    this.assertStarted()
    return this.services.tracker.connect(address, options)
  }

  /** The p2prc peers we know, freshest first, with their round-trip time where connected. */
  peers (filter: PeerFilter = {}): PeerSummary[] {
    return this.services.tracker.list(filter)
  }

  /** One peer's full, fresh resource record (see PeerRecords.resources). */
  async resources (ref: string, options: AbortOptions & { source?: 'peer' | 'dht' } = {}): Promise<PeerRecordView> {
    this.assertStarted()
    return this.records.resources(ref, options)
  }

  /** The containers this node runs for others: the operator's view and kill. */
  get containerHost (): HostContainers {
    return this.services.guests.host
  }

  /** My containers on a peer (ID, unique prefix or name; this node too). */
  containersOn (ref: string): ContainerService {
    this.assertStarted()
    const peerId = this.services.tracker.resolve(ref)
    if (peerId === this.peerId) return localContainers(this.peerId, () => this.services.guests.host, () => this.services.guests.sessions)
    return remoteContainers(peerId, this.services.remote)
  }

  /** Runs a container on a peer (`auto`: the best one that fits) and answers once it runs. */
  async run (ref: string, spec: RunSpec, options: NodeRunOptions = {}): Promise<ContainerView> {
    const request = runRequestFromSpec(spec)
    const started = ref !== 'auto'
      ? await this.containersOn(ref).run(request, options)
      : await runOnBestPeer(this.peers(), request, options, async peerId => this.containersOn(peerId).run(request, options), options.signal)
    this.noteHost(started.peerId, true)
    this.safeDispatchEvent('container:update', { detail: started })
    return started
  }

  /** Remembers (or forgets) a peer as one that runs containers of mine; bounded, the oldest forgotten first. */
  private noteHost (peerId: string, runsMine: boolean): void {
    if (peerId === this.peerId) return
    this.myHosts.delete(peerId)
    if (!runsMine) return
    this.myHosts.add(peerId)
    if (this.myHosts.size > MAX_KNOWN_HOSTS) this.myHosts.delete(this.myHosts.values().next().value as string)
  }

  /**
   * The containers I started, on one peer or on every peer that offers compute (this node
   * included). Peers that do not answer in time are left out of the list; `listEverywhere` says which.
   */
  async list (ref?: string, options: AbortOptions = {}): Promise<ContainerView[]> {
    this.assertStarted()
    if (ref == null) return (await this.listEverywhere(options)).containers
    const containers = this.containersOn(ref)
    const list = await containers.list(options)
    this.noteHost(containers.peerId, list.length > 0)
    return list
  }

  /**
   * My containers on every peer that offers compute, this node included, and the peers that did
   * not answer in time (restarting, or unreachable): their containers are missing from the list.
   */
  async listEverywhere (options: AbortOptions = {}): Promise<ContainerList> {
    this.assertStarted()
    const targets = [...new Set([...(this.services.guests.available ? [this.peerId] : []), ...this.peers().filter(p => p.resources?.docker === true).map(p => p.peerId), ...this.myHosts])]
    // A peer that does not answer in time is left out, whatever the calls beneath do with the
    // signal: one frozen peer must not hold `ps` for everyone else's answers.
    const lists = await Promise.allSettled(targets.map(async peerId => {
      const signal = withTimeout(options.signal, LIST_TIMEOUT)
      return untilAborted(this.containersOn(peerId).list({ signal }), signal)
    }))
    lists.forEach((l, i) => { if (l.status === 'fulfilled') this.noteHost(targets[i], l.value.length > 0) })
    return {
      containers: lists.flatMap(l => l.status === 'fulfilled' ? l.value : []),
      unreachable: targets.filter((_peer, i) => lists[i].status === 'rejected')
    }
  }

  async stats (ref: string, container: string, options: AbortOptions = {}): Promise<StatsView> {
    return this.containersOn(ref).stats(container, options)
  }

  /** A sample a second until the container stops or the caller aborts. */
  statsStream (ref: string, container: string, options: AbortOptions = {}): AsyncGenerator<StatsView> {
    return this.containersOn(ref).statsStream(container, options)
  }

  /** The container's output; with `follow`, until it stops or the caller aborts. */
  logs (ref: string, container: string, query: Partial<LogsQuery> = {}, options: AbortOptions = {}): AsyncGenerator<LogChunk> {
    return this.containersOn(ref).logs(container, { follow: query.follow ?? false, tail: query.tail ?? 'all' }, options)
  }

  async kill (ref: string, container: string, options: AbortOptions = {}): Promise<ContainerView> {
    const killed = await this.containersOn(ref).kill(container, options)
    this.safeDispatchEvent('container:update', { detail: killed })
    return killed
  }

  /** `host usage`: what the containers this node runs for others used, per owner and per container. */
  hostUsage (query: UsageQuery = {}): UsageReport {
    return this.services.hostUsage.usage(query)
  }

  /** The operator's copy of a container's latest receipt (and the owner's countersignature once given). */
  hostReceipt (container: string): ReceiptFile {
    return this.services.hostUsage.receiptFile(container)
  }

  /**
   * `usage`: what my containers used on each host, from the receipts the hosts signed (fetched
   * and countersigned first, from every host I ran something on, or the one asked), with what runs
   * on this node itself from its own accounts.
   */
  async usage (query: UsageQuery = {}, options: AbortOptions = {}): Promise<UsageReport> {
    this.assertStarted()
    const host = query.peer != null ? this.services.tracker.resolve(query.peer) : undefined
    const unreachable = host === this.peerId ? [] : await this.services.ownerUsage.syncAll(host != null ? [host] : null, options)
    const remote = host === this.peerId ? { peers: [], containers: [] } : this.services.ownerUsage.usage({ ...query, peer: host })
    const local = host == null || host === this.peerId ? this.services.hostUsage.usage({ ...query, peer: this.peerId }) : { peers: [], containers: [] }
    const own = local.peers.map(t => ({ ...t, peerId: this.peerId }))
    return { peers: [...remote.peers, ...own], containers: [...remote.containers, ...local.containers], unreachable }
  }

  /** A receipt pair of one of my containers on a host, as a file (`p2prc usage receipt`). */
  receipt (container: string, host?: string): ReceiptFile {
    return this.services.ownerUsage.receiptFile(container, host != null ? this.services.tracker.resolve(host) : undefined)
  }

  /** Removes one of my containers that has exited. */
  async remove (ref: string, container: string, options: AbortOptions = {}): Promise<ContainerView> {
    const removed = await this.containersOn(ref).remove(container, options)
    this.safeDispatchEvent('container:update', { detail: removed })
    return removed
  }

  /**
   * Runs a command in one of my containers on a peer (`p2prc exec`); resolves once it runs. Read
   * the session's output to its end, then `wait()` for the exit code.
   */
  async exec (ref: string, container: string, spec: ExecSpec, options: AbortOptions = {}): Promise<ExecSession> {
    return this.containersOn(ref).exec(container, spec, options)
  }

  /** The operator's exec (`p2prc host exec`): any container this node runs for others. */
  async hostExec (container: string, spec: ExecSpec, options: AbortOptions = {}): Promise<ExecSession> {
    return this.services.guests.sessions.exec(null, container, execCommandFromSpec(spec), options)
  }

  /** What a path in one of my containers on a peer is (`docker cp`'s stat). */
  async statPath (ref: string, container: string, path: string, options: AbortOptions = {}): Promise<PathStat> {
    return this.containersOn(ref).stat(container, path, options)
  }

  /** A path out of one of my containers on a peer, as a tar stream (`p2prc cp PEER:C:PATH DEST`). */
  async readArchive (ref: string, container: string, path: string, options: AbortOptions = {}): Promise<ArchiveRead> {
    return this.containersOn(ref).read(container, path, options)
  }

  /** A tar stream of `size` bytes into a directory of one of my containers on a peer (`p2prc cp SRC PEER:C:DIR`). */
  async writeArchive (ref: string, container: string, directory: string, size: number, tar: AsyncIterable<Uint8Array>, options: AbortOptions = {}): Promise<void> {
    await this.containersOn(ref).write(container, directory, size, tar, options)
  }

  /** Forwards a local TCP port to a published port of one of my containers on a peer. */
  async forward (ref: string, container: string, port: number, local: { host: string, port: number } = { host: '127.0.0.1', port: 0 }, options: AbortOptions = {}): Promise<ForwardView> {
    const containers = this.containersOn(ref)
    if (containers.peerId === this.peerId) throw new InvalidArgumentError('forward reaches containers on other peers; this node\'s own are on its loopback already')
    return this.forwards.open(containers, container, port, local, { signal: withTimeout(options.signal, LIST_TIMEOUT) })
  }

  /** The private swarm this node is in (`p2prc swarm status`), or null in the open network. */
  get swarm (): SwarmInfo | null {
    return this.components.swarm?.info() ?? null
  }

  /**
   * Makes a private swarm with this node as its creator (`p2prc swarm create`). It takes effect
   * when the node starts next: the daemon restarts its node at once; an embedder stops and
   * creates the node again.
   */
  async createSwarm (): Promise<{ swarmId: string }> {
    const state = await createSwarm(this.config.dataDir, this.components.privateKey)
    return { swarmId: state.swarmId }
  }

  /** Binds this node to an invite (`p2prc join TOKEN`); like createSwarm, it takes effect at the next start. */
  async joinSwarm (token: string): Promise<{ swarmId: string, role: SwarmRole }> {
    const state = await joinSwarm(this.config.dataDir, this.components.privateKey, token)
    return { swarmId: state.swarmId, role: state.role }
  }

  /** Leaves the swarm (`p2prc swarm leave`): from the next start, the node is in the open network again. */
  async leaveSwarm (): Promise<void> {
    await leaveSwarm(this.config.dataDir)
  }

  /**
   * An invite to this node's swarm (`p2prc invite`); only its creator makes them. The token names
   * this node's addresses to join through, and, when it relays, to hold a reservation on.
   */
  async invite (options: { ttl?: number, uses?: number, role?: SwarmRole } = {}): Promise<InviteResult> {
    this.assertStarted()
    const swarm = this.requireSwarm()
    // Loopback last: a joiner on another machine needs the others; one on this machine any.
    const own = this.multiaddrs.filter(a => !a.includes('/p2p-circuit')).sort((a, b) => Number(isLoopback(a)) - Number(isLoopback(b)))
    const relayed = this.multiaddrs.filter(a => a.includes('/p2p-circuit'))
    const invite = await swarm.invite({
      ...options,
      bootstrap: [...own, ...relayed],
      relays: this.config.relay.serve ? own.slice(0, 4) : []
    })
    return { token: invite.token, expiresAt: new Date(invite.expiresAt).toISOString(), inviteId: invite.inviteId }
  }

  /** Revokes a member (by ID, prefix or name) or an invite (by ID); creator only. Every member drops it. */
  async revoke (what: { peer?: string, invite?: string }): Promise<SwarmInfo> {
    this.assertStarted()
    const swarm = this.requireSwarm()
    if (what.invite != null && !/^[0-9a-f]{32}$/.test(what.invite)) throw new InvalidArgumentError('invite: the 32 hex characters of an invite ID')
    const peer = what.peer != null ? this.services.tracker.resolve(what.peer) : null
    if (peer === this.peerId) throw new InvalidArgumentError('the swarm\'s creator cannot revoke itself')
    await swarm.revoke({ peers: peer != null ? [peer] : [], invites: what.invite != null ? [what.invite] : [] })
    return swarm.info()
  }

  /** Replaces the swarm key (creator only); members stay members, older invites admit nobody new. */
  async rotateSwarmKey (): Promise<SwarmInfo> {
    this.assertStarted()
    const swarm = this.requireSwarm()
    await swarm.rotate()
    return swarm.info()
  }

  private requireSwarm (): Swarm {
    if (this.components.swarm == null) throw new SwarmError('this node is not in a swarm (p2prc swarm create, or p2prc join TOKEN)')
    return this.components.swarm
  }

  private assertStarted (): void {
    if (!this.started) throw new NotStartedError('the node is not started')
  }
}

function isLoopback (address: string): boolean {
  return address.startsWith('/ip4/127.') || address.startsWith('/ip6/::1/')
}
