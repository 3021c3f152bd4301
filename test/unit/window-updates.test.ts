import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Uint8ArrayList } from 'uint8arraylist'
import type { MessageStream } from '@libp2p/interface'
import { batchedWindowUpdates, holdCredit } from '../../dist/host/batched-window-updates.js'

/** Half a 2 MiB stream window, as a host holds credit. */
const WINDOW_UPDATE_THRESHOLD = 1024 * 1024

const SYN = 0x1
const FIN = 0x4
const RST = 0x8

/** A yamux frame header as the muxer encodes it (version 0). */
function header (type: number, flags: number, stream: number, length: number): Uint8Array {
  const frame = new Uint8Array(12)
  const view = new DataView(frame.buffer)
  frame[1] = type
  view.setUint16(2, flags)
  view.setUint32(4, stream)
  view.setUint32(8, length)
  return frame
}

function parse (frame: Uint8Array | Uint8ArrayList): { type: number, flags: number, stream: number, length: number } {
  const bytes = frame.subarray(0, 12)
  const view = new DataView(bytes.buffer, bytes.byteOffset, 12)
  return { type: bytes[1], flags: view.getUint16(2), stream: view.getUint32(4), length: view.getUint32(8) }
}

/** What holdCredit passes on to the connection below it, frame by frame. */
function recorder (): { connection: MessageStream, sent: Array<Uint8Array | Uint8ArrayList> } {
  const sent: Array<Uint8Array | Uint8ArrayList> = []
  const connection = { send: (data: Uint8Array | Uint8ArrayList) => { sent.push(data); return true } } as unknown as MessageStream
  return { connection: holdCredit(connection, WINDOW_UPDATE_THRESHOLD), sent }
}

describe('batched yamux window updates', () => {
  it('holds small credit per stream and grants the sum once it reaches half the stream window', () => {
    const { connection, sent } = recorder()
    const small = 800 + 12
    const needed = Math.ceil(WINDOW_UPDATE_THRESHOLD / small)
    for (let i = 0; i < needed - 1; i++) connection.send(header(1, 0, 3, small))
    connection.send(header(1, 0, 5, small))
    assert.equal(sent.length, 0, 'no update goes while the credit is under the threshold')
    connection.send(header(1, 0, 3, small))
    assert.equal(sent.length, 1)
    assert.deepEqual(parse(sent[0]), { type: 1, flags: 0, stream: 3, length: needed * small })
    // Stream 5's credit is its own, still held.
    connection.send(header(1, 0, 3, small))
    assert.equal(sent.length, 1)
  })

  it('an update that opens or ends a stream goes at once with what was held; data and pings pass unchanged', () => {
    const { connection, sent } = recorder()
    connection.send(header(1, SYN, 7, 0))
    assert.deepEqual(parse(sent[0]), { type: 1, flags: SYN, stream: 7, length: 0 })
    connection.send(header(1, 0, 7, 1000))
    connection.send(header(1, FIN, 7, 24))
    assert.deepEqual(parse(sent[1]), { type: 1, flags: FIN, stream: 7, length: 1024 })
    const data = new Uint8ArrayList(header(0, 0, 7, 5), Uint8Array.from([1, 2, 3, 4, 5]))
    const ping = header(2, SYN, 0, 42)
    connection.send(data)
    connection.send(ping)
    assert.equal(sent[2], data)
    assert.equal(sent[3], ping)
    // A big update (a window that grew) is not held at all.
    connection.send(header(1, 0, 9, WINDOW_UPDATE_THRESHOLD))
    assert.deepEqual(parse(sent[4]), { type: 1, flags: 0, stream: 9, length: WINDOW_UPDATE_THRESHOLD })
  })

  it('a reset stream forgets its credit; past 1024 streams held the oldest is granted', () => {
    const { connection, sent } = recorder()
    connection.send(header(1, 0, 11, 100))
    connection.send(new Uint8ArrayList(header(0, RST, 11, 0)))
    connection.send(header(1, SYN, 11, 0))
    assert.deepEqual(parse(sent[1]), { type: 1, flags: SYN, stream: 11, length: 0 }, 'the reset stream had nothing held any more')
    sent.length = 0
    for (let stream = 1; stream <= 1025; stream++) connection.send(header(1, 0, 100 + stream, 10))
    assert.equal(sent.length, 1)
    assert.deepEqual(parse(sent[0]), { type: 1, flags: 0, stream: 101, length: 10 })
  })

  it('refuses a stream window whose announcement it would hold back', () => {
    const noEncrypter = (): never => { throw new Error('not reached') }
    assert.throws(() => batchedWindowUpdates(noEncrypter, 384 * 1024), RangeError)
    assert.doesNotThrow(() => batchedWindowUpdates(noEncrypter, 256 * 1024))
    assert.doesNotThrow(() => batchedWindowUpdates(noEncrypter, 2 * 1024 * 1024))
  })
})
