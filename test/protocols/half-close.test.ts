import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { peerIdFromString } from '@libp2p/peer-id'
import { pbStream } from '@libp2p/utils'
import { createNode } from '../../dist/index.js'
import { ListRequest, ListResponse } from '../../dist/protocols/containers/pb/containers.js'
import { RunRequest, RunResponse } from '../../dist/protocols/run/pb/run.js'
import { Daemons } from '../helpers/daemon-process.js'
import { inspectOrNull, removeContainersOf, requireEngine, TEST_IMAGE } from '../helpers/docker.js'
import { TmpDirs } from '../helpers/tmp-dir.js'
import { waitFor } from '../helpers/wait-for.js'
import type { P2PRCNode } from '../../dist/index.js'
import type { RunningDaemon } from '../helpers/daemon-process.js'

/**
 * A requester that closes its writing side once its request is out (common libp2p practice) still
 * gets its answer: the host answers what it read, then closes.
 */
describe('a requester that half-closes after its request', () => {
  const dirs = new TmpDirs()
  const daemons = new Daemons()
  let host: RunningDaemon
  let client: P2PRCNode

  before(async () => {
    host = await daemons.start(await dirs.make(), ['--name', 'half-close-host'])
    client = await createNode({ dataDir: await dirs.make(), listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [host.info.multiaddrs[0]], docker: null })
    await client.start()
    await waitFor(() => client.peers().some(p => p.peerId === host.info.peerId), { message: 'the client to know the host' })
  })
  after(async () => {
    await client?.stop()
    await daemons.stopAll()
    if (host != null) await removeContainersOf(host.info.peerId)
    await dirs.cleanup()
  })

  async function halfClosed<Req, Res> (protocol: string, request: Req, req: { encode: (r: Req) => Uint8Array }, res: { decode: (b: any) => Res }): Promise<Res[]> {
    const signal = AbortSignal.timeout(20_000)
    const stream = await client.libp2p.dialProtocol(peerIdFromString(host.info.peerId), protocol, { signal })
    const pb = pbStream(stream)
    await pb.write(request, req as never, { signal })
    await stream.close({ signal })
    const answers: Res[] = []
    while (true) {
      try {
        answers.push(await pb.read(res as never, { signal }))
      } catch (err: any) {
        if (err.name === 'UnexpectedEOFError' || stream.readStatus !== 'readable') break
        throw err
      }
    }
    return answers
  }

  it('list answers', async t => {
    if (!await requireEngine(t)) return
    const answers = await halfClosed('/p2prc/list/1.0.0', {}, ListRequest, ListResponse)
    assert.equal(answers.length, 1)
    assert.equal(answers[0].error, undefined)
    assert.deepEqual(answers[0].containers, [])
  })

  it('run answers with the running container', async t => {
    if (!await requireEngine(t)) return
    const request = { image: TEST_IMAGE, cmd: ['sleep', '30'], env: new Map(), ports: [], cpuMillis: 100, memoryBytes: 16 * 1024 * 1024, gpus: 0, ttlMs: 60_000, name: 'half-closed', requestId: '' }
    const answers = await halfClosed('/p2prc/run/1.0.0', request, RunRequest, RunResponse)
    const container = answers.at(-1)?.container
    assert.ok(container != null, JSON.stringify(answers.at(-1)?.error))
    assert.equal((await inspectOrNull(container.id))?.State.Running, true)
  })
})
