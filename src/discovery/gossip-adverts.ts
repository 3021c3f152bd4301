import { TopicValidatorResult } from '@libp2p/gossipsub'
import { InvalidRecordError, openRecord } from '../records/index.js'
import { ADVERT_JITTER, PROBE_INTERVAL, REPUBLISH_DEBOUNCE, RESOURCES_TOPIC } from './constants.js'
import type { RecordIssuer } from './record-issuer.js'
import type { RecordMetrics } from './record-metrics.js'
import type { SignedResourceRecord } from '../records/index.js'
import type { GossipSub, Message, SubscriptionChangeData } from '@libp2p/gossipsub'
import type { Logger, PeerId } from '@libp2p/interface'

export interface GossipAdvertsComponents {
  pubsub: GossipSub
  issuer: RecordIssuer
  metrics: RecordMetrics
  log: Logger
  /** Offers a verified record to the peer table; answers whether it was new (not stale). */
  accept: (signed: SignedResourceRecord) => boolean
}

export interface GossipAdvertsInit {
  /** Mean time between adverts. */
  interval: number
}

/**
 * Resource adverts on gossipsub: small, signed, periodic (with jitter) and immediate on a
 * significant change. Incoming adverts are checked and taken into the peer table in the topic
 * validator, so a bad one is neither delivered nor forwarded, and its sender's score drops.
 */
export class GossipAdverts {
  private advertTimer?: ReturnType<typeof setTimeout>
  private probeTimer?: ReturnType<typeof setInterval>
  private retryTimer?: ReturnType<typeof setTimeout>
  /** Set while the last publish reached nobody: the next new subscriber triggers a republish. */
  private undelivered = true
  private readonly controller = new AbortController()

  constructor (private readonly components: GossipAdvertsComponents, private readonly init: GossipAdvertsInit) {}

  start (): void {
    const { pubsub } = this.components
    pubsub.topicValidators.set(RESOURCES_TOPIC, this.validate)
    pubsub.addEventListener('subscription-change', this.onSubscriptionChange)
    pubsub.subscribe(RESOURCES_TOPIC)
    this.probeTimer = setInterval(() => { void this.probe() }, PROBE_INTERVAL)
    void this.advertise()
  }

  stop (): void {
    this.controller.abort()
    clearTimeout(this.advertTimer)
    clearTimeout(this.retryTimer)
    clearInterval(this.probeTimer)
    const { pubsub } = this.components
    pubsub.unsubscribe(RESOURCES_TOPIC)
    pubsub.topicValidators.delete(RESOURCES_TOPIC)
    pubsub.removeEventListener('subscription-change', this.onSubscriptionChange)
  }

  /** Issues a fresh record and publishes it now, then waits one interval (± jitter) for the next. */
  async advertise (): Promise<void> {
    clearTimeout(this.advertTimer)
    try {
      const { signed } = await this.components.issuer.issue({ signal: this.controller.signal })
      await this.publish(signed.envelope)
    } catch (err: any) {
      if (!this.controller.signal.aborted) this.components.log.error('advert failed: %s', err.message)
    }
    if (this.controller.signal.aborted) return
    const jitter = 1 + (Math.random() * 2 - 1) * ADVERT_JITTER
    this.advertTimer = setTimeout(() => { void this.advertise() }, this.init.interval * jitter)
  }

  private async publish (envelope: Uint8Array): Promise<void> {
    const { recipients } = await this.components.pubsub.publish(RESOURCES_TOPIC, envelope)
    this.undelivered = recipients.length === 0
    this.components.log.trace('advert published to %d peers', recipients.length)
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

  private readonly validate = async (_from: PeerId, message: Message): Promise<TopicValidatorResult> => {
    const { metrics, log } = this.components
    if (message.type !== 'signed') {
      metrics.reject('gossip', 'signature')
      return TopicValidatorResult.Reject
    }
    try {
      // The advert must be about the peer that signed the gossip message, not relayed for another.
      const signed = await openRecord(message.data, { expectedSigner: message.from.toString() })
      if (!this.components.accept(signed)) {
        metrics.reject('gossip', 'stale')
        return TopicValidatorResult.Ignore
      }
      metrics.accept('gossip')
      return TopicValidatorResult.Accept
    } catch (err: any) {
      const reason = err instanceof InvalidRecordError ? err.reason : 'malformed'
      metrics.reject('gossip', reason)
      log('rejected advert from %p: %s', message.from, err.message)
      return TopicValidatorResult.Reject
    }
  }

  private readonly onSubscriptionChange = (event: CustomEvent<SubscriptionChangeData>): void => {
    const joined = event.detail.subscriptions.some(s => s.subscribe && s.topic === RESOURCES_TOPIC)
    if (!joined || !this.undelivered || this.retryTimer != null) return
    // Our last advert reached nobody; now someone listens. Wait a moment for the mesh to form.
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined
      const current = this.components.issuer.current
      if (current != null) void this.publish(current.envelope).catch(err => this.components.log('republish failed: %s', err.message))
    }, REPUBLISH_DEBOUNCE)
  }
}
