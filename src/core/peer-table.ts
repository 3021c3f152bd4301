import { AmbiguousPeerError, PeerNotFoundError } from '../errors.js'
import { normalizeName } from '../units/index.js'
import type { SignedResourceRecord } from '../records/index.js'

export interface PeerEntry {
  peerId: string
  name: string | null
  labels: Record<string, string>
  multiaddrs: string[]
  /** When we last heard from the peer (a connection, an identify, a record), ms since the epoch. */
  lastSeen: number
  /** Round-trip time of our last ping to the peer, ms. */
  latencyMs: number | null
  /** The newest resource record of the peer (its signature checked), until `expiresAt`. */
  record: SignedResourceRecord | null
  /** When the record stops counting here: its own expiry, or sooner (see MAX_RECORD_AGE). */
  expiresAt: number
  /** Its record expired with no newer one: the peer went quiet, and goes once disconnected. */
  lapsed: boolean
  /**
   * We have met the peer itself (a connection authenticated its key) or had its record from it:
   * it exists. A record relayed by others proves only that somebody made a key.
   */
  verified: boolean
}

export interface PeerTableInit {
  /** The most peers held; past it the oldest unverified go first, and with none of them new ones are refused. @default 2048 */
  maxPeers?: number
  /** The most unverified peers held (the oldest go first). @default 256 */
  maxUnverified?: number
}

export type RecordOutcome = 'new' | 'newer' | 'stale' | 'full'

/**
 * Who we know in the p2prc network and what they told us. Only peers that speak our protocols or
 * sent a record are entered, so the table is the set of p2prc nodes, not every libp2p peer that
 * dialled us. It is bounded: identities are free, so peers nobody has met cannot crowd out
 * those we have.
 */
export class PeerTable {
  private readonly entries = new Map<string, PeerEntry>()
  private readonly maxPeers: number
  private readonly maxUnverified: number

  constructor (init: PeerTableInit = {}) {
    this.maxPeers = init.maxPeers ?? 2048
    this.maxUnverified = init.maxUnverified ?? 256
  }

  get size (): number {
    return this.entries.size
  }

  /** How many peers are verified (each answered us itself, or is connected). */
  verifiedCount (): number {
    let count = 0
    for (const entry of this.entries.values()) if (entry.verified) count++
    return count
  }

  upsert (peerId: string, patch: Partial<Omit<PeerEntry, 'peerId'>>): PeerEntry {
    const current = this.entries.get(peerId) ?? { peerId, name: null, labels: {}, multiaddrs: [], lastSeen: 0, latencyMs: null, record: null, expiresAt: 0, lapsed: false, verified: false }
    const next = { ...current, ...patch, peerId, verified: current.verified || patch.verified === true }
    this.entries.set(peerId, next)
    return next
  }

  /**
   * Takes a record if it is newer than the one held ('new' peer or 'newer' record); 'stale' for an
   * old or repeated one, 'full' when the table has no room for another peer of its kind. The
   * record's name, labels and addresses become the peer's; it counts until `expiresAt`.
   */
  acceptRecord (signed: SignedResourceRecord, options: { verified: boolean, expiresAt: number, now?: number }): RecordOutcome {
    const { record } = signed
    const now = options.now ?? Date.now()
    const entry = this.entries.get(record.peerId)
    if (entry?.record != null && entry.record.record.seq >= record.seq) return 'stale'
    if (entry == null && !this.makeRoom(options.verified)) return 'full'
    this.upsert(record.peerId, {
      record: signed,
      expiresAt: Math.min(record.expiresAt, options.expiresAt),
      lapsed: false,
      name: record.name,
      labels: record.labels,
      ...(record.multiaddrs.length > 0 ? { multiaddrs: record.multiaddrs } : {}),
      lastSeen: now,
      verified: options.verified
    })
    return entry == null ? 'new' : 'newer'
  }

  markVerified (peerId: string): void {
    const entry = this.entries.get(peerId)
    if (entry != null) entry.verified = true
  }

  /** Room for one more peer: an unverified one only while unverified ones are under their cap. */
  private makeRoom (verified: boolean): boolean {
    const unverified = this.list().filter(e => !e.verified)
    if (!verified && unverified.length >= this.maxUnverified) this.evictOldest(unverified)
    if (this.entries.size < this.maxPeers) return true
    if (unverified.length === 0) return false
    this.evictOldest(unverified.filter(e => this.entries.has(e.peerId)))
    return this.entries.size < this.maxPeers
  }

  private evictOldest (candidates: PeerEntry[]): void {
    const oldest = candidates.reduce<PeerEntry | null>((a, b) => a == null || b.lastSeen < a.lastSeen ? b : a, null)
    if (oldest != null) this.entries.delete(oldest.peerId)
  }

  get (peerId: string): PeerEntry | undefined {
    return this.entries.get(peerId)
  }

  delete (peerId: string): boolean {
    return this.entries.delete(peerId)
  }

  clear (): void {
    this.entries.clear()
  }

  list (): PeerEntry[] {
    return [...this.entries.values()]
  }

  /** The signed records of every peer whose record still counts. */
  records (now = Date.now()): SignedResourceRecord[] {
    return this.list().flatMap(e => e.record != null && e.expiresAt > now ? [e.record] : [])
  }

  /** When the first record still counting expires (null if none): the next prune worth running. */
  nextExpiry (): number | null {
    let next: number | null = null
    for (const entry of this.entries.values()) {
      if (entry.record != null && (next == null || entry.expiresAt < next)) next = entry.expiresAt
    }
    return next
  }

  /**
   * Forgets what has gone stale: an expired record is dropped, and with it the peer unless still
   * connected; a peer without a record goes once not heard from since `silentCutoff`.
   */
  prune (now: number, silentCutoff: number, connected: (peerId: string) => boolean): string[] {
    const dropped: string[] = []
    for (const entry of this.entries.values()) {
      if (entry.record != null && entry.expiresAt <= now) {
        entry.record = null
        entry.lapsed = true
      }
      // A lapsed peer still connected stays (its connection may carry a late advert), but goes
      // at the first prune after the connection does, not after the long silent cutoff.
      const silent = entry.record == null && (entry.lapsed || entry.lastSeen < silentCutoff)
      if (silent && !connected(entry.peerId)) {
        this.entries.delete(entry.peerId)
        dropped.push(entry.peerId)
      }
    }
    return dropped
  }

  /**
   * Finds a peer by its full ID, a unique prefix of it, or its advertised name (compared in
   * Unicode's compatibility form, as the name is shown), as users type them.
   */
  resolve (ref: string): PeerEntry {
    const exact = this.entries.get(ref)
    if (exact != null) return exact
    const name = normalizeName(ref)
    const byPrefix = this.list().filter(e => e.peerId.startsWith(ref))
    const byName = this.list().filter(e => e.name != null && normalizeName(e.name) === name)
    const matches = [...new Set([...byPrefix, ...byName])]
    if (matches.length === 1) return matches[0]
    if (matches.length > 1) {
      throw new AmbiguousPeerError(`'${ref}' matches ${matches.length} peers: ${matches.map(m => m.peerId).join(', ')}; give more of the peer ID`)
    }
    throw new PeerNotFoundError(`no known peer '${ref}' (see 'p2prc peers')`)
  }
}
