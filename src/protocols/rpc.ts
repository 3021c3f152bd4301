import { randomBytes } from 'node:crypto'
import { setMaxListeners } from 'node:events'
import { peerIdFromString } from '@libp2p/peer-id'
import { pbStream } from '@libp2p/utils'
import { P2PRCError, ProtocolError, errorFromCode } from '../errors.js'
import { withTimeout } from '../signals.js'
import { PeerStreams } from './peer-streams.js'
import { PeerRateLimiter } from './rate-limit.js'
import type { RateLimit } from './rate-limit.js'
import type { AbortOptions, Connection, Libp2p, Logger, Stream, StreamHandler, StreamHandlerOptions } from '@libp2p/interface'

// The shape every p2prc control protocol shares: one request, then one or more responses, each a
// length-prefixed protobuf message; an error travels as a code and message and becomes the same
// typed error on the caller's side.

export interface Codec<T> {
  encode: (value: T) => Uint8Array
  decode: (data: Uint8Array | import('uint8arraylist').Uint8ArrayList, opts?: any) => T
}

export interface WireError {
  code: string
  message: string
}

/** Where protocol handlers are registered (the libp2p host). */
export type Registrar = Pick<Libp2p, 'handle' | 'unhandle'>

/** How protocol streams to peers are opened (the node's dialer, see core/peer-dialer.ts). */
export type Dialer = Pick<Libp2p, 'dialProtocol'>

export interface HandlerInit<Req, Res> {
  protocol: string
  request: Codec<Req>
  response: Codec<Res>
  /** Wraps an error into the protocol's response message. */
  errorResponse: (error: WireError) => Res
  maxRequestBytes: number
  /** How long the requester has to send its request. */
  requestTimeout: number
  /** How often one peer may ask (refused past it with ERR_RATE_LIMITED). */
  rateLimit: RateLimit
  /** Streams one peer may hold open on this protocol, all its connections together; past it new ones are reset. */
  maxStreamsPerPeer: number
  /** Checks the connection before the request is served (throws to refuse), e.g. that identify has run. */
  admit?: PeerGate
  log: Logger
}

/** Refuses a connection a protocol will not serve (throws a typed error), or resolves. */
export type PeerGate = (connection: Connection, options: AbortOptions) => Promise<void>

export interface HandlerContext<Res> {
  remotePeer: string
  send: (response: Res) => Promise<void>
  /** Aborts when the requester resets the stream (or the node stops). */
  signal: AbortSignal
}

/**
 * What a peer is told when a request failed for a reason that is not its own (a typed error):
 * a reference the host's operator finds in the log, never the engine's or the file system's text.
 */
export function internalError (log: Logger, protocol: string, peer: string, err: any): WireError {
  const reference = randomBytes(4).toString('hex')
  log.error('%s from %s failed (reference %s): %s', protocol, peer, reference, err?.stack ?? err?.message ?? String(err))
  return { code: 'ERR_INTERNAL', message: `the host could not handle the request (reference ${reference} in its log)` }
}

/** A typed error as it goes on the wire; anything else as an internal error with a reference. */
export function toWireError (log: Logger, protocol: string, peer: string, err: unknown): WireError {
  return err instanceof P2PRCError ? { code: err.code, message: err.message } : internalError(log, protocol, peer, err)
}

/**
 * A handler for one request/response protocol. Every failure the handler throws is sent back as
 * a typed error, never crashes the node. A requester that half-closes its side after the request
 * still gets its answer; one that resets the stream aborts the handler's signal.
 */
export function rpcHandler<Req, Res> (init: HandlerInit<Req, Res>, handler: (request: Req, ctx: HandlerContext<Res>) => Promise<void>): StreamHandler {
  const limiter = new PeerRateLimiter(init.rateLimit, init.protocol)
  const streams = new PeerStreams(init.maxStreamsPerPeer)
  return async (stream, connection) => {
    const remotePeer = connection.remotePeer.toString()
    if (!streams.take(remotePeer)) {
      init.log('%s: %s holds %d streams already, reset a new one', init.protocol, remotePeer, init.maxStreamsPerPeer)
      stream.abort(new Error('too many streams'))
      return
    }
    try {
      await serveStream(init, limiter, handler, stream, connection)
    } finally {
      streams.release(remotePeer)
    }
  }
}

async function serveStream<Req, Res> (init: HandlerInit<Req, Res>, limiter: PeerRateLimiter, handler: (request: Req, ctx: HandlerContext<Res>) => Promise<void>, stream: Stream, connection: Connection): Promise<void> {
  const remotePeer = connection.remotePeer.toString()
  const controller = new AbortController()
  setMaxListeners(Infinity, controller.signal)
  const abort = (): void => { controller.abort() }
  stream.addEventListener('close', abort)
  const pb = pbStream(stream, { maxDataLength: init.maxRequestBytes })
  const send = async (response: Res): Promise<void> => { await pb.write(response, init.response, { signal: controller.signal }) }
  try {
    const request = await pb.read(init.request, { signal: withTimeout(controller.signal, init.requestTimeout) })
    try {
      limiter.take(remotePeer)
      await init.admit?.(connection, { signal: controller.signal })
      await handler(request, { remotePeer, send, signal: controller.signal })
    } catch (err: any) {
      if (controller.signal.aborted) return
      await send(init.errorResponse(toWireError(init.log, init.protocol, remotePeer, err)))
    }
    await stream.close({ signal: AbortSignal.timeout(init.requestTimeout) })
  } catch (err: any) {
    init.log('%s stream from %s ended: %s', init.protocol, remotePeer, err.message)
    stream.abort(err)
  } finally {
    stream.removeEventListener('close', abort)
  }
}

/**
 * How our protocols are registered. They run on limited (relayed) connections too: a host behind
 * NAT is reached only through a relay, and the relay's own limits still end such a connection.
 */
export function handlerOptions (maxStreams: number): StreamHandlerOptions {
  return { maxInboundStreams: maxStreams, maxOutboundStreams: maxStreams, runOnLimitedConnection: true }
}

export interface CallInit<Req, Res> {
  protocol: string
  request: Codec<Req>
  response: Codec<Res>
  maxResponseBytes: number
  /** The error a response carries, if any. */
  errorOf: (response: Res) => WireError | undefined
}

/**
 * Sends one request and yields every response until the peer closes the stream. An error
 * response is thrown as its typed error. Leaving the loop early (or aborting) resets the stream,
 * which tells the peer to stop.
 */
export async function * call<Req, Res> (dialer: Dialer, peerId: string, init: CallInit<Req, Res>, request: Req, options: AbortOptions): AsyncGenerator<Res> {
  // The protocol's name goes out with the request (negotiateFully false): waiting for the peer to
  // accept the name first cost every call a round trip of its own. A peer that does not speak
  // the protocol refuses it in place of the answer.
  const stream: Stream = await dialer.dialProtocol(peerIdFromString(peerId), init.protocol, { signal: options.signal, runOnLimitedConnection: true, negotiateFully: false })
  const pb = pbStream(stream, { maxDataLength: init.maxResponseBytes })
  let finished = false
  try {
    await pb.write(request, init.request, { signal: options.signal })
    while (true) {
      let response: Res
      try {
        response = await pb.read(init.response, { signal: options.signal })
      } catch (err: any) {
        // The peer closed its side: every response has arrived.
        if (err.name === 'UnexpectedEOFError' || stream.readStatus !== 'readable') break
        throw err
      }
      const error = init.errorOf(response)
      if (error != null) throw errorFromCode(error.code, error.message)
      yield response
    }
    finished = true
  } finally {
    if (finished) {
      await stream.close({ signal: options.signal }).catch(() => { stream.abort(new Error('closed')) })
    } else {
      stream.abort(new Error('request ended early'))
    }
  }
}

/** The single response of a one-shot request. */
export async function callOnce<Req, Res> (dialer: Dialer, peerId: string, init: CallInit<Req, Res>, request: Req, options: AbortOptions): Promise<Res> {
  return callUntilFinal(dialer, peerId, init, request, () => false, options)
}

/**
 * Reads responses until one that `isInterim` does not consume (e.g. progress before the result),
 * and returns that one.
 */
export async function callUntilFinal<Req, Res> (dialer: Dialer, peerId: string, init: CallInit<Req, Res>, request: Req, isInterim: (response: Res) => boolean, options: AbortOptions): Promise<Res> {
  for await (const response of call(dialer, peerId, init, request, options)) {
    if (!isInterim(response)) return response
  }
  throw new ProtocolError(`${peerId} closed ${init.protocol} without an answer`)
}
