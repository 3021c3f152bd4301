import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { createNode } from '../../dist/index.js'
import { Daemons } from '../helpers/daemon-process.js'
import { inspectOrNull, removeContainersOf, requireEngine, TEST_IMAGE } from '../helpers/docker.js'
import { sweeper } from '../helpers/sweeper.js'
import { TmpDirs } from '../helpers/tmp-dir.js'
import { waitFor } from '../helpers/wait-for.js'
import type { P2PRCNode } from '../../dist/index.js'
import type { RunningDaemon } from '../helpers/daemon-process.js'

const FAST = { advertInterval: '1s', recordTtl: '5s' }
const SMALL = { cpus: 0.1, memory: '16m', ttl: '5m' }

async function text (chunks: AsyncIterable<{ data: Uint8Array }>): Promise<string> {
  let out = ''
  for await (const chunk of chunks) out += Buffer.from(chunk.data).toString()
  return out
}

/**
 * One node (in this process) started, stopped and started again three times, and used each time
 * as a client (peers, a run on another peer, its logs, a forward, a kill) and as a host (the other
 * peer runs a container on it and reads its logs).
 */
describe('a node started, stopped and started again', () => {
  const dirs = new TmpDirs()
  const daemons = new Daemons()
  let other: RunningDaemon
  let node: P2PRCNode

  before(async () => {
    const otherDir = await dirs.make()
    await writeFile(join(otherDir, 'config.json'), JSON.stringify(FAST))
    other = await daemons.start(otherDir, ['--name', 'other'])
    node = await createNode({ dataDir: await dirs.make(), listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [other.info.multiaddrs[0]], name: 'restarted', ...FAST })
    sweeper.add({ kind: 'containers', label: `p2prc.node=${node.peerId}` })
  })
  after(async () => {
    await node?.stop()
    await daemons.stopAll()
    if (other != null) await removeContainersOf(other.info.peerId)
    if (node != null) await removeContainersOf(node.peerId)
    await dirs.cleanup()
  })

  for (const round of [1, 2, 3]) {
    it(`round ${round}: starts, works as client and host, and stops`, async t => {
      if (!await requireEngine(t)) return
      await node.start()
      assert.equal(node.isStarted, true)
      await waitFor(() => node.peers().some(p => p.peerId === other.info.peerId && p.resources?.docker === true), { timeout: 20_000, message: 'the node to know the other peer again' })
      await waitFor(async () => (await other.api.peers()).some(p => p.peerId === node.peerId && p.resources != null), { timeout: 20_000, message: 'the other peer to know the node again' })

      // As a client: run on the other peer, read the logs, reach the port, kill.
      const mine = await node.run(other.info.peerId, { image: TEST_IMAGE, cmd: ['sh', '-c', `echo client-round-${round}; exec httpd -f -p 8080 -h /tmp`], ports: [8080], ...SMALL })
      assert.equal((await inspectOrNull(mine.containerId))?.State.Running, true)
      await waitFor(async () => (await text(node.logs(other.info.peerId, mine.containerId))).includes(`client-round-${round}`), { message: 'the client round in the logs' })
      const forward = await node.forward(other.info.peerId, mine.containerId, 8080)
      const answer = await waitFor(async () => fetch(`http://${forward.local}/`).catch(() => null), { message: 'the forwarded port to answer' })
      assert.equal(answer.status, 404, 'busybox httpd answers through the tunnel')
      await node.kill(other.info.peerId, mine.containerId)
      assert.equal(await inspectOrNull(mine.containerId), null)

      // As a host: the other peer runs on this node and reads its logs.
      const theirs = await other.api.run(node.peerId, { image: TEST_IMAGE, cmd: ['sh', '-c', `echo host-round-${round}; sleep 60`], ...SMALL })
      assert.equal(theirs.peerId, node.peerId)
      await waitFor(async () => {
        let out = ''
        for await (const entry of other.api.logs(node.peerId, theirs.containerId, { follow: false, tail: 'all' })) out += entry.text
        return out.includes(`host-round-${round}`)
      }, { message: 'the host round in the logs' })
      await other.api.kill(node.peerId, theirs.containerId)

      await node.stop()
      assert.equal(node.isStarted, false)
      assert.equal(node.libp2p.status, 'stopped')
      await assert.rejects(async () => node.list(), { name: 'NotStartedError' })
    })
  }
})
