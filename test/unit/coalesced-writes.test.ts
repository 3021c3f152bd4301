import assert from 'node:assert/strict'
import { once } from 'node:events'
import { connect, createServer } from 'node:net'
import { describe, it } from 'node:test'
import { Uint8ArrayList } from 'uint8arraylist'
import type { MessageStream } from '@libp2p/interface'
import type { Socket } from 'node:net'
import { oneWritePerMessage } from '../../dist/host/coalesced-writes.js'

/**
 * A real TCP connection over loopback, and a stand-in for @libp2p/tcp's connection on its client
 * end: `send` writes each piece with its own socket.write, as @libp2p/tcp's sendData does, and
 * the socket is in the public `socket` field, where @libp2p/tcp keeps it.
 */
async function loopback (t: { after: (fn: () => void) => void }): Promise<{ socket: Socket, received: () => Promise<Buffer> }> {
  const chunks: Buffer[] = []
  let ended: Promise<unknown> = Promise.resolve()
  const server = createServer(peer => {
    peer.on('data', chunk => chunks.push(chunk))
    ended = once(peer, 'end')
  }).listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  const socket = connect({ host: '127.0.0.1', port })
  await once(socket, 'connect')
  t.after(() => { socket.destroy(); server.close() })
  return {
    socket,
    received: async () => {
      socket.end()
      await ended
      return Buffer.concat(chunks)
    }
  }
}

function tcpLike (socket: Socket | undefined, written: Uint8Array[] = []): MessageStream {
  return {
    socket,
    send: (data: Uint8Array | Uint8ArrayList) => {
      for (const buf of data instanceof Uint8Array ? [data] : data) {
        written.push(buf)
        socket?.write(buf)
      }
      return true
    }
  } as unknown as MessageStream
}

/** A Noise message as Noise hands it on: length prefix, ciphertext pieces, tag. */
function message (): Uint8ArrayList {
  return new Uint8ArrayList(Uint8Array.of(0xff, 0xef), new Uint8Array(40_000).fill(1), new Uint8Array(25_519).fill(2), new Uint8Array(16).fill(3))
}

describe('one write per message', () => {
  it('sends a message of many pieces in one writev on a TCP socket, uncopied and in order', async (t) => {
    const { socket, received } = await loopback(t)
    const writes: number[] = []
    // _write and _writev are the stream implementer's API: what reaches them is what the socket hands its handle.
    const write = socket._write.bind(socket)
    const writev = socket._writev!.bind(socket)
    socket._write = (chunk, encoding, callback) => { writes.push(1); write(chunk, encoding, callback) }
    socket._writev = (chunks, callback) => { writes.push(chunks.length); writev(chunks, callback) }
    const pieces: Uint8Array[] = []
    const connection = oneWritePerMessage(tcpLike(socket, pieces))
    const sent = message()

    assert.equal(connection.send(sent), true)
    assert.deepEqual(writes, [4], 'the four pieces in one writev')
    assert.equal(socket.writableCorked, 0, 'the socket is uncorked again')
    assert.equal(pieces.length, 4, 'the pieces themselves went down, not a joined copy')
    assert.deepEqual(await received(), Buffer.from(sent.subarray()))
  })

  it('uncorks the socket when the send below throws', async (t) => {
    const { socket } = await loopback(t)
    const connection = oneWritePerMessage({ socket, send: () => { throw new Error('closed') } } as unknown as MessageStream)
    assert.throws(() => connection.send(message()), /closed/)
    assert.equal(socket.writableCorked, 0)
  })

  it('joins the pieces into one buffer on a connection without a socket (a relayed one)', () => {
    const written: Uint8Array[] = []
    const connection = oneWritePerMessage(tcpLike(undefined, written))
    const sent = message()
    connection.send(sent)
    assert.equal(written.length, 1)
    assert.deepEqual(Buffer.from(written[0]), Buffer.from(sent.subarray()))
  })
})
