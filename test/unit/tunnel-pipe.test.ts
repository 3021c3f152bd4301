import assert from 'node:assert/strict'
import { once } from 'node:events'
import { connect, createServer } from 'node:net'
import { describe, it } from 'node:test'
import { streamPair } from '@libp2p/utils'
import { pipeSocket } from '../../dist/protocols/tunnel/pipe.js'
import type { Socket } from 'node:net'

describe('tunnel pipe', () => {
  it('carries both directions to the end when each side closes its writes, with a slow reader', async () => {
    const server = createServer({ allowHalfOpen: true }).listen(0, '127.0.0.1')
    await once(server, 'listening')
    const port = (server.address() as { port: number }).port
    const [near, far] = await streamPair({ capacity: 4 })
    try {
      const accepted = once(server, 'connection') as Promise<[Socket]>
      const client = connect({ host: '127.0.0.1', port, allowHalfOpen: true })
      const [socket] = await accepted
      const piped = pipeSocket(socket, near)

      // The far side answers at once and closes its writes, then reads slowly: the TCP side is
      // finished both ways long before the stream has flushed what the client sent.
      far.send(new TextEncoder().encode('ok'))
      await far.close()
      const payload = Buffer.alloc(4 * 1024 * 1024, 7)
      let reply = ''
      client.setEncoding('latin1').on('data', (d: string) => { reply += d })
      client.end(payload)

      let received = 0
      const ended = new Promise<void>(resolve => far.addEventListener('end', () => resolve()))
      far.addEventListener('message', event => {
        received += event.data.byteLength
        far.pause()
        setTimeout(() => { if (far.readStatus === 'paused') far.resume() }, 2)
      })
      await ended
      await piped
      assert.equal(received, payload.length)
      assert.equal(reply, 'ok')
      client.destroy()
    } finally {
      server.close()
    }
  })
})
