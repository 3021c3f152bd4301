import { join } from 'node:path'
import { ACTIVITY_DIR, ActivityLog } from '../activity/index.js'
import { AddressChanges, AdvertSchedule, DhtRecords, GossipAdverts, RecordIssuer } from '../discovery/index.js'
import { containerProtocols } from '../protocols/containers/index.js'
import { NodeMetrics } from '../metrics/index.js'
import { execProtocol } from '../protocols/exec/index.js'
import { filesProtocol } from '../protocols/files/index.js'
import { runProtocol } from '../protocols/run/index.js'
import { specs } from '../protocols/specs/index.js'
import { tunnelProtocol } from '../protocols/tunnel/index.js'
import { usageProtocol } from '../protocols/usage/index.js'
import { RecordMetrics } from '../records/index.js'
import { swarmResourcesTopic } from '../swarm/index.js'
import { HostUsage, HostUsageStore, OwnerUsage } from '../usage/index.js'
import { BootstrapRedialer } from './bootstrap-redialer.js'
import { Forwards } from './forwards.js'
import { Guests } from './guests.js'
import { IdentifiedConnections } from './identified-connections.js'
import { peerDialer } from './peer-dialer.js'
import { PeerRecords } from './peer-records.js'
import { PeerTracker } from './peer-tracker.js'
import { ConnectionLiveness } from './connection-liveness.js'
import { LIVENESS_QUIET_MIN } from './constants.js'
import { SwarmGuard } from './swarm-guard.js'
import type { RemoteProtocols } from './container-service.js'
import type { DataDirLock } from './data-dir-lock.js'
import type { LocalProbe } from './local-probe.js'
import type { ResolvedConfig } from '../config/load-config.js'
import type { HostContainers } from '../containers/host-containers.js'
import type { ActivityEvent, NodeEvents } from '../contract/index.js'
import type { Host } from '../host/create-host.js'
import type { PeerGate } from '../protocols/rpc.js'
import type { Swarm } from '../swarm/index.js'
import type { DockerRuntime } from '../runtime/index.js'
import type { PrivateKey, Startable, TypedEventTarget } from '@libp2p/interface'
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
  /** The private swarm this node is in, or null in the open network. */
  swarm: Swarm | null
}

/** What a node is made of; `startables` start together once the host runs, and stop together before it stops. */
export interface NodeServices {
  issuer: RecordIssuer
  tracker: PeerTracker
  records: PeerRecords
  guests: Guests
  /** What guests did here (`p2prc host log`). */
  activity: ActivityLog
  /** Accounts and receipts of the containers this node runs for others. */
  hostUsage: HostUsage
  /** Receipts of what my containers used on other hosts. */
  ownerUsage: OwnerUsage
  /** What reaches my containers on peers. */
  remote: RemoteProtocols
  forwards: Forwards
  startables: Startable[]
}

/**
 * The composition root: builds every service of a node on its libp2p host and wires them to each
 * other (records feed the peer table, what runs here feeds the adverts, the protocols serve the
 * guests). Peer events go to `events`, the node.
 */
export function createNodeServices (components: P2PRCNodeComponents, events: Pick<TypedEventTarget<NodeEvents>, 'safeDispatchEvent'>): NodeServices {
  const { config, host, privateKey, metrics, probe, runtime, swarm } = components
  const logger = host.logger
  const self = host.peerId.toString()
  const dialer = peerDialer(host, logger.forComponent('p2prc:dial'))
  const recordMetrics = new RecordMetrics(metrics)
  // The advert interval and record lifetime grow with the network this node knows: its verified
  // peers only, so a flood of made-up identities cannot slow its adverts (the tracker is made below).
  const schedule: AdvertSchedule = new AdvertSchedule({ base: config.advertInterval, ttl: config.recordTtl, peers: () => tracker.table.verifiedCount() })
  const issuer: RecordIssuer = new RecordIssuer({
    privateKey,
    name: config.name,
    labels: config.labels,
    offer: config.offer,
    ttl: () => schedule.ttl(),
    addresses: () => host.getMultiaddrs().map(ma => ma.toString()),
    // Every measurement also tells the host side what the engine said: an engine that appears
    // is taken up, one that goes stops the offer. What is offered is what guests can really get.
    probe: async options => {
      const machine = await probe.machine(options)
      await guests.follow(probe.engine(), options)
      const guestRuntime = config.policy.runtime ?? 'runc'
      return { ...machine, docker: { ...machine.docker, available: guests.available, guestRuntime } }
    },
    usage: () => guests.usage()
  })
  const specsProtocol = specs()({
    registrar: host,
    dialer,
    logger,
    metrics: recordMetrics,
    ownRecord: async options => (await issuer.recent(options)).envelope,
    knownRecords: () => [issuer.current, ...tracker.table.records()].flatMap(r => r != null ? [r.envelope] : [])
  })
  const tracker = new PeerTracker({ host, specs: specsProtocol, logger, events }, { name: config.name, recordTtl: () => schedule.ttl() })
  // A peer whose own advert came over its connection within a record lifetime needs no ping.
  const liveness = new ConnectionLiveness({ host, log: logger.forComponent('p2prc:liveness') }, { quietLimit: () => Math.max(LIVENESS_QUIET_MIN, schedule.ttl()) })
  const gossip = new GossipAdverts({
    pubsub: host.services.pubsub,
    issuer,
    metrics: recordMetrics,
    log: logger.forComponent('p2prc:adverts'),
    accept: (signed, origin) => {
      if (origin.fromSubject) liveness.heard(origin.source)
      return tracker.acceptRecord(signed, origin)
    }
  }, { interval: () => schedule.interval(), topic: swarm != null ? swarmResourcesTopic(swarm.swarmId) : undefined })
  const dhtRecords = new DhtRecords({ dht: host.services.dht, host, issuer, metrics: recordMetrics, log: logger.forComponent('p2prc:dht-records') })
  const records = new PeerRecords({ self, tracker, specs: specsProtocol, dhtRecords, ownRecord: async options => (await issuer.issue(options)).signed.record })
  // What happens on the host side (runs, refusals, pulls, ends, exec and copy sessions) goes to
  // each of these: the activity log and the metrics.
  const activityListeners: Array<(event: ActivityEvent) => void> = []
  const activity = new ActivityLog({ dir: join(config.dataDir, ACTIVITY_DIR), ...config.activityLog, log: logger.forComponent('p2prc:activity') })
  activityListeners.push(event => { activity.append(event) })
  // Usage accounting: what guests' containers use here, and receipts of what mine used elsewhere.
  const hostUsage = new HostUsage({
    selfPeerId: self,
    privateKey,
    runtime,
    store: new HostUsageStore(join(config.dataDir, 'usage', 'host')),
    config: config.usage,
    log: logger.forComponent('p2prc:usage'),
    onUsage: (owner, increase) => { nodeMetrics.addUsage(owner, increase) }
  })
  const guests: Guests = new Guests({
    runtime,
    meter: hostUsage,
    selfPeerId: self,
    policy: config.policy,
    resources: () => issuer.current?.record.resources,
    log: logger.forComponent('p2prc:containers'),
    onChange: () => {
      gossip.advertiseSoon()
      events.safeDispatchEvent('guests:change', { detail: null })
    },
    onActivity: event => {
      for (const listener of activityListeners) listener(event)
    }
  })
  const served = (): HostContainers => guests.host
  const nodeMetrics: NodeMetrics = new NodeMetrics({
    registry: metrics,
    // The host's list ends with the containers it removed lately (state 'removed'): not there any more.
    containerStates: () => guests.available ? guests.host.list(null).flatMap(c => c.state !== 'removed' ? [c.state] : []) : [],
    peers: () => tracker.table.list(),
    resources: () => issuer.current?.record.resources,
    forwards: () => forwards.list().length
  })
  activityListeners.push(event => { nodeMetrics.observe(event) })
  const identified = new IdentifiedConnections(host)
  const guard = swarm != null ? new SwarmGuard({ host, swarm, log: logger.forComponent('p2prc:swarm') }) : null
  const admit: PeerGate = async (connection, options) => {
    await identified.gate(connection, options)
    await guard?.gate(connection, options)
  }
  const guestComponents = { registrar: host, dialer, logger, guests: served, sessions: () => guests.sessions, admit }
  const run = runProtocol()(guestComponents)
  const containers = containerProtocols()(guestComponents)
  const tunnel = tunnelProtocol()({ ...guestComponents, meter: nodeMetrics.tunnels('host') })
  const forwards: Forwards = new Forwards(tunnel, nodeMetrics.tunnels('forward'), logger.forComponent('p2prc:forwards'))
  const exec = execProtocol()(guestComponents)
  const usage = usageProtocol()({ registrar: host, dialer, logger, usage: hostUsage, admit })
  const ownerUsage = new OwnerUsage({ selfPeerId: self, privateKey, dir: join(config.dataDir, 'usage', 'owner'), source: usage, config: config.usage, log: logger.forComponent('p2prc:usage:receipts') })
  const files = filesProtocol()(guestComponents)
  const addresses = new AddressChanges({ host, onChange: () => { gossip.advertiseSoon(); dhtRecords.republishSoon() } })
  const redialer = new BootstrapRedialer(host, config.bootstrap, logger.forComponent('p2prc:bootstrap'))
  return {
    issuer,
    tracker,
    records,
    guests,
    activity,
    hostUsage,
    ownerUsage,
    // Every run of mine on a peer (a job's too) makes it a host to ask for receipts.
    remote: {
      run: {
        run: async (peerId, request, options) => {
          const view = await run.run(peerId, request, options)
          ownerUsage.expect(peerId, view.containerId, view.limits)
          return view
        }
      },
      containers,
      exec,
      files
    },
    forwards,
    startables: [activity, identified, ...(guard != null ? [guard] : []), specsProtocol, run, containers, tunnel, exec, files, hostUsage, usage, ownerUsage, tracker, liveness, addresses, gossip, dhtRecords, redialer]
  }
}
