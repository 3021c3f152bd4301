import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { defaultLogger } from '@libp2p/logger'
import { GossipAdverts } from '../../dist/discovery/gossip-adverts.js'
import { waitFor } from '../helpers/wait-for.js'

/**
 * Gossipsub as the adverts see it, with one subscriber it never reaches (its stream to us never
 * opened): every publish reports it missing. Counts what was published, and how.
 */
function unreachedSubscriber () {
  const sent = { adverts: 0, renewals: 0 }
  const envelope = (kind: string, n: number) => ({ signed: { envelope: new TextEncoder().encode(`${kind}-${n}`) } })
  const pubsub = new EventTarget() as any
  pubsub.topicValidators = new Map()
  pubsub.subscribe = () => {}
  pubsub.unsubscribe = () => {}
  pubsub.getSubscribers = () => [{ toString: () => 'unreached' }]
  pubsub.publish = async () => ({ recipients: [] })
  const issuer = {
    issue: async () => ({ ...envelope('advert', ++sent.adverts), significant: false }),
    renew: async () => envelope('renewal', ++sent.renewals).signed,
    farewell: async () => null
  }
  const adverts = new GossipAdverts({ pubsub, issuer: issuer as any, metrics: {} as any, log: defaultLogger().forComponent('test'), accept: () => 'taken' }, { interval: () => 100 })
  return { adverts, sent }
}

describe('gossip adverts', () => {
  it('re-sends to an unreached subscriber while warming up, and never after: a periodic advert goes out once', async () => {
    const { adverts, sent } = unreachedSubscriber()
    adverts.start()
    try {
      // The first advert and the three warm-up repeats (WARMUP_DELAYS, here each cut to the
      // 100 ms interval) each start re-sends, at 25 ms doubling, six at most at a time.
      await waitFor(() => sent.renewals > 0, { message: 'a re-send while warming up' })
      // The last warm-up re-send ends within 1.6 s of the fourth advert.
      await waitFor(() => sent.adverts >= 30, { timeout: 20_000, message: 'periodic adverts' })
      const renewals = sent.renewals
      const adverts = sent.adverts
      await waitFor(() => sent.adverts >= adverts + 10, { timeout: 20_000, message: 'ten more periodic adverts' })
      assert.equal(sent.renewals, renewals, 'no periodic advert was re-sent')
      assert.ok(renewals <= 4 * 6, `${renewals} re-sends while warming up`)
    } finally {
      await adverts.stop()
    }
  })
})
