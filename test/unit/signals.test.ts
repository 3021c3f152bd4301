import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { anySignal, untilAborted, withTimeout } from '../../dist/signals.js'

// A collection forced between arming a deadline and its due time: the test runner has no --expose-gc.
setFlagsFromString('--expose-gc')
const collect = runInNewContext('gc') as () => void

/** Whether the signal aborts within `ms`, collecting garbage meanwhile; a timer of its own keeps the process alive. */
async function abortsWithin (signal: AbortSignal, ms: number): Promise<boolean> {
  const gc = setInterval(collect, 20)
  try {
    return await new Promise<boolean>(resolve => {
      const timer = setTimeout(() => { resolve(false) }, ms)
      signal.addEventListener('abort', () => { clearTimeout(timer); resolve(true) }, { once: true })
    })
  } finally {
    clearInterval(gc)
  }
}

describe('withTimeout and anySignal', () => {
  it('a deadline beside a caller\'s signal fires though nothing else holds its timer (Node 20 lets it be collected)', async () => {
    const caller = new AbortController()
    const signal = withTimeout(caller.signal, 100)
    assert.equal(await abortsWithin(signal, 5000), true, 'the deadline fired')
    assert.equal(signal.reason.name, 'TimeoutError')
    assert.equal(caller.signal.aborted, false, 'the caller\'s own signal is left alone')
  })

  it('a deadline inside a signal combined again still fires; the caller can still stop it first', async () => {
    const nested = anySignal(new AbortController().signal, withTimeout(new AbortController().signal, 100))
    assert.equal(await abortsWithin(nested, 5000), true, 'the nested deadline fired')
    const caller = new AbortController()
    const signal = withTimeout(caller.signal, 60_000)
    caller.abort(new Error('stopped'))
    assert.equal(signal.aborted, true)
    assert.match(signal.reason.message, /stopped/)
  })

  it('one signal, or none missing, is passed as it is', () => {
    const only = new AbortController().signal
    assert.equal(anySignal(undefined, only), only)
  })
})

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
