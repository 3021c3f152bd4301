import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { Daemons } from '../helpers/daemon-process.js'
import { inspectOrNull, removeContainersOf, requireEngine, TEST_IMAGE } from '../helpers/docker.js'
import { EngineProxy } from '../helpers/engine-proxy.js'
import { TmpDirs } from '../helpers/tmp-dir.js'
import { waitFor } from '../helpers/wait-for.js'
import type { RunningDaemon } from '../helpers/daemon-process.js'

const SMALL = { cpus: 0.1, memory: '16m' }

/** The engine goes away and comes back (through a proxy socket only this test's host uses). */
describe('a host whose engine goes away, or comes late', () => {
  const dirs = new TmpDirs()
  const daemons = new Daemons()
  const hosts: RunningDaemon[] = []
  const proxies: EngineProxy[] = []

  after(async () => {
    await daemons.stopAll()
    for (const proxy of proxies) await proxy.stop()
    for (const host of hosts) await removeContainersOf(host.info.peerId)
    await dirs.cleanup()
  })

  async function hostOn (proxy: EngineProxy, name: string): Promise<{ host: RunningDaemon, client: RunningDaemon }> {
    const dir = await dirs.make()
    await writeFile(join(dir, 'config.json'), JSON.stringify({ advertInterval: '2s', recordTtl: '10s' }))
    const host = await daemons.start(dir, ['--name', name, '--docker', proxy.url])
    hosts.push(host)
    const client = await daemons.start(await dirs.make(), ['--no-docker', '--bootstrap', host.info.multiaddrs[0]])
    return { host, client }
  }

  it('a time limit that passes while the engine is away is enforced within seconds of its return', async t => {
    if (!await requireEngine(t)) return
    const proxy = new EngineProxy(join(await dirs.make(), 'docker.sock'))
    proxies.push(proxy)
    await proxy.start()
    const { host, client } = await hostOn(proxy, 'outage-host')
    await waitFor(async () => (await client.api.peers()).some(p => p.peerId === host.info.peerId && p.resources?.docker === true), { timeout: 20_000, message: 'the host to offer compute' })
    const run = await client.api.run(host.info.peerId, { image: TEST_IMAGE, cmd: ['sleep', '300'], ttl: '4s', ...SMALL })
    await proxy.stop()
    await waitFor(() => Date.now() > Date.parse(run.expiresAt ?? '') + 3000, { timeout: 15_000, message: 'the time limit to pass' })
    assert.equal((await inspectOrNull(run.containerId))?.State.Running, true, 'with the engine away nobody could end it')
    await waitFor(async () => (await client.api.peers()).some(p => p.peerId === host.info.peerId && p.resources?.docker === false), { timeout: 30_000, message: 'the host to stop offering compute' })
    await proxy.start()
    const back = Date.now()
    await waitFor(async () => await inspectOrNull(run.containerId) == null, { timeout: 20_000, interval: 250, message: 'the overdue container to be removed' })
    const took = Date.now() - back
    assert.ok(took < 15_000, `removed ${took} ms after the engine came back`)
    const ps = await client.api.containers(host.info.peerId)
    assert.equal(ps.find(c => c.containerId === run.containerId)?.endReason, 'time limit')
  })

  it('a daemon started before its engine takes guests once the engine is there', async t => {
    if (!await requireEngine(t)) return
    const proxy = new EngineProxy(join(await dirs.make(), 'docker.sock'))
    proxies.push(proxy)
    const { host, client } = await hostOn(proxy, 'late-host')
    assert.equal((await host.api.node()).docker.available, false)
    await assert.rejects(client.api.run(host.info.peerId, { image: TEST_IMAGE, cmd: ['true'], ...SMALL }), { name: 'NoComputeError' })
    await proxy.start()
    await waitFor(async () => (await client.api.peers()).some(p => p.peerId === host.info.peerId && p.resources?.docker === true), { timeout: 30_000, message: 'the host to offer compute once its engine is up' })
    const run = await client.api.run(host.info.peerId, { image: TEST_IMAGE, cmd: ['sleep', '30'], ...SMALL })
    assert.equal((await inspectOrNull(run.containerId))?.State.Running, true)
    assert.equal((await host.api.node()).docker.available, true)
  })

  it('a daemon stopped while it is still taking up its engine stops at once, holding nothing open', async t => {
    if (!await requireEngine(t)) return
    const proxy = new EngineProxy(join(await dirs.make(), 'docker.sock'))
    proxies.push(proxy)
    const dir = await dirs.make()
    await writeFile(join(dir, 'config.json'), JSON.stringify({ advertInterval: '1s' }))
    // Its log says how it took the stop: as a stop, not as an engine that failed.
    const host = await daemons.start(dir, ['--name', 'stopped-early', '--docker', proxy.url], { env: { DEBUG: 'p2prc:containers*,p2prc:daemon' } })
    hosts.push(host)
    // The engine comes, but the listing of this node's containers (its first step in taking
    // guests) does not answer yet: the node is in the middle of taking up its engine.
    proxy.hold(/^GET \/[^ ]*containers\/json/m)
    await proxy.start()
    try {
      await waitFor(() => proxy.held > 0, { timeout: 30_000, message: 'the host to start taking up its engine' })
      const asked = Date.now()
      const code = await host.stop()
      assert.equal(code, 0, host.output())
      assert.ok(Date.now() - asked < 8000, `stopped in ${Date.now() - asked} ms`)
      assert.match(host.output(), /daemon stopped/)
      assert.doesNotMatch(host.output(), /could not take guests|took too long/)
    } finally {
      proxy.release()
    }
  })
})
