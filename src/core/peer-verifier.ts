import { SpecsError } from '../protocols/specs/index.js'
import { withTimeout } from '../signals.js'
import { refused } from './dial-errors.js'
import type { Specs } from '../protocols/specs/index.js'
import type { SignedResourceRecord } from '../records/index.js'
import type { Logger, Startable } from '@libp2p/interface'

export interface PeerVerifierInit {
  specs: Pick<Specs, 'fetchSelf'>
  log: Logger
  /** The peer answered with its own record: it exists. */
  verified: (signed: SignedResourceRecord) => void
  /** It could not be reached, or answered for someone else: a record relayed for nobody. */
  failed: (peerId: string) => void
  /** Whether the peer is still to be asked (it may have connected, sent its advert, or left the table while it waited). */
  wanted: (peerId: string) => boolean
  /** How many peers this node knows of now: the first attempts are spread in proportion (see MAX_SPREAD). */
  peers: () => number
  /** How long one attempt may take. @default 10000 */
  attemptTimeout?: number
  /** The waits before trying again a peer that did not answer in time (see RETRY_DELAYS). @default [15000, 45000, 120000] */
  retryDelays?: number[]
}

/** Peers being verified at once: a fake takes its whole attempt to fail (its address answers nothing). */
const CONCURRENCY = 8
/** Verifications started per second at most: a flood of fakes costs this node a trickle of dials. */
const PER_SECOND = 2
/** The most peers waiting to be verified; more are dropped (they stay unverified, and go with time). */
const MAX_QUEUED = 512
/** One attempt: dial, handshake, ask. A machine starting a node under load takes seconds for it. */
const ATTEMPT_TIMEOUT = 10_000
/**
 * A new peer's advert reaches every node within moments, and each would dial it at once: in a
 * network of a hundred, a hundred handshakes landing on a process that has just started. Each
 * node waits a random share of a spread that grows with the network (so the dials arrive at
 * about five a second), up to this.
 */
const MAX_SPREAD = 20_000
const SPREAD_PER_PEER = 200
/**
 * An attempt that failed without a definite answer (a timeout, a handshake cut short) is tried
 * again after these delays: a busy machine (a hundred nodes starting on two cores) answers late,
 * and dropping a real peer on one slow answer loses it until its next advert, minutes away in a
 * large network. A peer that answers wrongly, or whose addresses refuse, is dropped at once.
 */
const RETRY_DELAYS = [15_000, 45_000, 120_000]

interface Pending {
  /** Attempts made so far. */
  attempts: number
  /** Not tried before this time. */
  notBefore: number
}

/**
 * Asks peers for their own record. Peers known only from records others relayed are verified so:
 * a real peer answers and becomes verified; for a fake identity (a fresh key with made-up
 * addresses) nobody answers, and it is dropped. A peer met without a record held (its adverts
 * lost) is asked the same way.
 */
export class PeerVerifier implements Startable {
  private readonly queue = new Map<string, Pending>()
  private active = 0
  private timer?: ReturnType<typeof setInterval>
  private controller = new AbortController()

  constructor (private readonly init: PeerVerifierInit) {}

  start (): void {
    this.controller = new AbortController()
    this.timer = setInterval(() => { this.pump() }, 1000 / PER_SECOND)
  }

  stop (): void {
    clearInterval(this.timer)
    this.controller.abort()
    this.queue.clear()
  }

  /** Queues a peer (once, however often its records arrive) to be asked soon. */
  enqueue (peerId: string): void {
    if (this.queue.has(peerId) || this.queue.size >= MAX_QUEUED) return
    const spread = Math.min(MAX_SPREAD, this.init.peers() * SPREAD_PER_PEER)
    this.queue.set(peerId, { attempts: 0, notBefore: Date.now() + Math.random() * spread })
  }

  private pump (): void {
    if (this.active >= CONCURRENCY) return
    const now = Date.now()
    for (const [peerId, pending] of this.queue) {
      if (pending.notBefore > now) continue
      this.queue.delete(peerId)
      if (!this.init.wanted(peerId)) continue
      this.active++
      void this.verify(peerId, pending.attempts + 1).finally(() => { this.active-- })
      return
    }
  }

  private async verify (peerId: string, attempts: number): Promise<void> {
    try {
      const signed = await this.init.specs.fetchSelf(peerId, { signal: withTimeout(this.controller.signal, this.init.attemptTimeout ?? ATTEMPT_TIMEOUT) })
      this.init.verified(signed)
    } catch (err: any) {
      if (this.controller.signal.aborted) return
      const retry = (this.init.retryDelays ?? RETRY_DELAYS)[attempts - 1]
      const definite = err instanceof SpecsError || refused(err)
      // Its record may have come again meanwhile and queued it afresh: the attempts made count all the same.
      if (!definite && retry != null) {
        this.init.log('no answer from %s (attempt %d: %s): trying again later', peerId, attempts, err.message)
        this.queue.set(peerId, { attempts, notBefore: Date.now() + retry })
        return
      }
      this.queue.delete(peerId)
      this.init.log('could not verify %s: %s', peerId, err.message)
      this.init.failed(peerId)
    }
  }
}
