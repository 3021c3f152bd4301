import { setMaxListeners } from 'node:events'
import { peerIdFromString } from '@libp2p/peer-id'
import { pbStream } from '@libp2p/utils'
import { P2PRCError, errorFromCode } from '../errors.js'
import type { AbortOptions, Libp2p, Logger, Stream } from '@libp2p/interface'

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

export type RpcHost = Pick<Libp2p, 'handle' | 'unhandle' | 'dialProtocol'>

export interface ServeInit<Req, Res> {
  protocol: string
  request: Codec<Req>
  response: Codec<Res>
  /** Wraps an error into the protocol's response message. */
  errorResponse: (error: WireError) => Res
  maxRequestBytes: number
  /** How long the requester has to send its request. */
  requestTimeout: number
  maxInboundStreams: number
  log: Logger
}

export interface HandlerContext<Res> {
  remotePeer: string
  send: (response: Res) => Promise<void>
  /** Aborts when the requester closes or resets the stream (or the node stops). */
  signal: AbortSignal
}

/**
 * Registers a handler; every failure it throws is sent back as a typed error, never crashes the node.
 * Handlers and calls run on limited (relayed) connections too: a host behind NAT is reached only
 * through a relay, and the relay's own limits still end such a connection.
 */
export async function serve<Req, Res> (host: RpcHost, init: ServeInit<Req, Res>, handler: (request: Req, ctx: HandlerContext<Res>) => Promise<void>): Promise<void> {
  await host.handle(init.protocol, async (stream, connection) => {
    const controller = new AbortController()
    setMaxListeners(Infinity, controller.signal)
    const abort = (): void => { controller.abort() }
    stream.addEventListener('close', abort)
    stream.addEventListener('remoteCloseWrite', abort)
    const pb = pbStream(stream, { maxDataLength: init.maxRequestBytes })
    const send = async (response: Res): Promise<void> => { await pb.write(response, init.response, { signal: controller.signal }) }
    try {
      const request = await pb.read(init.request, { signal: AbortSignal.any([controller.signal, AbortSignal.timeout(init.requestTimeout)]) })
      try {
        await handler(request, { remotePeer: connection.remotePeer.toString(), send, signal: controller.signal })
      } catch (err: any) {
        if (controller.signal.aborted) return
        const wire = err instanceof P2PRCError ? { code: err.code, message: err.message } : { code: 'ERR_INTERNAL', message: err.message ?? String(err) }
        if (wire.code === 'ERR_INTERNAL') init.log.error('%s from %p failed: %s', init.protocol, connection.remotePeer, err.stack ?? err.message)
        await send(init.errorResponse(wire))
      }
      await stream.close({ signal: AbortSignal.timeout(init.requestTimeout) })
    } catch (err: any) {
      init.log('%s stream from %p ended: %s', init.protocol, connection.remotePeer, err.message)
      stream.abort(err)
    } finally {
      stream.removeEventListener('close', abort)
      stream.removeEventListener('remoteCloseWrite', abort)
    }
  }, { maxInboundStreams: init.maxInboundStreams, maxOutboundStreams: init.maxInboundStreams, runOnLimitedConnection: true })
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
 * response is thrown as its typed error. Leaving the loop early (or aborting) closes the stream,
 * which tells the peer to stop.
 */
export async function * call<Req, Res> (host: RpcHost, peerId: string, init: CallInit<Req, Res>, request: Req, options: AbortOptions): AsyncGenerator<Res> {
  const stream: Stream = await host.dialProtocol(peerIdFromString(peerId), init.protocol, { signal: options.signal, runOnLimitedConnection: true })
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
export async function callOnce<Req, Res> (host: RpcHost, peerId: string, init: CallInit<Req, Res>, request: Req, options: AbortOptions): Promise<Res> {
  return callUntilFinal(host, peerId, init, request, () => false, options)
}

/**
 * Reads responses until one that `isInterim` does not consume (e.g. progress before the result),
 * and returns that one.
 */
export async function callUntilFinal<Req, Res> (host: RpcHost, peerId: string, init: CallInit<Req, Res>, request: Req, isInterim: (response: Res) => boolean, options: AbortOptions): Promise<Res> {
  for await (const response of call(host, peerId, init, request, options)) {
    if (!isInterim(response)) return response
  }
  throw errorFromCode('ERR_PROTOCOL', `${peerId} closed ${init.protocol} without an answer`)
}
