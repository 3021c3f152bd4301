import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { untilAborted } from '../../dist/signals.js'

describe('untilAborted', () => {
  it('gives up a call that ignores its signal when the signal aborts, with the signal\'s reason', async () => {
    const never = new Promise<string>(() => {})
    // A timer of its own: AbortSignal.timeout's does not keep the process alive.
    const controller = new AbortController()
    const timer = setTimeout(() => { controller.abort(new Error('deadline')) }, 50)
    const started = Date.now()
    await assert.rejects(untilAborted(never, controller.signal), /deadline/)
    clearTimeout(timer)
    assert.ok(Date.now() - started < 5000)
  })

  it('passes on the answer, or the failure, of a call that ends first', async () => {
    assert.equal(await untilAborted(Promise.resolve('list'), AbortSignal.timeout(5000)), 'list')
    await assert.rejects(untilAborted(Promise.reject(new Error('refused')), AbortSignal.timeout(5000)), /refused/)
  })

  it('refuses at once when the signal has already aborted', async () => {
    const controller = new AbortController()
    controller.abort(new Error('stopped'))
    await assert.rejects(untilAborted(Promise.resolve('late'), controller.signal), /stopped/)
  })
})
