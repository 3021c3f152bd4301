import { AmbiguousPeerError, PeerNotFoundError } from '../errors.js'

export interface PeerEntry {
  peerId: string
  name: string | null
  labels: Record<string, string>
  multiaddrs: string[]
  /** When we last heard from the peer (a connection, an identify, a record), ms since the epoch. */
  lastSeen: number
  /** Round-trip time of our last ping to the peer, ms. */
  latencyMs: number | null
}

/**
 * Who we know in the p2prc network and what they told us. Only peers that speak our protocols are
 * entered, so the table is the set of p2prc nodes, not every libp2p peer that dialled us.
 */
export class PeerTable {
  private readonly entries = new Map<string, PeerEntry>()

  upsert (peerId: string, patch: Partial<Omit<PeerEntry, 'peerId'>>): PeerEntry {
    const current = this.entries.get(peerId) ?? { peerId, name: null, labels: {}, multiaddrs: [], lastSeen: 0, latencyMs: null }
    const next = { ...current, ...patch, peerId }
    this.entries.set(peerId, next)
    return next
  }

  get (peerId: string): PeerEntry | undefined {
    return this.entries.get(peerId)
  }

  delete (peerId: string): boolean {
    return this.entries.delete(peerId)
  }

  list (): PeerEntry[] {
    return [...this.entries.values()]
  }

  /** Drops peers not heard from since `cutoff`, except those `keep` says are still connected. */
  prune (cutoff: number, keep: (peerId: string) => boolean): string[] {
    const dropped: string[] = []
    for (const entry of this.entries.values()) {
      if (entry.lastSeen < cutoff && !keep(entry.peerId)) {
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
