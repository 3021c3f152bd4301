import { Uint8ArrayList } from 'uint8arraylist'
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
/**
 * Socket reads (64 KiB each) gathered into one stream message. Every message costs a yamux frame,
 * a window update back, Noise messages with their own writes to the connection's socket, and an
 * event on the far side: one per read made that overhead, not the bytes, the cost of a transfer.
 * Small enough that several messages fit in one yamux window, since the far side hands a frame on
 * only once all of it has arrived.
 */
const SEND_BATCH = 256 * 1024

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

    // TCP -> stream. Reads are gathered until SEND_BATCH or the end of this event loop turn
    // (setImmediate runs once libuv has made every read the socket had ready), so a quiet
    // connection's bytes wait no longer than the reads that came with them.
    let batch = new Uint8ArrayList()
    let flushQueued = false
    const flush = (): void => {
      flushQueued = false
      if (settled || batch.byteLength === 0) return
      const message = batch
      batch = new Uint8ArrayList()
      if (!stream.send(message)) socket.pause()
    }
    const onData = (chunk: Buffer): void => {
      batch.append(chunk)
      if (batch.byteLength >= SEND_BATCH) flush()
      else if (!flushQueued) {
        flushQueued = true
        setImmediate(flush)
      }
    }
    const onStreamDrain = (): void => { socket.resume() }
    // The TCP side sent FIN: pass it on after what it sent, and keep reading what the other side still sends.
    const onSocketEnd = (): void => {
      flush()
      stream.close().then(() => {
        toStreamDone = true
        maybeDone()
      }, fail)
    }

    // stream -> TCP
    // A message spans the buffers it arrived in: they go out in one writev, not joined by a copy.
    const onMessage = (event: { data: Uint8Array | Uint8ArrayList }): void => {
      if (event.data instanceof Uint8Array) socket.write(event.data)
      else {
        socket.cork()
        for (const buf of event.data) socket.write(buf)
        socket.uncork()
      }
      if (!resuming) pauseIfFull()
    }
    const pauseIfFull = (): void => {
      if (socket.writableLength > SOCKET_BUFFER && stream.readStatus === 'readable') stream.pause()
    }
    // resume() hands on what was held, then grants yamux window: a pause made while it hands on
    // (the held bytes fill the socket again) would be followed by that grant, and the far side
    // would go on sending into a stream we believe paused until it overflows its read buffer
    // (seen: StreamBufferError at 16 MiB). So the socket is looked at once resume() returns.
    let resuming = false
    const onSocketDrain = (): void => {
      if (stream.readStatus !== 'paused') return
      resuming = true
      try {
        stream.resume()
      } finally {
        resuming = false
      }
      pauseIfFull()
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
