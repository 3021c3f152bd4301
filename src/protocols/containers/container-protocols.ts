import { InvalidArgumentError } from '../../errors.js'
import { call, callOnce, serve } from '../rpc.js'
import { CALL_TIMEOUT, KILL_PROTOCOL, LIST_PROTOCOL, LOGS_PROTOCOL, MAX_INBOUND_STREAMS, MAX_LOG_CHUNK, MAX_REQUEST_BYTES, MAX_RESPONSE_BYTES, REQUEST_TIMEOUT, STATS_PROTOCOL } from './constants.js'
import { containerFromWire, containerToWire, sampleFromWire, sampleToWire } from './convert.js'
import { Chunk, KillRequest, KillResponse, ListRequest, ListResponse, LogsRequest, LogsResponse, StatsRequest, StatsResponse } from './pb/containers.js'
import type { ContainerHost } from '../run/run-protocol.js'
import type { CallInit, RpcHost } from '../rpc.js'
import type { ContainerView, LogLine, StatsView } from '../../containers/types.js'
import type { AbortOptions, Logger } from '@libp2p/interface'

const serveInit = <Req, Res>(protocol: string, request: CallInit<Req, Res>['request'], response: CallInit<Req, Res>['response'], errorResponse: (e: { code: string, message: string }) => Res, log: Logger) => ({
  protocol, request, response, errorResponse, log, maxRequestBytes: MAX_REQUEST_BYTES, requestTimeout: REQUEST_TIMEOUT, maxInboundStreams: MAX_INBOUND_STREAMS
})

/** Serves list, kill, stats and logs for the containers this node runs (owner only). */
export async function serveContainerProtocols (host: RpcHost, containers: ContainerHost, log: Logger): Promise<void> {
  await serve(host, serveInit(LIST_PROTOCOL, ListRequest, ListResponse, error => ({ containers: [], error }), log), async (_request, ctx) => {
    const views = await containers().list(ctx.remotePeer, { signal: ctx.signal })
    await ctx.send({ containers: views.map(containerToWire) })
  })
  await serve(host, serveInit(KILL_PROTOCOL, KillRequest, KillResponse, error => ({ error }), log), async (request, ctx) => {
    const view = await containers().kill(ctx.remotePeer, checked(request.container), { signal: ctx.signal })
    await ctx.send({ container: containerToWire(view) })
  })
  await serve(host, serveInit(STATS_PROTOCOL, StatsRequest, StatsResponse, error => ({ error }), log), async (request, ctx) => {
    const host = containers()
    if (!request.stream) {
      await ctx.send({ sample: sampleToWire(await host.stats(ctx.remotePeer, checked(request.container), { signal: ctx.signal })) })
      return
    }
    for await (const sample of host.statsStream(ctx.remotePeer, checked(request.container), { signal: ctx.signal })) {
      await ctx.send({ sample: sampleToWire(sample) })
    }
  })
  await serve(host, serveInit(LOGS_PROTOCOL, LogsRequest, LogsResponse, error => ({ error }), log), async (request, ctx) => {
    const tail = request.tail < 0 ? 'all' : request.tail
    for await (const line of containers().logs(ctx.remotePeer, checked(request.container), { follow: request.follow, tail }, { signal: ctx.signal })) {
      for (let at = 0; at < line.data.byteLength; at += MAX_LOG_CHUNK) {
        await ctx.send({ chunk: { stream: line.stream === 'stderr' ? Chunk.Stream.STDERR : Chunk.Stream.STDOUT, data: line.data.subarray(at, at + MAX_LOG_CHUNK) as Uint8Array<ArrayBuffer> } })
      }
    }
  })
}

/** Refs are IDs, prefixes or names: short and printable. Anything else cannot match anything. */
function checked (ref: string): string {
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/.test(ref)) throw new InvalidArgumentError(`'${ref.slice(0, 40)}' is not a container ID or name`)
  return ref
}

const callInit = <Req, Res extends { error?: { code: string, message: string } }>(protocol: string, request: CallInit<Req, Res>['request'], response: CallInit<Req, Res>['response']): CallInit<Req, Res> => ({
  protocol, request, response, maxResponseBytes: MAX_RESPONSE_BYTES, errorOf: r => r.error
})

const withTimeout = (options: AbortOptions): AbortSignal => options.signal != null ? AbortSignal.any([options.signal, AbortSignal.timeout(CALL_TIMEOUT)]) : AbortSignal.timeout(CALL_TIMEOUT)

export async function listOn (host: RpcHost, peerId: string, options: AbortOptions = {}): Promise<ContainerView[]> {
  const response = await callOnce(host, peerId, callInit(LIST_PROTOCOL, ListRequest, ListResponse), {}, { signal: withTimeout(options) })
  return response.containers.map(c => containerFromWire(peerId, c))
}

export async function killOn (host: RpcHost, peerId: string, container: string, options: AbortOptions = {}): Promise<ContainerView> {
  const response = await callOnce(host, peerId, callInit(KILL_PROTOCOL, KillRequest, KillResponse), { container }, { signal: withTimeout(options) })
  if (response.container == null) throw new Error(`${peerId} answered kill without the container`)
  return containerFromWire(peerId, response.container)
}

export async function statsOn (host: RpcHost, peerId: string, container: string, options: AbortOptions = {}): Promise<StatsView> {
  const response = await callOnce(host, peerId, callInit(STATS_PROTOCOL, StatsRequest, StatsResponse), { container, stream: false }, { signal: withTimeout(options) })
  if (response.sample == null) throw new Error(`${peerId} answered stats without a sample`)
  return sampleFromWire(response.sample)
}

export async function * statsStreamOn (host: RpcHost, peerId: string, container: string, options: AbortOptions = {}): AsyncGenerator<StatsView> {
  for await (const response of call(host, peerId, callInit(STATS_PROTOCOL, StatsRequest, StatsResponse), { container, stream: true }, options)) {
    if (response.sample != null) yield sampleFromWire(response.sample)
  }
}

export async function * logsOn (host: RpcHost, peerId: string, container: string, opts: { follow: boolean, tail: number | 'all' }, options: AbortOptions = {}): AsyncGenerator<LogLine> {
  const request = { container, follow: opts.follow, tail: opts.tail === 'all' ? -1 : opts.tail }
  for await (const response of call(host, peerId, callInit(LOGS_PROTOCOL, LogsRequest, LogsResponse), request, options)) {
    if (response.chunk != null) yield { stream: response.chunk.stream === Chunk.Stream.STDERR ? 'stderr' : 'stdout', data: response.chunk.data }
  }
}
