import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { PeerTable } from '../../dist/core/peer-table.js'
import { sampleRecord } from '../helpers/records.js'
import type { SignedResourceRecord } from '../../dist/records/index.js'

const signed = (peerId: string, seq: number, expiresAt: number): SignedResourceRecord => ({
  record: { peerId, ...sampleRecord({ seq, expiresAt, name: `n${seq}` }) },
  envelope: new Uint8Array([seq % 256])
})

describe('peer table and records', () => {
  it('takes newer records and refuses stale or repeated ones', () => {
    const table = new PeerTable()
    assert.equal(table.acceptRecord(signed('P1', 10, 5000), 0), true)
    assert.equal(table.acceptRecord(signed('P1', 10, 5000), 0), false)
    assert.equal(table.acceptRecord(signed('P1', 9, 5000), 0), false)
    assert.equal(table.acceptRecord(signed('P1', 11, 5000), 0), true)
    assert.equal(table.get('P1')?.name, 'n11')
    assert.deepEqual(table.get('P1')?.labels, { zone: 'lab' })
  })

  it('drops an expired record, and the peer unless connected', () => {
    const table = new PeerTable()
    table.acceptRecord(signed('gone', 1, 1000), 0)
    table.acceptRecord(signed('linked', 2, 1000), 0)
    table.acceptRecord(signed('fresh', 3, 9000), 0)
    assert.equal(table.records(500).length, 3)
    const dropped = table.prune(2000, -Infinity, id => id === 'linked')
    assert.deepEqual(dropped, ['gone'])
    assert.equal(table.get('linked')?.record, null)
    assert.deepEqual(table.records(2000).map(r => r.record.peerId), ['fresh'])
  })

  it('forgets a lapsed peer as soon as its connection goes, not after the silent cutoff', () => {
    const table = new PeerTable()
    table.acceptRecord(signed('partitioned', 1, 1000), 0)
    let connected = true
    assert.deepEqual(table.prune(2000, -Infinity, () => connected), [])
    // The connection dies later (a partition is noticed by the next failed ping).
    connected = false
    assert.deepEqual(table.prune(3000, -Infinity, () => connected), ['partitioned'])
    // A new record brings it back, no longer lapsed.
    table.acceptRecord(signed('partitioned', 2, 9000), 4000)
    assert.deepEqual(table.prune(5000, -Infinity, () => false), [])
  })
})
