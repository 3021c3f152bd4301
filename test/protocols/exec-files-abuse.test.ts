import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { peerIdFromString } from '@libp2p/peer-id'
import { Uint8ArrayList } from 'uint8arraylist'
import { createNode } from '../../dist/index.js'
import { FrameReader, writeFrame } from '../../dist/protocols/frames.js'
import { ExecInput, ExecOutput, ExecRequest } from '../../dist/protocols/exec/pb/exec.js'
import { FilesData, FilesRequest, FilesResponse } from '../../dist/protocols/files/pb/files.js'
import { residentBytes } from '../helpers/attack.js'
import { Daemons } from '../helpers/daemon-process.js'
import { dockerClient, engineAnswers, removeContainersOf, requireEngine, TEST_IMAGE } from '../helpers/docker.js'
import { TmpDirs } from '../helpers/tmp-dir.js'
import { waitFor } from '../helpers/wait-for.js'
import type { P2PRCNode } from '../../dist/index.js'
import type { RunningDaemon } from '../helpers/daemon-process.js'
import type { Stream } from '@libp2p/interface'

const EXEC = '/p2prc/exec/1.0.0'
const FILES = '/p2prc/files/1.0.0'

/** Resolves once the stream has been reset or closed by the far side, with how long that took. */
async function endOf (stream: Stream, timeout = 30_000): Promise<number> {
  const started = Date.now()
  await waitFor(() => stream.status !== 'open' || stream.readStatus === 'closed', { timeout, interval: 20, message: 'the host to end the stream' })
  return Date.now() - started
}

/**
 * A peer that owns a container on the host and then abuses exec and files: floods, idle streams,
 * oversized messages, lies about sizes. The host refuses, ends what breaks the rules, and keeps
 * serving an honest session meanwhile.
 */
describe('exec and files under abuse', () => {
  const dirs = new TmpDirs()
  const daemons = new Daemons()
  let host: RunningDaemon
  let peer: P2PRCNode
  let box = ''

  const stream = async (protocol: string): Promise<Stream> => peer.libp2p.dialProtocol(peerIdFromString(host.info.peerId), protocol, { signal: AbortSignal.timeout(10_000), maxOutboundStreams: 1000 })
  const honest = async (): Promise<void> => {
    const session = await peer.exec(host.info.peerId, box, { cmd: ['echo', 'fine'] })
    let out = ''
    for await (const chunk of session.output) out += Buffer.from(chunk.data).toString()
    assert.equal(out, 'fine\n')
    assert.equal(await session.wait(), 0)
  }

  before(async () => {
    const hostDir = await dirs.make()
    await writeFile(join(hostDir, 'config.json'), JSON.stringify({ policy: { maxCopyBytes: '1m' } }))
    host = await daemons.start(hostDir, ['--name', 'abused'])
    peer = await createNode({ dataDir: await dirs.make(), listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [host.info.multiaddrs[0]], docker: null })
    await peer.start()
    // The attacker serves neither protocol: its own handlers' stream caps would hold back what it opens.
    await peer.libp2p.unhandle([EXEC, FILES])
    await waitFor(() => peer.peers().some(p => p.peerId === host.info.peerId && p.resources?.docker === true), { message: 'the peer to know the host' })
    if (!await engineAnswers()) return
    box = (await peer.run(host.info.peerId, { image: TEST_IMAGE, cmd: ['sleep', '600'], cpus: 0.2, memory: '32m' })).containerId
  })
  after(async () => {
    await peer?.stop()
    await daemons.stopAll()
    if (host != null) await removeContainersOf(host.info.peerId)
    await dirs.cleanup()
  })

  it('a flood of exec requests is rate-limited; the honest session still runs', async t => {
    if (!await requireEngine(t)) return
    const ask = async (): Promise<string | undefined> => {
      const s = await stream(EXEC)
      const reader = new FrameReader(s)
      await writeFrame(s, ExecRequest, { container: 'nothing-here', cmd: ['true'], env: [], workdir: '', user: '', tty: false, stdin: false })
      const answer = await reader.next(ExecOutput, 4096, { signal: AbortSignal.timeout(20_000) })
      s.abort(new Error('done'))
      return answer?.error?.code
    }
    // Twenty at a time (within the streams a peer may hold), as fast as they are answered.
    const answers: Array<string | undefined> = []
    for (let i = 0; i < 3; i++) answers.push(...await Promise.all(Array.from({ length: 20 }, ask)))
    assert.ok(answers.filter(code => code === 'ERR_RATE_LIMITED').length >= 20, answers.join(' '))
    assert.ok(answers.every(code => code === 'ERR_RATE_LIMITED' || code === 'ERR_CONTAINER_NOT_FOUND'), answers.join(' '))
    await waitFor(async () => { await honest(); return true }, { message: 'the honest session once the bucket refills' })
  })

  it('idle streams are reset: past 32 at once, and each after its request timeout', async t => {
    if (!await requireEngine(t)) return
    const idle: Stream[] = []
    try {
      for (let i = 0; i < 40; i++) idle.push(await stream(EXEC))
      const ends = await Promise.all(idle.map(async s => endOf(s)))
      const quick = ends.filter(ms => ms < 3000).length
      assert.ok(quick >= 8, `the streams past 32 are reset at once (${ends.join(' ')})`)
      assert.ok(ends.every(ms => ms < 25_000), `every idle stream is let go (${ends.join(' ')})`)
    } finally {
      for (const s of idle) s.abort(new Error('done'))
    }
    await honest()
  })

  it('a message past its size is refused: an oversized request, an oversized input', async t => {
    if (!await requireEngine(t)) return
    const big = await stream(EXEC)
    // A length prefix that claims 10 MiB: nothing that big is read.
    big.send(new Uint8ArrayList(Uint8Array.from([0x80, 0x80, 0x80, 0x05])))
    assert.ok(await endOf(big) < 10_000)

    const session = await stream(EXEC)
    const reader = new FrameReader(session)
    await writeFrame(session, ExecRequest, { container: box, cmd: ['sleep', '4343'], env: [], workdir: '', user: '', tty: false, stdin: true })
    assert.equal((await reader.next(ExecOutput, 4096, { signal: AbortSignal.timeout(20_000) }))?.started, true)
    await writeFrame(session, ExecInput, { stdin: new Uint8Array(200 * 1024), stdinEnd: false, signal: '', taken: 0 })
    await endOf(session)
    // The command went with its session.
    await waitFor(async () => {
      const top = await dockerClient().getContainer(box).top({ ps_args: '-eo pid,args' }) as { Processes?: string[][] }
      return !(top.Processes ?? []).some(p => p.join(' ').includes('sleep 4343'))
    }, { timeout: 20_000, message: 'the command to end with its broken session' })
    await honest()
  })

  it('10,000 resizes and signals on one session: dropped past the rate, the session goes on', async t => {
    if (!await requireEngine(t)) return
    const s = await stream(EXEC)
    const reader = new FrameReader(s)
    await writeFrame(s, ExecRequest, { container: box, cmd: ['cat'], env: [], workdir: '', user: '', tty: true, stdin: true, size: { rows: 24, cols: 80 } })
    assert.equal((await reader.next(ExecOutput, 4096, { signal: AbortSignal.timeout(20_000) }))?.started, true)
    for (let i = 0; i < 10_000; i++) await writeFrame(s, ExecInput, { stdin: new Uint8Array(), stdinEnd: false, resize: { rows: 10 + (i % 50), cols: 80 }, signal: i % 2 === 0 ? 'WINCH' : '', taken: 0 })
    await writeFrame(s, ExecInput, { stdin: Buffer.from('still here\r'), stdinEnd: false, signal: '', taken: 0 })
    let out = ''
    while (!out.includes('still here')) {
      const message = await reader.next(ExecOutput, 70_000, { signal: AbortSignal.timeout(20_000) })
      assert.ok(message != null && message.error == null, 'the session goes on')
      out += Buffer.from(message.data).toString()
    }
    s.abort(new Error('done'))
    await honest()
  })

  it('a command that floods output to an owner who never reads holds the host\'s memory flat', async t => {
    if (!await requireEngine(t)) return
    const s = await stream(EXEC)
    const reader = new FrameReader(s)
    await writeFrame(s, ExecRequest, { container: box, cmd: ['cat', '/dev/zero'], env: [], workdir: '', user: '', tty: false, stdin: false })
    assert.equal((await reader.next(ExecOutput, 4096, { signal: AbortSignal.timeout(20_000) }))?.started, true)
    const before = residentBytes(host.info.pid)
    let peak = before
    const deadline = Date.now() + 6000
    while (Date.now() < deadline) {
      peak = Math.max(peak, residentBytes(host.info.pid))
      await new Promise(resolve => setTimeout(resolve, 100))
    }
    s.abort(new Error('done'))
    // Without flow control the host queued gigabytes here; with it, a few MiB wait for the reader.
    assert.ok(peak - before < 64 * 2 ** 20, `the host grew ${((peak - before) / 2 ** 20).toFixed(0)} MiB`)
    await honest()
  })

  it('a copy that lies about its size is cut off at the host\'s limit', async t => {
    if (!await requireEngine(t)) return
    const s = await stream(FILES)
    const reader = new FrameReader(s)
    await writeFrame(s, FilesRequest, { operation: FilesRequest.Operation.PUT, container: box, path: '/tmp', size: 1000 })
    const accepted = await reader.next(FilesResponse, 4096, { signal: AbortSignal.timeout(20_000) })
    assert.equal(accepted?.error, undefined)
    // 4 MiB of "archive" against a 1 MiB limit.
    const chunk = new Uint8Array(256 * 1024)
    for (let i = 0; i < 16 && s.writeStatus === 'writable'; i++) await writeFrame(s, FilesData, { data: chunk, end: false, taken: 0 }).catch(() => {})
    await writeFrame(s, FilesData, { data: new Uint8Array(), end: true, taken: 0 }).catch(() => {})
    // Past what the host says it has taken (flow control), its answer.
    let answer = await reader.next(FilesResponse, 4096, { signal: AbortSignal.timeout(20_000) })
    while (answer != null && answer.error == null && !answer.done) answer = await reader.next(FilesResponse, 4096, { signal: AbortSignal.timeout(20_000) })
    assert.equal(answer?.error?.code, 'ERR_REFUSED')
    assert.match(answer?.error?.message ?? '', /policy\.maxCopyBytes/)
    // A declared size over the limit is refused before a byte is sent.
    const honestSize = await stream(FILES)
    const r2 = new FrameReader(honestSize)
    await writeFrame(honestSize, FilesRequest, { operation: FilesRequest.Operation.PUT, container: box, path: '/tmp', size: 5 * 1024 * 1024 })
    assert.equal((await r2.next(FilesResponse, 4096, { signal: AbortSignal.timeout(20_000) }))?.error?.code, 'ERR_REFUSED')
    honestSize.abort(new Error('done'))
    await honest()
  })
})
