import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, describe, it } from 'node:test'
import { waitFor } from '../helpers/wait-for.js'
import { readLogs, TestEngine } from './engine.js'

describe('DockerRuntime.logs on the real engine', () => {
  const engine = new TestEngine()
  const { runtime } = engine
  after(async () => engine.cleanup())

  const runToExit = async (cmd: string[]): Promise<string> => {
    const { id } = await runtime.run(engine.spec({ cmd }))
    await waitFor(async () => (await runtime.inspect(id)).state === 'exited', { timeout: 10_000, message: 'the container to exit' })
    return id
  }

  it('returns the whole log in order, stdout and stderr apart', async t => {
    if (!await engine.require(t)) return
    const id = await runToExit(['sh', '-c', 'for i in 1 2 3 4 5; do echo out$i; echo err$i >&2; done'])
    const logs = await readLogs(runtime.logs(id, { follow: false, tail: 'all' }))
    assert.equal(logs.stdout, 'out1\nout2\nout3\nout4\nout5\n')
    assert.equal(logs.stderr, 'err1\nerr2\nerr3\nerr4\nerr5\n')
  })

  it('starts from the last lines with tail, and can stamp each line', async t => {
    if (!await engine.require(t)) return
    const id = await runToExit(['seq', '1', '10'])
    assert.equal((await readLogs(runtime.logs(id, { follow: false, tail: 3 }))).stdout, '8\n9\n10\n')
    assert.equal((await readLogs(runtime.logs(id, { follow: false, tail: 0 }))).stdout, '')
    const stamped = (await readLogs(runtime.logs(id, { follow: false, tail: 1, timestamps: true }))).stdout
    assert.match(stamped, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z 10\n$/)
    await assert.rejects(readLogs(runtime.logs(id, { follow: false, tail: -1 })), { name: 'InvalidArgumentError' })
  })

  it('follows new lines live and ends by itself when the container exits', async t => {
    if (!await engine.require(t)) return
    const { id } = await runtime.run(engine.spec({ cmd: ['sh', '-c', 'for i in 1 2 3 4 5; do echo line$i; sleep 0.3; done'] }))
    // Only a safety net: the iteration must end because the container exited, not because of this.
    const safety = AbortSignal.timeout(15_000)
    let text = ''
    let stateAtFirstLine: string | null = null
    for await (const chunk of runtime.logs(id, { follow: true, tail: 'all' }, { signal: safety })) {
      if (stateAtFirstLine == null) stateAtFirstLine = (await runtime.inspect(id)).state
      text += Buffer.from(chunk.data).toString()
    }
    assert.equal(safety.aborted, false, 'the stream ended before the safety deadline')
    assert.equal(stateAtFirstLine, 'running', 'the first line arrived while the container still ran')
    assert.equal(text, 'line1\nline2\nline3\nline4\nline5\n')
    assert.equal((await runtime.inspect(id)).state, 'exited')
  })

  it('ends a followed log promptly on abort', async t => {
    if (!await engine.require(t)) return
    const { id } = await runtime.run(engine.spec({ cmd: ['sh', '-c', 'while true; do echo tick; sleep 0.2; done'] }))
    const controller = new AbortController()
    let chunks = 0
    let abortedAt = 0
    for await (const _chunk of runtime.logs(id, { follow: true, tail: 'all' }, { signal: controller.signal })) {
      chunks++
      if (chunks === 2) {
        abortedAt = Date.now()
        controller.abort()
      }
    }
    assert.ok(chunks >= 2)
    assert.ok(Date.now() - abortedAt < 1000, 'ended within a second of the abort')
    assert.equal((await runtime.inspect(id)).state, 'running', 'it ended because of the abort, not the container')
  })

  it('reports the log of an unknown container as ContainerNotFoundError', async t => {
    if (!await engine.require(t)) return
    await assert.rejects(readLogs(runtime.logs(randomBytes(32).toString('hex'), { follow: true, tail: 'all' })), { name: 'ContainerNotFoundError' })
  })
})
