import { setMaxListeners } from 'node:events'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { InvalidRecordError, openRecord } from '../records/index.js'
import { ADVERT_JITTER, ADVERTISE_SOON_DELAY, FAREWELL_TIMEOUT, FAREWELL_TTL, PROBE_INTERVAL, REPUBLISH_ATTEMPTS, REPUBLISH_FIRST_DELAY, RESOURCES_TOPIC, WARMUP_DELAYS } from './constants.js'
import type { RecordIssuer } from './record-issuer.js'
import type { RecordMetrics } from '../records/index.js'
import type { SignedResourceRecord } from '../records/index.js'
import type { GossipSub, Message, SubscriptionChangeData } from '@libp2p/gossipsub'
import type { Logger, PeerId, Startable } from '@libp2p/interface'

export interface GossipAdvertsComponents {
  pubsub: GossipSub
  issuer: RecordIssuer
  metrics: RecordMetrics
  log: Logger
  /**
   * Offers a record (its signature checked) to the peer table, with who passed it on and whether
   * that was its subject; answers whether it was taken, stale, refused (a flood) or found no room.
   */
  accept: (signed: SignedResourceRecord, origin: { source: string, fromSubject: boolean }) => 'taken' | 'stale' | 'refused' | 'full'
}

export interface GossipAdvertsInit {
  /** Mean time between adverts now: it grows with the network (see AdvertSchedule). */
  interval: () => number
  /** How long stopping may spend on the farewell advert. @default 1000 */
  farewellTimeout?: number
  /** The topic adverts go on; a private swarm has its own. @default RESOURCES_TOPIC */
  topic?: string
}

/**
 * Resource adverts on gossipsub: small, signed, periodic (with jitter) and immediate on a
 * significant change. Incoming adverts are checked and taken into the peer table in the topic
 * validator, so a bad one is neither delivered nor forwarded, and its sender's score drops.
 */
export class GossipAdverts implements Startable {
  private advertTimer?: ReturnType<typeof setTimeout>
  private probeTimer?: ReturnType<typeof setInterval>
  private retryTimer?: ReturnType<typeof setTimeout>
  private soonTimer?: ReturnType<typeof setTimeout>
  private advertsSent = 0
  /** The peers the current advert (or a renewal of it) was sent to. */
  private readonly deliveredTo = new Set<string>()
  /** Made anew at every start; aborted by stop, it ends every timer's work. */
  private controller = new AbortController()
  private started = false

  private readonly topic: string

  constructor (private readonly components: GossipAdvertsComponents, private readonly init: GossipAdvertsInit) {
    this.topic = init.topic ?? RESOURCES_TOPIC
  }

  start (): void {
    this.controller = new AbortController()
    // One long-lived signal is handed to many concurrent calls, each adding a listener.
    setMaxListeners(Infinity, this.controller.signal)
    this.advertsSent = 0
    this.deliveredTo.clear()
    const { pubsub } = this.components
    pubsub.topicValidators.set(this.topic, this.validate)
    pubsub.addEventListener('subscription-change', this.onSubscriptionChange)
    pubsub.subscribe(this.topic)
    this.probeTimer = setInterval(() => { void this.probe() }, PROBE_INTERVAL)
    this.started = true
    void this.advertise()
  }

  /**
   * Ends the adverts with a last one, valid for moments only: peers drop this node as soon as it
   * expires instead of keeping it until its last full record would have. The periodic adverts
   * stop first, so no ordinary record is issued after it (a late one would carry a higher
   * sequence number).
   */
  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    this.controller.abort()
    clearTimeout(this.advertTimer)
    clearTimeout(this.retryTimer)
    clearTimeout(this.soonTimer)
    clearInterval(this.probeTimer)
    this.retryTimer = undefined
    this.soonTimer = undefined
    try {
      const signed = await this.components.issuer.farewell(FAREWELL_TTL, { signal: AbortSignal.timeout(this.init.farewellTimeout ?? FAREWELL_TIMEOUT) })
      if (signed != null) await this.publish(signed.envelope)
    } catch (err: any) {
      this.components.log('farewell advert not sent: %s', err.message)
    }
    const { pubsub } = this.components
    pubsub.unsubscribe(this.topic)
    pubsub.topicValidators.delete(this.topic)
    pubsub.removeEventListener('subscription-change', this.onSubscriptionChange)
  }

  /** Advertises shortly, once for any number of calls in quick succession (e.g. many containers starting). */
  advertiseSoon (): void {
    if (this.soonTimer != null || this.controller.signal.aborted) return
    this.soonTimer = setTimeout(() => {
      this.soonTimer = undefined
      void this.advertise()
    }, ADVERTISE_SOON_DELAY)
  }

  /** Issues a fresh record and publishes it now, then waits one interval (± jitter) for the next. */
  async advertise (): Promise<void> {
    clearTimeout(this.advertTimer)
    try {
      const { signed } = await this.components.issuer.issue({ signal: this.controller.signal })
      const missing = await this.publish(signed.envelope)
      // Only while warming up: later the mesh carries an advert to the subscribers it did not
      // reach directly (a peer whose stream to us never opened stays unreached for good, and
      // re-sending for it turned every periodic advert into seven).
      if (missing > 0 && this.warmingUp && this.retryTimer == null) this.retryPublish(0)
    } catch (err: any) {
      if (!this.controller.signal.aborted) this.components.log.error('advert failed: %s', err.message)
    }
    if (this.controller.signal.aborted) return
    const interval = this.init.interval() * (1 + (Math.random() * 2 - 1) * ADVERT_JITTER)
    const delay = WARMUP_DELAYS[this.advertsSent++] ?? interval
    this.advertTimer = setTimeout(() => { void this.advertise() }, Math.min(delay, interval))
  }

  /**
   * Publishes and answers how many known subscribers have not yet been sent this node's current
   * advert. A renewal (the same figures signed again) keeps the count of who has them.
   */
  private async publish (envelope: Uint8Array, renewal = false): Promise<number> {
    if (!renewal) this.deliveredTo.clear()
    const { pubsub, log } = this.components
    const { recipients } = await pubsub.publish(this.topic, envelope)
    for (const peer of recipients) this.deliveredTo.add(peer.toString())
    const missing = pubsub.getSubscribers(this.topic).filter(p => !this.deliveredTo.has(p.toString())).length
    log.trace('advert sent to %d peers, %d subscribers not reached', recipients.length, missing)
    return missing
  }

  /** Measures between adverts; tells peers at once when something that matters changed. */
  private async probe (): Promise<void> {
    try {
      const { signed, significant } = await this.components.issuer.issue({ signal: this.controller.signal })
      if (significant) await this.publish(signed.envelope)
    } catch (err: any) {
      if (!this.controller.signal.aborted) this.components.log.error('probe failed: %s', err.message)
    }
  }

  /**
   * Gossip messages carry no signature of their own (StrictNoSign, IDs from their content): the
   * record inside is signed by its subject, and checking that one signature is all an advert
   * costs. Who sent it is the neighbour that passed it on; it is the subject's own word only when
   * that neighbour is the subject.
   */
  private readonly validate = async (propagationSource: PeerId, message: Message): Promise<TopicValidatorResult> => {
    const { metrics, log } = this.components
    try {
      const signed = await openRecord(message.data)
      const outcome = this.components.accept(signed, { source: propagationSource.toString(), fromSubject: signed.record.peerId === propagationSource.toString() })
      if (outcome === 'stale') {
        metrics.reject('gossip', 'stale')
        return TopicValidatorResult.Ignore
      }
      // No room here for another peer: the neighbour did nothing wrong passing it on.
      if (outcome === 'full') {
        metrics.reject('gossip', 'full')
        return TopicValidatorResult.Ignore
      }
      // Refused (the neighbour floods us with identities nobody has met): not passed on, and its
      // gossip score drops, so gossipsub soon stops listening to it.
      if (outcome === 'refused') {
        metrics.reject('gossip', 'flood')
        return TopicValidatorResult.Reject
      }
      metrics.accept('gossip')
      return TopicValidatorResult.Accept
    } catch (err: any) {
      const reason = err instanceof InvalidRecordError ? err.reason : 'malformed'
      metrics.reject('gossip', reason)
      log('rejected advert from %p: %s', propagationSource, err.message)
      return TopicValidatorResult.Reject
    }
  }

  private readonly onSubscriptionChange = (event: CustomEvent<SubscriptionChangeData>): void => {
    const joined = event.detail.subscriptions.some(s => s.subscribe && s.topic === this.topic)
    if (joined && this.warmingUp && !this.deliveredTo.has(event.detail.peerId.toString()) && this.retryTimer == null) this.retryPublish(0)
  }

  /** The first adverts after start: until the last of WARMUP_DELAYS has gone out. */
  private get warmingUp (): boolean {
    return this.advertsSent <= WARMUP_DELAYS.length
  }

  /**
   * While a node warms up, every new neighbour should get its advert directly: gossipsub may not
   * route to a peer in the first moments after its subscription arrives, and a message that
   * reaches a node before its mesh forms is not passed on. So the current advert is sent again,
   * with a short backoff, until every known subscriber has been sent it.
   */
  private retryPublish (attempt: number): void {
    this.retryTimer = setTimeout(() => {
      if (this.controller.signal.aborted) return
      // The same envelope again would be a duplicate to gossipsub: the record is signed anew.
      this.components.issuer.renew({ signal: this.controller.signal })
        .then(async renewed => renewed == null ? 0 : this.publish(renewed.envelope, true))
        .then(missing => {
          this.retryTimer = undefined
          if (missing > 0 && attempt + 1 < REPUBLISH_ATTEMPTS) this.retryPublish(attempt + 1)
        }, err => {
          this.retryTimer = undefined
          if (!this.controller.signal.aborted) this.components.log('republish failed: %s', err.message)
        })
    }, REPUBLISH_FIRST_DELAY * 2 ** attempt)
  }
}
