import { Uint8ArrayList } from 'uint8arraylist'
import { ProtocolError } from '../errors.js'
import type { Codec } from './rpc.js'
import type { AbortOptions, Stream } from '@libp2p/interface'

// Length-prefixed protobuf messages both ways on a long-lived stream (exec's input and output,
// a copy's data), with backpressure each way. pbStream's reader buffers whatever arrives and
// aborts the stream past 4 MiB: yamux grants the sender window on receipt, so only pausing the
// stream holds a fast sender back. This reader pauses it while what it holds is unread.

/** Unread bytes past which the stream is paused (the far side then waits for window). */
const HIGH_WATER = 1024 * 1024
/** A varint length of a message is at most this many bytes (a length below 2^35). */
const MAX_LENGTH_BYTES = 5

/** Reads one message after another from a stream, at the reader's pace. */
export class FrameReader {
  private readonly buffer = new Uint8ArrayList()
  private wake?: () => void
  private failure?: Error

  constructor (private readonly stream: Stream) {
    stream.addEventListener('message', this.onMessage)
    stream.addEventListener('remoteCloseWrite', this.onWake)
    stream.addEventListener('close', this.onClose)
  }

  /**
   * The next message, or null when the far side closed its side cleanly between messages. A
   * message longer than `maxLength`, a stream cut mid-message or reset, throws.
   */
  async next<T> (codec: Codec<T>, maxLength: number, options: AbortOptions = {}): Promise<T | null> {
    while (true) {
      const frame = this.take(maxLength)
      if (frame != null) return codec.decode(frame)
      if (this.failure != null) throw this.failure
      if (this.atEnd()) {
        if (this.buffer.byteLength > 0) throw new ProtocolError('the stream ended in the middle of a message')
        return null
      }
      await this.waitForData(options)
    }
  }

  /** Stops listening (the stream itself is left as it is). */
  release (): void {
    this.stream.removeEventListener('message', this.onMessage)
    this.stream.removeEventListener('remoteCloseWrite', this.onWake)
    this.stream.removeEventListener('close', this.onClose)
    this.onWake()
  }

  private take (maxLength: number): Uint8ArrayList | null {
    let length = 0
    let at = 0
    for (; ; at++) {
      if (at >= this.buffer.byteLength) return null
      if (at >= MAX_LENGTH_BYTES) throw new ProtocolError('a message length that is not a varint')
      const byte = this.buffer.get(at)
      length += (byte & 0x7f) * 2 ** (7 * at)
      if (byte < 0x80) break
    }
    if (length > maxLength) throw new ProtocolError(`a message of ${length} bytes, more than the ${maxLength} allowed`)
    if (this.buffer.byteLength < at + 1 + length) return null
    const frame = this.buffer.sublist(at + 1, at + 1 + length)
    this.buffer.consume(at + 1 + length)
    if (this.buffer.byteLength < HIGH_WATER / 2 && this.stream.readStatus === 'paused') this.stream.resume()
    return frame
  }

  /** The far side will send nothing more, and everything it sent has been handed to us. */
  private atEnd (): boolean {
    return this.stream.remoteWriteStatus !== 'writable' && this.stream.readBufferLength === 0 && this.stream.readStatus !== 'paused'
  }

  private async waitForData (options: AbortOptions): Promise<void> {
    options.signal?.throwIfAborted()
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => { reject(options.signal?.reason ?? new Error('aborted')) }
      options.signal?.addEventListener('abort', onAbort, { once: true })
      this.wake = () => {
        options.signal?.removeEventListener('abort', onAbort)
        resolve()
      }
    })
  }

  private readonly onMessage = (event: { data: Uint8Array | Uint8ArrayList }): void => {
    this.buffer.append(event.data)
    if (this.buffer.byteLength > HIGH_WATER && this.stream.readStatus === 'readable') this.stream.pause()
    this.onWake()
  }

  private readonly onClose = (event: Event): void => {
    const error = (event as Event & { error?: Error }).error
    if (error != null) this.failure = new ProtocolError(`the stream broke: ${error.message}`)
    this.onWake()
  }

  private readonly onWake = (): void => {
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }
}

/** Writes one length-prefixed message, waiting while the stream's send buffer is full. */
export async function writeFrame<T> (stream: Stream, codec: Codec<T>, value: T, options: AbortOptions = {}): Promise<void> {
  const body = codec.encode(value)
  const header: number[] = []
  for (let n = body.byteLength; ; n = Math.floor(n / 128)) {
    if (n < 128) {
      header.push(n)
      break
    }
    header.push((n % 128) | 0x80)
  }
  if (!stream.send(new Uint8ArrayList(Uint8Array.from(header), body))) await stream.onDrain(options)
}
