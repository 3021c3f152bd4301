// Docker multiplexes stdout and stderr of a non-TTY container into frames: an 8-byte header
// (stream type, three zero bytes, big-endian payload length) and the payload. We parse them
// ourselves rather than with modem.demuxStream so that chunks keep their order and their stream
// in one async iterable, and the reader's pace holds the socket back.
import type { LogChunk } from './types.js'

const HEADER_LENGTH = 8
const STDERR = 2

/** Splits Docker's framed log bytes into chunks; a frame cut off by the end of input is dropped. */
export async function * demuxLogFrames (source: AsyncIterable<Uint8Array>): AsyncGenerator<LogChunk> {
  let buffered: Buffer[] = []
  let length = 0
  // Bytes the next frame needs before it can be parsed: concatenating only then keeps a large
  // frame that arrives in many socket reads from being copied once per read.
  let needed = HEADER_LENGTH
  for await (const chunk of source) {
    buffered.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))
    length += chunk.byteLength
    if (length < needed) continue
    let pending = Buffer.concat(buffered, length)
    while (pending.length >= HEADER_LENGTH) {
      const size = pending.readUInt32BE(4)
      if (pending.length < HEADER_LENGTH + size) break
      const stream = pending[0] === STDERR ? 'stderr' : 'stdout'
      const data = pending.subarray(HEADER_LENGTH, HEADER_LENGTH + size)
      pending = pending.subarray(HEADER_LENGTH + size)
      if (size > 0) yield { stream, data }
    }
    buffered = pending.length > 0 ? [pending] : []
    length = pending.length
    needed = pending.length >= HEADER_LENGTH ? HEADER_LENGTH + pending.readUInt32BE(4) : HEADER_LENGTH
  }
}
