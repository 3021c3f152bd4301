import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { waitFor } from '../helpers/wait-for.js'
import { MiB, readLogs, TestEngine } from './engine.js'
import type { ContainerInfo, StatsSample } from '../../dist/runtime/index.js'

describe('DockerRuntime.stats on the real engine', () => {
  const engine = new TestEngine()
  const { runtime } = engine
  /** One busy container shared by the CPU tests: `yes` would take a whole core, the limit allows half. */
  let busy: ContainerInfo | null = null

  before(async () => {
    // Started here so that it has been burning CPU for a while when the tests read it.
    if (await engine.answers()) {
      busy = await runtime.run(engine.spec({ cmd: ['sh', '-c', 'yes > /dev/null'], cpus: 0.5, memoryBytes: 64 * MiB }))
    }
  })
  after(async () => engine.cleanup())

  it('reads a busy container under cpus 0.5 at no more than about 50 %, memory under the limit', async t => {
    if (!await engine.require(t) || busy == null) return
    const sample = await runtime.stats(busy.id)
    assert.equal(sample.containerId, busy.id)
    // Busy, and held to its limit: on a loaded machine it gets less than half a CPU, never more.
    assert.ok(sample.cpuPercent > 5 && sample.cpuPercent < 75, `cpuPercent ${sample.cpuPercent}`)
    assert.equal(sample.memoryLimitBytes, 64 * MiB)
    assert.ok(sample.memoryBytes > 0 && sample.memoryBytes < 64 * MiB, `memoryBytes ${sample.memoryBytes}`)
    assert.ok(sample.pids >= 1, `pids ${sample.pids}`)
    assert.ok(Math.abs(sample.at - Date.now()) < 10_000)
  })

  it('streams a sample a second and ends when the container stops', async t => {
    if (!await engine.require(t)) return
    const { id } = await runtime.run(engine.spec({ cmd: ['sh', '-c', 'yes > /dev/null'], cpus: 0.5 }))
    const samples: StatsSample[] = []
    const safety = AbortSignal.timeout(20_000)
    let stoppedAt = 0
    for await (const sample of runtime.statsStream(id, { signal: safety })) {
      samples.push(sample)
      if (samples.length === 2) {
        stoppedAt = Date.now()
        await engine.client.getContainer(id).kill()
      }
    }
    assert.equal(safety.aborted, false, 'the stream ended because the container stopped')
    assert.ok(Date.now() - stoppedAt < 5000, 'and soon after it stopped')
    assert.ok(samples.length >= 2)
    const [first, second] = samples
    assert.ok(second.at - first.at > 500 && second.at - first.at < 2500, `about a second apart: ${second.at - first.at} ms`)
    for (const s of samples.slice(0, 2)) assert.ok(s.cpuPercent > 5 && s.cpuPercent < 75, `cpuPercent ${s.cpuPercent}`)
  })

  it('ends the stream on abort', async t => {
    if (!await engine.require(t) || busy == null) return
    const controller = new AbortController()
    let samples = 0
    let abortedAt = 0
    for await (const _sample of runtime.statsStream(busy.id, { signal: controller.signal })) {
      samples++
      abortedAt = Date.now()
      controller.abort()
    }
    assert.equal(samples, 1)
    assert.ok(Date.now() - abortedAt < 1000)
    await assert.rejects(runtime.stats(busy.id, { signal: AbortSignal.abort() }), { name: 'AbortError' })
  })

  it('holds a process that allocates memory under memoryBytes', async t => {
    if (!await engine.require(t)) return
    // `tail` keeps a newline-free input whole: it grows until the limit stops it. Its exit status
    // and the cgroup's peak (v1: max_usage_in_bytes, v2: memory.peak where the kernel has it) show how.
    const script = 'head -c 300m /dev/zero | tail; echo "alloc exit $?"; ' +
      'echo "peak $(cat /sys/fs/cgroup/memory/memory.max_usage_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.peak 2>/dev/null)"; sleep 60'
    const { id } = await runtime.run(engine.spec({ cmd: ['sh', '-c', script], memoryBytes: 64 * MiB }))
    const logs = await waitFor(async () => {
      const { stdout } = await readLogs(runtime.logs(id, { follow: false, tail: 'all' }))
      return stdout.includes('peak') ? stdout : null
    }, { timeout: 60_000, interval: 250, message: 'the allocation to end' })
    assert.match(logs, /alloc exit 137\n/, 'the allocating process was killed (SIGKILL from the OOM killer)')
    const peak = Number(/peak (\d+)/.exec(logs)?.[1])
    if (Number.isFinite(peak)) assert.ok(peak <= 64 * MiB, `peak ${peak}`)
    const sample = await runtime.stats(id)
    assert.equal(sample.memoryLimitBytes, 64 * MiB)
    assert.ok(sample.memoryBytes <= 64 * MiB)
    assert.equal((await runtime.inspect(id)).state, 'running', 'the container itself lives on')
  })
})
