import { validateRunRequest } from '../../containers/run-request.js'
import { callUntilFinal, serve } from '../rpc.js'
import { MAX_INBOUND_STREAMS, MAX_REQUEST_BYTES, MAX_RESPONSE_BYTES, REQUEST_TIMEOUT, RUN_PROTOCOL, RUN_TIMEOUT } from './constants.js'
import { containerFromWire, containerToWire } from '../containers/convert.js'
import { RunRequest as WireRequest, RunResponse } from './pb/run.js'
import type { HostContainers } from '../../containers/host-containers.js'
import type { ContainerView, PullProgressEvent, RunRequest } from '../../containers/types.js'
import type { RpcHost } from '../rpc.js'
import type { AbortOptions, Logger } from '@libp2p/interface'

/** The node's container host; throws NoComputeError on a node without Docker. */
export type ContainerHost = () => HostContainers

export function requestToWire (request: RunRequest): WireRequest {
  return {
    image: request.image,
    cmd: request.cmd,
    env: new Map(Object.entries(request.env)),
    ports: request.ports,
    cpuMillis: request.cpus != null ? Math.round(request.cpus * 1000) : 0,
    memoryBytes: request.memoryBytes ?? 0,
    gpus: request.gpus === 'all' ? -1 : request.gpus,
    ttlMs: request.ttlMs ?? 0,
    name: request.name ?? '',
    requestId: request.requestId ?? ''
  }
}

/** Off the wire: zeros mean "the host's default"; then the same checks as the API's. */
export function requestFromWire (wire: WireRequest): RunRequest {
  return validateRunRequest({
    image: wire.image,
    cmd: wire.cmd,
    env: Object.fromEntries(wire.env),
    ports: wire.ports,
    cpus: wire.cpuMillis > 0 ? wire.cpuMillis / 1000 : null,
    memoryBytes: wire.memoryBytes !== 0 ? wire.memoryBytes : null,
    gpus: wire.gpus < 0 ? 'all' : wire.gpus,
    ttlMs: wire.ttlMs !== 0 ? wire.ttlMs : null,
    name: wire.name !== '' ? wire.name : null,
    requestId: wire.requestId !== '' ? wire.requestId : null
  })
}

/** Serves /p2prc/run/1.0.0: validate, admit under the policy, pull (streaming progress), run. */
export async function serveRun (host: RpcHost, containers: ContainerHost, log: Logger): Promise<void> {
  await serve(host, {
    protocol: RUN_PROTOCOL,
    request: WireRequest,
    response: RunResponse,
    errorResponse: error => ({ error }),
    maxRequestBytes: MAX_REQUEST_BYTES,
    requestTimeout: REQUEST_TIMEOUT,
    maxInboundStreams: MAX_INBOUND_STREAMS,
    log
  }, async (wire, ctx) => {
    const request = requestFromWire(wire)
    const pending: Array<Promise<void>> = []
    const view = await containers().run(ctx.remotePeer, request, {
      signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(RUN_TIMEOUT)]),
      onProgress: p => {
        pending.push(ctx.send({ progress: { layer: p.layer ?? '', status: p.status, currentBytes: p.currentBytes != null ? p.currentBytes : undefined, totalBytes: p.totalBytes != null ? p.totalBytes : undefined } }).catch(() => {}))
      }
    })
    await Promise.all(pending)
    await ctx.send({ container: containerToWire(view) })
  })
}

/** Asks a peer to run a container; resolves when it runs, reporting pull progress on the way. */
export async function runOn (host: RpcHost, peerId: string, request: RunRequest, options: AbortOptions & { onProgress?: (p: PullProgressEvent) => void } = {}): Promise<ContainerView> {
  const signal = options.signal != null ? AbortSignal.any([options.signal, AbortSignal.timeout(RUN_TIMEOUT)]) : AbortSignal.timeout(RUN_TIMEOUT)
  const response = await callUntilFinal(host, peerId, {
    protocol: RUN_PROTOCOL,
    request: WireRequest,
    response: RunResponse,
    maxResponseBytes: MAX_RESPONSE_BYTES,
    errorOf: r => r.error
  }, requestToWire(request), r => {
    if (r.progress == null) return false
    options.onProgress?.({
      layer: r.progress.layer !== '' ? r.progress.layer : null,
      status: r.progress.status,
      currentBytes: r.progress.currentBytes != null ? r.progress.currentBytes : null,
      totalBytes: r.progress.totalBytes != null ? r.progress.totalBytes : null
    })
    return true
  }, { signal })
  if (response.container == null) throw new Error(`${peerId} answered run without a container`)
  return containerFromWire(peerId, response.container)
}
