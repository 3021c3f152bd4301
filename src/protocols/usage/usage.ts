import { InvalidArgumentError } from '../../errors.js'
import { withTimeout } from '../../signals.js'
import { callOnce, handlerOptions, rpcHandler } from '../rpc.js'
import { CALL_TIMEOUT, MAX_COUNTERSIGNS_PER_REQUEST, MAX_RECEIPTS_PER_RESPONSE, MAX_REQUEST_BYTES, MAX_RESPONSE_BYTES, MAX_STREAMS, RATE_LIMIT, REQUEST_TIMEOUT, USAGE_PROTOCOL } from './constants.js'
import { UsageRequest, UsageResponse } from './pb/usage.js'
import type { UsageComponents } from './index.js'
import type { ReceiptSource } from '../../usage/index.js'
import type { CallInit } from '../rpc.js'
import type { AbortOptions, Logger, Startable } from '@libp2p/interface'

const CALL: CallInit<UsageRequest, UsageResponse> = {
  protocol: USAGE_PROTOCOL,
  request: UsageRequest,
  response: UsageResponse,
  maxResponseBytes: MAX_RESPONSE_BYTES,
  errorOf: r => r.error
}

/**
 * /p2prc/usage: a host hands each owner the receipts of the owner's own containers and keeps the
 * owner's countersignatures of them; the same calls to hosts, for the owner's side (OwnerUsage).
 */
export class UsageProtocol implements Startable, ReceiptSource {
  private readonly log: Logger

  constructor (private readonly components: UsageComponents) {
    this.log = components.logger.forComponent('p2prc:usage-protocol')
  }

  async start (): Promise<void> {
    const init = {
      protocol: USAGE_PROTOCOL,
      request: UsageRequest,
      response: UsageResponse,
      errorResponse: (error: { code: string, message: string }) => ({ receipts: [], more: false, running: 0, accepted: 0, error }),
      log: this.log,
      maxRequestBytes: MAX_REQUEST_BYTES,
      requestTimeout: REQUEST_TIMEOUT,
      rateLimit: RATE_LIMIT,
      maxStreamsPerPeer: MAX_STREAMS,
      admit: this.components.admit
    }
    await this.components.registrar.handle(USAGE_PROTOCOL, rpcHandler(init, async (request, ctx) => {
      const { usage } = this.components
      if (request.kind === UsageRequest.Kind.COUNTERSIGN) {
        if (request.countersignatures.length > MAX_COUNTERSIGNS_PER_REQUEST) throw new InvalidArgumentError(`at most ${MAX_COUNTERSIGNS_PER_REQUEST} countersignatures in one request`)
        const accepted = await usage.countersigned(ctx.remotePeer, request.countersignatures)
        await ctx.send({ receipts: [], more: false, running: 0, accepted })
        return
      }
      if (request.kind !== UsageRequest.Kind.RECEIPTS) throw new InvalidArgumentError('unknown request kind')
      if (!Number.isFinite(request.sinceMs) || request.sinceMs < 0) throw new InvalidArgumentError('since must be a time in ms since the epoch')
      const { receipts, more, running } = usage.receiptsFor(ctx.remotePeer, request.sinceMs, MAX_RECEIPTS_PER_RESPONSE)
      await ctx.send({ receipts: receipts as Array<Uint8Array<ArrayBuffer>>, more, running, accepted: 0 })
    }), handlerOptions(MAX_STREAMS))
  }

  async stop (): Promise<void> {
    await this.components.registrar.unhandle(USAGE_PROTOCOL)
  }

  /** The latest receipts of my containers on a host, issued at or after `since`. */
  async receipts (host: string, since: number, options: AbortOptions = {}): Promise<{ receipts: Uint8Array[], more: boolean, running: number }> {
    const response = await callOnce(this.components.dialer, host, CALL, { kind: UsageRequest.Kind.RECEIPTS, sinceMs: since, countersignatures: [] }, { signal: withTimeout(options.signal, CALL_TIMEOUT) })
    return { receipts: response.receipts, more: response.more, running: response.running }
  }

  /** Gives a host my countersignatures of its receipts; how many it kept. */
  async countersign (host: string, envelopes: Uint8Array[], options: AbortOptions = {}): Promise<number> {
    let accepted = 0
    for (let at = 0; at < envelopes.length; at += MAX_COUNTERSIGNS_PER_REQUEST) {
      const chunk = envelopes.slice(at, at + MAX_COUNTERSIGNS_PER_REQUEST) as Array<Uint8Array<ArrayBuffer>>
      const response = await callOnce(this.components.dialer, host, CALL, { kind: UsageRequest.Kind.COUNTERSIGN, sinceMs: 0, countersignatures: chunk }, { signal: withTimeout(options.signal, CALL_TIMEOUT) })
      accepted += response.accepted
    }
    return accepted
  }
}
