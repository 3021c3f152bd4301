import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { PeerTable } from '../../dist/core/peer-table.js'
import { sampleRecord } from '../helpers/records.js'
import type { SignedResourceRecord } from '../../dist/records/index.js'

const signed = (peerId: string, seq: number, expiresAt: number, name = `n${seq}`): SignedResourceRecord => ({
  record: { peerId, ...sampleRecord({ seq, expiresAt, name }) },
  envelope: new Uint8Array([seq % 256])
})
/** As a record from its own subject (or a peer we are connected to) is taken. */
const met = (expiresAt = Infinity, now = 0): { verified: boolean, expiresAt: number, now: number } => ({ verified: true, expiresAt, now })
const relayed = (expiresAt = Infinity, now = 0): { verified: boolean, expiresAt: number, now: number } => ({ verified: false, expiresAt, now })

describe('peer table and records', () => {
  it('takes newer records and refuses stale or repeated ones', () => {
    const table = new PeerTable()
    assert.equal(table.acceptRecord(signed('P1', 10, 5000), met()), 'new')
    assert.equal(table.acceptRecord(signed('P1', 10, 5000), met()), 'stale')
    assert.equal(table.acceptRecord(signed('P1', 9, 5000), met()), 'stale')
    assert.equal(table.acceptRecord(signed('P1', 11, 5000), met()), 'newer')
    assert.equal(table.get('P1')?.name, 'n11')
    assert.deepEqual(table.get('P1')?.labels, { zone: 'lab' })
  })

  it('drops an expired record, and the peer unless connected', () => {
    const table = new PeerTable()
    table.acceptRecord(signed('gone', 1, 1000), met())
    table.acceptRecord(signed('linked', 2, 1000), met())
    table.acceptRecord(signed('fresh', 3, 9000), met())
    assert.equal(table.records(500).length, 3)
    const dropped = table.prune(2000, -Infinity, id => id === 'linked')
    assert.deepEqual(dropped, ['gone'])
    assert.equal(table.get('linked')?.record, null)
    assert.deepEqual(table.records(2000).map(r => r.record.peerId), ['fresh'])
  })

  it('names when the first record still counting expires, the next prune worth running', () => {
    const table = new PeerTable()
    assert.equal(table.nextExpiry(), null)
    table.acceptRecord(signed('late', 1, 9000), met())
    table.acceptRecord(signed('early', 2, 1000), met())
    assert.equal(table.nextExpiry(), 1000)
    table.prune(2000, -Infinity, () => true)
    assert.equal(table.nextExpiry(), 9000, 'a lapsed record no longer counts')
  })

  it('forgets a lapsed peer as soon as its connection goes, not after the silent cutoff', () => {
    const table = new PeerTable()
    table.acceptRecord(signed('partitioned', 1, 1000), met())
    let connected = true
    assert.deepEqual(table.prune(2000, -Infinity, () => connected), [])
    // The connection dies later (a partition is noticed by the next failed ping).
    connected = false
    assert.deepEqual(table.prune(3000, -Infinity, () => connected), ['partitioned'])
    // A new record brings it back, no longer lapsed.
    table.acceptRecord(signed('partitioned', 2, 9000), met(Infinity, 4000))
    assert.deepEqual(table.prune(5000, -Infinity, () => false), [])
  })

  it('counts a record only as long as the table allows, whatever lifetime it claims', () => {
    const table = new PeerTable()
    table.acceptRecord(signed('boastful', 1, 86_400_000), relayed(300_000))
    assert.equal(table.records(299_000).length, 1)
    assert.equal(table.records(300_001).length, 0)
  })

  it('holds a bounded number of peers nobody has met, the oldest going first; met peers stay', () => {
    const table = new PeerTable({ maxPeers: 10, maxUnverified: 3 })
    for (let i = 0; i < 5; i++) table.acceptRecord(signed(`real${i}`, i + 1, 9e12), met(Infinity, i))
    for (let i = 0; i < 20; i++) assert.equal(table.acceptRecord(signed(`fake${i}`, i + 1, 9e12), relayed(Infinity, 100 + i)), 'new')
    const fakes = table.list().filter(e => !e.verified).map(e => e.peerId)
    assert.deepEqual(fakes, ['fake17', 'fake18', 'fake19'], 'only the newest unverified remain')
    assert.equal(table.list().filter(e => e.verified).length, 5, 'every met peer stays')
    // Full of met peers, the table makes room by dropping the unverified, and refuses when there are none.
    for (let i = 5; i < 12; i++) table.acceptRecord(signed(`real${i}`, i + 1, 9e12), met(Infinity, 200 + i))
    assert.equal(table.size, 10)
    assert.equal(table.list().filter(e => !e.verified).length, 0)
    assert.equal(table.acceptRecord(signed('one-too-many', 1, 9e12), met()), 'full')
    table.markVerified('real0')
    assert.equal(table.get('real0')?.verified, true)
  })

  it('finds a peer by its name as shown: compatibility forms match', () => {
    const table = new PeerTable()
    table.acceptRecord(signed('P1', 1, 9e12, 'ｗｅｂ-box'), met())
    assert.equal(table.resolve('web-box').peerId, 'P1')
  })
})
