import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { connect } from 'node:net'
import { once } from 'node:events'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { spawn } from 'node:child_process'
import { CLI_BIN, Daemons } from '../helpers/daemon-process.js'
import { removeContainersOf, requireEngine, TEST_IMAGE } from '../helpers/docker.js'
import { TmpDirs } from '../helpers/tmp-dir.js'
import { waitFor } from '../helpers/wait-for.js'
import type { RunningDaemon } from '../helpers/daemon-process.js'

/** A web server in a container: a 20 MB random file (its SHA-256 in the log) and a small one. */
const SERVER = 'mkdir -p /tmp/www && dd if=/dev/urandom of=/tmp/www/big bs=1M count=20 2>/dev/null && echo hello > /tmp/www/small && sha256sum /tmp/www/big && exec httpd -f -p 8080 -h /tmp/www'

describe('forwarding a container port over libp2p', () => {
  const dirs = new TmpDirs()
  const daemons = new Daemons()
  let a: RunningDaemon
  let b: RunningDaemon
  let c: RunningDaemon
  let containerId = ''
  let expectedHash = ''

  before(async () => {
    // One client moves data through several containers at once: it may have the whole offer.
    const hostDir = await dirs.make()
    await writeFile(join(hostDir, 'config.json'), JSON.stringify({ policy: { maxCpusPerPeer: null } }))
    b = await daemons.start(hostDir, ['--name', 'host-b'])
    a = await daemons.start(await dirs.make(), ['--no-docker', '--bootstrap', b.info.multiaddrs[0]])
    c = await daemons.start(await dirs.make(), ['--no-docker', '--bootstrap', b.info.multiaddrs[0]])
    await waitFor(async () => (await a.api.peers()).some(p => p.peerId === b.info.peerId && p.resources?.docker === true))
    await waitFor(async () => (await c.api.peers()).some(p => p.peerId === b.info.peerId))
  })
  after(async () => {
    await daemons.stopAll()
    if (b != null) await removeContainersOf(b.info.peerId)
    await dirs.cleanup()
  })

  const serve = async (): Promise<void> => {
    if (containerId !== '') return
    const container = await a.api.run(b.info.peerId, { image: TEST_IMAGE, cmd: ['sh', '-c', SERVER], ports: [8080], cpus: 0.5, memory: '64m' })
    containerId = container.containerId
    expectedHash = await waitFor(async () => {
      for await (const line of a.api.logs(b.info.peerId, containerId, { follow: false, tail: 'all' })) {
        const match = /^([0-9a-f]{64})\s/.exec(line.text)
        if (match != null) return match[1]
      }
      return null
    }, { timeout: 30_000, message: 'the file hash in the log' })
  }

  it('a 20 MB file and HTTP arrive intact through the forwarded port', async t => {
    if (!await requireEngine(t)) return
    await serve()
    const forward = await a.api.forward(b.info.peerId, containerId, 8080)
    assert.match(forward.local, /^127\.0\.0\.1:\d+$/)
    const response = await waitFor(async () => fetch(`http://${forward.local}/big`).catch(() => null), { message: 'the server to answer' })
    assert.equal(response.status, 200)
    const body = Buffer.from(await response.arrayBuffer())
    assert.equal(body.length, 20 * 1024 * 1024)
    assert.equal(createHash('sha256').update(body).digest('hex'), expectedHash)
    await a.api.closeForward(forward.id)
  })

  it('carries many parallel connections', async t => {
    if (!await requireEngine(t)) return
    await serve()
    const forward = await a.api.forward(b.info.peerId, containerId, 8080)
    const bodies = await Promise.all(Array.from({ length: 20 }, async () => (await fetch(`http://${forward.local}/small`, { headers: { connection: 'close' } })).text()))
    assert.deepEqual(bodies, new Array(20).fill('hello\n'))
    // Closing the forward closes its listener.
    await a.api.closeForward(forward.id)
    const [host, port] = [forward.local.slice(0, forward.local.lastIndexOf(':')), Number(forward.local.slice(forward.local.lastIndexOf(':') + 1))]
    const socket = connect({ host, port })
    const [err] = await once(socket, 'error') as [NodeJS.ErrnoException]
    assert.equal(err.code, 'ECONNREFUSED')
  })

  it('refuses a peer that does not own the container, and a port it does not publish', async t => {
    if (!await requireEngine(t)) return
    await serve()
    await assert.rejects(c.api.forward(b.info.peerId, containerId, 8080), (err: Error) => err.name === 'ContainerNotFoundError' && /you have no container/.test(err.message))
    await assert.rejects(a.api.forward(b.info.peerId, containerId, 9999), (err: Error) => /does not publish port 9999 \(it publishes 8080; run it with -p 9999\)/.test(err.message))
    assert.deepEqual(await c.api.request('GET', '/v1/forwards'), [])
  })

  it('passes each side\'s close on to the other, and leaves no connection behind', async t => {
    if (!await requireEngine(t)) return
    // An echo server: `cat` per connection, which exits when its input ends.
    const echo = await a.api.run(b.info.peerId, { image: TEST_IMAGE, cmd: ['nc', '-ll', '-p', '7000', '-e', 'cat'], ports: [7000], cpus: 0.5, memory: '32m' })
    const forward = await a.api.forward(b.info.peerId, echo.containerId, 7000)
    const [host, port] = [forward.local.slice(0, forward.local.lastIndexOf(':')), Number(forward.local.slice(forward.local.lastIndexOf(':') + 1))]
    const openEcho = async (): Promise<{ socket: ReturnType<typeof connect>, received: () => string }> => waitFor(async () => {
      const socket = connect({ host, port })
      let text = ''
      socket.setEncoding('utf8').on('data', (d: string) => { text += d })
      socket.on('error', () => {})
      socket.write('ping\n')
      const answered = await waitFor(() => text === 'ping\n' || socket.destroyed, { timeout: 5_000 }).then(() => text === 'ping\n', () => false)
      if (answered) return { socket, received: () => text }
      socket.destroy()
      return null
    }, { timeout: 30_000, message: 'the echo server to answer through the forward' })

    // The client half-closes: the container sees the end of its input, exits, and the end comes back.
    const first = await openEcho()
    first.socket.end()
    await waitFor(() => first.socket.readableEnded || first.socket.destroyed, { message: 'the far side to close after our half-close' })

    // The container goes away with a connection open: the client's connection is closed.
    const second = await openEcho()
    await a.api.kill(b.info.peerId, echo.containerId)
    await waitFor(() => second.socket.readableEnded || second.socket.destroyed, { message: 'the connection to close when its container is killed' })
    await waitFor(async () => {
      const forwards = await a.api.request('GET', '/v1/forwards') as Array<{ id: string, connections: number }>
      return forwards.find(f => f.id === forward.id)?.connections === 0
    }, { message: 'the forward to hold no connection' })
    await a.api.closeForward(forward.id)
  })

  it('holds a slow reader back instead of dropping the connection (backpressure end to end)', async t => {
    if (!await requireEngine(t)) return
    const total = 64 * 1024 * 1024
    const source = await a.api.run(b.info.peerId, { image: TEST_IMAGE, cmd: ['nc', '-ll', '-p', '9000', '-e', 'dd', 'if=/dev/zero', 'bs=1048576', 'count=64', 'status=none'], ports: [9000], cpus: 0.5, memory: '32m' })
    const forward = await a.api.forward(b.info.peerId, source.containerId, 9000)
    const port = Number(forward.local.slice(forward.local.lastIndexOf(':') + 1))
    const received = await waitFor(async () => new Promise<number | null>(resolve => {
      let bytes = 0
      let stalled = false
      const socket = connect({ host: '127.0.0.1', port })
      socket.on('data', chunk => {
        bytes += chunk.length
        // Stop reading for a while once data flows: every buffer on the way fills up, and
        // the source must wait rather than the tunnel give up. Then trickle through the last
        // megabytes: the source finishes and closes while the tunnel still holds data for us,
        // which must still arrive.
        if (!stalled) {
          stalled = true
          socket.pause()
          setTimeout(() => socket.resume(), 1500)
        } else if (bytes >= total - 2 * 1024 * 1024) {
          socket.pause()
          setTimeout(() => socket.resume(), 40)
        }
      })
      socket.on('end', () => resolve(bytes > 0 ? bytes : null))
      socket.on('error', () => resolve(null))
    }), { timeout: 60_000, message: 'the whole stream through the forward' })
    assert.equal(received, total)
    await a.api.closeForward(forward.id)
  })

  it('p2prc forward listens until Ctrl-C, then closes the forward', async t => {
    if (!await requireEngine(t)) return
    await serve()
    const child = spawn(process.execPath, [CLI_BIN, '--data-dir', a.dataDir, 'forward', b.info.peerId.slice(0, 16), containerId.slice(0, 12), '8080'], { stdio: ['ignore', 'pipe', 'pipe'] })
    const exited = new Promise<number | null>(resolve => child.once('exit', resolve))
    try {
      let stdout = ''
      child.stdout.on('data', chunk => { stdout += chunk })
      const local = await waitFor(() => /^forwarding (\S+) -> /m.exec(stdout)?.[1], { message: 'the forward command to print its address' })
      assert.equal(await (await fetch(`http://${local}/small`)).text(), 'hello\n')
      child.kill('SIGINT')
      assert.equal(await exited, 0)
      assert.deepEqual((await a.api.request('GET', '/v1/forwards') as unknown[]).length, 0)
    } finally {
      child.kill('SIGKILL')
    }
  })

  it('keeps half-closed connections open: a client that shuts down its writes still gets the reply', async t => {
    if (!await requireEngine(t)) return
    // Reads until its input ends, then answers with how many bytes it got.
    const counter = await a.api.run(b.info.peerId, { image: TEST_IMAGE, cmd: ['nc', '-ll', '-p', '7001', '-e', 'sh', '-c', 'wc -c'], ports: [7001], cpus: 0.5, memory: '32m' })
    const forward = await a.api.forward(b.info.peerId, counter.containerId, 7001)
    const port = Number(forward.local.slice(forward.local.lastIndexOf(':') + 1))
    const payload = Buffer.alloc(300 * 1024, 'x')
    const reply = await waitFor(async () => new Promise<string | null>(resolve => {
      let text = ''
      const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true })
      socket.setEncoding('utf8').on('data', (d: string) => { text += d })
      socket.on('end', () => { socket.end(); resolve(text.trim() === '' ? null : text.trim()) })
      socket.on('error', () => resolve(null))
      socket.end(payload)
    }), { timeout: 30_000, message: 'the reply after our half-close' })
    assert.equal(reply, String(payload.length))
    await a.api.closeForward(forward.id)
  })
})
