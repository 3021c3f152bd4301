import { RateLimitedError } from '../errors.js'

export interface RateLimit {
  /** Requests a peer may make per second, on average. */
  perSecond: number
  /** How many it may make at once after a quiet spell. */
  burst: number
}

/** Peers remembered at once; past that the fullest (quietest) buckets are forgotten first. */
const MAX_PEERS = 10_000

/**
 * A token bucket per peer: each request takes a token, tokens come back at `perSecond`, at most
 * `burst` are held. One peer looping a request gets refused (ERR_RATE_LIMITED) instead of
 * driving the engine or the node as fast as it can send.
 */
export class PeerRateLimiter {
  private readonly buckets = new Map<string, { tokens: number, at: number }>()

  constructor (private readonly limit: RateLimit, private readonly what: string) {}

  /** Takes a token for the peer or throws RateLimitedError. */
  take (peer: string, now = Date.now()): void {
    const bucket = this.buckets.get(peer) ?? { tokens: this.limit.burst, at: now }
    bucket.tokens = Math.min(this.limit.burst, bucket.tokens + (now - bucket.at) / 1000 * this.limit.perSecond)
    bucket.at = now
    if (bucket.tokens < 1) {
      this.buckets.set(peer, bucket)
      throw new RateLimitedError(`too many ${this.what} requests: at most ${this.limit.perSecond} a second (${this.limit.burst} at once)`)
    }
    bucket.tokens -= 1
    // Re-inserted last: the map's order is then least recently used first.
    this.buckets.delete(peer)
    this.buckets.set(peer, bucket)
    if (this.buckets.size > MAX_PEERS) this.buckets.delete(this.buckets.keys().next().value as string)
  }
}
