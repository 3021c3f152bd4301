import type { StreamMuxer, StreamMuxerFactory } from '@libp2p/interface'

/**
 * The window every yamux stream starts with in both directions (the yamux spec): what a peer may
 * send before it hears of a larger one, and what it must expect us to take.
 */
export const SPEC_STREAM_WINDOW = 256 * 1024
/** Yamux's frame header: a data frame carries at most its window less this. */
const HEADER_LENGTH = 12

/** The flow-control state of a @chainsafe/libp2p-yamux 8 stream (fields the class keeps public in JavaScript). */
interface YamuxStreamWindows {
  sendWindowCapacity: number
  recvWindowCapacity: number
  maxMessageSize: number
}

interface YamuxMuxerInternals {
  _newStream?: (...args: unknown[]) => YamuxStreamWindows
}

/**
 * A yamux muxer factory whose streams start at the spec's window and announce their larger one,
 * as Go's and Rust's yamux do. @chainsafe/libp2p-yamux 8 starts both sides of a stream at its own
 * `initialStreamWindowSize`: with ours at 2 MiB (constants.ts), a node would send 2 MiB to a peer
 * that expects 256 KiB (an older p2prc, any other implementation) and the peer would close the
 * connection for overrunning its window. Here each new stream counts 256 KiB of send credit until
 * the peer grants more, and 256 KiB of receive credit granted, so its first window update (the
 * SYN or ACK yamux sends anyway) carries the difference to 2 MiB. Two p2prc nodes reach 2 MiB
 * within a round trip; a 256 KiB peer is never sent more than it allowed. Upstream, the fix
 * belongs in the stream's constructor (docs/tunnel-throughput.md §4).
 */
export function specStreamWindows<C> (factory: (components: C) => StreamMuxerFactory): (components: C) => StreamMuxerFactory {
  return components => {
    const inner = factory(components)
    const create = inner.createStreamMuxer.bind(inner)
    inner.createStreamMuxer = maConn => startAtSpecWindow(create(maConn))
    return inner
  }
}

/** Every stream the muxer makes, inbound or outbound, starts at the spec's window. */
function startAtSpecWindow (muxer: StreamMuxer): StreamMuxer {
  const internals = muxer as unknown as YamuxMuxerInternals
  const newStream = internals._newStream
  // Loud, not quiet: without the hook this node would overrun 256 KiB peers again.
  if (typeof newStream !== 'function') throw new Error('the yamux muxer has no _newStream: the stream window hook needs updating')
  internals._newStream = (...args) => {
    const stream = newStream.apply(muxer, args)
    if (typeof stream.sendWindowCapacity !== 'number' || typeof stream.recvWindowCapacity !== 'number') throw new Error('the yamux stream has no window fields: the stream window hook needs updating')
    if (stream.sendWindowCapacity > SPEC_STREAM_WINDOW) {
      stream.sendWindowCapacity = SPEC_STREAM_WINDOW
      stream.maxMessageSize = SPEC_STREAM_WINDOW - HEADER_LENGTH
      stream.recvWindowCapacity = SPEC_STREAM_WINDOW
    }
    return stream
  }
  return muxer
}
