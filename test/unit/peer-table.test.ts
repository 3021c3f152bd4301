import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { PeerTable } from '../../dist/core/peer-table.js'

describe('peer table', () => {
  const table = (): PeerTable => {
    const t = new PeerTable()
    t.upsert('12D3KooWAAAA1111', { name: 'gpu-box', lastSeen: 1000 })
    t.upsert('12D3KooWAAAB2222', { name: 'laptop', lastSeen: 2000 })
    t.upsert('12D3KooWCCCC3333', { name: 'gpu-box2', lastSeen: 3000 })
    return t
  }

  it('resolves full IDs, unique prefixes and names', () => {
    const t = table()
    assert.equal(t.resolve('12D3KooWAAAA1111').name, 'gpu-box')
    assert.equal(t.resolve('12D3KooWC').name, 'gpu-box2')
    assert.equal(t.resolve('laptop').peerId, '12D3KooWAAAB2222')
  })

  it('refuses ambiguous prefixes and unknown peers with typed errors', () => {
    const t = table()
    assert.throws(() => t.resolve('12D3KooWAAA'), { name: 'AmbiguousPeerError' })
    assert.throws(() => t.resolve('nobody'), { name: 'PeerNotFoundError' })
  })

  it('prunes silent peers unless still connected', () => {
    const t = table()
    const dropped = t.prune(2500, 2500, id => id === '12D3KooWAAAA1111')
    assert.deepEqual(dropped, ['12D3KooWAAAB2222'])
    assert.deepEqual(t.list().map(e => e.name).sort(), ['gpu-box', 'gpu-box2'])
  })
})
