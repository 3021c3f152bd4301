import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { HostUsage, HostUsageStore, openReceipt } from '../../dist/usage/index.js'
import { TmpDirs } from '../helpers/tmp-dir.js'
import { waitFor } from '../helpers/wait-for.js'
import type { ContainerInfo, DockerRuntime, UsageSample } from '../../dist/runtime/index.js'

const ID = 'b'.repeat(64)
const OWNER = '12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf'

/** A stand-in engine whose stats streams the test feeds: each stream takes samples until ended. */
class FakeEngine {
  streams = 0
  private push?: (s: UsageSample | null) => void

  async * usageStream (_id: string, options: { signal?: AbortSignal } = {}): AsyncGenerator<UsageSample> {
    this.streams++
    const queue: Array<UsageSample | null> = []
    let wake: (() => void) | undefined
    this.push = s => { queue.push(s); wake?.() }
    while (options.signal?.aborted !== true) {
      if (queue.length === 0) await new Promise<void>(resolve => { wake = resolve; options.signal?.addEventListener('abort', () => { resolve() }, { once: true }) })
      const next = queue.shift()
      if (next === null) return
      if (next != null) yield next
    }
  }

  sample (at: number, cpuSeconds: number): void {
    this.push?.({ at, cpuNanos: cpuSeconds * 1e9, memoryBytes: 1024 ** 3, memoryPeakBytes: 0, networkRxBytes: 0, networkTxBytes: 0, blockReadBytes: 0, blockWriteBytes: 0 })
  }

  /** The engine closes the stream while the container runs on (a restart of the engine, a dropped connection). */
  drop (): void {
    this.push?.(null)
  }
}

const info = (state: string, startedAt: number): ContainerInfo => ({
  id: ID, name: 'c', image: 'busybox', imageId: 'sha256:x', state, labels: {}, createdAt: startedAt, startedAt, ports: [],
  exitCode: null, oomKilled: false, finishedAt: null, runtime: 'runc', limits: { cpus: 1, memoryBytes: 1024 ** 3, pidsLimit: 64 }
})

describe('HostUsage (usage/host-usage.ts) with a stand-in engine', () => {
  const dirs = new TmpDirs()
  after(async () => { await dirs.cleanup() })

  const make = async (): Promise<{ usage: HostUsage, engine: FakeEngine, key: Awaited<ReturnType<typeof generateKeyPair>> }> => {
    const engine = new FakeEngine()
    const key = await generateKeyPair('Ed25519')
    const usage = new HostUsage({
      selfPeerId: peerIdFromPrivateKey(key).toString(),
      privateKey: key,
      runtime: engine as unknown as DockerRuntime,
      store: new HostUsageStore(await dirs.make()),
      config: { retention: 86_400_000, receiptInterval: 3_600_000 },
      log: defaultLogger().forComponent('test:host-usage'),
      onUsage: () => {}
    })
    return { usage, engine, key }
  }
  const cpuOf = (usage: HostUsage): number => usage.usage().containers[0]?.cpuSeconds ?? 0

  it('keeps metering a running container when the node stops and starts again in place', async () => {
    const { usage, engine } = await make()
    const t0 = Date.now() - 10_000
    await usage.open()
    usage.watch(info('running', t0), OWNER, 'c', 0)
    await usage.start()
    await waitFor(() => engine.streams === 1, { message: 'the first stream' })
    engine.sample(t0 + 1000, 1)
    await waitFor(() => cpuOf(usage) === 1, { message: 'the first sample' })
    await usage.stop()
    // As P2PRCNode.start does: open, the host side re-adopts (watch), then the services start.
    await usage.open()
    usage.watch(info('running', t0), OWNER, 'c', 0)
    await usage.start()
    await waitFor(() => engine.streams === 2, { message: 'a stream after the restart' })
    engine.sample(t0 + 2000, 2)
    await waitFor(() => cpuOf(usage) === 2, { message: 'samples after the restart' })
    await usage.stop()
  })

  it('follows again when the engine drops the stream of a container that still runs', async () => {
    const { usage, engine } = await make()
    const t0 = Date.now() - 10_000
    await usage.start()
    usage.watch(info('running', t0), OWNER, 'c', 0)
    await waitFor(() => engine.streams === 1, { message: 'the first stream' })
    engine.drop()
    await waitFor(() => engine.streams === 2, { timeout: 10_000, message: 'a new stream' })
    engine.sample(t0 + 1000, 3)
    await waitFor(() => cpuOf(usage) === 3, { message: 'samples on the new stream' })
    await usage.stop()
  })

  it('signs one final receipt when it ends, counts it in the day\'s budget, and closes what vanished unseen', async () => {
    const { usage, engine, key } = await make()
    const t0 = Date.now() - 10_000
    await usage.start()
    usage.watch(info('running', t0), OWNER, 'c', 0)
    await waitFor(() => engine.streams === 1, { message: 'the stream' })
    engine.sample(t0 + 1000, 1)
    engine.sample(t0 + 2000, 2)
    await waitFor(() => cpuOf(usage) === 2, { message: 'the samples' })
    usage.finish(ID, { at: t0 + 2500, reason: 'killed by owner', exitCode: null })
    usage.finish(ID, { at: t0 + 9000, reason: 'exited', exitCode: 0 })
    const ended = await waitFor(() => usage.usage().containers.find(c => c.receipt?.final === true), { message: 'the final receipt' })
    assert.equal(ended.endReason, 'killed by owner')
    assert.equal(ended.receipt?.sequence, 1)
    assert.equal(ended.cpuSeconds, 2.5, 'half a second more at the last rate of 1 CPU')
    const { receipts } = usage.receiptsFor(OWNER, 0, 10)
    const receipt = await openReceipt(receipts[0], { host: peerIdFromPrivateKey(key).toString() })
    assert.deepEqual([receipt.final, receipt.cpuSeconds, receipt.endReason], [true, 2.5, 'killed by owner'])
    assert.equal(usage.usedToday(OWNER).cpuSeconds, 2.5)
    assert.deepEqual(usage.receiptsFor('12D3KooWSomebodyElse', 0, 10).receipts, [])

    const other = 'c'.repeat(64)
    usage.watch({ ...info('running', t0), id: other }, OWNER, 'gone', 0)
    usage.present(new Set([ID]))
    const gone = await waitFor(() => usage.usage().containers.find(c => c.containerId === other && c.receipt?.final === true), { message: 'the vanished one closed' })
    assert.equal(gone.endReason, 'removed on its host')
    await usage.stop()
  })
})
