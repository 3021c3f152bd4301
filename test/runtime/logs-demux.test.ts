import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { demuxLogFrames } from '../../dist/runtime/index.js'
import { readLogs } from './engine.js'

const frame = (stream: 1 | 2, text: string): Buffer => {
  const payload = Buffer.from(text)
  const header = Buffer.alloc(8)
  header[0] = stream
  header.writeUInt32BE(payload.length, 4)
  return Buffer.concat([header, payload])
}

async function * chunks (...parts: Uint8Array[]): AsyncGenerator<Uint8Array> {
  yield * parts
}

describe('demuxLogFrames', () => {
  it('separates stdout from stderr and keeps the order', async () => {
    const out: string[] = []
    for await (const c of demuxLogFrames(chunks(frame(1, 'a\n'), frame(2, 'oops\n'), frame(1, 'b\n')))) out.push(`${c.stream}:${Buffer.from(c.data).toString()}`)
    assert.deepEqual(out, ['stdout:a\n', 'stderr:oops\n', 'stdout:b\n'])
  })

  it('reassembles frames cut anywhere, headers included', async () => {
    const bytes = Buffer.concat([frame(1, 'hello '), frame(2, 'e'.repeat(70_000)), frame(1, 'world\n')])
    for (const size of [1, 3, 7, 8, 9, 4096]) {
      const parts: Buffer[] = []
      for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size))
      const logs = await readLogs(demuxLogFrames(chunks(...parts)))
      assert.equal(logs.stdout, 'hello world\n', `cut every ${size} bytes`)
      assert.equal(logs.stderr, 'e'.repeat(70_000))
    }
  })

  it('skips empty frames and drops a frame cut off by the end', async () => {
    const cut = frame(1, 'never complete').subarray(0, 12)
    const logs = await readLogs(demuxLogFrames(chunks(frame(1, ''), frame(1, 'x'), cut)))
    assert.deepEqual(logs, { stdout: 'x', stderr: '' })
  })
})
