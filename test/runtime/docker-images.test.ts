import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { waitFor } from '../helpers/wait-for.js'
import { TEST_IMAGE, TestEngine } from './engine.js'
import type { PullProgress } from '../../dist/runtime/index.js'
import type { ChildProcess } from 'node:child_process'
import type { TestContext } from 'node:test'

/** A loopback port nobody listens on right now (the OS picks it, we close it again). */
const freePort = async (): Promise<number> => new Promise((resolve, reject) => {
  const server = createServer()
  server.once('error', reject)
  server.listen(0, '127.0.0.1', () => {
    const address = server.address()
    server.close(() => { resolve(typeof address === 'object' && address != null ? address.port : 0) })
  })
})

/** Debian's docker-registry on a port of our own, so the test depends on no other registry. */
class TestRegistry {
  private child?: ChildProcess
  private dir?: string
  port = 0

  async start (): Promise<void> {
    this.dir = await mkdtemp(join(tmpdir(), 'p2prc-registry-'))
    this.port = await freePort()
    const config = join(this.dir, 'config.yml')
    await writeFile(config, `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${join(this.dir, 'data')}\nhttp:\n  addr: 127.0.0.1:${this.port}\n`)
    this.child = spawn('docker-registry', ['serve', config], { stdio: 'ignore' })
    await waitFor(async () => (await fetch(`http://127.0.0.1:${this.port}/v2/`)).ok, { timeout: 10_000, message: 'the test registry to answer' })
  }

  async stop (): Promise<void> {
    const child = this.child
    if (child?.pid != null && child.exitCode == null) {
      const exited = new Promise(resolve => child.once('exit', resolve))
      child.kill()
      await exited
    }
    if (this.dir != null) await rm(this.dir, { recursive: true, force: true })
  }
}

describe('DockerRuntime images on the real engine', () => {
  const engine = new TestEngine()
  const { runtime } = engine
  const registry = new TestRegistry()
  const pushedTags: string[] = []
  after(async () => {
    await registry.stop()
    await Promise.all(pushedTags.map(async tag => engine.client.getImage(tag).remove().catch(() => {})))
  })

  /** The registry tests need Debian's docker-registry; CI installs it, so there it is required. */
  const requireRegistry = (t: TestContext): boolean => {
    if (spawnSync('docker-registry', ['--version']).error == null) return true
    if (process.env.CI != null && process.env.CI !== '') throw new Error('CI is set but docker-registry is not installed')
    t.skip('docker-registry is not installed (apt-get install docker-registry to run this test)')
    return false
  }

  it('knows which images are present', async t => {
    if (!await engine.require(t)) return
    assert.equal(await runtime.imageExists(TEST_IMAGE), true)
    assert.equal(await runtime.imageExists('p2prc-test/missing:nope'), false)
    await assert.rejects(runtime.imageExists('../containers/json'), { name: 'InvalidArgumentError' })
  })

  it('fails a pull from a registry that does not answer with ImagePullError', async t => {
    if (!await engine.require(t)) return
    const image = `127.0.0.1:${await freePort()}/p2prc-test/missing:nope`
    await assert.rejects(runtime.pull(image, () => {}, { signal: AbortSignal.timeout(20_000) }), (err: Error) => {
      assert.equal(err.name, 'ImagePullError')
      assert.match(err.message, /connection refused/)
      return true
    })
  })

  it('pulls from a registry with progress, and says ImageNotFoundError for an unknown tag', async t => {
    if (!await engine.require(t) || !requireRegistry(t)) return
    await registry.start()
    const repo = `127.0.0.1:${registry.port}/p2prc-test/pull`
    const tag = `${repo}:${engine.runId}`
    pushedTags.push(tag)
    await engine.client.getImage(TEST_IMAGE).tag({ repo, tag: engine.runId })
    // The engine wants an X-Registry-Auth header even for a registry without auth.
    const push = await engine.client.getImage(tag).push({ authconfig: { serveraddress: `127.0.0.1:${registry.port}` } })
    await new Promise<void>((resolve, reject) => {
      engine.client.modem.followProgress(push, (err, events) => {
        const failed = events.find(e => e.error != null)
        if (err != null || failed != null) reject(err ?? new Error(failed.error))
        else resolve()
      })
    })
    await engine.client.getImage(tag).remove()
    assert.equal(await runtime.imageExists(tag), false)

    const progress: PullProgress[] = []
    await runtime.pull(tag, p => progress.push(p), { signal: AbortSignal.timeout(30_000) })
    assert.equal(await runtime.imageExists(tag), true)
    assert.ok(progress.length > 0)
    assert.ok(progress.some(p => /Status: (Downloaded newer image|Image is up to date)/.test(p.status)), JSON.stringify(progress))

    await assert.rejects(runtime.pull(`${repo}:no-such-tag`, () => {}, { signal: AbortSignal.timeout(20_000) }), { name: 'ImageNotFoundError' })
    await assert.rejects(runtime.pull(tag, () => {}, { signal: AbortSignal.abort() }), { name: 'AbortError' })
  })
})
