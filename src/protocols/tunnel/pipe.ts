import type { Stream } from '@libp2p/interface'
import type { Socket } from 'node:net'

/**
 * Joins a TCP socket and a libp2p stream in both directions (the socket must allow half-open
 * connections, or Node ends its writes as soon as its reads end), with backpressure each way: a full
 * socket pauses the stream (yamux then stops granting the sender window, so the far side waits
 * too), and a full stream pauses the socket. A side that ends its writes ends the other's; an
 * error on either aborts both, so nothing is left half-open. Resolves when both directions are
 * done; rejects with the error that aborted them.
 *
 * Events rather than `byteStream`: its reader buffers whatever arrives and aborts the stream past
 * 4 MiB, since yamux grants window on receipt, not on consumption; only `pause()` holds it back.
 */
/**
 * Bytes queued on the TCP socket before the stream is paused. Node's own mark (16 KiB) is less
 * than one yamux message: pausing there would stall the stream after every message, a round trip each.
 */
const SOCKET_BUFFER = 1024 * 1024

export async function pipeSocket (socket: Socket, stream: Stream): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let toStreamDone = false
    let toSocketDone = false
    let settled = false

    const cleanup = (): void => {
      stream.removeEventListener('message', onMessage)
      stream.removeEventListener('drain', onStreamDrain)
      stream.removeEventListener('end', onStreamEnd)
      stream.removeEventListener('close', onStreamClose)
      socket.off('data', onData)
      socket.off('drain', onSocketDrain)
      socket.off('end', onSocketEnd)
      socket.off('error', fail)
      socket.off('close', onSocketClose)
    }
    const fail = (err: Error): void => {
      if (settled) return
      settled = true
      cleanup()
      stream.abort(err)
      socket.destroy()
      reject(err)
    }
    const maybeDone = (): void => {
      if (settled || !toStreamDone || !toSocketDone) return
      settled = true
      cleanup()
      resolve()
    }

    // TCP -> stream
    const onData = (chunk: Buffer): void => {
      if (!stream.send(chunk)) socket.pause()
    }
    const onStreamDrain = (): void => { socket.resume() }
    // The TCP side sent FIN: pass it on, and keep reading what the other side still sends.
    const onSocketEnd = (): void => {
      stream.close().then(() => {
        toStreamDone = true
        maybeDone()
      }, fail)
    }

    // stream -> TCP
    const onMessage = (event: { data: Uint8Array | { subarray: () => Uint8Array } }): void => {
      const data = event.data instanceof Uint8Array ? event.data : event.data.subarray()
      socket.write(data)
      if (socket.writableLength > SOCKET_BUFFER && stream.readStatus === 'readable') stream.pause()
    }
    const onSocketDrain = (): void => {
      if (stream.readStatus === 'paused') stream.resume()
    }
    let ended = false
    const onStreamEnd = (): void => {
      if (ended) return
      ended = true
      socket.end(() => {
        toSocketDone = true
        maybeDone()
      })
    }

    const onStreamClose = (event: Event): void => {
      const error = (event as Event & { error?: Error }).error
      if (error != null) fail(error)
      else maybeDone()
    }
    const onSocketClose = (hadError: boolean): void => {
      // Reset, or destroyed before it ended both ways: abort the stream as well. A socket that
      // closed after a clean end both ways is done, even while the stream still flushes what it
      // read (aborting then would drop the tail of the data).
      if (hadError || !socket.readableEnded || !toSocketDone) fail(new Error('the TCP connection closed'))
    }

    stream.addEventListener('message', onMessage)
    stream.addEventListener('drain', onStreamDrain)
    stream.addEventListener('end', onStreamEnd)
    stream.addEventListener('close', onStreamClose)
    socket.on('data', onData)
    socket.on('drain', onSocketDrain)
    socket.on('end', onSocketEnd)
    socket.on('error', fail)
    socket.on('close', onSocketClose)
    // The far side may have finished before we listened (a short reply, read along with the
    // handshake): its 'end' is gone, so end after the buffered bytes, which the new 'message'
    // listener gets in a microtask.
    if (stream.remoteWriteStatus === 'closed') queueMicrotask(() => { queueMicrotask(onStreamEnd) })
  })
}
