import { randomBytes } from 'node:crypto'
import { setMaxListeners } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { ContainerConflictError, ContainerNotFoundError, ImageNotFoundError, ImagePullError, InvalidArgumentError, PolicyRefusedError } from '../errors.js'
import { anySignal, withTimeout } from '../signals.js'
import { refersTo } from '../units/index.js'
import { CONTAINER_OVERHEAD_BYTES, DISK_CHECK_INTERVAL, DOCKER_CALL_TIMEOUT, EVENTS_RETRY_MAX, NETWORK_LINGER, EVENTS_RETRY_MIN, MAX_TIMER, PID_SHARE, REMOVE_RETRY_MAX, REMOVE_RETRY_MIN, SWEEP_INTERVAL } from './constants.js'
import { EndedContainers } from './ended.js'
import { engineFailure, logFailure } from './engine-failure.js'
import { GuestNetworks } from './guest-networks.js'
import { LABEL_EXPIRES_AT, LABEL_GPUS, LABEL_NAME, LABEL_NODE, LABEL_OWNER, LABEL_REQUEST_ID, LABEL_RUN_ID } from './labels.js'
import { admit } from './policy.js'
import { checkRegistryAddress } from './registries.js'
import { RunQueue } from './run-queue.js'
import type { Grant } from './policy.js'
import type { ContainerView, EndReason, LogChunk, LogsQuery, PortMapping, PullProgressEvent, RunRequest, StatsView } from './types.js'
import type { ActivityEvent } from '../contract/index.js'
import type { Policy } from '../config/schema.js'
import type { Capacity } from '../records/index.js'
import type { ContainerEvent, ContainerInfo, DockerRuntime, StatsSample } from '../runtime/index.js'
import type { AbortOptions, Logger } from '@libp2p/interface'

/** Usage accounting (usage/host-usage.ts): told what runs and how it ended, asked what a peer used. */
export interface ContainerMeter {
  watch: (info: ContainerInfo, owner: string, name: string, gpus: number) => void
  finish: (containerId: string, end: { at: number, reason: EndReason, exitCode: number | null }) => void
  /** After a sweep: the containers that exist (an open account of any other was removed unseen). */
  present: (ids: Set<string>) => void
  usedToday: (owner: string) => { cpuSeconds: number, memoryGiBSeconds: number }
}

export interface HostContainersInit {
  selfPeerId: string
  runtime: DockerRuntime
  policy: Policy
  /** What this node offers now (from its latest resource record). */
  offer: () => Capacity
  /** Which kind of GPU request the engine understands here. */
  gpuVendor: () => 'nvidia' | 'amd' | null
  /** The host's kernel.pid_max: guests together get a share of it. */
  pidMax: number
  log: Logger
  /** Called when what runs here changed, so the node can advertise its new usage at once. */
  onChange: () => void
  /** Told what happens (runs, refusals, pulls, ends), for the activity log and the metrics. */
  onActivity: (event: ActivityEvent) => void
  meter: ContainerMeter
}

interface Tracked {
  info: ContainerInfo
  owner: string
  name: string
  expiresAt: number | null
  gpus: number
  timer?: ReturnType<typeof setTimeout>
  /** Set while this host removes it, so the engine's destroy event is not taken for someone else's doing. */
  ending?: EndReason
}

interface Reservation { owner: string, grant: Grant }

/** Whether a container still takes its share of the machine. */
const isActive = (state: string): boolean => state === 'running' || state === 'created' || state === 'restarting' || state === 'paused'

const iso = (ms: number | null): string | null => ms != null ? new Date(ms).toISOString() : null

/**
 * The containers this node runs for others: admission under the owner's policy, creation on the
 * owner's own network with labels and limits, time and disk limits that hold until done (and
 * across restarts: re-adopted from the labels), the owner-only (or operator) views, streams and
 * kills. What runs is known from the engine's events, so requests cost the engine nothing.
 */
export class HostContainers {
  private readonly tracked = new Map<string, Tracked>()
  /**
   * Capacity promised to runs being started, so concurrent runs cannot over-commit, by run ID (the
   * container's LABEL_RUN_ID): a container the engine's events report before its run has finished
   * is counted by its reservation, not twice.
   */
  private readonly reservations = new Map<string, Reservation>()
  /** Owners with a pull in flight: one each, so one peer's slow pulls cannot fill the node. */
  private readonly pulling = new Set<string>()
  /** Runs under way per owner: their networks must outlive a sweep that sees no container yet. */
  private readonly starting = new Map<string, number>()
  /** Owners whose last container here went: their network's removal, due NETWORK_LINGER later. */
  private readonly lingering = new Map<string, ReturnType<typeof setTimeout>>()
  /** Runs being pulled or started now, node-wide, and those waiting for their turn. */
  private readonly queue: RunQueue
  private readonly ended = new EndedContainers()
  private readonly networks: GuestNetworks
  /** Whether the storage driver limits a writable layer itself (`--storage-opt size`); else it is measured. */
  private storageQuota: 'unknown' | 'yes' | 'no' = 'unknown'
  private sweepTimer?: ReturnType<typeof setInterval>
  private diskTimer?: ReturnType<typeof setInterval>
  /** Made anew at every start: aborted at stop, it ends the event stream, the sweeps and the removals. */
  private controller = new AbortController()
  /** When the node (not just its engine) last started: what expired before it did so while the node was down. */
  private nodeStartedAt = 0

  constructor (private readonly init: HostContainersInit) {
    this.networks = new GuestNetworks({ runtime: init.runtime, selfPeerId: init.selfPeerId, mode: init.policy.network, log: init.log })
    this.queue = new RunQueue(() => init.policy.maxPendingRuns, () => init.policy.maxContainersPerPeer)
  }

  private get labels (): Record<string, string> {
    return { [LABEL_NODE]: this.init.selfPeerId }
  }

  /**
   * Re-adopts this node's labelled containers, ends the overdue ones, and follows the engine.
   * `resumed`: the node kept running and only its engine was away.
   */
  async start (options: AbortOptions & { resumed?: boolean } = {}): Promise<void> {
    const controller = new AbortController()
    this.controller = controller
    const signal = controller.signal
    // One long-lived signal is handed to many concurrent calls, each adding a listener.
    setMaxListeners(Infinity, signal)
    if (options.resumed !== true) this.nodeStartedAt = Date.now()
    await this.reconcile({ signal: options.signal != null ? anySignal(options.signal, signal) : signal })
    // Stopped while it took them back (the node stopping just after it started): it must not go on
    // to follow the engine, which would hold the process open, nor keep the deadlines it armed.
    if (signal.aborted) {
      this.stop()
      return
    }
    void this.follow(signal)
    this.sweepTimer = setInterval(() => {
      this.reconcile({ signal }).catch(err => { this.init.log('sweep failed: %s', err.message) })
    }, SWEEP_INTERVAL)
    if (this.init.policy.diskPerContainer != null) {
      this.diskTimer = setInterval(() => {
        this.checkDisk({ signal }).catch(err => { this.init.log('disk check failed: %s', err.message) })
      }, DISK_CHECK_INTERVAL)
    }
  }

  /** Stops watching. The containers keep running: the next start takes them back. */
  stop (): void {
    this.controller.abort()
    clearInterval(this.sweepTimer)
    clearInterval(this.diskTimer)
    for (const t of this.tracked.values()) clearTimeout(t.timer)
    // A lingering network is left to the next start's sweep, which removes it (no container of its owner remains).
    for (const timer of this.lingering.values()) clearTimeout(timer)
    this.lingering.clear()
    // Forgotten until the next start re-adopts them from their labels: what runs may change meanwhile.
    this.tracked.clear()
  }

  /** What active containers and runs being started take of the offer (with each one's overhead). */
  usage (): Capacity {
    return this.usageOf(null)
  }

  /** The same for one owner's containers (null: everyone's). */
  usageOf (owner: string | null): Capacity {
    let cpus = 0
    let memoryBytes = 0
    let gpus = 0
    let containers = 0
    for (const t of this.counted()) {
      if (owner != null && t.owner !== owner) continue
      cpus += t.info.limits.cpus
      memoryBytes += t.info.limits.memoryBytes + CONTAINER_OVERHEAD_BYTES
      gpus += t.gpus
      containers++
    }
    for (const r of this.reservations.values()) {
      if (owner != null && r.owner !== owner) continue
      cpus += r.grant.cpus
      memoryBytes += r.grant.memoryBytes + CONTAINER_OVERHEAD_BYTES
      gpus += r.grant.gpus
      containers++
    }
    return { cpus: Math.round(cpus * 1000) / 1000, memoryBytes, gpus, containers }
  }

  /** Processes guests may still be given (their pids limits add up to at most a share of pid_max). */
  private pidsLeft (): number {
    let used = 0
    for (const t of this.counted()) used += t.info.limits.pidsLimit
    for (const r of this.reservations.values()) used += r.grant.pidsLimit
    return Math.floor(this.init.pidMax * PID_SHARE) - used
  }

  /** Active containers whose capacity is not already counted by a reservation. */
  private * counted (): Generator<Tracked> {
    for (const t of this.tracked.values()) {
      if (isActive(t.info.state) && !this.reservations.has(t.info.labels[LABEL_RUN_ID] ?? '')) yield t
    }
  }

  /**
   * Admits a run under the policy. `counting` adds the runs still being started (each will be a
   * container), so a burst cannot queue past the container caps.
   */
  private admit (owner: string, request: RunRequest, counting: 'reserved' | 'starting' = 'reserved'): Grant {
    const used = this.usage()
    const usedByPeer = this.usageOf(owner)
    if (counting === 'starting') {
      // Runs being started include the reserved ones: count each once.
      const reserved = [...this.reservations.values()]
      used.containers += [...this.starting.values()].reduce((a, b) => a + b, 0) - reserved.length
      usedByPeer.containers += (this.starting.get(owner) ?? 0) - reserved.filter(r => r.owner === owner).length
    }
    return admit(owner, request, { policy: this.init.policy, offer: this.init.offer(), used, usedByPeer, pidsLeft: this.pidsLeft(), usedToday: this.init.meter.usedToday(owner) })
  }

  /**
   * Runs a container for `owner`. It is admitted before anything happens, pulled without holding
   * any capacity (a pull that hangs keeps nobody else out), admitted again and reserved, then
   * created on the owner's network. Refusals and failures say why without the engine's words.
   */
  async run (owner: string, request: RunRequest, options: AbortOptions & { onProgress?: (p: PullProgressEvent) => void } = {}): Promise<ContainerView> {
    try {
      const view = await this.admitAndRun(owner, request, options)
      this.init.onActivity({ kind: 'run', peerId: owner, containerId: view.containerId, name: view.name, image: view.image, cpus: view.limits.cpus, memoryBytes: view.limits.memoryBytes, gpus: view.limits.gpus, expiresAt: view.expiresAt })
      return view
    } catch (err) {
      if (err instanceof PolicyRefusedError) this.init.onActivity({ kind: 'refused', peerId: owner, image: request.image, rule: err.rule, reason: err.message })
      throw err
    }
  }

  private async admitAndRun (owner: string, request: RunRequest, options: AbortOptions & { onProgress?: (p: PullProgressEvent) => void }): Promise<ContainerView> {
    const { policy, runtime } = this.init
    this.admit(owner, request, 'starting')
    this.starting.set(owner, (this.starting.get(owner) ?? 0) + 1)
    let release: (() => void) | undefined
    try {
      release = await this.queue.acquire(owner, options.signal)
      if (!await this.engine(async () => runtime.imageExists(request.image, { signal: withTimeout(options.signal, DOCKER_CALL_TIMEOUT) }), 'looking up the image')) {
        if (this.pulling.has(owner)) throw new PolicyRefusedError('you already have an image being pulled on this node; one at a time', 'pull-in-flight')
        this.pulling.add(owner)
        try {
          await checkRegistryAddress(request.image, policy, { signal: options.signal })
          await this.pull(owner, request.image, options)
        } finally {
          this.pulling.delete(owner)
        }
      }
      // Admission and reservation happen together, before the next await: concurrent runs each
      // see the others' reservations.
      const grant = this.admit(owner, request)
      const runId = randomBytes(8).toString('hex')
      this.reservations.set(runId, { owner, grant })
      try {
        const info = await this.create(owner, request, grant, runId, options)
        const tracked = this.track(info)
        this.init.log('started %s for %s (%s), expires %s', info.id.slice(0, 12), owner, request.image, iso(tracked.expiresAt))
        return this.view(tracked)
      } finally {
        this.reservations.delete(runId)
      }
    } finally {
      const left = (this.starting.get(owner) ?? 1) - 1
      if (left > 0) this.starting.set(owner, left)
      else this.starting.delete(owner)
      release?.()
      this.init.onChange()
    }
  }

  private async pull (owner: string, image: string, options: AbortOptions & { onProgress?: (p: PullProgressEvent) => void }): Promise<void> {
    const timeout = AbortSignal.timeout(this.init.policy.pullTimeout)
    // What came down: each layer's download at its furthest ("Download complete" carries no figures).
    const layers = new Map<string, { current: number, total: number }>()
    const pulled = (ok: boolean): void => {
      let bytes = 0
      for (const layer of layers.values()) bytes += layer.current
      this.init.onActivity({ kind: 'pull', peerId: owner, image, bytes, ok })
    }
    try {
      await this.init.runtime.pull(image, p => {
        const layer = p.layer != null ? layers.get(p.layer) ?? { current: 0, total: 0 } : null
        if (layer != null && p.status === 'Downloading') {
          layer.current = Math.max(layer.current, p.currentBytes ?? 0)
          layer.total = Math.max(layer.total, p.totalBytes ?? 0)
          layers.set(p.layer ?? '', layer)
        } else if (layer != null && p.status === 'Download complete') {
          layer.current = Math.max(layer.current, layer.total)
          layers.set(p.layer ?? '', layer)
        }
        options.onProgress?.(p)
      }, { signal: anySignal(options.signal, timeout) })
      pulled(true)
    } catch (err: any) {
      pulled(false)
      if (options.signal?.aborted === true) throw err
      const reference = this.logFailure(`pulling ${image}`, err)
      if (timeout.aborted) throw new ImagePullError(`pulling ${image} took longer than this node allows (${Math.round(this.init.policy.pullTimeout / 1000)}s)`)
      // Which error it was (refused, unreachable, unauthorized) would tell a peer what answers where.
      if (err instanceof ImageNotFoundError) throw new ImageNotFoundError(`image ${image} was not found in its registry (or needs credentials this node does not have)`)
      throw new ImagePullError(`pulling ${image} failed (reference ${reference} in this node's log)`)
    }
  }

  private async create (owner: string, request: RunRequest, grant: Grant, runId: string, options: AbortOptions): Promise<ContainerInfo> {
    const { policy, runtime, selfPeerId } = this.init
    const signal = withTimeout(options.signal, DOCKER_CALL_TIMEOUT)
    this.keepNetwork(owner)
    const network = await this.networks.forOwner(owner, { signal }).catch(async err => {
      if (!isAddressPoolFull(err) || this.lingering.size === 0) throw err
      await this.releaseLingering({ signal })
      return this.networks.forOwner(owner, { signal })
    }).catch(err => {
      // Docker's address pools hold a few dozen networks: the host is full, not broken.
      if (isAddressPoolFull(err)) throw new PolicyRefusedError('this node has no network address range free for another owner\'s containers; try another node', 'network')
      throw this.engineFailure(err, 'making the network')
    })
    const expiresAt = Date.now() + grant.ttlMs
    const vendor = grant.gpus > 0 ? this.init.gpuVendor() : null
    const spec = {
      image: request.image,
      cmd: request.cmd,
      env: request.env,
      ports: request.ports,
      cpus: grant.cpus,
      memoryBytes: grant.memoryBytes,
      gpus: vendor == null ? null : { vendor, count: request.gpus === 'all' ? 'all' as const : grant.gpus },
      name: `p2prc-${request.name ?? 'c'}-${randomBytes(4).toString('hex')}`,
      labels: {
        [LABEL_NODE]: selfPeerId,
        [LABEL_OWNER]: owner,
        [LABEL_EXPIRES_AT]: String(expiresAt),
        [LABEL_REQUEST_ID]: request.requestId ?? randomBytes(8).toString('hex'),
        [LABEL_NAME]: request.name ?? '',
        [LABEL_GPUS]: String(grant.gpus),
        [LABEL_RUN_ID]: runId
      },
      pidsLimit: grant.pidsLimit,
      // The owner's other containers reach it by the name it was given.
      network: { name: network, aliases: request.name != null ? [request.name] : [] },
      runtime: policy.runtime,
      user: policy.user,
      readOnlyRootfs: policy.readOnlyRootfs,
      storageBytes: this.storageQuota !== 'no' ? policy.diskPerContainer : null,
      hold: request.hold
    }
    try {
      const info = await runtime.run(spec, { signal })
      if (spec.storageBytes != null) this.storageQuota = 'yes'
      return info
    } catch (err: any) {
      // Most storage drivers (overlay2 on ext4) cannot limit a writable layer; then it is measured.
      if (spec.storageBytes != null && this.storageQuota !== 'yes' && /storage-opt|quota|xfs/i.test(String(err.message))) {
        if (this.storageQuota === 'unknown') this.init.log('the storage driver cannot limit writable layers; measuring them every %d s instead', DISK_CHECK_INTERVAL / 1000)
        this.storageQuota = 'no'
        return this.engine(async () => runtime.run({ ...spec, storageBytes: null }, { signal }), 'starting the container')
      }
      throw this.engineFailure(err, 'starting the container')
    }
  }

  /** The requester's containers here, running and recently ended (the operator's all, with owner null). */
  list (owner: string | null): ContainerView[] {
    const present = [...this.tracked.values()]
      .filter(t => owner == null || t.owner === owner)
      .sort((a, b) => a.info.createdAt - b.info.createdAt)
      .map(t => this.view(t))
    return [...present, ...this.ended.list(owner)]
  }

  async stats (owner: string | null, ref: string, options: AbortOptions = {}): Promise<StatsView> {
    const t = this.resolve(owner, ref)
    return toStatsView(await this.engine(async () => this.init.runtime.stats(t.info.id, { signal: withTimeout(options.signal, DOCKER_CALL_TIMEOUT) }), 'reading stats'))
  }

  async * statsStream (owner: string | null, ref: string, options: AbortOptions = {}): AsyncGenerator<StatsView> {
    const t = this.resolve(owner, ref)
    try {
      for await (const sample of this.init.runtime.statsStream(t.info.id, options)) yield toStatsView(sample)
    } catch (err) {
      throw this.engineFailure(err, 'reading stats')
    }
  }

  async * logs (owner: string | null, ref: string, query: LogsQuery, options: AbortOptions = {}): AsyncGenerator<LogChunk> {
    const t = this.resolve(owner, ref)
    try {
      yield * this.init.runtime.logs(t.info.id, query, options)
    } catch (err) {
      throw this.engineFailure(err, 'reading logs')
    }
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
    return this.end(t, owner == null ? 'killed by host operator' : 'killed by owner', options)
  }

  /** Starts a container its owner ran with `hold`, once its files are in. */
  async startHeld (owner: string, ref: string, options: AbortOptions = {}): Promise<ContainerView> {
    const t = this.resolve(owner, ref)
    if (t.ending != null) throw new ContainerConflictError(`container ${t.name} is being removed (${t.ending})`)
    if (t.info.state !== 'created') throw new ContainerConflictError(`container ${t.name} is ${t.info.state}, not waiting to start`)
    const info = await this.engine(async () => this.init.runtime.start(t.info.id, { signal: withTimeout(options.signal, DOCKER_CALL_TIMEOUT) }), 'starting the container')
    const started = this.track(info)
    this.init.onChange()
    return this.view(started)
  }

  /** Removes a container that has exited (`p2prc rm`); one still running is refused, naming kill. */
  async remove (owner: string | null, ref: string, options: AbortOptions = {}): Promise<ContainerView> {
    const t = this.resolve(owner, ref)
    if (isActive(t.info.state)) throw new ContainerConflictError(`container ${t.name} is ${t.info.state}; stop it with kill, or wait for it to exit`)
    return this.end(t, naturalEnd(t.info), options)
  }

  /**
   * The engine ID of one of the owner's containers (the operator's: any) for exec or copy. Exec
   * needs it running; a copy works on an exited one too, as `docker cp` does.
   */
  target (owner: string | null, ref: string, running: boolean): { id: string, name: string, runtime: string } {
    const t = this.resolve(owner, ref)
    if (running && t.info.state !== 'running') throw new ContainerConflictError(`container ${t.name} is not running (${t.info.state})`)
    if (t.ending != null) throw new ContainerConflictError(`container ${t.name} is being removed (${t.ending})`)
    return { id: t.info.id, name: t.name, runtime: t.info.runtime }
  }

  /**
   * Finds one of the owner's containers by full ID, unique ID prefix or name. A container of
   * somebody else is reported as not found, so requesters learn nothing of others' work; one this
   * host ended says why.
   */
  private resolve (owner: string | null, ref: string): Tracked {
    const mine = [...this.tracked.values()].filter(t => owner == null || t.owner === owner)
    const matches = mine.filter(t => refersTo(ref, t.info.id, [t.name, t.info.name]))
    if (matches.length === 1) return matches[0]
    if (matches.length > 1) throw new ContainerNotFoundError(`'${ref}' matches ${matches.length} containers; give more of the ID`)
    const ended = this.ended.list(owner).find(v => refersTo(ref, v.containerId, [v.name]))
    if (ended != null) throw new ContainerNotFoundError(`container '${ref}' is gone: ${ended.endReason ?? 'removed'} (${ended.finishedAt ?? ''})`)
    throw new ContainerNotFoundError(owner == null ? `no p2prc container '${ref}' on this node` : `you have no container '${ref}' on this node`)
  }

  /**
   * Removes a container for a reason, remembered for its owner. One that had already exited keeps
   * its own reason (exited, oom): removing it later (a kill, the time limit) did not end it.
   */
  private async end (t: Tracked, reason: EndReason, options: AbortOptions = {}): Promise<ContainerView> {
    clearTimeout(t.timer)
    const wasActive = isActive(t.info.state)
    if (!wasActive) reason = naturalEnd(t.info)
    t.ending = reason
    try {
      await this.init.runtime.remove(t.info.id, { signal: withTimeout(options.signal, DOCKER_CALL_TIMEOUT) })
    } catch (err) {
      if (!(err instanceof ContainerNotFoundError)) {
        t.ending = undefined
        throw this.engineFailure(err, 'removing the container')
      }
    }
    this.tracked.delete(t.info.id)
    clearTimeout(t.timer)
    if (wasActive) this.init.meter.finish(t.info.id, { at: Date.now(), reason, exitCode: null })
    const ended = this.ended.record(this.view(t), reason)
    this.endActivity(t, reason)
    this.init.log('removed %s (owner %s): %s', t.info.id.slice(0, 12), t.owner, reason)
    this.init.onChange()
    this.releaseNetwork(t.owner)
    return ended
  }

  private endActivity (t: Tracked, reason: EndReason): void {
    this.init.onActivity({ kind: 'end', peerId: t.owner, containerId: t.info.id, name: t.name, image: t.info.image, endReason: reason, exitCode: t.info.exitCode })
  }

  /** An owner's network goes NETWORK_LINGER after its last container here (address ranges are few). */
  private releaseNetwork (owner: string): void {
    if (this.lingering.has(owner) || this.hasContainers(owner)) return
    const timer = setTimeout(() => {
      this.lingering.delete(owner)
      if (this.hasContainers(owner) || this.controller.signal.aborted) return
      this.networks.release(owner, { signal: this.controller.signal }).catch(err => { this.init.log('could not remove the network of %s: %s', owner, err.message) })
    }, NETWORK_LINGER)
    timer.unref()
    this.lingering.set(owner, timer)
  }

  /** The owner runs again: its network stays. */
  private keepNetwork (owner: string): void {
    clearTimeout(this.lingering.get(owner))
    this.lingering.delete(owner)
  }

  /** Removes every lingering network now (a run found no address range free). */
  private async releaseLingering (options: AbortOptions): Promise<void> {
    const owners = [...this.lingering.keys()]
    for (const owner of owners) this.keepNetwork(owner)
    await Promise.all(owners.filter(o => !this.hasContainers(o)).map(async owner => this.networks.release(owner, options).catch(() => {})))
  }

  private hasContainers (owner: string): boolean {
    return this.starting.has(owner) || [...this.tracked.values()].some(t => t.owner === owner)
  }

  /**
   * Ends a container the host must end (time limit, disk limit) until it is gone: a removal that
   * fails (the engine away for a moment) is tried again with backoff, and the sweep catches up
   * after a restart.
   */
  private endUntilDone (t: Tracked, reason: EndReason, attempt = 0): void {
    if (t.ending != null || this.controller.signal.aborted) return
    this.end(t, reason, { signal: this.controller.signal }).catch(err => {
      if (this.controller.signal.aborted || !this.tracked.has(t.info.id)) return
      const delay = Math.min(REMOVE_RETRY_MIN * 2 ** attempt, REMOVE_RETRY_MAX)
      this.init.log.error('could not end %s (%s), trying again in %d s: %s', t.info.id.slice(0, 12), reason, delay / 1000, err.message)
      t.timer = setTimeout(() => { this.endUntilDone(t, reason, attempt + 1) }, delay)
    })
  }

  private track (info: ContainerInfo): Tracked {
    const known = this.tracked.get(info.id)
    if (known != null) {
      const exited = isActive(known.info.state) && !isActive(info.state)
      known.info = info
      this.meter(known)
      if (exited) this.arm(known)
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
    this.meter(t)
    this.arm(t)
    return t
  }

  /** Tells usage accounting what the container does now: runs (or waits to), or has ended by itself. */
  private meter (t: Tracked): void {
    const { meter } = this.init
    meter.watch(t.info, t.owner, t.name, t.gpus)
    // Stopped by this host's removal (a kill, the time limit): that is why it ended, not its exit.
    if (!isActive(t.info.state)) meter.finish(t.info.id, { at: t.info.finishedAt ?? Date.now(), reason: t.ending ?? naturalEnd(t.info), exitCode: t.info.exitCode })
  }

  /**
   * Arms the container's next deadline: its time limit, or once it has exited, the end of its
   * retention (policy.exitedRetention). One already past ends the container now.
   */
  private arm (t: Tracked): void {
    const due = this.dueAt(t)
    clearTimeout(t.timer)
    // One being removed, or no longer tracked (its die event came during its removal), needs none.
    if (due == null || t.ending != null || this.tracked.get(t.info.id) !== t) return
    t.timer = setTimeout(() => {
      const now = this.dueAt(t)
      if (now == null || this.tracked.get(t.info.id) !== t) return
      if (now > Date.now()) {
        this.arm(t)
        return
      }
      const exited = !isActive(t.info.state)
      this.init.log(exited ? 'removing %s, exited past its retention' : 'time limit reached for %s', t.info.id.slice(0, 12))
      this.endUntilDone(t, exited ? naturalEnd(t.info) : this.overdueReason(t))
    }, Math.max(0, Math.min(due - Date.now(), MAX_TIMER)))
  }

  /** When the host ends the container: at its time limit, or sooner once it has exited and its retention is over. */
  private dueAt (t: Tracked): number | null {
    const retained = !isActive(t.info.state) && t.info.finishedAt != null ? t.info.finishedAt + this.init.policy.exitedRetention : null
    if (t.expiresAt == null) return retained
    return retained == null ? t.expiresAt : Math.min(t.expiresAt, retained)
  }

  /** Overdue when this node started: it was down when the time came. */
  private overdueReason (t: Tracked): EndReason {
    return t.expiresAt != null && t.expiresAt < this.nodeStartedAt ? 'host restarted past its time limit' : 'time limit'
  }

  /**
   * Brings the table in line with what Docker really runs under this node's label: one listing,
   * and an inspect only of what is new or changed. Overdue containers are ended (again, if a
   * removal failed), and networks nobody uses any more go.
   */
  private async reconcile (options: AbortOptions): Promise<void> {
    const signal = withTimeout(options.signal, DOCKER_CALL_TIMEOUT)
    const present = await this.init.runtime.summaries(this.labels, { signal })
    const ids = new Set(present.map(c => c.id))
    for (const [id, t] of this.tracked) {
      if (!ids.has(id)) this.forget(t)
    }
    for (const { id, state } of present) {
      const known = this.tracked.get(id)
      if (known == null || known.info.state !== state) await this.refresh(id, signal)
    }
    // Those tracked meanwhile (a run, or a create event during the refreshes) exist too.
    this.init.meter.present(new Set([...ids, ...this.tracked.keys()]))
    const now = Date.now()
    for (const t of this.tracked.values()) {
      const due = this.dueAt(t)
      if (due != null && due <= now && t.ending == null) this.endUntilDone(t, isActive(t.info.state) ? this.overdueReason(t) : naturalEnd(t.info))
    }
    await this.networks.prune(new Set([...[...this.tracked.values()].map(t => t.owner), ...this.starting.keys(), ...this.lingering.keys()]), { signal })
  }

  /** Reads one container again (after an event); one that is gone is forgotten. */
  private async refresh (id: string, signal: AbortSignal): Promise<void> {
    try {
      const info = await this.init.runtime.inspect(id, { signal })
      // Read before this host removed it (an event or a sweep during a kill): it is gone, and why
      // is already recorded; tracking it again would later record it as removed by someone else.
      if (!this.tracked.has(id) && this.ended.has(id)) return
      const before = this.tracked.get(id)?.info.state
      this.track(info)
      if (before !== info.state) this.init.onChange()
    } catch (err) {
      if (!(err instanceof ContainerNotFoundError)) throw err
      const t = this.tracked.get(id)
      if (t != null) this.forget(t)
    }
  }

  /** A container that went without this host removing it (by hand, or outside p2prc). */
  private forget (t: Tracked): void {
    clearTimeout(t.timer)
    this.tracked.delete(t.info.id)
    if (t.ending == null) {
      this.init.meter.finish(t.info.id, { at: Date.now(), reason: 'removed on its host', exitCode: null })
      this.ended.record(this.view(t), 'removed on its host')
      this.endActivity(t, 'removed on its host')
    }
    this.init.onChange()
    this.releaseNetwork(t.owner)
  }

  /** Follows the engine's events for this node's containers, catching up with a sweep after any gap. */
  private async follow (signal: AbortSignal): Promise<void> {
    let delay = EVENTS_RETRY_MIN
    while (!signal.aborted) {
      try {
        for await (const event of this.init.runtime.events(this.labels, { signal })) {
          delay = EVENTS_RETRY_MIN
          await this.onEvent(event, signal).catch(err => { this.init.log('event %s for %s: %s', event.action, event.id.slice(0, 12), err.message) })
        }
      } catch (err: any) {
        this.init.log('the engine\'s event stream broke: %s', err.message)
      }
      if (signal.aborted) return
      await sleep(delay, undefined, { signal }).catch(() => {})
      delay = Math.min(delay * 2, EVENTS_RETRY_MAX)
      await this.reconcile({ signal }).catch(err => { this.init.log('sweep after the event stream broke failed: %s', err.message) })
    }
  }

  private async onEvent (event: ContainerEvent, signal: AbortSignal): Promise<void> {
    if (event.action === 'destroy') {
      const t = this.tracked.get(event.id)
      if (t != null) this.forget(t)
      return
    }
    // start, die, oom, pause, ...: its state (exit code, OOM) changed.
    if (/^(create|start|restart|die|oom|kill|stop|pause|unpause)$/.test(event.action)) await this.refresh(event.id, withTimeout(signal, DOCKER_CALL_TIMEOUT))
  }

  /**
   * Ends the guests that wrote more than the policy allows to their own file system, where the
   * storage driver cannot stop them itself.
   */
  private async checkDisk (options: AbortOptions): Promise<void> {
    const limit = this.init.policy.diskPerContainer
    if (limit == null || this.storageQuota === 'yes' || this.tracked.size === 0) return
    const sizes = await this.init.runtime.writableSizes(this.labels, { signal: withTimeout(options.signal, DOCKER_CALL_TIMEOUT) })
    for (const [id, size] of sizes) {
      const t = this.tracked.get(id)
      if (t == null || size <= limit || !isActive(t.info.state)) continue
      this.init.log('%s wrote %d bytes, over its limit of %d', id.slice(0, 12), size, limit)
      this.endUntilDone(t, 'disk limit')
    }
  }

  /** Runs an engine call for a peer's request; its failure is said without the engine's words. */
  private async engine<T> (fn: () => Promise<T>, what: string): Promise<T> {
    try {
      return await fn()
    } catch (err) {
      throw this.engineFailure(err, what)
    }
  }

  private engineFailure (err: unknown, what: string): unknown {
    return engineFailure(this.init.log, err, what)
  }

  private logFailure (what: string, err: unknown): string {
    return logFailure(this.init.log, what, err)
  }

  private view (t: Tracked): ContainerView {
    const { info } = t
    const active = isActive(info.state)
    return {
      peerId: this.init.selfPeerId,
      containerId: info.id,
      name: t.name,
      image: info.image,
      state: info.state,
      owner: t.owner,
      createdAt: new Date(info.createdAt).toISOString(),
      expiresAt: iso(t.expiresAt),
      ports: info.ports,
      limits: { cpus: info.limits.cpus, memoryBytes: info.limits.memoryBytes, gpus: t.gpus },
      exitCode: info.exitCode,
      oomKilled: info.oomKilled,
      finishedAt: iso(info.finishedAt),
      endReason: t.ending ?? (active ? null : naturalEnd(info))
    }
  }
}

/** Why a container that stopped by itself ended. */
function naturalEnd (info: ContainerInfo): EndReason {
  return info.oomKilled ? 'oom' : 'exited'
}

function toStatsView (s: StatsSample): StatsView {
  return { ...s, cpuPercent: Math.round(s.cpuPercent * 100) / 100, at: new Date(s.at).toISOString() }
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

/** The engine has no address range left for another network. */
function isAddressPoolFull (err: unknown): boolean {
  return /non-overlapping|address pool/i.test(String((err as Error | undefined)?.message))
}
