import { ProtocolError } from '../../errors.js'
import { withTimeout } from '../../signals.js'
import { containerFromWire, containerToWire } from '../common/index.js'
import { callUntilFinal, handlerOptions, rpcHandler } from '../rpc.js'
import { MAX_REQUEST_BYTES, MAX_RESPONSE_BYTES, MAX_STREAMS, RATE_LIMIT, REQUEST_TIMEOUT, RUN_PROTOCOL, RUN_TIMEOUT } from './constants.js'
import { RunRequest as WireRequest, RunResponse } from './pb/run.js'
import { requestFromWire, requestToWire } from './request-wire.js'
import type { RunComponents, RunInit, RunOptions } from './index.js'
import type { ContainerView, RunRequest } from '../../containers/types.js'
import type { HandlerContext } from '../rpc.js'
import type { Logger, Startable } from '@libp2p/interface'

/**
 * /p2prc/run/1.0.0: a requester asks this node to run a container (validate, admit under the
 * owner's policy, pull with progress, run), and this node asks peers to run containers.
 */
export class RunProtocol implements Startable {
  private readonly log: Logger
  private readonly runTimeout: number

  constructor (private readonly components: RunComponents, init: RunInit = {}) {
    this.log = components.logger.forComponent('p2prc:run')
    this.runTimeout = init.runTimeout ?? RUN_TIMEOUT
  }

  async start (): Promise<void> {
    await this.components.registrar.handle(RUN_PROTOCOL, rpcHandler({
      protocol: RUN_PROTOCOL,
      request: WireRequest,
      response: RunResponse,
      errorResponse: error => ({ error }),
      maxRequestBytes: MAX_REQUEST_BYTES,
      requestTimeout: REQUEST_TIMEOUT,
      rateLimit: RATE_LIMIT,
      maxStreamsPerPeer: MAX_STREAMS,
      // Running a container is the most a peer can ask: only of one that has shown who it is.
      admit: this.components.admit,
      log: this.log
    }, this.serve), handlerOptions(MAX_STREAMS))
  }

  async stop (): Promise<void> {
    await this.components.registrar.unhandle(RUN_PROTOCOL)
  }

  /** Asks a peer to run a container; resolves when it runs, reporting pull progress on the way. */
  async run (peerId: string, request: RunRequest, options: RunOptions = {}): Promise<ContainerView> {
    const response = await callUntilFinal(this.components.dialer, peerId, {
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
        currentBytes: r.progress.currentBytes ?? null,
        totalBytes: r.progress.totalBytes ?? null
      })
      return true
    }, { signal: withTimeout(options.signal, this.runTimeout) })
    if (response.container == null) throw new ProtocolError(`${peerId} answered run without a container`)
    return containerFromWire(peerId, response.container)
  }

  private readonly serve = async (wire: WireRequest, ctx: HandlerContext<RunResponse>): Promise<void> => {
    const request = requestFromWire(wire)
    const pending: Array<Promise<void>> = []
    const view = await this.components.guests().run(ctx.remotePeer, request, {
      signal: withTimeout(ctx.signal, this.runTimeout),
      onProgress: p => {
        pending.push(ctx.send({ progress: { layer: p.layer ?? '', status: p.status, currentBytes: p.currentBytes ?? undefined, totalBytes: p.totalBytes ?? undefined } }).catch(() => {}))
      }
    })
    await Promise.all(pending)
    await ctx.send({ container: containerToWire(view) })
  }
}
