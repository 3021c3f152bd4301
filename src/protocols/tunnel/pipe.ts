import { once } from 'node:events'
import { byteStream } from '@libp2p/utils'
import type { Stream } from '@libp2p/interface'
import type { Socket } from 'node:net'

/**
 * Joins a TCP socket and a libp2p stream in both directions, with backpressure each way. Either
 * side ending its writes ends the other's; an error on either aborts both, so nothing is left
 * half-open. Resolves when both directions are done; rejects with the error that aborted them.
 */
export async function pipeSocket (socket: Socket, stream: Stream): Promise<void> {
  const bytes = byteStream(stream)
  const fail = (err: Error): void => {
    stream.abort(err)
    socket.destroy()
  }
  socket.once('error', fail)
  // A stream reset by the other side ends the TCP connection at once.
  stream.addEventListener('close', event => { if ((event as { error?: Error }).error != null) socket.destroy() })

  const toStream = (async () => {
    for await (const chunk of socket) {
      await bytes.write(chunk as Uint8Array)
    }
    // The TCP side sent FIN: pass it on, keep reading what the other side still sends.
    await stream.close().catch(() => {})
  })()

  const toSocket = (async () => {
    while (true) {
      const chunk = await bytes.read()
      if (chunk == null) break
      for (const part of chunk) {
        if (!socket.write(part)) await once(socket, 'drain')
      }
    }
    socket.end()
  })()

  try {
    await Promise.all([toStream, toSocket])
  } catch (err: any) {
    fail(err)
    throw err
  }
}
