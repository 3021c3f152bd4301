import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { once } from 'node:events'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { createNode } from '../../dist/index.js'
import { RATE_LIMIT as LIST_RATE } from '../../dist/protocols/containers/constants.js'
import { Daemons } from '../helpers/daemon-process.js'
import { containersOf, inspectOrNull, removeContainersOf, requireEngine, TEST_IMAGE } from '../helpers/docker.js'
import { EngineProxy } from '../helpers/engine-proxy.js'
import { TmpDirs } from '../helpers/tmp-dir.js'
import { waitFor } from '../helpers/wait-for.js'
import type { P2PRCNode } from '../../dist/index.js'
import type { RunningDaemon } from '../helpers/daemon-process.js'
import type { Server, Socket } from 'node:net'

const TINY = { cpus: 0.01, memory: '6m', ttl: '5m' }

/** Limits that fresh identities cannot multiply, pulls that cannot block others, disk, engine load. */
describe('a host\'s limits hold against many peers and greedy ones', () => {
  const dirs = new TmpDirs()
  const daemons = new Daemons()
  const nodes: P2PRCNode[] = []
  let host: RunningDaemon
  let proxy: EngineProxy
  let hang: Server
  let hangPort = 0
  const hanging = new Set<Socket>()

  before(async () => {
    // A registry that accepts connections and never answers: a pull from it hangs.
    hang = createServer(socket => { hanging.add(socket) })
    hang.listen(0, '127.0.0.1')
    await once(hang, 'listening')
    hangPort = (hang.address() as { port: number }).port
    proxy = new EngineProxy(join(await dirs.make(), 'docker.sock'))
    await proxy.start()
    const dir = await dirs.make()
    await writeFile(join(dir, 'config.json'), JSON.stringify({
      advertInterval: '2s',
      recordTtl: '10s',
      policy: { maxContainers: 12, maxContainersPerPeer: 8, maxCpusPerPeer: null, maxMemoryPerPeer: null, pidsLimit: 64, diskPerContainer: '20m', allowRegistries: ['*', `127.0.0.1:${hangPort}`], pullTimeout: '2m' }
    }))
    host = await daemons.start(dir, ['--name', 'limits-host', '--docker', proxy.url])
  })
  after(async () => {
    for (const socket of hanging) socket.destroy()
    if (hang?.listening === true) hang.close()
    await Promise.all(nodes.map(async n => n.stop()))
    await daemons.stopAll()
    await proxy?.stop()
    if (host != null) await removeContainersOf(host.info.peerId)
    await dirs.cleanup()
  })

  async function identity (): Promise<P2PRCNode> {
    const node = await createNode({ dataDir: await dirs.make(), listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [host.info.multiaddrs[0]], docker: null })
    nodes.push(node)
    await node.start()
    await waitFor(() => node.peers().some(p => p.peerId === host.info.peerId && p.resources?.docker === true), { timeout: 20_000, message: 'a fresh identity to know the host' })
    return node
  }

  it('10 fresh identities x 8 runs against a node-wide cap of 12: exactly 12 run', async t => {
    if (!await requireEngine(t)) return
    const peers = await Promise.all(Array.from({ length: 10 }, async () => identity()))
    const results = await Promise.allSettled(peers.flatMap(peer => Array.from({ length: 8 }, async () => peer.run(host.info.peerId, { image: TEST_IMAGE, cmd: ['sleep', '300'], ...TINY }))))
    const ran = results.filter(r => r.status === 'fulfilled')
    for (const r of results) {
      if (r.status === 'rejected') assert.match(r.reason.message, /already runs 12 containers for its peers, its limit|you already run \d+ containers/)
    }
    assert.equal(ran.length, 12)
    assert.equal((await containersOf(host.info.peerId)).length, 12)
    await Promise.all(ran.map(async r => host.api.hostKill((r as PromiseFulfilledResult<{ containerId: string }>).value.containerId)))
  })

  it('a pull that hangs does not block another peer\'s run; its peer gets one pull at a time', async t => {
    if (!await requireEngine(t)) return
    const [slow, other] = await Promise.all([identity(), identity()])
    const pull = slow.run(host.info.peerId, { image: `127.0.0.1:${hangPort}/stuck/image:1`, ...TINY }).catch((err: Error) => err)
    await waitFor(() => hanging.size > 0, { message: 'the pull to reach the hanging registry' })
    await assert.rejects(slow.run(host.info.peerId, { image: `127.0.0.1:${hangPort}/stuck/other:1`, ...TINY }), /you already have an image being pulled on this node; one at a time/)
    let pulled = false
    void pull.then(() => { pulled = true })
    const run = await other.run(host.info.peerId, { image: TEST_IMAGE, cmd: ['sleep', '60'], ...TINY })
    // Not held up: it ran while the pull still hangs (it hangs until the registry goes away below).
    assert.equal(pulled, false, 'another peer\'s run is not held up by the hanging pull')
    assert.equal((await inspectOrNull(run.containerId))?.State.Running, true)
    // The registry goes away: the pull fails now rather than at its time limit.
    hang.close()
    for (const socket of hanging) socket.destroy()
    const failed = await pull
    assert.ok(failed instanceof Error)
    assert.equal(failed.name, 'ImagePullError')
    await other.kill(host.info.peerId, run.containerId)
  })

  it('a container that writes past its disk limit is ended, with reason disk limit', async t => {
    if (!await requireEngine(t)) return
    const peer = await identity()
    const run = await peer.run(host.info.peerId, { image: TEST_IMAGE, cmd: ['sh', '-c', 'dd if=/dev/zero of=/big bs=1048576 count=48 2>/dev/null; sleep 300'], ...TINY, memory: '32m' })
    await waitFor(async () => await inspectOrNull(run.containerId) == null, { timeout: 40_000, interval: 500, message: 'the container to be ended' })
    const mine = await peer.list(host.info.peerId)
    assert.equal(mine.find(c => c.containerId === run.containerId)?.endReason, 'disk limit')
    await assert.rejects(async () => { for await (const _ of peer.logs(host.info.peerId, run.containerId)) { /* drain */ } }, /is gone: disk limit/)
  })

  it('a peer looping list keeps the engine\'s load bounded', async t => {
    if (!await requireEngine(t)) return
    const peer = await identity()
    await peer.run(host.info.peerId, { image: TEST_IMAGE, cmd: ['sleep', '60'], ...TINY })
    const before = proxy.requests
    const started = Date.now()
    let lists = 0
    let limited = 0
    // Four at a time, as a loop that does not wait for answers would.
    await Promise.all(Array.from({ length: 4 }, async () => {
      while (Date.now() - started < 5000) {
        try {
          await peer.list(host.info.peerId)
          lists++
        } catch (err: any) {
          if (err.name !== 'RateLimitedError') throw err
          limited++
        }
      }
    }))
    const seconds = (Date.now() - started) / 1000
    const engineCalls = (proxy.requests - before) / seconds
    console.log(`# ${lists} lists (${limited} refused by the rate limit) in ${seconds.toFixed(1)} s: ${engineCalls.toFixed(1)} engine API calls per second`)
    // The limiter admits its rate and its burst, no more; a loop faster than that meets it (a
    // machine too busy to ask that fast is held only by the engine-call bound below).
    const allowed = LIST_RATE.perSecond * seconds + LIST_RATE.burst
    assert.ok(lists <= allowed + 1, `${lists} lists admitted in ${seconds.toFixed(1)} s`)
    if (lists + limited > allowed + 1) assert.ok(limited > 0, 'the loop meets the per-peer rate limit')
    assert.ok(engineCalls < 5, `${engineCalls.toFixed(1)} engine calls a second`)
  })
})
