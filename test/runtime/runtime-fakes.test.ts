// Paths the local engine does not take: pull failures reported inside the progress stream (as
// real registries do) and engines that leave precpu_stats empty for a single sample.
import assert from 'node:assert/strict'
import { Readable } from 'node:stream'
import { describe, it } from 'node:test'
import { DockerRuntime } from '../../dist/runtime/index.js'
import type { DockerClient, DockerStats, PullProgress } from '../../dist/runtime/index.js'

const lines = (...events: object[]): Readable => Readable.from(events.map(e => Buffer.from(JSON.stringify(e) + '\r\n')))

/** Only the calls a test makes; anything else would throw, showing an unexpected engine call. */
const fakeDocker = (parts: Record<string, unknown>): DockerClient => parts as unknown as DockerClient

describe('DockerRuntime against a fake engine', () => {
  it('reports pull progress and succeeds when the stream ends cleanly', async () => {
    const runtime = new DockerRuntime(fakeDocker({
      pull: async () => lines(
        { status: 'Pulling from p2prc/app', id: 'v1' },
        { status: 'Downloading', id: 'abc123', progressDetail: { current: 512, total: 2048 } },
        { status: 'Status: Downloaded newer image for p2prc/app:v1' }
      )
    }))
    const progress: PullProgress[] = []
    await runtime.pull('p2prc/app:v1', p => progress.push(p))
    assert.deepEqual(progress[1], { layer: 'abc123', status: 'Downloading', currentBytes: 512, totalBytes: 2048 })
    assert.deepEqual(progress[2], { layer: null, status: 'Status: Downloaded newer image for p2prc/app:v1', currentBytes: null, totalBytes: null })
  })

  it('turns an error line of the pull stream into ImageNotFoundError or ImagePullError', async () => {
    const failing = (message: string): DockerRuntime => new DockerRuntime(fakeDocker({
      pull: async () => lines({ status: 'Pulling from p2prc/app', id: 'v1' }, { error: message, errorDetail: { message } })
    }))
    await assert.rejects(failing('manifest for p2prc/app:v9 not found: manifest unknown').pull('p2prc/app:v9', () => {}), { name: 'ImageNotFoundError' })
    await assert.rejects(failing('unauthorized: authentication required').pull('p2prc/app:v1', () => {}), (err: Error) => {
      assert.equal(err.name, 'ImagePullError')
      assert.match(err.message, /unauthorized: authentication required/)
      return true
    })
  })

  it('takes the second reading of the stream when a single sample has no precpu_stats', async () => {
    const sample = (total: number, system: number, precpu: DockerStats['precpu_stats']): DockerStats => ({
      id: 'c1',
      read: new Date(1_800_000_000_000 + system / 1e6).toISOString(),
      cpu_stats: { cpu_usage: { total_usage: total }, system_cpu_usage: system, online_cpus: 2 },
      precpu_stats: precpu,
      memory_stats: { usage: 100, limit: 1000, stats: {} }
    })
    const runtime = new DockerRuntime(fakeDocker({
      getContainer: () => ({
        stats: async (opts: { stream: boolean }) => opts.stream
          ? lines(sample(1e9, 100e9, {}), sample(1.25e9, 101e9, {}))
          : sample(1e9, 100e9, {})
      })
    }))
    const stats = await runtime.stats('c1')
    // 0.25e9 of 1e9 system nanoseconds on 2 CPUs: 50 %.
    assert.equal(stats.cpuPercent, 50)
    assert.equal(stats.containerId, 'c1')
  })
})
