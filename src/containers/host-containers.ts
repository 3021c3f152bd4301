import { randomBytes } from 'node:crypto'
import { setMaxListeners } from 'node:events'
import { ContainerNotFoundError, InvalidArgumentError } from '../errors.js'
import { withTimeout } from '../signals.js'
import { refersTo } from '../units/index.js'
import { DOCKER_CALL_TIMEOUT, MAX_TIMER, PULL_TIMEOUT, SWEEP_INTERVAL } from './constants.js'
import { LABEL_EXPIRES_AT, LABEL_GPUS, LABEL_NAME, LABEL_NODE, LABEL_OWNER, LABEL_REQUEST_ID } from './labels.js'
import { admit } from './policy.js'
import type { ContainerView, LogChunk, LogsQuery, PortMapping, PullProgressEvent, RunRequest, StatsView } from './types.js'
import type { Policy } from '../config/schema.js'
import type { Capacity } from '../records/index.js'
import type { ContainerInfo, DockerRuntime, StatsSample } from '../runtime/index.js'
import type { AbortOptions, Logger } from '@libp2p/interface'

export interface HostContainersInit {
  selfPeerId: string
  runtime: DockerRuntime
  policy: Policy
  /** What this node offers now (from its latest resource record). */
  offer: () => Capacity
  /** Which kind of GPU request the engine understands here. */
  gpuVendor: () => 'nvidia' | 'amd' | null
  log: Logger
  /** Called when what runs here changed, so the node can advertise its new usage at once. */
  onChange: () => void
}

interface Tracked {
  info: ContainerInfo
  owner: string
  name: string
  expiresAt: number | null
  gpus: number
  timer?: ReturnType<typeof setTimeout>
}

/** Whether a container still takes its share of the machine. */
const isActive = (state: string): boolean => state === 'running' || state === 'created' || state === 'restarting' || state === 'paused'

/**
 * The containers this node runs for others: admission under the owner's policy, creation with
 * labels and limits, time limits that hold across restarts (re-adopted from the labels), and the
 * owner-only (or operator) views, streams and kills.
 */
export class HostContainers {
  private readonly tracked = new Map<string, Tracked>()
  /** Capacity promised to runs still pulling or starting, so concurrent runs cannot over-commit. */
  private readonly pending = new Map<string, { owner: string, cpus: number, memoryBytes: number, gpus: number }>()
  private sweepTimer?: ReturnType<typeof setInterval>
  /** Made anew at every start: aborted at stop, it ends the sweep and the expiry removals. */
  private controller = new AbortController()

  constructor (private readonly init: HostContainersInit) {}

  /** Re-adopts this node's labelled containers, ends the expired ones, and starts the sweep. */
  async start (options: AbortOptions = {}): Promise<void> {
    this.controller = new AbortController()
    // One long-lived signal is handed to many concurrent calls, each adding a listener.
    setMaxListeners(Infinity, this.controller.signal)
    await this.reconcile(options)
    this.sweepTimer = setInterval(() => {
      this.reconcile({ signal: this.controller.signal }).catch(err => { this.init.log('sweep failed: %s', err.message) })
    }, SWEEP_INTERVAL)
  }

  /** Stops watching. The containers keep running: the next start takes them back. */
  stop (): void {
    this.controller.abort()
    clearInterval(this.sweepTimer)
    for (const t of this.tracked.values()) clearTimeout(t.timer)
    // Forgotten until the next start re-adopts them from their labels: what runs may change meanwhile.
    this.tracked.clear()
  }

  /** What active containers and runs in flight take of the offer. */
  usage (): Capacity {
    let cpus = 0
    let memoryBytes = 0
    let gpus = 0
    let containers = 0
    for (const t of this.tracked.values()) {
      if (!isActive(t.info.state)) continue
      cpus += t.info.limits.cpus
      memoryBytes += t.info.limits.memoryBytes
      gpus += t.gpus
      containers++
    }
    for (const p of this.pending.values()) {
      cpus += p.cpus
      memoryBytes += p.memoryBytes
      gpus += p.gpus
      containers++
    }
    return { cpus: Math.round(cpus * 1000) / 1000, memoryBytes, gpus, containers }
  }

  async run (owner: string, request: RunRequest, options: AbortOptions & { onProgress?: (p: PullProgressEvent) => void } = {}): Promise<ContainerView> {
    const runningForPeer = [...this.tracked.values()].filter(t => t.owner === owner && isActive(t.info.state)).length +
      [...this.pending.values()].filter(p => p.owner === owner).length
    // Admission and reservation happen together, before the first await: concurrent requests
    // each see the others' reservations.
    const grant = admit(owner, request, { policy: this.init.policy, offer: this.init.offer(), used: this.usage(), runningForPeer })
    const requestId = request.requestId ?? randomBytes(8).toString('hex')
    const reservationKey = `${requestId}-${randomBytes(4).toString('hex')}`
    this.pending.set(reservationKey, { owner, cpus: grant.cpus, memoryBytes: grant.memoryBytes, gpus: grant.gpus })
    try {
      const { runtime } = this.init
      const signal = options.signal
      if (!await runtime.imageExists(request.image, { signal: withTimeout(signal, DOCKER_CALL_TIMEOUT) })) {
        await runtime.pull(request.image, p => options.onProgress?.(p), { signal: withTimeout(signal, PULL_TIMEOUT) })
      }
      const expiresAt = Date.now() + grant.ttlMs
      const vendor = grant.gpus > 0 ? this.init.gpuVendor() : null
      const info = await runtime.run({
        image: request.image,
        cmd: request.cmd,
        env: request.env,
        ports: request.ports,
        cpus: grant.cpus,
        memoryBytes: grant.memoryBytes,
        gpus: vendor == null ? null : { vendor, count: request.gpus === 'all' ? 'all' : grant.gpus },
        name: `p2prc-${request.name ?? 'c'}-${randomBytes(4).toString('hex')}`,
        labels: {
          [LABEL_NODE]: this.init.selfPeerId,
          [LABEL_OWNER]: owner,
          [LABEL_EXPIRES_AT]: String(expiresAt),
          [LABEL_REQUEST_ID]: requestId,
          [LABEL_NAME]: request.name ?? '',
          [LABEL_GPUS]: String(grant.gpus)
        },
        pidsLimit: this.init.policy.pidsLimit
      }, { signal: withTimeout(signal, DOCKER_CALL_TIMEOUT) })
      const tracked = this.track(info)
      this.init.log('started %s for %s (%s), expires %s', info.id.slice(0, 12), owner, request.image, new Date(expiresAt).toISOString())
      return this.view(tracked)
    } finally {
      this.pending.delete(reservationKey)
      this.init.onChange()
    }
  }

  /** The requester's containers here (or, for the operator with owner null, all of them). */
  async list (owner: string | null, options: AbortOptions = {}): Promise<ContainerView[]> {
    await this.reconcile(options)
    return [...this.tracked.values()]
      .filter(t => owner == null || t.owner === owner)
      .sort((a, b) => a.info.createdAt - b.info.createdAt)
      .map(t => this.view(t))
  }

  async stats (owner: string | null, ref: string, options: AbortOptions = {}): Promise<StatsView> {
    const t = this.resolve(owner, ref)
    return toStatsView(await this.init.runtime.stats(t.info.id, { signal: withTimeout(options.signal, DOCKER_CALL_TIMEOUT) }))
  }

  async * statsStream (owner: string | null, ref: string, options: AbortOptions = {}): AsyncGenerator<StatsView> {
    const t = this.resolve(owner, ref)
    for await (const sample of this.init.runtime.statsStream(t.info.id, options)) yield toStatsView(sample)
  }

  async * logs (owner: string | null, ref: string, opts: LogsQuery, options: AbortOptions = {}): AsyncGenerator<LogChunk> {
    const t = this.resolve(owner, ref)
    yield * this.init.runtime.logs(t.info.id, opts, options)
  }

  /**
   * The host port where one of the owner's containers publishes `port` (on this host's loopback),
   * for a tunnel. Only published ports can be reached: they are what the owner asked for.
   */
  publishedPort (owner: string, ref: string, port: number): number {
    const t = this.resolve(owner, ref)
    return publishedHostPort(t.name, t.info.ports, port)
  }

  /** Stops and removes a container: by its owner, or by the operator (owner null). */
  async kill (owner: string | null, ref: string, options: AbortOptions = {}): Promise<ContainerView> {
    const t = this.resolve(owner, ref)
    await this.remove(t, options)
    return { ...this.view(t), state: 'removed' }
  }

  /**
   * Finds one of the owner's containers by full ID, unique ID prefix or name. A container of
   * somebody else is reported as not found, so requesters learn nothing of others' work.
   */
  private resolve (owner: string | null, ref: string): Tracked {
    const mine = [...this.tracked.values()].filter(t => owner == null || t.owner === owner)
    const matches = mine.filter(t => refersTo(ref, t.info.id, [t.name, t.info.name]))
    if (matches.length === 1) return matches[0]
    if (matches.length > 1) throw new ContainerNotFoundError(`'${ref}' matches ${matches.length} containers; give more of the ID`)
    throw new ContainerNotFoundError(owner == null ? `no p2prc container '${ref}' on this node` : `you have no container '${ref}' on this node`)
  }

  private async remove (t: Tracked, options: AbortOptions): Promise<void> {
    clearTimeout(t.timer)
    try {
      await this.init.runtime.remove(t.info.id, { signal: withTimeout(options.signal, DOCKER_CALL_TIMEOUT) })
    } catch (err) {
      if (!(err instanceof ContainerNotFoundError)) throw err
    }
    this.tracked.delete(t.info.id)
    this.init.log('removed %s (owner %s)', t.info.id.slice(0, 12), t.owner)
    this.init.onChange()
  }

  private track (info: ContainerInfo): Tracked {
    const known = this.tracked.get(info.id)
    if (known != null) {
      known.info = info
      return known
    }
    const expires = Number(info.labels[LABEL_EXPIRES_AT])
    const t: Tracked = {
      info,
      owner: info.labels[LABEL_OWNER] ?? '',
      name: info.labels[LABEL_NAME] !== '' && info.labels[LABEL_NAME] != null ? info.labels[LABEL_NAME] : info.name,
      expiresAt: Number.isFinite(expires) && expires > 0 ? expires : null,
      gpus: Number(info.labels[LABEL_GPUS] ?? 0) || 0
    }
    this.tracked.set(info.id, t)
    this.arm(t)
    return t
  }

  /** Arms the time limit; one already past ends the container now. */
  private arm (t: Tracked): void {
    if (t.expiresAt == null) return
    const delay = t.expiresAt - Date.now()
    t.timer = setTimeout(() => {
      if (t.expiresAt != null && t.expiresAt > Date.now()) {
        this.arm(t)
        return
      }
      this.init.log('time limit reached for %s', t.info.id.slice(0, 12))
      this.remove(t, { signal: this.controller.signal }).catch(err => { this.init.log.error('could not end expired %s: %s', t.info.id, err.message) })
    }, Math.max(0, Math.min(delay, MAX_TIMER)))
  }

  /** Brings the table in line with what Docker really runs under this node's label. */
  private async reconcile (options: AbortOptions): Promise<void> {
    const present = await this.init.runtime.list({ [LABEL_NODE]: this.init.selfPeerId }, { signal: withTimeout(options.signal, DOCKER_CALL_TIMEOUT) })
    const ids = new Set(present.map(c => c.id))
    for (const [id, t] of this.tracked) {
      if (!ids.has(id)) {
        clearTimeout(t.timer)
        this.tracked.delete(id)
      }
    }
    for (const info of present) this.track(info)
  }

  private view (t: Tracked): ContainerView {
    return {
      peerId: this.init.selfPeerId,
      containerId: t.info.id,
      name: t.name,
      image: t.info.image,
      state: t.info.state,
      owner: t.owner,
      createdAt: new Date(t.info.createdAt).toISOString(),
      expiresAt: t.expiresAt != null ? new Date(t.expiresAt).toISOString() : null,
      ports: t.info.ports,
      limits: { cpus: t.info.limits.cpus, memoryBytes: t.info.limits.memoryBytes, gpus: t.gpus }
    }
  }
}

function toStatsView (s: StatsSample): StatsView {
  return {
    containerId: s.containerId,
    cpuPercent: Math.round(s.cpuPercent * 100) / 100,
    memoryBytes: s.memoryBytes,
    memoryLimitBytes: s.memoryLimitBytes,
    networkRxBytes: s.networkRxBytes,
    networkTxBytes: s.networkTxBytes,
    blockReadBytes: s.blockReadBytes,
    blockWriteBytes: s.blockWriteBytes,
    pids: s.pids,
    at: new Date(s.at).toISOString()
  }
}

/** Where a container publishes `port` on the host, or a clear error naming what it does publish. */
export function publishedHostPort (name: string, ports: PortMapping[], port: number): number {
  const mapping = ports.find(p => p.containerPort === port)
  if (mapping == null) {
    const published = ports.map(p => p.containerPort).join(', ')
    throw new InvalidArgumentError(`container ${name} does not publish port ${port} (${published === '' ? 'it publishes none' : `it publishes ${published}`}; run it with -p ${port})`)
  }
  return mapping.hostPort
}
