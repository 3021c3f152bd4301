import { DaemonNotRunningError, errorFromCode } from '../errors.js'
import type { NodeInfo, PeerRecordView, PeerSummary } from '../core/p2prc-node.js'
import type { Resources } from '../records/index.js'
import type { AbortOptions } from '@libp2p/interface'

/** Requests to the daemon that take longer than this fail; streams are exempt. */
const REQUEST_TIMEOUT = 60_000

export interface PeersQuery {
  gpu?: boolean
  minCpus?: number
  /** As the user typed it (`8g`); the daemon parses it. */
  minMemory?: string
  label?: string[]
  /** Also search the DHT for providers (docker, or gpu with `gpu`). */
  discover?: boolean
}

export interface NodeStatus extends NodeInfo {
  docker: { available: boolean, version: string | null, reason: string | null }
  resources: Resources
}

/**
 * The control API's client: what the CLI (and any other program) uses to talk to a daemon.
 * Error answers become the same typed errors the daemon raised.
 */
export class ApiClient {
  constructor (private readonly url: string, private readonly token: string) {}

  async node (options: AbortOptions = {}): Promise<NodeStatus> {
    return this.request('GET', '/v1/node', undefined, options)
  }

  async peers (query: PeersQuery = {}, options: AbortOptions = {}): Promise<PeerSummary[]> {
    const params = new URLSearchParams()
    if (query.gpu === true) params.set('gpu', 'true')
    if (query.minCpus != null) params.set('minCpus', String(query.minCpus))
    if (query.minMemory != null) params.set('minMemory', query.minMemory)
    for (const label of query.label ?? []) params.append('label', label)
    if (query.discover === true) params.set('discover', 'true')
    const search = params.size > 0 ? `?${params.toString()}` : ''
    return this.request('GET', `/v1/peers${search}`, undefined, options)
  }

  async resources (peer: string, options: AbortOptions & { source?: 'peer' | 'dht' } = {}): Promise<PeerRecordView> {
    const query = options.source != null ? `?source=${options.source}` : ''
    return this.request('GET', `/v1/peers/${encodeURIComponent(peer)}/resources${query}`, undefined, options)
  }

  async connect (multiaddr: string, options: AbortOptions = {}): Promise<{ peerId: string, multiaddr: string }> {
    return this.request('POST', '/v1/connect', { multiaddr }, options)
  }

  async request<T> (method: string, path: string, body?: unknown, options: AbortOptions = {}): Promise<T> {
    const signal = AbortSignal.any([options.signal ?? AbortSignal.timeout(REQUEST_TIMEOUT), AbortSignal.timeout(REQUEST_TIMEOUT)])
    let response: Response
    try {
      response = await fetch(this.url + path, {
        method,
        signal,
        headers: {
          authorization: `Bearer ${this.token}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {})
        },
        body: body !== undefined ? JSON.stringify(body) : undefined
      })
    } catch (err: any) {
      if (err.name === 'TimeoutError' || err.name === 'AbortError') throw err
      throw new DaemonNotRunningError(`cannot reach the daemon at ${this.url} (${err.cause?.code ?? err.message}); is it running? ('p2prc start')`)
    }
    const text = await response.text()
    let json: any
    try {
      json = text === '' ? null : JSON.parse(text)
    } catch {
      throw errorFromCode('ERR_BAD_RESPONSE', `the daemon answered ${response.status} with something that is not JSON`)
    }
    if (!response.ok) {
      throw errorFromCode(json?.error?.code ?? 'ERR_HTTP', json?.error?.message ?? `HTTP ${response.status}`)
    }
    return json as T
  }
}
