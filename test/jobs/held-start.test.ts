import assert from 'node:assert/strict'
import { once } from 'node:events'
import { writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { createNode } from '../../dist/index.js'
import { runRequestFromSpec } from '../../dist/containers/run-request.js'
import { Daemons } from '../helpers/daemon-process.js'
import { engineAnswers, inspectOrNull, removeContainersOf, requireEngine, TEST_IMAGE } from '../helpers/docker.js'
import { TmpDirs } from '../helpers/tmp-dir.js'
import { waitFor } from '../helpers/wait-for.js'
import type { P2PRCNode } from '../../dist/index.js'
import type { RunningDaemon } from '../helpers/daemon-process.js'
import type { AddressInfo } from 'node:net'

/**
 * What jobs run on: a container created and held (files go in first), then started by its owner
 * over /p2prc/start/1.0.0. Only the owner starts it, once; one never started ends at its time limit.
 */
describe('held containers: run with hold, then start', () => {
  const dirs = new TmpDirs()
  const daemons = new Daemons()
  let host: RunningDaemon
  let owner: P2PRCNode
  let other: P2PRCNode
  const held = (ttl?: string) => ({ ...runRequestFromSpec({ image: TEST_IMAGE, cmd: ['sleep', '300'], cpus: 0.1, memory: '16m', ttl }), hold: true })

  before(async () => {
    const hostDir = await dirs.make()
    await writeFile(join(hostDir, 'config.json'), JSON.stringify({ advertInterval: '2s', recordTtl: '10s', policy: { maxContainersPerPeer: 3 } }))
    host = await daemons.start(hostDir, ['--name', 'holder'])
    owner = await createNode({ dataDir: await dirs.make(), listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [host.info.multiaddrs[0]], docker: null })
    other = await createNode({ dataDir: await dirs.make(), listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [host.info.multiaddrs[0]], docker: null })
    for (const node of [owner, other]) {
      await node.start()
      await waitFor(() => node.peers().some(p => p.peerId === host.info.peerId && p.resources?.docker === true), { message: 'the peer to know the host' })
    }
  })
  after(async () => {
    await owner?.stop()
    await other?.stop()
    await daemons.stopAll()
    if (host != null) await removeContainersOf(host.info.peerId)
    await dirs.cleanup()
  })

  it('a held container waits created; a file put in before the start is there when it runs; only its owner starts it, once', async t => {
    if (!await requireEngine(t)) return
    const containers = owner.containersOn(host.info.peerId)
    const view = await containers.run(held())
    assert.equal(view.state, 'created')
    assert.equal((await inspectOrNull(view.containerId))?.State.Status, 'created', 'the engine has not started it')
    const tar = (await import('tar')).c({ cwd: await (async () => {
      const dir = await dirs.make()
      await writeFile(join(dir, 'hello.txt'), 'before the start\n')
      return dir
    })(), portable: true }, ['hello.txt']) as unknown as AsyncIterable<Uint8Array>
    await containers.write(view.containerId, '/tmp', 2048, tar)

    await assert.rejects(other.containersOn(host.info.peerId).startHeld(view.containerId), { name: 'ContainerNotFoundError' })
    assert.equal((await inspectOrNull(view.containerId))?.State.Status, 'created', 'another peer could not start it')

    const started = await containers.startHeld(view.containerId)
    assert.equal(started.state, 'running')
    assert.equal((await inspectOrNull(view.containerId))?.State.Running, true)
    const session = await owner.exec(host.info.peerId, view.containerId, { cmd: ['cat', '/tmp/hello.txt'] })
    let out = ''
    for await (const chunk of session.output) out += Buffer.from(chunk.data).toString()
    assert.equal(out, 'before the start\n')
    await assert.rejects(containers.startHeld(view.containerId), { name: 'ContainerConflictError', message: /is running, not waiting to start/ })
    await containers.kill(view.containerId)
  })

  it('held containers count against the owner\'s quota: a peer cannot park more than it may run', async t => {
    if (!await requireEngine(t)) return
    const containers = other.containersOn(host.info.peerId)
    const parked = []
    for (let i = 0; i < 3; i++) parked.push((await containers.run(held('2m'))).containerId)
    await assert.rejects(containers.run(held('2m')), { name: 'PolicyRefusedError', message: /3/ })
    // A flood of starts for what is not there is refused (not found, then rate-limited), and harms nothing.
    // Twenty at a time (within the streams a peer may hold), as fast as they are answered.
    const answers: Array<PromiseSettledResult<unknown>> = []
    for (let round = 0; round < 4; round++) answers.push(...await Promise.allSettled(Array.from({ length: 20 }, async (_v, i) => containers.startHeld(`nothing${round}x${i}`))))
    assert.ok(answers.every(a => a.status === 'rejected'))
    const names = new Set(answers.map(a => (a as PromiseRejectedResult).reason.name))
    assert.ok([...names].every(n => n === 'ContainerNotFoundError' || n === 'RateLimitedError'), [...names].join(', '))
    assert.ok(names.has('RateLimitedError'), 'the flood met the rate limit')
    for (const id of parked) assert.equal((await inspectOrNull(id))?.State.Status, 'created', 'parked ones still only created')
    for (const id of parked) await containers.kill(id)
  })

  it('a download into a container: an internal host is refused unless the operator names it; only http(s), no credentials, owner only', async t => {
    if (!await requireEngine(t)) return
    const web = createServer((_req, res) => { res.writeHead(200).end('secret of the host\n') })
    web.listen(0, '127.0.0.1')
    await once(web, 'listening')
    const port = (web.address() as AddressInfo).port
    const containers = owner.containersOn(host.info.peerId)
    const box = await containers.run(held('2m'))
    try {
      // This host's policy names no host: loopback, the LAN and the metadata address are out.
      await assert.rejects(containers.fetch(box.containerId, `http://127.0.0.1:${port}/x`, '/in/x'), { name: 'PolicyRefusedError', message: /127\.0\.0\.1:\d+ is inside this host's network; .*policy\.allowFetchHosts/ })
      await assert.rejects(containers.fetch(box.containerId, 'http://169.254.169.254/latest/meta-data/', '/in/x'), { name: 'PolicyRefusedError' })
      await assert.rejects(containers.fetch(box.containerId, 'file:///etc/passwd', '/in/x'), { name: 'InvalidArgumentError', message: /http or https only/ })
      await assert.rejects(containers.fetch(box.containerId, 'http://user:pw@example.org/x', '/in/x'), { name: 'InvalidArgumentError', message: /credentials/ })
      await assert.rejects(other.containersOn(host.info.peerId).fetch(box.containerId, 'http://example.org/x', '/in/x'), { name: 'ContainerNotFoundError' })
      await assert.rejects(containers.stat(box.containerId, '/in/x'), { name: 'NotFoundError' }, 'nothing was written')
    } finally {
      web.close()
      await containers.kill(box.containerId)
    }
  })

  it('a held container never started is ended at its time limit', async t => {
    if (!await requireEngine(t)) return
    const view = await owner.containersOn(host.info.peerId).run(held('3s'))
    await waitFor(async () => await inspectOrNull(view.containerId) == null, { timeout: 30_000, message: 'the host to end it at its time limit' })
    const gone = (await owner.list(host.info.peerId)).find(c => c.containerId === view.containerId)
    assert.equal(gone?.endReason, 'time limit')
    if (!await engineAnswers()) t.diagnostic('no engine')
  })
})
