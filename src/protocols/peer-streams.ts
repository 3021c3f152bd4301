/**
 * Streams each peer holds open on one protocol, across all its connections: the per-connection
 * cap (maxInboundStreams) alone lets a peer multiply its share by opening more connections.
 */
export class PeerStreams {
  private readonly open = new Map<string, number>()

  constructor (private readonly max: number) {}

  /** Takes a slot for the peer; false when it already holds `max`. */
  take (peer: string): boolean {
    const held = this.open.get(peer) ?? 0
    if (held >= this.max) return false
    this.open.set(peer, held + 1)
    return true
  }

  release (peer: string): void {
    const held = (this.open.get(peer) ?? 1) - 1
    if (held <= 0) this.open.delete(peer)
    else this.open.set(peer, held)
  }
}
