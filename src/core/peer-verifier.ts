import { withTimeout } from '../signals.js'
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
}

/** Peers being verified at once: a fake takes its whole attempt to fail (its address answers nothing). */
const CONCURRENCY = 8
/** Verifications started per second at most: a flood of fakes costs this node a trickle of dials. */
const PER_SECOND = 2
/** The most peers waiting to be verified; more are dropped (they stay unverified, and go with time). */
const MAX_QUEUED = 512
const ATTEMPT_TIMEOUT = 5_000

/**
 * Verifies peers known only from records others relayed: dials each and asks for its own record.
 * A real peer answers and becomes verified; for a fake identity (a fresh key with made-up
 * addresses) nobody answers, and it is dropped.
 */
export class PeerVerifier implements Startable {
  private readonly queue = new Set<string>()
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

  enqueue (peerId: string): void {
    if (this.queue.size < MAX_QUEUED) this.queue.add(peerId)
  }

  private pump (): void {
    if (this.active >= CONCURRENCY) return
    const next = this.queue.values().next()
    if (next.done === true) return
    this.queue.delete(next.value)
    this.active++
    void this.verify(next.value).finally(() => { this.active-- })
  }

  private async verify (peerId: string): Promise<void> {
    try {
      const signed = await this.init.specs.fetchSelf(peerId, { signal: withTimeout(this.controller.signal, ATTEMPT_TIMEOUT) })
      this.init.verified(signed)
    } catch (err: any) {
      if (this.controller.signal.aborted) return
      this.init.log('could not verify %s: %s', peerId, err.message)
      this.init.failed(peerId)
    }
  }
}
