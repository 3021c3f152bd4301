import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { connect } from 'node:net'
import { after, describe, it } from 'node:test'
import { DockerRuntime, dockerClient, KEPT_CAPABILITIES } from '../../dist/runtime/index.js'
import { waitFor } from '../helpers/wait-for.js'
import { MiB, readLogs, TEST_IMAGE, TEST_LABEL, TestEngine } from './engine.js'

const exited = async (engine: TestEngine, id: string): Promise<void> => {
  await waitFor(async () => (await engine.runtime.inspect(id)).state === 'exited', { timeout: 10_000, message: `container ${id} to exit` })
}

/** Reads what a TCP server on 127.0.0.1 sends first, or throws. */
const readFrom = async (port: number): Promise<string> => new Promise((resolve, reject) => {
  const socket = connect({ host: '127.0.0.1', port })
  let text = ''
  socket.setTimeout(2000, () => socket.destroy(new Error('no answer')))
  socket.on('data', data => { text += data })
  socket.on('end', () => resolve(text))
  socket.on('error', reject)
})

describe('DockerRuntime.run on the real engine', () => {
  const engine = new TestEngine()
  const { runtime } = engine
  after(async () => engine.cleanup())

  it('applies the limits, the hardening and the labels', async t => {
    if (!await engine.require(t)) return
    const spec = engine.spec({ cpus: 0.5, memoryBytes: 64 * MiB, pidsLimit: 32, ports: [8080], labels: { 'p2prc.owner': 'alice' } })
    const info = await runtime.run(spec)
    assert.equal(info.state, 'running')
    assert.equal(info.name, spec.name)
    assert.equal(info.image, TEST_IMAGE)
    assert.deepEqual(info.labels, { 'p2prc.owner': 'alice', [TEST_LABEL]: engine.runId })
    assert.deepEqual(info.limits, { cpus: 0.5, memoryBytes: 64 * MiB, pidsLimit: 32 })
    assert.equal(info.exitCode, null)
    assert.ok(Math.abs(info.createdAt - Date.now()) < 60_000)

    // What Docker itself holds, not what we think we sent.
    const raw = await engine.rawInspect(info.id)
    const host = raw.HostConfig
    assert.equal(host.NanoCpus, 500_000_000)
    assert.equal(host.Memory, 64 * MiB)
    assert.equal(host.MemorySwap, 64 * MiB)
    assert.equal(host.PidsLimit, 32)
    assert.equal(host.Privileged, false)
    assert.deepEqual(host.CapDrop, ['ALL'])
    assert.deepEqual([...host.CapAdd].sort(), [...KEPT_CAPABILITIES].sort())
    assert.deepEqual(host.SecurityOpt, ['no-new-privileges'])
    assert.equal(host.NetworkMode, 'bridge')
    assert.equal(host.PidMode, '')
    assert.equal(host.IpcMode, 'private')
    assert.ok(host.Binds == null || host.Binds.length === 0, 'no bind mounts')
    assert.deepEqual(raw.Mounts, [])
    assert.equal(host.AutoRemove, false)
    assert.equal(host.RestartPolicy?.Name, 'no')
    const bound = raw.NetworkSettings.Ports['8080/tcp']
    assert.ok(bound != null && bound.length > 0, 'port 8080 is published')
    assert.ok(bound.every(b => b.HostIp === '127.0.0.1'), `published on loopback only: ${JSON.stringify(bound)}`)
    assert.deepEqual(info.ports, [{ containerPort: 8080, hostPort: Number(bound[0].HostPort) }])
  })

  it('passes env and cmd to the container', async t => {
    if (!await engine.require(t)) return
    const info = await runtime.run(engine.spec({
      cmd: ['sh', '-c', 'echo "greeting=$GREETING"; echo "args=$0 $1"', 'first', 'second'],
      env: { GREETING: 'hello p2prc', EMPTY: '' }
    }))
    await exited(engine, info.id)
    const logs = await readLogs(runtime.logs(info.id, { follow: false, tail: 'all' }))
    assert.equal(logs.stdout, 'greeting=hello p2prc\nargs=first second\n')
    assert.equal((await runtime.inspect(info.id)).exitCode, 0)
  })

  it('publishes a port that answers on 127.0.0.1', async t => {
    if (!await engine.require(t)) return
    const info = await runtime.run(engine.spec({ cmd: ['nc', '-ll', '-p', '8080', '-e', 'echo', 'hi from the container'], ports: [8080] }))
    assert.equal(info.ports.length, 1)
    // Docker's proxy takes the connection before nc listens inside and then closes it empty: wait for words.
    const answer = await waitFor(async () => (await readFrom(info.ports[0].hostPort)) || null, { timeout: 10_000, message: 'the published port to answer' })
    assert.equal(answer, 'hi from the container\n')
  })

  it('remove really removes, and a second remove says the container is gone', async t => {
    if (!await engine.require(t)) return
    const info = await runtime.run(engine.spec())
    await runtime.remove(info.id)
    await assert.rejects(engine.rawInspect(info.id), { statusCode: 404 })
    await assert.rejects(runtime.inspect(info.id), { name: 'ContainerNotFoundError' })
    await assert.rejects(runtime.remove(info.id), { name: 'ContainerNotFoundError' })
  })

  it('reports an unknown container as ContainerNotFoundError', async t => {
    if (!await engine.require(t)) return
    const unknown = randomBytes(32).toString('hex')
    await assert.rejects(runtime.inspect(unknown), { name: 'ContainerNotFoundError', code: 'ERR_CONTAINER_NOT_FOUND' })
    await assert.rejects(runtime.remove(unknown), { name: 'ContainerNotFoundError' })
    await assert.rejects(runtime.stats(unknown), { name: 'ContainerNotFoundError' })
    // A reference that would address another API endpoint never reaches the engine.
    await assert.rejects(runtime.remove('../images/p2prc-test/busybox:latest'), { name: 'ContainerNotFoundError' })
  })

  it('refuses a missing image with ImageNotFoundError and leaves nothing behind', async t => {
    if (!await engine.require(t)) return
    const spec = engine.spec({ image: 'p2prc-test/missing:nope' })
    await assert.rejects(runtime.run(spec, { signal: AbortSignal.timeout(20_000) }), { name: 'ImageNotFoundError', code: 'ERR_IMAGE_NOT_FOUND' })
    await assert.rejects(runtime.inspect(spec.name), { name: 'ContainerNotFoundError' })
  })

  it('removes the container when it fails to start', async t => {
    if (!await engine.require(t)) return
    const spec = engine.spec({ cmd: ['/no/such/program'], labels: { 'p2prc.case': 'failed-start' } })
    await assert.rejects(runtime.run(spec), /no such file or directory/)
    await assert.rejects(runtime.inspect(spec.name), { name: 'ContainerNotFoundError' })
    assert.deepEqual(await runtime.list({ [TEST_LABEL]: engine.runId, 'p2prc.case': 'failed-start' }), [])
  })

  it('refuses a name in use with ContainerConflictError and leaves the other container alone', async t => {
    if (!await engine.require(t)) return
    const first = await runtime.run(engine.spec())
    await assert.rejects(runtime.run(engine.spec({ name: first.name })), { name: 'ContainerConflictError', code: 'ERR_CONTAINER_CONFLICT' })
    assert.equal((await runtime.inspect(first.id)).state, 'running')
  })

  it('lists by every label, in all states', async t => {
    if (!await engine.require(t)) return
    const group = randomBytes(4).toString('hex')
    const running = await runtime.run(engine.spec({ labels: { 'p2prc.group': group, 'p2prc.role': 'a' } }))
    const done = await runtime.run(engine.spec({ cmd: ['true'], labels: { 'p2prc.group': group, 'p2prc.role': 'a' } }))
    await runtime.run(engine.spec({ labels: { 'p2prc.group': group, 'p2prc.role': 'b' } }))
    await exited(engine, done.id)
    const listed = await runtime.list({ [TEST_LABEL]: engine.runId, 'p2prc.group': group, 'p2prc.role': 'a' })
    assert.deepEqual(listed.map(c => c.id).sort(), [running.id, done.id].sort())
    assert.deepEqual(listed.map(c => c.state).sort(), ['exited', 'running'])
    assert.equal(listed.find(c => c.id === done.id)?.exitCode, 0)
    await assert.rejects(runtime.list({}), { name: 'InvalidArgumentError' })
  })

  it('honours an abort: rejects and leaves no container, however far it got', async t => {
    if (!await engine.require(t)) return
    await assert.rejects(runtime.run(engine.spec(), { signal: AbortSignal.abort() }), { name: 'AbortError' })
    // Create plus start takes ~0.25 s here: these cut it during the create and during the start.
    for (const ms of [5, 40, 120]) {
      const spec = engine.spec()
      await runtime.run(spec, { signal: AbortSignal.timeout(ms) }).then(
        async info => { await runtime.remove(info.id) },
        err => { assert.equal(err.name, 'AbortError', `aborted after ${ms} ms: ${err.message}`) }
      )
      await waitFor(async () => runtime.inspect(spec.name).then(() => false, err => err.name === 'ContainerNotFoundError'),
        { timeout: 10_000, message: `no container left after an abort at ${ms} ms` })
    }
  })
})

describe('DockerRuntime without an engine', () => {
  it('says DockerUnavailableError when nothing answers on the socket', async () => {
    const runtime = new DockerRuntime(dockerClient('unix:///nonexistent/p2prc-docker.sock'))
    await assert.rejects(runtime.inspect('abc'), { name: 'DockerUnavailableError', code: 'ERR_DOCKER_UNAVAILABLE' })
    await assert.rejects(runtime.imageExists(TEST_IMAGE), { name: 'DockerUnavailableError' })
    await assert.rejects(runtime.run({ ...new TestEngine().spec() }), { name: 'DockerUnavailableError' })
  })
})
