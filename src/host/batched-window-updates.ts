import { SPEC_STREAM_WINDOW } from './spec-stream-windows.js'
import type { ConnectionEncrypter, MessageStream } from '@libp2p/interface'
import type { Uint8ArrayList } from 'uint8arraylist'

/** Yamux's frame header (the yamux spec): version, type, flags (2), stream ID (4), length (4). */
const HEADER_LENGTH = 12
const WINDOW_UPDATE = 1
/** Streams with credit held; past this the oldest is sent (credit for a gone stream is ignored). */
const MAX_HELD_STREAMS = 1024

/**
 * A connection encrypter whose decrypted connection batches yamux's window updates. The yamux
 * muxer (@chainsafe/libp2p-yamux 8) grants credit back after every data frame it receives, so each
 * gossip message of 800 bytes cost the receiver a 12-byte frame back: its own Noise message and
 * socket write, and a read and decryption on the sender. Credit is additive, so updates without
 * flags are summed per stream and sent once they reach half the stream's window, as Go's yamux
 * does: the sender then always has at least the other half to send with, so holding credit never
 * stalls a stream. An update that opens, closes or resets a stream goes at once, carrying what
 * was held. The muxer sends each frame in one `send`, so only a send of exactly one header is
 * looked at: anything else passes unchanged. Upstream, the fix belongs in yamux's
 * sendWindowUpdate (docs/tunnel-throughput.md §3).
 *
 * `window` is the receive window every stream of this host has (its muxer's
 * initialStreamWindowSize). A stream starts at the spec's 256 KiB and its first update announces
 * the rest (spec-stream-windows.ts): that update must never be held, or the sender would wait at
 * 256 KiB, so the rest must be at least half the window. At 2 MiB, holding up to 1 MiB took 7%
 * of a tunnel's CPU per byte (a window update per 1 MiB received, not per 256 KiB frame).
 */
export function batchedWindowUpdates (encrypter: (components: any) => ConnectionEncrypter, window: number): (components: any) => ConnectionEncrypter {
  if (window !== SPEC_STREAM_WINDOW && window - SPEC_STREAM_WINDOW < window / 2) throw new RangeError(`a stream window of ${window} bytes would hold back its own announcement`)
  const threshold = window / 2
  return components => {
    const inner = encrypter(components)
    return {
      protocol: inner.protocol,
      secureInbound: async (connection, options) => {
        const secured = await inner.secureInbound(connection, options)
        return { ...secured, connection: holdCredit(secured.connection, threshold) }
      },
      secureOutbound: async (connection, options) => {
        const secured = await inner.secureOutbound(connection, options)
        return { ...secured, connection: holdCredit(secured.connection, threshold) }
      }
    }
  }
}

/** The connection, its `send` holding flagless window updates below `threshold` bytes (`send` is its public API). */
export function holdCredit<T extends MessageStream> (connection: T, threshold: number): T {
  const send = connection.send.bind(connection)
  const held = new Map<number, number>()
  const grant = (stream: number, flags: number, credit: number): boolean => {
    const frame = new Uint8Array(HEADER_LENGTH)
    const view = new DataView(frame.buffer)
    frame[1] = WINDOW_UPDATE
    view.setUint16(2, flags)
    view.setUint32(4, stream)
    view.setUint32(8, credit)
    return send(frame)
  }
  connection.send = (data: Uint8Array | Uint8ArrayList): boolean => {
    if (!(data instanceof Uint8Array) || data.byteLength !== HEADER_LENGTH || data[0] !== 0 || data[1] !== WINDOW_UPDATE) {
      if (held.size > 0) forgetIfReset(data, held)
      return send(data)
    }
    const view = new DataView(data.buffer, data.byteOffset, HEADER_LENGTH)
    const flags = view.getUint16(2)
    const stream = view.getUint32(4)
    const credit = view.getUint32(8) + (held.get(stream) ?? 0)
    held.delete(stream)
    if (flags !== 0 || credit >= threshold) return grant(stream, flags, credit)
    held.set(stream, credit)
    if (held.size <= MAX_HELD_STREAMS) return true
    const [oldest, owed] = held.entries().next().value as [number, number]
    held.delete(oldest)
    return grant(oldest, 0, owed)
  }
  return connection
}

/**
 * Drops the held credit of a stream this frame resets (RST, 0x8): it is gone both ways. A FIN
 * keeps it, since the other side may still be sending; a stream gone quietly is let go of by
 * MAX_HELD_STREAMS.
 */
function forgetIfReset (data: Uint8Array | Uint8ArrayList, held: Map<number, number>): void {
  if (data.byteLength < HEADER_LENGTH) return
  const header = data.subarray(0, HEADER_LENGTH)
  if ((header[3] & 0x8) === 0) return
  held.delete(new DataView(header.buffer, header.byteOffset, HEADER_LENGTH).getUint32(4))
}
