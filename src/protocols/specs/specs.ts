import { pbStream } from '@libp2p/utils'
import { peerIdFromString } from '@libp2p/peer-id'
import { InvalidRecordError, openRecord } from '../../records/index.js'
import { MAX_INBOUND_STREAMS, MAX_OUTBOUND_STREAMS, MAX_RECORDS, MAX_REQUEST_BYTES, MAX_RESPONSE_BYTES, PROTOCOL, RATE_LIMIT, TIMEOUT } from './constants.js'
import { SpecsRequest, SpecsResponse } from './pb/specs.js'
import { withTimeout } from '../../signals.js'
import { PeerStreams } from '../peer-streams.js'
import { PeerRateLimiter } from '../rate-limit.js'
import { toWireError } from '../rpc.js'
import type { SpecsComponents, SpecsInit } from './index.js'
import type { SignedResourceRecord } from '../../records/index.js'
import type { AbortOptions, Connection, Logger, Startable, Stream } from '@libp2p/interface'

export class SpecsError extends Error {
  static readonly code = 'ERR_SPECS'
  readonly code = SpecsError.code
  override name = 'SpecsError'
}

/**
 * /p2prc/specs/1.0.0: one request, one response per stream. A peer answers SELF with its own
 * freshly measured record and KNOWN with every unexpired record it holds; the caller verifies each.
 */
export class Specs implements Startable {
  private readonly log: Logger
  private readonly limiter = new PeerRateLimiter(RATE_LIMIT, 'specs')
  private readonly streams = new PeerStreams(MAX_INBOUND_STREAMS)

  constructor (private readonly components: SpecsComponents, private readonly init: SpecsInit = {}) {
    this.log = components.logger.forComponent('p2prc:specs')
  }

  async start (): Promise<void> {
    await this.components.registrar.handle(PROTOCOL, this.handle, {
      maxInboundStreams: MAX_INBOUND_STREAMS,
      maxOutboundStreams: MAX_OUTBOUND_STREAMS,
      runOnLimitedConnection: true
    })
  }

  async stop (): Promise<void> {
    await this.components.registrar.unhandle(PROTOCOL)
  }

  /** The peer's own current record, measured now. */
  async fetchSelf (peerId: string, options: AbortOptions = {}): Promise<SignedResourceRecord> {
    const records = await this.request(peerId, SpecsRequest.Kind.SELF, options)
    const own = records.find(r => r.record.peerId === peerId)
    if (own == null) throw new SpecsError(`${peerId} sent no record of its own`)
    return own
  }

  /** Every record the peer knows, each verified; invalid ones are dropped and counted. */
  async fetchKnown (peerId: string, options: AbortOptions = {}): Promise<SignedResourceRecord[]> {
    return this.request(peerId, SpecsRequest.Kind.KNOWN, options)
  }

  private async request (peerId: string, kind: SpecsRequest.Kind, options: AbortOptions): Promise<SignedResourceRecord[]> {
    const signal = withTimeout(options.signal, this.init.timeout ?? TIMEOUT)
    const stream = await this.components.dialer.dialProtocol(peerIdFromString(peerId), PROTOCOL, { signal, runOnLimitedConnection: true })
    try {
      const pb = pbStream(stream, { maxDataLength: MAX_RESPONSE_BYTES })
      await pb.write({ kind }, SpecsRequest, { signal })
      const response = await pb.read(SpecsResponse, { signal, limits: { records: MAX_RECORDS } })
      await stream.close({ signal })
      if (response.status !== SpecsResponse.Status.OK) throw new SpecsError(`${peerId} answered: ${response.message}`)
      const verified: SignedResourceRecord[] = []
      for (const bytes of response.records) {
        try {
          // SELF must be the peer's own; KNOWN records may be anyone's, each signed by its author.
          verified.push(await openRecord(bytes, { expectedSigner: kind === SpecsRequest.Kind.SELF ? peerId : undefined, signal }))
          this.components.metrics.accept('specs')
        } catch (err: any) {
          this.components.metrics.reject('specs', err instanceof InvalidRecordError ? err.reason : 'malformed')
        }
      }
      return verified
    } catch (err: any) {
      stream.abort(err)
      throw err
    }
  }

  private readonly handle = async (stream: Stream, connection: Connection): Promise<void> => {
    const peer = connection.remotePeer.toString()
    if (!this.streams.take(peer)) {
      stream.abort(new Error('too many streams'))
      return
    }
    try {
      await this.answer(stream, connection)
    } finally {
      this.streams.release(peer)
    }
  }

  private async answer (stream: Stream, connection: Connection): Promise<void> {
    const signal = AbortSignal.timeout(this.init.timeout ?? TIMEOUT)
    const pb = pbStream(stream, { maxDataLength: MAX_REQUEST_BYTES })
    try {
      const request = await pb.read(SpecsRequest, { signal })
      let records: Uint8Array[]
      try {
        this.limiter.take(connection.remotePeer.toString())
        records = request.kind === SpecsRequest.Kind.KNOWN
          ? this.components.knownRecords().slice(0, MAX_RECORDS)
          : [await this.components.ownRecord({ signal })]
      } catch (err: any) {
        const { message } = toWireError(this.log, PROTOCOL, connection.remotePeer.toString(), err)
        await pb.write({ status: SpecsResponse.Status.ERROR, message, records: [] }, SpecsResponse, { signal })
        await stream.close({ signal })
        return
      }
      await pb.write({ status: SpecsResponse.Status.OK, message: '', records: records as SpecsResponse['records'] }, SpecsResponse, { signal })
      await stream.close({ signal })
    } catch (err: any) {
      this.log('specs request from %p failed: %s', connection.remotePeer, err.message)
      stream.abort(err)
    }
  }
}
