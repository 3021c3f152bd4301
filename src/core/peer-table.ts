import { AmbiguousPeerError, PeerNotFoundError } from '../errors.js'
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
  /** The newest verified resource record of the peer, until it expires. */
  record: SignedResourceRecord | null
  /** Its record expired with no newer one: the peer went quiet, and goes once disconnected. */
  lapsed: boolean
}

/**
 * Who we know in the p2prc network and what they told us. Only peers that speak our protocols or
 * sent a verified record are entered, so the table is the set of p2prc nodes, not every libp2p
 * peer that dialled us.
 */
export class PeerTable {
  private readonly entries = new Map<string, PeerEntry>()

  upsert (peerId: string, patch: Partial<Omit<PeerEntry, 'peerId'>>): PeerEntry {
    const current = this.entries.get(peerId) ?? { peerId, name: null, labels: {}, multiaddrs: [], lastSeen: 0, latencyMs: null, record: null, lapsed: false }
    const next = { ...current, ...patch, peerId }
    this.entries.set(peerId, next)
    return next
  }

  /**
   * Takes a verified record if it is newer than the one held; answers false for a stale or
   * repeated one. The record's name, labels and addresses become the peer's.
   */
  acceptRecord (signed: SignedResourceRecord, now = Date.now()): boolean {
    const { record } = signed
    const held = this.entries.get(record.peerId)?.record
    if (held != null && held.record.seq >= record.seq) return false
    this.upsert(record.peerId, {
      record: signed,
      lapsed: false,
      name: record.name,
      labels: record.labels,
      ...(record.multiaddrs.length > 0 ? { multiaddrs: record.multiaddrs } : {}),
      lastSeen: now
    })
    return true
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

  /** The signed records of every peer whose record is still valid. */
  records (now = Date.now()): SignedResourceRecord[] {
    return this.list().flatMap(e => e.record != null && e.record.record.expiresAt > now ? [e.record] : [])
  }

  /**
   * Forgets what has gone stale: an expired record is dropped, and with it the peer unless still
   * connected; a peer without a record goes once not heard from since `silentCutoff`.
   */
  prune (now: number, silentCutoff: number, connected: (peerId: string) => boolean): string[] {
    const dropped: string[] = []
    for (const entry of this.entries.values()) {
      if (entry.record != null && entry.record.record.expiresAt <= now) {
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
   * Finds a peer by its full ID, a unique prefix of it, or its advertised name, as users type them.
   */
  resolve (ref: string): PeerEntry {
    const exact = this.entries.get(ref)
    if (exact != null) return exact
    const byPrefix = this.list().filter(e => e.peerId.startsWith(ref))
    const byName = this.list().filter(e => e.name === ref)
    const matches = [...new Set([...byPrefix, ...byName])]
    if (matches.length === 1) return matches[0]
    if (matches.length > 1) {
      throw new AmbiguousPeerError(`'${ref}' matches ${matches.length} peers: ${matches.map(m => m.peerId).join(', ')}; give more of the peer ID`)
    }
    throw new PeerNotFoundError(`no known peer '${ref}' (see 'p2prc peers')`)
  }
}
