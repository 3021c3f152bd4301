import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromString } from '@libp2p/peer-id'
import { pbStream } from '@libp2p/utils'
import { createNode } from '../../dist/index.js'
import { UsageRequest, UsageResponse } from '../../dist/protocols/usage/pb/usage.js'
import { countersign } from '../../dist/usage/index.js'
import { Daemons } from '../helpers/daemon-process.js'
import { removeContainersOf, requireEngine, TEST_IMAGE } from '../helpers/docker.js'
import { TmpDirs } from '../helpers/tmp-dir.js'
import { waitFor } from '../helpers/wait-for.js'
import type { P2PRCNode } from '../../dist/index.js'
import type { RunningDaemon } from '../helpers/daemon-process.js'

const USAGE = '/p2prc/usage/1.0.0'

/**
 * /p2prc/usage under abuse: a stranger asks for receipts, countersigns somebody else's, sends
 * forged and oversized countersignatures, floods. The host tells it nothing of others' work, keeps
 * only the owner's countersignature, and goes on serving the owner.
 */
describe('usage receipts under abuse', () => {
  const dirs = new TmpDirs()
  const daemons = new Daemons()
  let host: RunningDaemon
  let owner: P2PRCNode
  let stranger: P2PRCNode
  let containerId = ''

  const ask = async (request: Partial<UsageRequest>, node = stranger): Promise<UsageResponse> => {
    const stream = await node.libp2p.dialProtocol(peerIdFromString(host.info.peerId), USAGE, { signal: AbortSignal.timeout(10_000) })
    const pb = pbStream(stream, { maxDataLength: 4 * 1024 * 1024 })
    await pb.write({ kind: UsageRequest.Kind.RECEIPTS, sinceMs: 0, countersignatures: [], ...request }, UsageRequest)
    const answer = await pb.read(UsageResponse, { signal: AbortSignal.timeout(10_000) })
    stream.abort(new Error('done'))
    return answer
  }

  before(async () => {
    host = await daemons.start(await dirs.make(), ['--name', 'receipts-host'])
    const peer = async (): Promise<P2PRCNode> => {
      const node = await createNode({ dataDir: await dirs.make(), listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [host.info.multiaddrs[0]], docker: null })
      await node.start()
      await waitFor(() => node.peers().some(p => p.peerId === host.info.peerId && p.resources?.docker === true), { message: 'the peer to know the host' })
      return node
    }
    owner = await peer()
    stranger = await peer()
  })
  after(async () => {
    await owner?.stop()
    await stranger?.stop()
    await daemons.stopAll()
    if (host != null) await removeContainersOf(host.info.peerId)
    await dirs.cleanup()
  })

  it('a stranger gets no receipt of the owner\'s, and its countersignature of one is not kept', async t => {
    if (!await requireEngine(t)) return
    containerId = (await owner.run(host.info.peerId, { image: TEST_IMAGE, cmd: ['true'], cpus: 0.1, memory: '16m' })).containerId
    const mine = await waitFor(async () => (await owner.usage()).containers.find(c => c.containerId === containerId && c.receipt?.final === true && c.receipt.countersigned), { timeout: 30_000, message: 'the owner to hold the countersigned final receipt' })
    assert.equal(mine.peerId, owner.peerId)

    const theirs = await ask({ kind: UsageRequest.Kind.RECEIPTS, sinceMs: 0 })
    assert.deepEqual([theirs.receipts.length, theirs.running, theirs.error], [0, 0, undefined])

    // The stranger got hold of the receipt (it is no secret) and countersigns it as its own.
    const file = owner.receipt(containerId)
    const forged = await countersign(Buffer.from(file.receipt, 'base64'), await generateKeyPair('Ed25519')) as Uint8Array<ArrayBuffer>
    const answer = await ask({ kind: UsageRequest.Kind.COUNTERSIGN, countersignatures: [forged] })
    assert.equal(answer.accepted, 0)
    assert.equal((await host.api.hostReceipt(containerId)).countersignature, file.countersignature, 'the host keeps the owner\'s countersignature')
  })

  it('forged, oversized and too many countersignatures are refused; a flood is rate-limited; the owner is still served', async t => {
    if (!await requireEngine(t)) return
    assert.notEqual(containerId, '', 'the first test ran')
    const garbage = await ask({ kind: UsageRequest.Kind.COUNTERSIGN, countersignatures: Array.from({ length: 64 }, () => randomBytes(700)) })
    assert.deepEqual([garbage.accepted, garbage.error], [0, undefined])
    const tooMany = await ask({ kind: UsageRequest.Kind.COUNTERSIGN, countersignatures: Array.from({ length: 65 }, () => randomBytes(8)) })
    assert.equal(tooMany.error?.code, 'ERR_INVALID_ARGUMENT')
    assert.match(tooMany.error?.message ?? '', /at most 64/)
    const badSince = await ask({ kind: UsageRequest.Kind.RECEIPTS, sinceMs: -5 })
    assert.equal(badSince.error?.code, 'ERR_INVALID_ARGUMENT')
    // Past the request size limit the host reads no further: the stream ends without an answer.
    await assert.rejects(ask({ kind: UsageRequest.Kind.COUNTERSIGN, countersignatures: [randomBytes(200 * 1024)] }))

    const answers = await Promise.all(Array.from({ length: 8 }, async () => ask({}).catch(() => null)))
    const more = await Promise.all(Array.from({ length: 8 }, async () => ask({}).catch(() => null)))
    const codes = [...answers, ...more].map(a => a?.error?.code ?? 'ok')
    assert.ok(codes.includes('ERR_RATE_LIMITED'), codes.join(' '))

    // The owner's own view is untouched and still served.
    const report = await owner.usage({ peer: host.info.peerId })
    assert.equal(report.containers.find(c => c.containerId === containerId)?.receipt?.countersigned, true)
    assert.deepEqual(report.unreachable, [])
  })

})
