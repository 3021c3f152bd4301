import { setTimeout as sleep } from 'node:timers/promises'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { DialError, InvalidArgumentError, PeerNotFoundError } from '../errors.js'
import { withTimeout } from '../signals.js'
import { PeerRateLimiter } from '../protocols/rate-limit.js'
import { SPECS_PROTOCOL } from '../protocols/specs/index.js'
import { normalizeName } from '../units/index.js'
import { DIAL_TIMEOUT, GONE_CHECK_EVERY, GONE_RECHECK_DELAY, INITIAL_SYNC_PEERS, MAX_RECORD_AGE, MAX_RECORD_AGE_LIFETIMES, PEER_PRUNE_INTERVAL, PEER_TTL } from './constants.js'
import { refused } from './dial-errors.js'
import { matchesFilter } from './peer-filter.js'
import { PeerTable } from './peer-table.js'
import { PeerVerifier } from './peer-verifier.js'
import type { ConnectResult, NodeEvents, PeerFilter, PeerSummary } from '../contract/index.js'
import type { Host } from '../host/create-host.js'
import type { Specs } from '../protocols/specs/index.js'
import type { SignedResourceRecord } from '../records/index.js'
import type { PeerEntry } from './peer-table.js'
import type { AbortOptions, ComponentLogger, IdentifyResult, Logger, PeerId, Startable, TypedEventTarget } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

export interface PeerTrackerComponents {
  host: Pick<Host, 'peerId' | 'getConnections' | 'dial' | 'peerStore' | 'addEventListener' | 'removeEventListener' | 'services'>
  specs: Pick<Specs, 'fetchKnown' | 'fetchSelf'>
  logger: ComponentLogger
  /** Where peer events are dispatched: the node. */
  events: Pick<TypedEventTarget<NodeEvents>, 'safeDispatchEvent'>
}

export interface PeerTrackerInit {
  /** This node's own name, which `resolve` also answers to. */
  name: string
  /**
   * How long records stay valid now (they grow with the network): the table is swept often
   * enough that a lapsed one goes within a third of the shortest, and no record counts for much
   * longer than this, whatever lifetime it claims.
   */
  recordTtl: () => number
  /** How often one peer may be dialled to see whether it is gone. @default GONE_CHECK_EVERY */
  goneCheckEvery?: number
}

/** Where a record came from, for how far to trust it. */
export interface RecordOrigin {
  /** The peer that passed it to us (the gossip neighbour, the peer a sync asked); null: we asked its subject. */
  source: string | null
  /** Its subject is the peer we had it from (a direct neighbour's own advert, an answer to SELF). */
  fromSubject: boolean
  /**
   * An answer to our own request for a neighbour's table (a new node's first sync): bounded by the
   * answer's size and the few syncs a node makes, not by the rates at which a neighbour may pass
   * records on unasked. Those would keep all but a few dozen of a large network's records out
   * until their next adverts, minutes away.
   */
  solicited?: boolean
}

/**
 * What one neighbour may pass on: records in all (an honest neighbour relays everyone's adverts),
 * and records of identities nobody here has met (each fresh key is free to make).
 */
const RECORDS_PER_SOURCE = { perSecond: 10, burst: 200 }
const NEW_IDENTITIES_PER_SOURCE = { perSecond: 1, burst: 30 }
/** New identities taken from all neighbours together. */
const NEW_IDENTITIES = { perSecond: 5, burst: 100 }

/**
 * Who we know in the p2prc network: enters peers that speak our protocols (identify) or send
 * verified records, keeps their latency and connection, fills the table from the first
 * neighbours, and forgets what went stale. What it knows lives in a PeerTable.
 */
export class PeerTracker implements Startable {
  readonly table = new PeerTable()
  private readonly log: Logger
  private readonly verifier: PeerVerifier
  private readonly recordsPerSource = new PeerRateLimiter(RECORDS_PER_SOURCE, 'record')
  private readonly newPerSource = new PeerRateLimiter(NEW_IDENTITIES_PER_SOURCE, 'new identity')
  private readonly newIdentities = new PeerRateLimiter(NEW_IDENTITIES, 'new identity')
  private readonly synced = new Set<string>()
  /** When each peer that lost its last connection was last dialled to see if it is gone. */
  private readonly goneChecks = new Map<string, number>()
  /** The peers a gone-check is under way (or waiting) for. */
  private readonly goneChecking = new Set<string>()
  private readonly goneCheckEvery: number
  private controller = new AbortController()
  private pruneEvery = PEER_PRUNE_INTERVAL
  private pruneTimer?: ReturnType<typeof setInterval>
  private quickPrune?: ReturnType<typeof setTimeout>
  private quickPruneAt = 0
  private started = false

  constructor (private readonly components: PeerTrackerComponents, private readonly init: PeerTrackerInit) {
    this.goneCheckEvery = init.goneCheckEvery ?? GONE_CHECK_EVERY
    this.log = components.logger.forComponent('p2prc:peers')
    this.verifier = new PeerVerifier({
      specs: components.specs,
      log: components.logger.forComponent('p2prc:peers:verify'),
      verified: signed => { this.acceptRecord(signed, { source: null, fromSubject: true }) },
      failed: peerId => {
        const entry = this.table.get(peerId)
        if (entry != null && !entry.verified && !this.isConnected(peerId)) {
          this.table.delete(peerId)
          this.log('%s could not be verified: forgotten', peerId)
          this.components.events.safeDispatchEvent('peer:remove', { detail: peerId })
        }
      },
      peers: () => this.table.size,
      wanted: peerId => {
        const entry = this.table.get(peerId)
        return entry != null && (entry.record == null || (!entry.verified && !this.isConnected(peerId)))
      }
    })
  }

  start (): void {
    const { host } = this.components
    host.addEventListener('peer:identify', this.onIdentify)
    host.addEventListener('peer:connect', this.onConnect)
    host.addEventListener('peer:disconnect', this.onDisconnect)
    this.pruneEvery = Math.min(PEER_PRUNE_INTERVAL, this.init.recordTtl() / 3)
    this.pruneTimer = setInterval(() => { this.prune() }, this.pruneEvery)
    this.verifier.start()
    this.controller = new AbortController()
    this.started = true
    void this.adoptConnected()
  }

  /**
   * The host starts before this tracker: a bootstrap peer can finish identify in between, and its
   * event is gone. The peer store kept what it said.
   */
  private async adoptConnected (): Promise<void> {
    const { host } = this.components
    for (const connection of host.getConnections()) {
      const peerId = connection.remotePeer
      if (this.table.get(peerId.toString()) != null) continue
      try {
        const { protocols, addresses } = await host.peerStore.get(peerId)
        if (this.started) this.met(peerId, protocols, addresses.map(a => a.multiaddr))
      } catch {
        // Not identified yet: its identify event is still to come.
      }
    }
  }

  stop (): void {
    this.started = false
    this.controller.abort()
    const { host } = this.components
    host.removeEventListener('peer:identify', this.onIdentify)
    host.removeEventListener('peer:connect', this.onConnect)
    host.removeEventListener('peer:disconnect', this.onDisconnect)
    clearInterval(this.pruneTimer)
    this.verifier.stop()
    clearTimeout(this.quickPrune)
    this.quickPrune = undefined
    // A stopped node knows nobody; a restarted one syncs again from its first neighbours.
    this.table.clear()
    this.synced.clear()
    this.goneChecks.clear()
    this.goneChecking.clear()
  }

  /** The p2prc peers we know, freshest first, with their round-trip time where connected. */
  list (filter: PeerFilter = {}): PeerSummary[] {
    this.prune()
    return this.table.list()
      .map(entry => this.summarise(entry))
      .filter(peer => matchesFilter(peer, filter))
      .sort((a, b) => b.lastSeen.localeCompare(a.lastSeen))
  }

  summary (peerId: string): PeerSummary | null {
    const entry = this.table.get(peerId)
    return entry != null ? this.summarise(entry) : null
  }

  /**
   * A peer's ID from what a user typed: a known peer's ID, unique prefix or name, this node's own
   * ID or name, or the full ID of a peer not (yet) in the table.
   */
  resolve (ref: string): string {
    const self = this.components.host.peerId.toString()
    try {
      return this.table.resolve(ref).peerId
    } catch (err) {
      if (ref === self || ref === this.init.name) return self
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

  /** Dials a peer by multiaddr, or a known peer by ID, ID prefix or name; answers who answered. */
  async connect (address: string, options: AbortOptions = {}): Promise<ConnectResult> {
    const target = address.startsWith('/') ? parseMultiaddr(address) : peerIdFromString(this.resolve(address))
    try {
      const connection = await this.components.host.dial(target, { signal: withTimeout(options.signal, DIAL_TIMEOUT) })
      return { peerId: connection.remotePeer.toString(), multiaddr: connection.remoteAddr.toString() }
    } catch (err: any) {
      throw new DialError(`could not connect to ${address}: ${err.message}`)
    }
  }

  /**
   * Takes a record (its signature checked) into the table; answers whether it took it, refused it
   * (a flood from one neighbour), had no room for it (full), or it was stale. A record of a peer
   * we have not met, relayed by others, is unverified until the peer itself answers.
   */
  acceptRecord (signed: SignedResourceRecord, origin: RecordOrigin): 'taken' | 'stale' | 'refused' | 'full' {
    const peerId = signed.record.peerId
    if (peerId === this.components.host.peerId.toString()) return 'stale'
    const known = this.table.get(peerId)
    const verified = origin.fromSubject || known?.verified === true || this.isConnected(peerId)
    try {
      if (origin.source != null && origin.solicited !== true) this.recordsPerSource.take(origin.source)
      if (known == null && !verified && origin.solicited !== true) {
        if (origin.source != null) this.newPerSource.take(origin.source)
        this.newIdentities.take('all')
      }
    } catch {
      return 'refused'
    }
    const before = known?.multiaddrs.join()
    const outcome = this.table.acceptRecord(signed, { verified, expiresAt: Date.now() + Math.max(MAX_RECORD_AGE, MAX_RECORD_AGE_LIFETIMES * this.init.recordTtl()) })
    if (outcome === 'full') return 'full'
    if (outcome === 'stale') return 'stale'
    if (!verified) this.verifier.enqueue(peerId)
    // The record is signed by the peer: its addresses (a relayed one for a peer behind NAT) are
    // how to dial it, even when we learnt of it second-hand. Stored only when they changed: a
    // peer-store write per advert was a noticeable share of an idle node's CPU.
    if (signed.record.multiaddrs.join() !== before) {
      const addresses = signed.record.multiaddrs.flatMap(text => { try { return [multiaddr(text)] } catch { return [] } })
      this.components.host.peerStore.merge(peerIdFromString(signed.record.peerId), { multiaddrs: addresses })
        .catch(err => { this.log('could not store addresses of %s: %s', signed.record.peerId, err.message) })
    }
    this.pruneAt(this.table.get(peerId)?.expiresAt ?? signed.record.expiresAt)
    this.emitUpdate(peerId)
    return 'taken'
  }

  private emitUpdate (peerId: string): void {
    const summary = this.summary(peerId)
    if (summary != null) this.components.events.safeDispatchEvent('peer:update', { detail: summary })
  }

  private summarise (entry: PeerEntry): PeerSummary {
    return {
      peerId: entry.peerId,
      name: entry.name != null ? normalizeName(entry.name) : null,
      verified: entry.verified,
      multiaddrs: entry.multiaddrs,
      labels: entry.labels,
      lastSeen: new Date(entry.lastSeen).toISOString(),
      latencyMs: this.latencyOf(entry.peerId) ?? entry.latencyMs,
      connection: this.connectionKind(entry.peerId),
      resources: entry.record?.record.resources ?? null
    }
  }

  private connectionKind (peerId: string): PeerSummary['connection'] {
    const connections = this.components.host.getConnections(peerIdFromString(peerId))
    if (connections.length === 0) return null
    return connections.some(c => !c.remoteAddr.toString().includes('/p2p-circuit')) ? 'direct' : 'relayed'
  }

  private latencyOf (peerId: string): number | null {
    const rtts = this.components.host.getConnections(peerIdFromString(peerId))
      .filter(c => c.rtt != null)
      .map(c => c.rtt as number)
    return rtts.length > 0 ? Math.round(Math.min(...rtts) * 10) / 10 : null
  }

  private isConnected (peerId: string): boolean {
    return this.components.host.getConnections(peerIdFromString(peerId)).length > 0
  }

  /** Prunes when a record expires before the next periodic prune (a farewell advert, or the next record due). */
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
    for (const peerId of this.table.prune(now, now - PEER_TTL, id => this.isConnected(id))) {
      this.log('forgot peer %s', peerId)
      this.components.events.safeDispatchEvent('peer:remove', { detail: peerId })
    }
    // A record expiring before the next sweep is pruned at its expiry, not up to a sweep later:
    // a crashed peer leaves when its last record ends, within the two intervals promised.
    const next = this.table.nextExpiry()
    if (next != null) this.pruneAt(next)
    for (const [peerId, at] of this.goneChecks) if (at < now - this.goneCheckEvery) this.goneChecks.delete(peerId)
  }

  private readonly onIdentify = (event: CustomEvent<IdentifyResult>): void => {
    const { peerId, protocols, listenAddrs } = event.detail
    this.met(peerId, protocols, listenAddrs)
  }

  private met (peerId: PeerId, protocols: string[], listenAddrs: Multiaddr[]): void {
    // Only p2prc nodes serve records (in the open network and in every swarm, whose DHT protocol
    // is its own); other libp2p peers stay out of the table.
    if (!protocols.includes(SPECS_PROTOCOL)) return
    const id = peerId.toString()
    const known = this.table.get(id)
    this.table.upsert(id, {
      multiaddrs: known?.record != null ? known.multiaddrs : listenAddrs.map(ma => ma.toString()),
      lastSeen: Date.now(),
      // Identify ran over a connection that authenticated the peer's key: we have met it.
      verified: true
    })
    this.emitUpdate(id)
    void this.measureLatency(peerId)
    // Its adverts reach us by gossip; if none has (lost in a busy start, or dropped by a failed
    // verification), it is asked for its record, not left without one until its next advert.
    if (known?.record == null) this.verifier.enqueue(id)
    if (this.synced.size < INITIAL_SYNC_PEERS && !this.synced.has(id)) {
      this.synced.add(id)
      void this.syncFrom(id)
    }
  }

  /** A new node fills its table from its first neighbours; gossip keeps it current after that. */
  private async syncFrom (peerId: string): Promise<void> {
    try {
      const records = await this.components.specs.fetchKnown(peerId, { signal: AbortSignal.timeout(DIAL_TIMEOUT) })
      let taken = 0
      for (const signed of records) if (this.acceptRecord(signed, { source: peerId, fromSubject: signed.record.peerId === peerId, solicited: true }) === 'taken') taken++
      this.log('took %d of %d records from %s', taken, records.length, peerId)
    } catch (err: any) {
      this.synced.delete(peerId)
      this.log('sync from %s failed: %s', peerId, err.message)
    }
  }

  /** libp2p's connection monitor measures RTT only every few seconds; a peer shows one at once. */
  private async measureLatency (peerId: PeerId): Promise<void> {
    const { host } = this.components
    // Over a relay only: pinging would dial yet another relayed connection (libp2p reuses only
    // unlimited ones); the connection monitor measures the relayed one in time.
    if (host.getConnections(peerId).every(c => c.limits != null)) return
    try {
      const rtt = await host.services.ping.ping(peerId, { signal: AbortSignal.timeout(DIAL_TIMEOUT) })
      if (this.table.get(peerId.toString()) != null) this.table.upsert(peerId.toString(), { latencyMs: rtt })
    } catch (err: any) {
      this.log('ping %p failed: %s', peerId, err.message)
    }
  }

  private readonly onConnect = (event: CustomEvent<PeerId>): void => {
    const id = event.detail.toString()
    if (this.table.get(id) != null) this.table.upsert(id, { lastSeen: Date.now() })
    this.components.events.safeDispatchEvent('peer:connect', { detail: id })
  }

  private readonly onDisconnect = (event: CustomEvent<PeerId>): void => {
    const id = event.detail.toString()
    const entry = this.table.get(id)
    if (entry != null) this.table.upsert(id, { lastSeen: Date.now() })
    // A peer whose record lapsed (it said farewell, or went quiet) goes with its last connection.
    if (entry?.lapsed === true && !this.isConnected(id)) this.prune()
    else if (entry?.record != null && !this.isConnected(id)) void this.checkGone(id)
    this.components.events.safeDispatchEvent('peer:disconnect', { detail: id })
  }

  /**
   * A node that crashed, or was cut off and lost its connection to a failed ping, sends no
   * farewell, and its record would count for up to two advert intervals more (minutes in a large
   * network). When a peer's last connection closes, a dial tells: a peer whose address refuses
   * (or resets) leaves the table now; one that does not answer in time is asked once more
   * GONE_RECHECK_DELAY later (a busy peer is not a gone one) and leaves if it is still silent; one
   * that was only away comes back with its next advert.
   */
  private async checkGone (peerId: string): Promise<void> {
    if (this.goneChecking.has(peerId)) return
    this.goneChecking.add(peerId)
    try {
      await this.dialToSeeIfGone(peerId)
    } finally {
      this.goneChecking.delete(peerId)
    }
  }

  private async dialToSeeIfGone (peerId: string): Promise<void> {
    const signal = this.controller.signal
    // Checked a moment ago (its connection closed then too, and it answered): checked again once
    // the minute is up, not left to its record's expiry, minutes away in a large network.
    const wait = (this.goneChecks.get(peerId) ?? 0) + this.goneCheckEvery - Date.now()
    if (wait > 0) {
      this.log('%s lost its connections again: checking in %d ms', peerId, wait)
      await sleep(wait, undefined, { signal }).catch(() => {})
      if (!this.started || this.isConnected(peerId) || this.table.get(peerId)?.record == null) return
    }
    this.goneChecks.set(peerId, Date.now())
    for (let attempt = 1; ; attempt++) {
      try {
        await this.components.host.dial(peerIdFromString(peerId), { signal: withTimeout(signal, DIAL_TIMEOUT) })
        return
      } catch (err: any) {
        if (!this.started || this.isConnected(peerId) || this.table.get(peerId)?.record == null) return
        if (attempt === 1 && !refused(err)) {
          this.log('%s lost its connections and did not answer (%s): asking again soon', peerId, err.message)
          await sleep(GONE_RECHECK_DELAY, undefined, { signal }).catch(() => {})
          if (signal.aborted) return
          continue
        }
        this.log('%s lost its connections and does not answer (%s): forgotten', peerId, err.message)
        this.table.delete(peerId)
        this.components.events.safeDispatchEvent('peer:remove', { detail: peerId })
        return
      }
    }
  }
}

function parseMultiaddr (text: string): Multiaddr {
  try {
    return multiaddr(text)
  } catch (err: any) {
    throw new InvalidArgumentError(`'${text}' is not a multiaddr: ${err.message}`)
  }
}
