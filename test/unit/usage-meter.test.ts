import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { MAX_TAIL } from '../../dist/usage/constants.js'
import { addSample, finishMeter, newMeterState, usedSince, wallSeconds } from '../../dist/usage/meter.js'
import { shareWithin } from '../../dist/usage/totals.js'

const ID = 'a'.repeat(64)
const start = 1_000_000
const fresh = (cpus = 0.5): ReturnType<typeof newMeterState> => newMeterState({ containerId: ID, owner: 'o', name: 'n', image: 'i', imageId: 'sha256:x', startedAt: start, gpus: 2, limits: { cpus, memoryBytes: 0 } })
const sample = (at: number, cpuSeconds: number, memoryBytes: number, rx = 0): Parameters<typeof addSample>[1] =>
  ({ at, cpuNanos: cpuSeconds * 1e9, memoryBytes, memoryPeakBytes: 0, networkRxBytes: rx, networkTxBytes: 0, blockReadBytes: 0, blockWriteBytes: 0 })

describe('usage meter', () => {
  it('takes CPU and network from the engine\'s running totals and integrates memory between samples', () => {
    const s = fresh()
    addSample(s, sample(start + 1000, 0.5, 100, 10))
    addSample(s, sample(start + 2000, 1.0, 300, 30))
    const delta = addSample(s, sample(start + 3000, 1.5, 300, 25))
    assert.equal(s.cpuSeconds, 1.5)
    // 0 -> 100 over the first second (from nothing at the start), then 100 -> 300, then 300 flat.
    assert.equal(s.memoryByteSeconds, 50 + 200 + 300)
    assert.equal(s.networkRxBytes, 30, 'a counter that reads less changes nothing')
    assert.equal(s.memoryPeakBytes, 300)
    assert.equal(s.cpuRate, 0.5)
    assert.deepEqual(delta, { cpuSeconds: 0.5, memoryByteSeconds: 300, networkRxBytes: 0, networkTxBytes: 0 })
  })

  it('counts the part-second after the last sample at the rate before it, within the CPU limit, for at most MAX_TAIL', () => {
    const s = fresh(0.25)
    addSample(s, sample(start + 1000, 0.25, 100))
    addSample(s, sample(start + 2000, 1.25, 100))
    assert.equal(s.cpuRate, 1)
    finishMeter(s, { at: start + 2500, reason: 'exited', exitCode: 0 })
    assert.equal(s.cpuSeconds, 1.25 + 0.25 * 0.5, 'the rate is capped at the 0.25 CPU limit')
    assert.equal(s.memoryByteSeconds, 50 + 100 + 50)
    assert.equal(wallSeconds(s, Number.MAX_SAFE_INTEGER), 2.5)
    finishMeter(s, { at: start + 9000, reason: 'killed by owner', exitCode: null })
    assert.equal(s.endReason, 'exited', 'ending twice changes nothing')

    const away = fresh(0)
    addSample(away, sample(start + 1000, 1, 0))
    addSample(away, sample(start + 2000, 2, 0))
    finishMeter(away, { at: start + 3_600_000, reason: 'removed on its host', exitCode: null })
    assert.equal(away.cpuSeconds, 2 + MAX_TAIL / 1000, 'an hour nobody watched is not made up')
  })

  it('a sample after the account closed adds nothing', () => {
    const s = fresh()
    finishMeter(s, { at: start + 500, reason: 'exited', exitCode: 1 })
    assert.deepEqual(addSample(s, sample(start + 1000, 5, 5)), { cpuSeconds: 0, memoryByteSeconds: 0, networkRxBytes: 0, networkTxBytes: 0 })
    assert.equal(s.cpuSeconds, 0)
    assert.equal(s.exitCode, 1)
  })

  it('keeps what each hour added, for the budgets: the hour a window starts in counts whole', () => {
    const hour = 3_600_000
    const t = 100 * hour
    const s = newMeterState({ containerId: ID, owner: 'o', name: 'n', image: 'i', imageId: 'x', startedAt: t, gpus: 0, limits: { cpus: 0, memoryBytes: 0 } })
    addSample(s, sample(t + 1000, 1, 0))
    addSample(s, sample(t + 2 * hour, 5, 0))
    addSample(s, sample(t + 2 * hour + 1000, 6, 0))
    assert.deepEqual(s.hours.map(h => [h[0] - t, h[1]]), [[0, 1], [2 * hour, 5]])
    assert.equal(usedSince(s, t + 2 * hour + 10).cpuSeconds, 5)
    assert.equal(usedSince(s, t + hour + 10).cpuSeconds, 5, 'the idle hour adds nothing')
    assert.equal(usedSince(s, t + 10).cpuSeconds, 6)
  })

  it('a window takes each container\'s run in proportion', () => {
    assert.equal(shareWithin(0, 100, 50, 200), 0.5)
    assert.equal(shareWithin(60, 100, 50, 200), 1)
    assert.equal(shareWithin(0, 40, 50, 200), 0)
    assert.equal(shareWithin(0, null, 150, 200), 0.25, 'one still running counts up to now')
    assert.equal(shareWithin(null, 100, 50, 200), 1, 'one that never started is a point at its end')
  })
})
