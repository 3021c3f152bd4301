import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createNode } from '../../dist/index.js'
import { MAX_RECORD_BYTES, recordKey, sealRecord } from '../../dist/records/index.js'
import { RESOURCES_TOPIC } from '../../dist/discovery/constants.js'
import { newKey, sampleRecord } from '../helpers/records.js'
import { TmpDirs } from '../helpers/tmp-dir.js'
import { waitFor } from '../helpers/wait-for.js'
import type { P2PRCNode, PeerSummary } from '../../dist/index.js'

/** The victim's count of refused records, by source and reason, from its Prometheus metrics. */
async function rejected (node: P2PRCNode, source: string, reason: string): Promise<number> {
  const metric = await node.metrics.getSingleMetric('p2prc_records_rejected_total')?.get()
  return metric?.values.find(v => v.labels.source === source && v.labels.reason === reason)?.value ?? 0
}

describe('forged, malformed and oversized records', () => {
  const dirs = new TmpDirs()
  let victim: P2PRCNode
  let honest: P2PRCNode
  let attacker: P2PRCNode
  before(async () => {
    const make = async (bootstrap: string[] = []): Promise<P2PRCNode> => {
      const node = await createNode({ dataDir: await dirs.make(), listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap, docker: null, advertInterval: 1000, recordTtl: 4000 })
      await node.start()
      return node
    }
    victim = await make()
    honest = await make([victim.multiaddrs[0]])
    attacker = await make([victim.multiaddrs[0]])
    await waitFor(() => victim.peers().filter(p => p.resources != null).length === 2, { message: 'the victim to hold both records' })
    await waitFor(() => attacker.libp2p.services.pubsub.getSubscribers(RESOURCES_TOPIC).length >= 2, { message: 'the attacker to see subscribers' })
  })
  after(async () => {
    await Promise.all([victim, honest, attacker].map(async n => n?.stop()))
    await dirs.cleanup()
  })

  it('gossip: a changed record is rejected; one passed on for a stranger stays unverified and goes when the stranger cannot be reached', async () => {
    const stranger = await newKey()
    const strangerId = peerIdFromPrivateKey(stranger).toString()
    // Signed, then altered on the way: the signature no longer covers what is said.
    const genuine = await sealRecord(sampleRecord({ name: 'altered' }), stranger)
    const altered = Uint8Array.from(genuine)
    const at = Buffer.from(altered).indexOf('altered')
    altered.set(new TextEncoder().encode('ALTERED'), at)
    await attacker.libp2p.services.pubsub.publish(RESOURCES_TOPIC, altered)
    await waitFor(async () => await rejected(victim, 'gossip', 'signature') >= 1, { message: 'the altered advert to be counted' })
    assert.ok(!victim.peers().some(p => p.peerId === strangerId), 'the altered record is not in the table')
    assert.ok(!honest.peers().some(p => /altered/i.test(p.name ?? '')), 'the victim did not forward it either')

    // Intact, it is the stranger's word passed on by the attacker: held as unverified until the
    // stranger answers, and it never does (its address answers nothing).
    const relayed = await sealRecord(sampleRecord({ name: 'relayed', multiaddrs: ['/ip4/127.0.0.1/tcp/1'] }), stranger)
    const arrived = new Promise<PeerSummary>(resolve => {
      victim.addEventListener('peer:update', event => { if (event.detail.peerId === strangerId) resolve(event.detail) })
    })
    await attacker.libp2p.services.pubsub.publish(RESOURCES_TOPIC, relayed)
    const summary = await waitFor(async () => Promise.race([arrived, new Promise<undefined>(resolve => setTimeout(() => { resolve(undefined) }, 100))]), { message: 'the relayed record to arrive' })
    assert.equal(summary.name, 'relayed')
    assert.equal(summary.verified, false)
    await waitFor(() => !victim.peers().some(p => p.peerId === strangerId), { message: 'the unreachable stranger to be dropped' })
  })

  it('gossip: garbage and oversized adverts are rejected and counted', async () => {
    const before = victim.peers().find(p => p.peerId === attacker.peerId)?.resources
    await attacker.libp2p.services.pubsub.publish(RESOURCES_TOPIC, new TextEncoder().encode('not a record at all'))
    await waitFor(async () => await rejected(victim, 'gossip', 'signature') >= 1, { message: 'the garbage advert to be counted' })
    await attacker.libp2p.services.pubsub.publish(RESOURCES_TOPIC, new Uint8Array(MAX_RECORD_BYTES + 100))
    await waitFor(async () => await rejected(victim, 'gossip', 'oversized') >= 1, { message: 'the oversized advert to be counted' })
    // The attacker's own, genuine adverts are still taken: only bad messages are refused.
    assert.ok(before != null)
    await waitFor(() => victim.peers().some(p => p.peerId === attacker.peerId && p.resources != null))
  })

  it('DHT: a record for another peer\'s key, or garbage, is refused by the validator', async () => {
    const dht = attacker.libp2p.services.dht
    const forged = await sealRecord(sampleRecord({ name: 'forged-dht', seq: Number.MAX_SAFE_INTEGER - 1 }), await newKey())
    const garbage = new Uint8Array([9, 9, 9])
    for (const value of [forged, garbage]) {
      try {
        for await (const _ of dht.put(recordKey(honest.peerId), value, { signal: AbortSignal.timeout(10_000) })) { /* drain */ }
      } catch {
        // Peers refusing the put may fail it; what matters is what they store.
      }
    }
    // What the victim finds for the honest peer is the honest peer's own record, or nothing.
    const found = await victim.records.find(honest.peerId, { signal: AbortSignal.timeout(10_000) })
    if (found != null) {
      assert.equal(found.record.peerId, honest.peerId)
      assert.notEqual(found.record.name, 'forged-dht')
    }
    assert.ok(!victim.peers().some(p => p.name === 'forged-dht'))
  })

  it('DHT: a genuine record is stored in and found through the DHT, long-lived', async () => {
    const found = await waitFor(async () => victim.records.find(attacker.peerId, { signal: AbortSignal.timeout(10_000) }), { timeout: 30_000, message: 'a DHT record' })
    assert.equal(found.record.peerId, attacker.peerId)
    assert.ok(found.record.expiresAt - found.record.issuedAt > 30 * 60_000, 'the DHT copy is long-lived')
  })
})
