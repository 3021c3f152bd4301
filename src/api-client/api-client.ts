import { ARCHIVE_HTTP } from '../contract/index.js'
import { DaemonNotRunningError, errorFromCode, ProtocolError } from '../errors.js'
import { openExec } from './exec-client.js'
import { exchange, readText } from './http-exchange.js'
import { anySignal, withTimeout } from '../signals.js'
import type { HttpAnswer } from './http-exchange.js'
import type { JobExecResult, JobLogLine, JobSubmission, JobView } from '../contract/index.js'
import type { ActivityEntry, ReceiptFile, UsageReport } from '../contract/index.js'
import type { ArchiveRead, ContainerList, ExecSession, ExecSpec, PathStat, InviteResult, SwarmInfo, SwarmRole, ConnectResult, ContainerView, ForwardView, HostCheck, LogEntry, LogsQuery, NodeStatus, PeerRecordView, PeerSummary, PullProgressEvent, RunSpec, StatsView } from '../contract/index.js'

export interface AbortOptions {
  signal?: AbortSignal
}

/** Requests to the daemon that take longer than this fail; streams are exempt. */
const REQUEST_TIMEOUT = 60_000

export interface PeersQuery {
  gpu?: boolean
  minCpus?: number
  /** As the user typed it (`8g`); the daemon parses it. */
  minMemory?: string
  label?: string[]
  /** Only peers whose guests run under this runtime (e.g. runsc). */
  runtime?: string
  /** Also search the DHT for providers (docker, or gpu with `gpu`). */
  discover?: boolean
}

export interface HostLogQuery {
  /** The last N matching entries. @default 100 (at most 10000) */
  tail?: number
  /** As the user typed it: a duration ago (`7d`) or an ISO time; the daemon parses it. */
  since?: string
  /** A peer ID, or the start of one. */
  peer?: string
  kinds?: Array<ActivityEntry['kind']>
}

/**
 * The control API's client: what the CLI (and any other program) uses to talk to a daemon.
 * Error answers become the same typed errors the daemon raised.
 */
export class ApiClient {
  constructor (private readonly url: string, private readonly token: string) {}

  /**
   * A one-time login URL for the web dashboard (`p2prc dashboard`). The code sits in the URL's
   * fragment, which a browser never sends to a server, and is spent on first use.
   */
  async dashboardUrl (options: AbortOptions = {}): Promise<{ url: string, expiresAt: string }> {
    const { code, expiresAt } = await this.request<{ code: string, expiresAt: string }>('POST', '/v1/dashboard/codes', undefined, options)
    return { url: `${this.url}/#code=${encodeURIComponent(code)}`, expiresAt }
  }

  async node (options: AbortOptions = {}): Promise<NodeStatus> {
    return this.request('GET', '/v1/node', undefined, options)
  }

  async peers (query: PeersQuery = {}, options: AbortOptions = {}): Promise<PeerSummary[]> {
    const params = new URLSearchParams()
    if (query.gpu === true) params.set('gpu', 'true')
    if (query.minCpus != null) params.set('minCpus', String(query.minCpus))
    if (query.minMemory != null) params.set('minMemory', query.minMemory)
    for (const label of query.label ?? []) params.append('label', label)
    if (query.runtime != null) params.set('runtime', query.runtime)
    if (query.discover === true) params.set('discover', 'true')
    const search = params.size > 0 ? `?${params.toString()}` : ''
    return this.request('GET', `/v1/peers${search}`, undefined, options)
  }

  async resources (peer: string, options: AbortOptions & { source?: 'peer' | 'dht' } = {}): Promise<PeerRecordView> {
    const query = options.source != null ? `?source=${options.source}` : ''
    return this.request('GET', `/v1/peers/${encodeURIComponent(peer)}/resources${query}`, undefined, options)
  }

  async connect (multiaddr: string, options: AbortOptions = {}): Promise<ConnectResult> {
    return this.request('POST', '/v1/connect', { multiaddr }, options)
  }

  /** Runs a container on a peer (`auto`: the best that fits); resolves once it runs. */
  async run (peer: string, body: RunSpec & { labels?: string[], runtime?: string }, options: AbortOptions & { onProgress?: (p: PullProgressEvent) => void } = {}): Promise<ContainerView> {
    const response = await this.send('POST', `/v1/peers/${encodeURIComponent(peer)}/containers`, body, { signal: options.signal, accept: NDJSON }, RUN_TIMEOUT)
    for await (const line of readNdjson<{ progress?: PullProgressEvent, container?: ContainerView }>(response)) {
      if (line.progress != null) options.onProgress?.(line.progress)
      if (line.container != null) return line.container
    }
    throw new ProtocolError('the daemon ended the run without an answer')
  }

  async containers (peer?: string, options: AbortOptions = {}): Promise<ContainerView[]> {
    return this.request('GET', peer == null ? '/v1/containers' : `/v1/peers/${encodeURIComponent(peer)}/containers`, undefined, options)
  }

  async stats (peer: string, container: string, options: AbortOptions = {}): Promise<StatsView> {
    return this.request('GET', `${containerPath(peer, container)}/stats?stream=false`, undefined, options)
  }

  async * statsStream (peer: string, container: string, options: AbortOptions = {}): AsyncGenerator<StatsView> {
    const response = await this.send('GET', `${containerPath(peer, container)}/stats?stream=true`, undefined, { signal: options.signal, accept: NDJSON }, null)
    yield * readNdjson<StatsView>(response)
  }

  async * logs (peer: string, container: string, query: LogsQuery, options: AbortOptions = {}): AsyncGenerator<LogEntry> {
    const response = await this.send('GET', `${containerPath(peer, container)}/logs?follow=${query.follow}&tail=${query.tail}`, undefined, { signal: options.signal, accept: NDJSON }, query.follow ? null : REQUEST_TIMEOUT)
    yield * readNdjson<LogEntry>(response)
  }

  async kill (peer: string, container: string, options: AbortOptions = {}): Promise<ContainerView> {
    return this.request('DELETE', containerPath(peer, container), undefined, options)
  }

  /** Removes one of my containers that has exited (`p2prc rm`). */
  async remove (peer: string, container: string, options: AbortOptions = {}): Promise<ContainerView> {
    return this.request('POST', `${containerPath(peer, container)}/remove`, undefined, options)
  }

  /** My containers on every peer, and the peers that did not answer (`ps`). */
  async containersEverywhere (options: AbortOptions = {}): Promise<ContainerList> {
    const answer = await this.request<ContainerView[] | ContainerList>('GET', '/v1/containers', undefined, options)
    return Array.isArray(answer) ? { containers: answer, unreachable: [] } : answer
  }

  /**
   * Runs a command in one of my containers on a peer (`p2prc exec`), over a WebSocket; resolves
   * once it runs. Read the session's output to its end, then `wait()` for the exit code.
   */
  async exec (peer: string, container: string, spec: ExecSpec, options: AbortOptions = {}): Promise<ExecSession> {
    return this.openExec(`${containerPath(peer, container)}/exec`, spec, options)
  }

  /** The operator's exec into any container this node runs for others (`p2prc host exec`). */
  async hostExec (container: string, spec: ExecSpec, options: AbortOptions = {}): Promise<ExecSession> {
    return this.openExec(`/v1/host/containers/${encodeURIComponent(container)}/exec`, spec, options)
  }

  /** What a path in one of my containers is. */
  async statPath (peer: string, container: string, path: string, options: AbortOptions = {}): Promise<PathStat> {
    return this.request('GET', `${containerPath(peer, container)}/stat?path=${encodeURIComponent(path)}`, undefined, options)
  }

  /** A path out of one of my containers as a tar stream (`p2prc cp PEER:C:PATH DEST`). */
  async readArchive (peer: string, container: string, path: string, options: AbortOptions = {}): Promise<ArchiveRead> {
    const response = await this.send('GET', `${containerPath(peer, container)}/archive?path=${encodeURIComponent(path)}`, undefined, { signal: options.signal, accept: TAR }, null)
    if (!response.ok) throw await errorOf(response)
    const header = response.body.headers[ARCHIVE_HTTP.statHeader]
    const stat = typeof header === 'string' ? JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as PathStat : null
    if (stat == null) throw new ProtocolError('the daemon sent an archive without saying what the path is')
    return { stat, tar: readTar(response) }
  }

  /** A tar stream of `size` bytes into a directory of one of my containers (`p2prc cp SRC PEER:C:DIR`). */
  async writeArchive (peer: string, container: string, directory: string, size: number, tar: AsyncIterable<Uint8Array>, options: AbortOptions = {}): Promise<void> {
    // A refusal can come before the archive is all sent: the upload is then cut, not finished.
    const upload = new AbortController()
    const signal = anySignal(options.signal, upload.signal)
    const response = await this.send('PUT', `${containerPath(peer, container)}/archive?path=${encodeURIComponent(directory)}&size=${size}`, tar, { signal, contentType: TAR }, null)
    if (!response.ok) {
      const error = await errorOf(response)
      upload.abort()
      throw error
    }
    await readText(response.body)
  }

  private async openExec (path: string, spec: ExecSpec, options: AbortOptions): Promise<ExecSession> {
    const { WebSocket } = await import('ws')
    const url = new URL(this.url + path)
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
    for (const arg of spec.cmd) url.searchParams.append('cmd', arg)
    for (const [key, value] of Object.entries(spec.env ?? {})) url.searchParams.append('env', `${key}=${value}`)
    if (spec.workdir != null) url.searchParams.set('workdir', spec.workdir)
    if (spec.user != null) url.searchParams.set('user', spec.user)
    if (spec.tty === true) url.searchParams.set('tty', 'true')
    if (spec.stdin === true) url.searchParams.set('stdin', 'true')
    if (spec.size != null) {
      url.searchParams.set('rows', String(spec.size.rows))
      url.searchParams.set('cols', String(spec.size.cols))
    }
    const socket = new WebSocket(url, { headers: { authorization: `Bearer ${this.token}` }, perMessageDeflate: false })
    return openExec(socket, options.signal)
  }

  async forward (peer: string, container: string, port: number, local?: string, options: AbortOptions = {}): Promise<ForwardView> {
    return this.request('POST', '/v1/forwards', { peer, container, port, ...(local != null ? { local } : {}) }, options)
  }

  async forwards (options: AbortOptions = {}): Promise<ForwardView[]> {
    return this.request('GET', '/v1/forwards', undefined, options)
  }

  async closeForward (id: string, options: AbortOptions = {}): Promise<ForwardView> {
    return this.request('DELETE', `/v1/forwards/${encodeURIComponent(id)}`, undefined, options)
  }

  async hostContainers (options: AbortOptions = {}): Promise<ContainerView[]> {
    return this.request('GET', '/v1/host/containers', undefined, options)
  }

  /** What keeps guests apart from this host and from each other, and what is missing. */
  async hostCheck (options: AbortOptions = {}): Promise<HostCheck[]> {
    return this.request('GET', '/v1/host/check', undefined, options)
  }

  async hostKill (container: string, options: AbortOptions = {}): Promise<ContainerView> {
    return this.request('DELETE', `/v1/host/containers/${encodeURIComponent(container)}`, undefined, options)
  }

  /** The host's activity log: the last entries that match, oldest first (`p2prc host log`). */
  async hostLog (query: HostLogQuery = {}, options: AbortOptions = {}): Promise<ActivityEntry[]> {
    return this.request('GET', `/v1/host/log${hostLogSearch(query, false)}`, undefined, options)
  }

  /** The last entries, then each new one as it happens, until the signal aborts (`p2prc host log -f`). */
  async * followHostLog (query: HostLogQuery = {}, signal?: AbortSignal): AsyncGenerator<ActivityEntry> {
    const response = await this.send('GET', `/v1/host/log${hostLogSearch(query, true)}`, undefined, { signal, accept: NDJSON }, null)
    yield * readNdjson<ActivityEntry>(response)
  }

  /** `host usage`: what guests' containers used here, per owner and per container. */
  async hostUsage (filter: UsageFilter = {}, options: AbortOptions = {}): Promise<UsageReport> {
    return this.request('GET', `/v1/host/usage${usageSearch(filter)}`, undefined, options)
  }

  /** The operator's copy of a container's receipt (and its owner's countersignature once given). */
  async hostReceipt (container: string, options: AbortOptions = {}): Promise<ReceiptFile> {
    return this.request('GET', `/v1/host/usage/receipts/${encodeURIComponent(container)}`, undefined, options)
  }

  /** `usage`: what my containers used on each host, from the hosts' receipts (fetched and countersigned first). */
  async usage (filter: UsageFilter = {}, options: AbortOptions = {}): Promise<UsageReport> {
    return this.request('GET', `/v1/usage${usageSearch(filter)}`, undefined, options)
  }

  /** A receipt pair of one of my containers, as a file. */
  async receipt (container: string, peer?: string, options: AbortOptions = {}): Promise<ReceiptFile> {
    return this.request('GET', `/v1/usage/receipts/${encodeURIComponent(container)}${usageSearch({ peer })}`, undefined, options)
  }

  async swarm (options: AbortOptions = {}): Promise<SwarmInfo | null> {
    return (await this.request<{ swarm: SwarmInfo | null }>('GET', '/v1/swarm', undefined, options)).swarm
  }

  /** Makes a private swarm with this node as its creator; the daemon restarts its node into it. */
  async createSwarm (options: AbortOptions = {}): Promise<{ swarmId: string }> {
    return this.request('POST', '/v1/swarm', undefined, options)
  }

  /** Binds the node to an invite; the daemon restarts its node, and a member admits it (watch `swarm()`). */
  async joinSwarm (token: string, options: AbortOptions = {}): Promise<{ swarmId: string, role: SwarmRole }> {
    return this.request('POST', '/v1/swarm/join', { token }, options)
  }

  async leaveSwarm (options: AbortOptions = {}): Promise<void> {
    await this.request('DELETE', '/v1/swarm', undefined, options)
  }

  async invite (body: { ttl?: string, uses?: number, role?: SwarmRole } = {}, options: AbortOptions = {}): Promise<InviteResult> {
    return this.request('POST', '/v1/swarm/invites', body, options)
  }

  async revoke (what: { peer?: string, invite?: string }, options: AbortOptions = {}): Promise<SwarmInfo> {
    return this.request('POST', '/v1/swarm/revoke', what, options)
  }

  async rotateSwarmKey (options: AbortOptions = {}): Promise<SwarmInfo> {
    return this.request('POST', '/v1/swarm/rotate', undefined, options)
  }

  /** Submits a job (a job file's text, or a spec); it starts at once. */
  async submitJob (submission: JobSubmission, options: AbortOptions = {}): Promise<JobView> {
    return this.request('POST', '/v1/jobs', submission, options)
  }

  async jobs (options: AbortOptions = {}): Promise<JobView[]> {
    return this.request('GET', '/v1/jobs', undefined, options)
  }

  async job (job: string, options: AbortOptions = {}): Promise<JobView> {
    return this.request('GET', `/v1/jobs/${encodeURIComponent(job)}`, undefined, options)
  }

  async cancelJob (job: string, options: AbortOptions = {}): Promise<JobView> {
    return this.request('POST', `/v1/jobs/${encodeURIComponent(job)}/cancel`, undefined, options)
  }

  /** Forgets a finished job, with its logs and outputs. */
  async removeJob (job: string, options: AbortOptions = {}): Promise<JobView> {
    return this.request('DELETE', `/v1/jobs/${encodeURIComponent(job)}`, undefined, options)
  }

  /** A command in every running task of a job; what each gave. */
  async execJob (job: string, cmd: string[], options: AbortOptions = {}): Promise<JobExecResult[]> {
    return this.request('POST', `/v1/jobs/${encodeURIComponent(job)}/exec`, { cmd }, options)
  }

  /** Every task's lines, each with its index; with follow, until the job ends. */
  async * jobLogs (job: string, query: { follow?: boolean } = {}, options: AbortOptions = {}): AsyncGenerator<JobLogLine> {
    const follow = query.follow === true
    const response = await this.send('GET', `/v1/jobs/${encodeURIComponent(job)}/logs?follow=${follow}`, undefined, { signal: options.signal, accept: NDJSON }, follow ? null : REQUEST_TIMEOUT)
    yield * readNdjson<JobLogLine>(response)
  }

  /** The outputs collected so far, as a tar stream of `<task index>/<path in the container>`. */
  async jobOutputs (job: string, options: AbortOptions = {}): Promise<AsyncIterable<Uint8Array>> {
    const response = await this.send('GET', `/v1/jobs/${encodeURIComponent(job)}/outputs`, undefined, { signal: options.signal, accept: TAR }, null)
    if (!response.ok) throw await errorOf(response)
    return readTar(response)
  }

  async request<T> (method: string, path: string, body?: unknown, options: AbortOptions = {}): Promise<T> {
    const response = await this.send(method, path, body, { signal: options.signal }, REQUEST_TIMEOUT)
    const text = await readText(response.body)
    let json: any
    try {
      json = text === '' ? null : JSON.parse(text)
    } catch {
      throw new ProtocolError(`the daemon answered ${response.status} with something that is not JSON`)
    }
    if (!response.ok) {
      throw errorFromCode(json?.error?.code ?? 'ERR_HTTP', json?.error?.message ?? `HTTP ${response.status}`)
    }
    return json as T
  }

  /** One HTTP exchange; an error status of a stream becomes its typed error. `timeout` null: none (streams). */
  private async send (method: string, path: string, body: unknown, opts: { signal?: AbortSignal, accept?: string, contentType?: string }, timeout: number | null): Promise<HttpAnswer> {
    let response: HttpAnswer
    try {
      response = await exchange(new URL(this.url + path), {
        method,
        signal: timeout != null ? withTimeout(opts.signal, timeout) : opts.signal,
        headers: {
          authorization: `Bearer ${this.token}`,
          ...(opts.accept != null ? { accept: opts.accept } : {}),
          ...(body !== undefined ? { 'content-type': opts.contentType ?? 'application/json' } : {})
        },
        body: body === undefined ? undefined : opts.contentType != null ? body as AsyncIterable<Uint8Array> : JSON.stringify(body)
      })
    } catch (err: any) {
      if (err.name === 'TimeoutError' || err.name === 'AbortError') throw err
      throw new DaemonNotRunningError(`cannot reach the daemon at ${this.url} (${err.code ?? err.message}); is it running? ('p2prc start')`)
    }
    if (!response.ok && response.contentType.includes('json') && opts.accept === NDJSON) {
      const json: any = await readText(response.body).then(text => JSON.parse(text), () => null)
      throw errorFromCode(json?.error?.code ?? 'ERR_HTTP', json?.error?.message ?? `HTTP ${response.status}`)
    }
    return response
  }
}

const NDJSON = 'application/x-ndjson'
const TAR = ARCHIVE_HTTP.contentType

/** The typed error of an error answer. */
async function errorOf (response: HttpAnswer): Promise<Error> {
  const json: any = await readText(response.body).then(text => JSON.parse(text), () => null)
  return errorFromCode(json?.error?.code ?? 'ERR_HTTP', json?.error?.message ?? `HTTP ${response.status}`)
}

/** An archive's bytes; a failure the daemon met after it began comes in a trailer, and is thrown at the end. */
async function * readTar (response: HttpAnswer): AsyncGenerator<Uint8Array> {
  let complete = false
  try {
    for await (const chunk of response.body) yield chunk as Uint8Array
    const trailer = response.body.trailers[ARCHIVE_HTTP.errorTrailer]
    if (trailer != null) {
      const json: any = JSON.parse(Buffer.from(trailer, 'base64').toString('utf8'))
      throw errorFromCode(json?.error?.code ?? 'ERR_HTTP', json?.error?.message ?? 'the copy failed')
    }
    if (!response.body.complete) throw new ProtocolError('the daemon ended the archive early')
    complete = true
  } finally {
    if (!complete) response.body.destroy()
  }
}
/** A run answers once the container runs, which may include a long image pull. */
const RUN_TIMEOUT = 30 * 60_000

/** `usage` and `host usage` filters: one peer, and since when (a duration ago such as `7d`, or an ISO time). */
export interface UsageFilter {
  peer?: string
  since?: string
}

function usageSearch (filter: UsageFilter): string {
  const params = new URLSearchParams()
  if (filter.peer != null) params.set('peer', filter.peer)
  if (filter.since != null) params.set('since', filter.since)
  return params.size > 0 ? `?${params.toString()}` : ''
}

function hostLogSearch (query: HostLogQuery, follow: boolean): string {
  const params = new URLSearchParams()
  if (query.tail != null) params.set('tail', String(query.tail))
  if (query.since != null) params.set('since', query.since)
  if (query.peer != null) params.set('peer', query.peer)
  if (query.kinds != null && query.kinds.length > 0) params.set('kind', query.kinds.join(','))
  if (follow) params.set('follow', 'true')
  return params.size > 0 ? `?${params.toString()}` : ''
}

function containerPath (peer: string, container: string): string {
  return `/v1/peers/${encodeURIComponent(peer)}/containers/${encodeURIComponent(container)}`
}

/** Reads newline-delimited JSON; a line holding `{ error }` (a failure after the status went out) is thrown. */
async function * readNdjson<T> (response: HttpAnswer): AsyncGenerator<T> {
  const decoder = new TextDecoder()
  let buffer = ''
  try {
    for await (const chunk of response.body) {
      buffer += decoder.decode(chunk as Buffer, { stream: true })
      let end: number
      while ((end = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, end).trim()
        buffer = buffer.slice(end + 1)
        if (line === '') continue
        const value = JSON.parse(line)
        if (value?.error?.code != null) throw errorFromCode(value.error.code, value.error.message)
        yield value as T
      }
    }
  } finally {
    // A reader that stops early (or fails) ends the request: the daemon stops streaming.
    response.body.destroy()
  }
}
