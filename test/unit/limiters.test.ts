import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { PeerRateLimiter } from '../../dist/protocols/rate-limit.js'
import { RunQueue } from '../../dist/containers/run-queue.js'
import { EndedContainers } from '../../dist/containers/ended.js'
import type { ContainerView } from '../../dist/index.js'

describe('rate limits, the run queue and ended containers', () => {
  it('a peer gets its burst, then its rate; another peer is not held back', () => {
    const limiter = new PeerRateLimiter({ perSecond: 10, burst: 3 }, 'list')
    const t0 = 1_000_000
    for (let i = 0; i < 3; i++) limiter.take('a', t0)
    assert.throws(() => { limiter.take('a', t0) }, { name: 'RateLimitedError', message: /too many list requests: at most 10 a second \(3 at once\)/ })
    limiter.take('b', t0)
    limiter.take('a', t0 + 100)
    assert.throws(() => { limiter.take('a', t0 + 100) }, { name: 'RateLimitedError' })
  })

  it('runs wait their turn; waiting is bounded per peer; an abort leaves the queue', async () => {
    const queue = new RunQueue(() => 1, () => 1)
    const first = await queue.acquire('a')
    const order: string[] = []
    const second = queue.acquire('a').then(release => { order.push('second'); return release })
    await assert.rejects(queue.acquire('a'), { name: 'PolicyRefusedError', message: /starting 1 runs and has 1 waiting, its limit/ })
    const fourth = queue.acquire('b').then(release => { order.push('fourth'); return release })
    const controller = new AbortController()
    const aborted = queue.acquire('c', controller.signal)
    controller.abort()
    await assert.rejects(aborted, { name: 'AbortError' })
    assert.equal(queue.size, 3)
    first()
    const releaseSecond = await second
    releaseSecond()
    const releaseFourth = await fourth
    assert.deepEqual(order, ['second', 'fourth'])
    releaseFourth()
    assert.equal(queue.size, 0)
  })

  it('remembers why containers ended, for a while and a bounded number of them', () => {
    const ended = new EndedContainers()
    const view = (id: string, owner: string): ContainerView => ({ peerId: 'h', containerId: id, name: id, image: 'x', state: 'running', owner, createdAt: new Date().toISOString(), expiresAt: null, ports: [], limits: { cpus: 1, memoryBytes: 1, gpus: 0 }, exitCode: null, oomKilled: false, finishedAt: null, endReason: null })
    const now = Date.now()
    ended.record(view('1', 'a'), 'disk limit', now)
    ended.record(view('2', 'b'), 'time limit', now)
    assert.deepEqual(ended.list('a', now).map(v => [v.containerId, v.state, v.endReason]), [['1', 'removed', 'disk limit']])
    assert.equal(ended.list(null, now).length, 2)
    assert.equal(ended.list(null, now + 2 * 3_600_000).length, 0, 'forgotten after the retention time')
  })
})
