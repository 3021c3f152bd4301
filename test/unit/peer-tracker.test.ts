import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { defaultLogger } from '@libp2p/logger'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createLibp2p } from 'libp2p'
import { PeerTracker } from '../../dist/core/peer-tracker.js'
import { SPECS_PROTOCOL } from '../../dist/protocols/specs/index.js'
import { openRecord, sealRecord } from '../../dist/records/index.js'
import { newKey, sampleRecord } from '../helpers/records.js'
import { waitFor } from '../helpers/wait-for.js'
import type { SignedResourceRecord } from '../../dist/records/index.js'
import type { Libp2p, PeerId, PrivateKey } from '@libp2p/interface'

const host = async (privateKey?: PrivateKey): Promise<Libp2p<any>> => createLibp2p({
  privateKey,
  addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  services: { identify: identify(), ping: ping() }
})

/**
 * A host whose dials the test scripts, with one peer that has just lost its last connection: the
 * tracker holds its record, then hears of the disconnect and dials to see whether it is gone.
 */
async function afterDisconnect (dial: (attempt: number) => Promise<void>, goneCheckEvery?: number): Promise<{ tracker: PeerTracker, peerId: string, dials: () => number, removed: string[], disconnect: () => void }> {
  const events = new EventTarget()
  let dials = 0
  const removed: string[] = []
  const self = await newKey()
  const tracker = new PeerTracker({
    host: {
      peerId: peerIdFromPrivateKey(self),
      getConnections: () => [],
      dial: async () => { await dial(++dials) },
      peerStore: { merge: async () => {}, get: async () => { throw new Error('unknown') } },
      addEventListener: events.addEventListener.bind(events),
      removeEventListener: events.removeEventListener.bind(events),
      services: {}
    } as any,
    specs: { fetchKnown: async () => [], fetchSelf: async () => { throw new Error('not asked') } },
    logger: defaultLogger(),
    events: { safeDispatchEvent: (name: string, init: any) => { if (name === 'peer:remove') removed.push(init.detail); return true } }
  } as any, { name: 'node', recordTtl: () => 600_000, goneCheckEvery })
  tracker.start()
  const key = await newKey()
  const peer: PeerId = peerIdFromPrivateKey(key)
  const signed = await openRecord(await sealRecord(sampleRecord({ expiresAt: Date.now() + 600_000 }), key))
  assert.equal(tracker.acceptRecord(signed, { source: null, fromSubject: true }), 'taken')
  const disconnect = (): void => { events.dispatchEvent(new CustomEvent('peer:disconnect', { detail: peer })) }
  disconnect()
  return { tracker, peerId: peer.toString(), dials: () => dials, removed, disconnect }
}

describe('peer tracker', () => {
  const hosts: Array<Libp2p<any>> = []
  after(async () => { await Promise.all(hosts.map(async h => h.stop())) })

  it('takes in a p2prc peer (it serves records) that finished identify before the tracker started, and no other libp2p peer', async () => {
    const [node, neighbour, stranger] = [await host(), await host(), await host()]
    hosts.push(node, neighbour, stranger)
    // The neighbour serves p2prc's records, which is what marks a p2prc node in identify.
    await neighbour.handle(SPECS_PROTOCOL, stream => { stream.abort(new Error('not served here')) })
    await node.dial(neighbour.getMultiaddrs()[0])
    // Any other libp2p peer: identified too, but no p2prc node.
    await node.dial(stranger.getMultiaddrs()[0])
    await waitFor(async () => (await node.peerStore.get(stranger.peerId)).protocols.length > 0, { message: 'identify of the stranger' })
    await waitFor(async () => (await node.peerStore.get(neighbour.peerId)).protocols.includes(SPECS_PROTOCOL), { message: 'identify to finish' })

    const synced: string[] = []
    const tracker = new PeerTracker({
      host: node,
      specs: { fetchKnown: async peerId => { synced.push(peerId); return [] }, fetchSelf: async () => { throw new Error('not asked') } },
      logger: defaultLogger(),
      events: { safeDispatchEvent: () => true }
    }, { name: 'node', recordTtl: () => 60_000 })
    tracker.start()
    try {
      const seen = await waitFor(() => tracker.list().find(p => p.peerId === neighbour.peerId.toString()), { message: 'the neighbour in the table' })
      assert.equal(seen.verified, true)
      assert.equal(seen.connection, 'direct')
      assert.deepEqual(synced, [neighbour.peerId.toString()], 'the table was filled from it, as from any first neighbour')
      assert.deepEqual(tracker.list().map(p => p.peerId), [neighbour.peerId.toString()], 'a libp2p peer that serves no records stays out')
    } finally {
      tracker.stop()
    }
  })

  it('forgets a peer that lost its connections at once when its address refuses (it crashed)', async () => {
    const { tracker, peerId, dials, removed } = await afterDisconnect(async () => {
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4001'), { code: 'ECONNREFUSED' })
    })
    try {
      await waitFor(() => removed.includes(peerId), { message: 'the crashed peer to be forgotten' })
      assert.equal(dials(), 1)
      assert.equal(tracker.summary(peerId), null)
    } finally {
      tracker.stop()
    }
  })

  it('keeps a peer that lost its connections and answered only when asked again (a busy machine), and forgets one that never answers', async () => {
    const slow = await afterDisconnect(async attempt => { if (attempt === 1) throw new Error('The operation was aborted due to timeout') })
    const silent = await afterDisconnect(async () => { throw new Error('The operation was aborted due to timeout') })
    try {
      // The second dial comes GONE_RECHECK_DELAY (10 s) after the first.
      await waitFor(() => slow.dials() === 2 && silent.removed.length > 0, { timeout: 30_000, message: 'both peers to be dialled again' })
      assert.equal(silent.dials(), 2)
      assert.deepEqual(silent.removed, [silent.peerId])
      assert.deepEqual(slow.removed, [], 'the slow peer stays')
      assert.notEqual(slow.tracker.summary(slow.peerId), null)
    } finally {
      slow.tracker.stop()
      silent.tracker.stop()
    }
  })

  it('a peer that lost its connections again soon after it answered is checked once the wait is up, not left to its record', async () => {
    const refusedError = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4001'), { code: 'ECONNREFUSED' })
    const { tracker, peerId, dials, removed, disconnect } = await afterDisconnect(async attempt => { if (attempt > 1) throw refusedError }, 2000)
    try {
      await waitFor(() => dials() === 1, { message: 'the first check' })
      const lostAgain = Date.now()
      // It answered; now it crashes, within the wait.
      disconnect()
      await waitFor(() => removed.includes(peerId), { message: 'the crashed peer to be forgotten' })
      assert.equal(dials(), 2)
      assert.ok(Date.now() - lostAgain >= 1500, 'checked when the wait was up, not at once')
    } finally {
      tracker.stop()
    }
  })

  it('asks a neighbour it met for its record when none of its adverts came', async () => {
    const key = await newKey()
    const [node, neighbour] = [await host(), await host(key)]
    hosts.push(node, neighbour)
    await neighbour.handle(SPECS_PROTOCOL, stream => { stream.abort(new Error('not served here')) })
    const own = await openRecord(await sealRecord(sampleRecord({ name: 'neighbour' }), key))
    const asked: string[] = []
    const tracker = new PeerTracker({
      host: node,
      // Its first sync brings nothing (the neighbour's advert was lost); asked itself, it answers.
      specs: { fetchKnown: async () => [], fetchSelf: async peerId => { asked.push(peerId); return own } },
      logger: defaultLogger(),
      events: { safeDispatchEvent: () => true }
    }, { name: 'node', recordTtl: () => 60_000 })
    tracker.start()
    try {
      await node.dial(neighbour.getMultiaddrs()[0])
      await waitFor(() => tracker.list().some(p => p.peerId === neighbour.peerId.toString() && p.resources != null), { message: 'a record for the neighbour it met' })
      assert.deepEqual(asked, [neighbour.peerId.toString()])
    } finally {
      tracker.stop()
    }
  })

  it("takes a first neighbour's whole table when it asked for it, but only a few dozen strangers passed on unasked by one neighbour", async () => {
    const [node, neighbour] = [await host(), await host()]
    hosts.push(node, neighbour)
    await neighbour.handle(SPECS_PROTOCOL, stream => { stream.abort(new Error('not served here')) })
    // 150 peers the node has never met, each record signed by its own key.
    const records: SignedResourceRecord[] = await Promise.all(Array.from({ length: 150 }, async (_, i) => openRecord(await sealRecord(sampleRecord({ name: `far-${i}` }), await newKey()))))
    const tracker = new PeerTracker({
      host: node,
      specs: { fetchKnown: async () => records, fetchSelf: async () => { throw new Error('unreachable') } },
      logger: defaultLogger(),
      events: { safeDispatchEvent: () => true }
    }, { name: 'node', recordTtl: () => 60_000 })
    tracker.start()
    try {
      await node.dial(neighbour.getMultiaddrs()[0])
      const table = await waitFor(() => { const peers = tracker.list(); return peers.length === 151 ? peers : null }, { message: "the neighbour's 150 records in the table" })
      assert.equal(table.filter(p => !p.verified).length, 150, 'held unverified until each answers')
    } finally {
      tracker.stop()
    }

    // The same records passed on by one neighbour, unasked (as gossip): a flood of fresh
    // identities, mostly refused.
    const other = new PeerTracker({
      host: node,
      specs: { fetchKnown: async () => [], fetchSelf: async () => { throw new Error('unreachable') } },
      logger: defaultLogger(),
      events: { safeDispatchEvent: () => true }
    }, { name: 'node', recordTtl: () => 60_000 })
    other.start()
    try {
      const outcomes = records.map(signed => other.acceptRecord(signed, { source: neighbour.peerId.toString(), fromSubject: false }))
      const taken = outcomes.filter(o => o === 'taken').length
      assert.ok(taken >= 20 && taken <= 40, `${taken} of 150 taken`)
      assert.equal(outcomes.filter(o => o === 'refused').length, 150 - taken)
    } finally {
      other.stop()
    }
  })
})
