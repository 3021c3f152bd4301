import { InvalidArgumentError, ProtocolError } from '../../errors.js'
import { withTimeout } from '../../signals.js'
import { isContainerReference } from '../../units/index.js'
import { containerFromWire, containerToWire } from '../common/index.js'
import { call, callOnce, handlerOptions, rpcHandler } from '../rpc.js'
import { CALL_TIMEOUT, RATE_LIMIT, KILL_PROTOCOL, LIST_PROTOCOL, LOGS_PROTOCOL, MAX_LOG_CHUNK, REMOVE_PROTOCOL, MAX_REQUEST_BYTES, MAX_RESPONSE_BYTES, MAX_STREAMS, REQUEST_TIMEOUT, START_PROTOCOL, STATS_PROTOCOL } from './constants.js'
import { sampleFromWire, sampleToWire } from './convert.js'
import { Chunk, KillRequest, KillResponse, ListRequest, ListResponse, LogsRequest, LogsResponse, StatsRequest, StatsResponse } from './pb/containers.js'
import type { ContainerProtocolsComponents } from './index.js'
import type { ContainerView, LogChunk, LogsQuery, StatsView } from '../../contract/index.js'
import type { CallInit, Codec, HandlerContext, WireError } from '../rpc.js'
import type { AbortOptions, Logger, Startable } from '@libp2p/interface'

/** Refs are IDs, prefixes or names: short and printable. Anything else cannot match anything. */
function checked (ref: string): string {
  if (!isContainerReference(ref)) throw new InvalidArgumentError(`'${ref.slice(0, 40)}' is not a container ID or name`)
  return ref
}

type WithError = { error?: WireError }

/**
 * /p2prc/list, kill, remove, start, stats and logs: the requester's own containers on this node (a container of
 * anyone else does not exist for it), and the same calls to peers.
 */
export class ContainerProtocols implements Startable {
  private readonly log: Logger

  constructor (private readonly components: ContainerProtocolsComponents) {
    this.log = components.logger.forComponent('p2prc:container-protocols')
  }

  async start (): Promise<void> {
    await this.handle(LIST_PROTOCOL, ListRequest, ListResponse, error => ({ containers: [], error }), async (_request, ctx) => {
      const views = this.components.guests().list(ctx.remotePeer)
      await ctx.send({ containers: views.map(containerToWire) })
    })
    await this.handle(KILL_PROTOCOL, KillRequest, KillResponse, error => ({ error }), async (request, ctx) => {
      const view = await this.components.guests().kill(ctx.remotePeer, checked(request.container), { signal: ctx.signal })
      await ctx.send({ container: containerToWire(view) })
    })
    await this.handle(REMOVE_PROTOCOL, KillRequest, KillResponse, error => ({ error }), async (request, ctx) => {
      const view = await this.components.guests().remove(ctx.remotePeer, checked(request.container), { signal: ctx.signal })
      await ctx.send({ container: containerToWire(view) })
    })
    await this.handle(START_PROTOCOL, KillRequest, KillResponse, error => ({ error }), async (request, ctx) => {
      const view = await this.components.guests().startHeld(ctx.remotePeer, checked(request.container), { signal: ctx.signal })
      await ctx.send({ container: containerToWire(view) })
    })
    await this.handle(STATS_PROTOCOL, StatsRequest, StatsResponse, error => ({ error }), async (request, ctx) => {
      const guests = this.components.guests()
      if (!request.stream) {
        await ctx.send({ sample: sampleToWire(await guests.stats(ctx.remotePeer, checked(request.container), { signal: ctx.signal })) })
        return
      }
      for await (const sample of guests.statsStream(ctx.remotePeer, checked(request.container), { signal: ctx.signal })) {
        await ctx.send({ sample: sampleToWire(sample) })
      }
    })
    await this.handle(LOGS_PROTOCOL, LogsRequest, LogsResponse, error => ({ error }), async (request, ctx) => {
      const tail = request.tail < 0 ? 'all' : request.tail
      for await (const chunk of this.components.guests().logs(ctx.remotePeer, checked(request.container), { follow: request.follow, tail }, { signal: ctx.signal })) {
        for (let at = 0; at < chunk.data.byteLength; at += MAX_LOG_CHUNK) {
          await ctx.send({ chunk: { stream: chunk.stream === 'stderr' ? Chunk.Stream.STDERR : Chunk.Stream.STDOUT, data: chunk.data.subarray(at, at + MAX_LOG_CHUNK) as Uint8Array<ArrayBuffer> } })
        }
      }
    })
  }

  async stop (): Promise<void> {
    await this.components.registrar.unhandle([LIST_PROTOCOL, KILL_PROTOCOL, REMOVE_PROTOCOL, START_PROTOCOL, STATS_PROTOCOL, LOGS_PROTOCOL])
  }

  /** The containers I started on a peer. */
  async list (peerId: string, options: AbortOptions = {}): Promise<ContainerView[]> {
    const response = await callOnce(this.components.dialer, peerId, callInit(LIST_PROTOCOL, ListRequest, ListResponse), {}, { signal: withTimeout(options.signal, CALL_TIMEOUT) })
    return response.containers.map(c => containerFromWire(peerId, c))
  }

  async kill (peerId: string, container: string, options: AbortOptions = {}): Promise<ContainerView> {
    const response = await callOnce(this.components.dialer, peerId, callInit(KILL_PROTOCOL, KillRequest, KillResponse), { container }, { signal: withTimeout(options.signal, CALL_TIMEOUT) })
    if (response.container == null) throw new ProtocolError(`${peerId} answered kill without the container`)
    return containerFromWire(peerId, response.container)
  }

  /** Removes one of my containers on a peer that has exited. */
  async remove (peerId: string, container: string, options: AbortOptions = {}): Promise<ContainerView> {
    const response = await callOnce(this.components.dialer, peerId, callInit(REMOVE_PROTOCOL, KillRequest, KillResponse), { container }, { signal: withTimeout(options.signal, CALL_TIMEOUT) })
    if (response.container == null) throw new ProtocolError(`${peerId} answered remove without the container`)
    return containerFromWire(peerId, response.container)
  }

  /** Starts one of my containers on a peer that was run with `hold`. */
  async startHeld (peerId: string, container: string, options: AbortOptions = {}): Promise<ContainerView> {
    const response = await callOnce(this.components.dialer, peerId, callInit(START_PROTOCOL, KillRequest, KillResponse), { container }, { signal: withTimeout(options.signal, CALL_TIMEOUT) })
    if (response.container == null) throw new ProtocolError(`${peerId} answered start without the container`)
    return containerFromWire(peerId, response.container)
  }

  async stats (peerId: string, container: string, options: AbortOptions = {}): Promise<StatsView> {
    const response = await callOnce(this.components.dialer, peerId, callInit(STATS_PROTOCOL, StatsRequest, StatsResponse), { container, stream: false }, { signal: withTimeout(options.signal, CALL_TIMEOUT) })
    if (response.sample == null) throw new ProtocolError(`${peerId} answered stats without a sample`)
    return sampleFromWire(response.sample)
  }

  /** A sample a second until the container stops or the caller aborts. */
  async * statsStream (peerId: string, container: string, options: AbortOptions = {}): AsyncGenerator<StatsView> {
    for await (const response of call(this.components.dialer, peerId, callInit(STATS_PROTOCOL, StatsRequest, StatsResponse), { container, stream: true }, options)) {
      if (response.sample != null) yield sampleFromWire(response.sample)
    }
  }

  async * logs (peerId: string, container: string, query: LogsQuery, options: AbortOptions = {}): AsyncGenerator<LogChunk> {
    const request = { container, follow: query.follow, tail: query.tail === 'all' ? -1 : query.tail }
    for await (const response of call(this.components.dialer, peerId, callInit(LOGS_PROTOCOL, LogsRequest, LogsResponse), request, options)) {
      if (response.chunk != null) yield { stream: response.chunk.stream === Chunk.Stream.STDERR ? 'stderr' : 'stdout', data: response.chunk.data }
    }
  }

  private async handle<Req, Res> (protocol: string, request: Codec<Req>, response: Codec<Res>, errorResponse: (error: WireError) => Res, handler: (request: Req, ctx: HandlerContext<Res>) => Promise<void>): Promise<void> {
    const init = { protocol, request, response, errorResponse, log: this.log, maxRequestBytes: MAX_REQUEST_BYTES, requestTimeout: REQUEST_TIMEOUT, rateLimit: RATE_LIMIT, maxStreamsPerPeer: MAX_STREAMS }
    await this.components.registrar.handle(protocol, rpcHandler(init, handler), handlerOptions(MAX_STREAMS))
  }
}

function callInit<Req, Res extends WithError> (protocol: string, request: Codec<Req>, response: Codec<Res>): CallInit<Req, Res> {
  return { protocol, request, response, maxResponseBytes: MAX_RESPONSE_BYTES, errorOf: r => r.error }
}
