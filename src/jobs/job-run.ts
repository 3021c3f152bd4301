import { runRequestFromSpec } from '../containers/run-request.js'
import { withTimeout } from '../signals.js'
import { formatAge } from '../units/index.js'
import { DEFAULT_LOST_AFTER, DEFAULT_QUEUE_TIMEOUT, HOST_CALL_TIMEOUT, LEFT_BEHIND_FOR, LEFT_BEHIND_INTERVAL, PLACE_TRIES, TICK_INTERVAL } from './constants.js'
import { describeRejections, placeTask } from './placement.js'
import { collectOutputs, copyInputs, InputError, saveLogs } from './task-io.js'
import type { ContainerView, PeerSummary } from '../contract/index.js'
import type { ContainerService } from '../core/container-service.js'
import type { RunRequest } from '../containers/types.js'
import type { AttemptRecord, JobRecord, JobStore, TaskRecord } from './job-store.js'
import type { Rejection } from '../core/placement.js'
import type { Logger } from '@libp2p/interface'

/** What jobs need of a node: its peers and its containers on each of them. */
export interface JobsNode {
  readonly peerId: string
  peers: () => PeerSummary[]
  containersOn: (ref: string) => ContainerService
}

export interface JobRunInit {
  node: JobsNode
  store: JobStore
  log: Logger
  /** The job (and, when one task changed, that task) changed: save it and tell listeners. */
  changed: (job: JobRecord, task?: TaskRecord) => void
}

const ACTIVE = new Set(['starting', 'running', 'collecting'])
const TERMINAL = new Set(['done', 'failed', 'cancelled'])
const STILL_RUNNING = new Set(['running', 'created', 'restarting', 'paused'])

const now = (): string => new Date().toISOString()

/**
 * Drives one job to its end from the client node: places its pending tasks on peers that fit
 * (under its parallelism and spread), starts each one (created, inputs copied in, started),
 * watches them with one listing per host, collects the logs and outputs of those that exit, and
 * runs failed ones again elsewhere while retries last. Every step is saved, so a restarted client
 * takes the job up where it was.
 */
export class JobRun {
  private timer?: ReturnType<typeof setTimeout>
  private ticking = false
  /** Something ended during a round: another follows at once. */
  private again = false
  /** Tasks with a start or a collection under way: the tick leaves them alone. */
  private readonly busy = new Set<number>()
  /** When each host last answered a listing. */
  private readonly answered = new Map<string, number>()
  private readonly controller = new AbortController()
  private readonly request: RunRequest

  constructor (readonly job: JobRecord, private readonly init: JobRunInit) {
    const { spec } = job
    const base = runRequestFromSpec({
      image: spec.image,
      cmd: spec.cmd,
      env: spec.env,
      cpus: spec.resources?.cpus,
      memory: spec.resources?.memory,
      gpus: spec.resources?.gpus,
      ttl: spec.timeout != null ? spec.timeout / 1000 : undefined
    }, `job ${job.jobId}`)
    this.request = { ...base, hold: true }
    this.resume()
  }

  get terminal (): boolean {
    return TERMINAL.has(this.job.state)
  }

  start (): void {
    if (!this.terminal || this.leftBehind()) this.schedule(0)
  }

  /** Containers of lost hosts still to be ended, for a while after the job: the host's time limit ends them in the end. */
  private leftBehind (): boolean {
    if (this.job.finishedAt != null && Date.now() - this.job.finishedAt > LEFT_BEHIND_FOR) return false
    return this.job.tasks.some(t => t.attempts.some(a => a.abandoned))
  }

  /** The client stops: work under way is dropped where it is; the saved state takes it up again. */
  stop (): void {
    this.controller.abort()
    clearTimeout(this.timer)
  }

  /** Ends every task still going (their containers killed) and the job with them. */
  async cancel (): Promise<void> {
    if (this.terminal) return
    this.job.state = 'cancelled'
    this.job.finishedAt = Date.now()
    clearTimeout(this.timer)
    await Promise.all(this.job.tasks.filter(t => !TERMINAL.has(t.state)).map(async task => {
      const attempt = task.attempts.at(-1)
      if (attempt?.containerId != null && ACTIVE.has(task.state)) {
        await this.init.node.containersOn(attempt.peerId).kill(attempt.containerId, { signal: AbortSignal.timeout(HOST_CALL_TIMEOUT) }).catch(err => {
          // Its host is away: kill it when it answers? The job is over; the host's time limit ends it.
          this.init.log('cancel: could not kill task %d on %s: %s', task.index, attempt.peerId, err.message)
          attempt.abandoned = true
        })
        attempt.endedAt ??= now()
        attempt.reason ??= 'cancelled'
      }
      task.state = 'cancelled'
      task.reason = 'the job was cancelled'
      this.init.changed(this.job, task)
    }))
    this.init.changed(this.job)
    this.controller.abort()
  }

  /** A task taken up after a restart: one caught starting is started again; one caught collecting is collected again. */
  private resume (): void {
    for (const task of this.job.tasks) {
      const attempt = task.attempts.at(-1)
      if (task.state === 'starting') {
        if (attempt != null) {
          attempt.abandoned = attempt.containerId != null
          attempt.endedAt = now()
          attempt.reason = 'the client restarted while it started; started again'
        }
        task.state = 'pending'
        task.pendingSince = Date.now()
      } else if (task.state === 'collecting') {
        task.state = 'running'
      }
      // A host gets its full grace from now: the client has only begun to dial it again.
      if (task.state === 'running' && attempt != null) this.answered.set(attempt.peerId, Date.now())
    }
  }

  private schedule (delay: number): void {
    clearTimeout(this.timer)
    if (this.controller.signal.aborted) return
    this.timer = setTimeout(() => { void this.tick() }, delay)
  }

  /** A task ended or started: the next round comes now, so a free slot is filled at once. */
  private soon (): void {
    if (this.ticking) this.again = true
    else this.schedule(0)
  }

  private async tick (): Promise<void> {
    if (this.ticking || this.controller.signal.aborted) return
    this.ticking = true
    this.again = false
    try {
      await this.watch()
      this.place()
      this.settle()
    } catch (err: any) {
      this.init.log.error('job %s: %s', this.job.jobId, err.message)
    } finally {
      this.ticking = false
      if (!this.terminal) this.schedule(this.again ? 0 : TICK_INTERVAL)
      else if (this.leftBehind()) this.schedule(LEFT_BEHIND_INTERVAL)
    }
  }

  /** One listing per host with running (or left-behind) tasks: what exited is collected, what is lost runs again. */
  private async watch (): Promise<void> {
    const byPeer = new Map<string, TaskRecord[]>()
    const leftBehind = new Map<string, AttemptRecord[]>()
    for (const task of this.job.tasks) {
      for (const attempt of task.attempts) {
        if (attempt.abandoned && attempt.containerId != null) leftBehind.set(attempt.peerId, [...(leftBehind.get(attempt.peerId) ?? []), attempt])
      }
      const attempt = task.attempts.at(-1)
      if (task.state !== 'running' || this.busy.has(task.index) || attempt == null) continue
      byPeer.set(attempt.peerId, [...(byPeer.get(attempt.peerId) ?? []), task])
    }
    const lostAfter = this.job.spec.lostAfter ?? DEFAULT_LOST_AFTER
    await Promise.all([...new Set([...byPeer.keys(), ...leftBehind.keys()])].map(async peerId => {
      const containers = this.init.node.containersOn(peerId)
      let views: ContainerView[]
      try {
        views = await containers.list({ signal: withTimeout(this.controller.signal, Math.min(HOST_CALL_TIMEOUT, lostAfter)) })
      } catch (err: any) {
        if (this.controller.signal.aborted) return
        for (const task of byPeer.get(peerId) ?? []) {
          const attempt = task.attempts.at(-1) as AttemptRecord
          const since = Math.max(this.answered.get(peerId) ?? 0, Date.parse(attempt.startedAt))
          if (Date.now() - since < lostAfter) continue
          this.init.log('job %s task %d: host %s did not answer for %s: %s', this.job.jobId, task.index, peerId, formatAge(lostAfter), err.message)
          attempt.abandoned = true
          this.endAttempt(task, { reason: `its host did not answer for ${formatAge(lostAfter)}`, failed: true })
        }
        return
      }
      this.answered.set(peerId, Date.now())
      const byId = new Map(views.map(v => [v.containerId, v]))
      for (const attempt of leftBehind.get(peerId) ?? []) void this.killLeftBehind(containers, attempt, byId.get(attempt.containerId as string))
      for (const task of byPeer.get(peerId) ?? []) {
        const attempt = task.attempts.at(-1) as AttemptRecord
        const view = byId.get(attempt.containerId as string)
        if (view == null) this.endAttempt(task, { reason: 'its container is gone from its host', failed: true })
        else if (view.state === 'removed') this.endAttempt(task, { reason: view.endReason ?? 'removed on its host', exitCode: view.exitCode, failed: true })
        else if (!STILL_RUNNING.has(view.state)) void this.collect(task, view)
      }
    }))
  }

  private async killLeftBehind (containers: ContainerService, attempt: AttemptRecord, view: ContainerView | undefined): Promise<void> {
    try {
      if (view != null && view.state !== 'removed') await containers.kill(attempt.containerId as string, { signal: withTimeout(this.controller.signal, HOST_CALL_TIMEOUT) })
      attempt.abandoned = false
      this.init.changed(this.job)
    } catch (err: any) {
      this.init.log('job %s: could not end a left-behind container on %s: %s', this.job.jobId, attempt.peerId, err.message)
    }
  }

  /** Starts pending tasks while the job's parallelism allows, each on the best peer that fits. */
  private place (): void {
    if (this.terminal) return
    const { spec } = this.job
    const limit = spec.parallelism ?? spec.count
    // A task being collected has ended: its slot is free while its results come back.
    let active = this.job.tasks.filter(t => t.state === 'starting' || t.state === 'running').length
    const onPeer = new Map<string, number>()
    for (const task of this.job.tasks) {
      const peer = task.attempts.at(-1)?.peerId
      if (peer != null && (ACTIVE.has(task.state) || task.state === 'done')) onPeer.set(peer, (onPeer.get(peer) ?? 0) + 1)
    }
    const peers = this.init.node.peers().filter(p => p.peerId !== this.init.node.peerId)
    const queueTimeout = spec.queueTimeout ?? DEFAULT_QUEUE_TIMEOUT
    for (const task of this.job.tasks) {
      if (active >= limit) break
      if (task.state !== 'pending' || this.busy.has(task.index)) continue
      const failedOn = new Set(task.attempts.filter(a => a.failed).map(a => a.peerId))
      const { candidates, rejections } = placeTask(peers, this.request, spec, onPeer, failedOn)
      if (candidates.length === 0) {
        this.wait(task, rejections, queueTimeout)
        continue
      }
      // Counted now: the next task of this tick sees it, before its host's record shows it.
      onPeer.set(candidates[0].peerId, (onPeer.get(candidates[0].peerId) ?? 0) + 1)
      active++
      void this.launch(task, candidates.slice(0, PLACE_TRIES).map(p => p.peerId), rejections)
    }
  }

  /** No peer fits now: the task waits, saying why per peer, until the queue timeout. */
  private wait (task: TaskRecord, rejections: Rejection[], queueTimeout: number): void {
    const why = describeRejections(rejections)
    if (Date.now() - task.pendingSince > queueTimeout) {
      task.state = 'failed'
      task.reason = `no peer could take it within ${formatAge(queueTimeout)}: ${why}`
      this.init.changed(this.job, task)
      return
    }
    const reason = `waiting for a peer: ${why}`
    if (task.reason === reason) return
    task.reason = reason
    this.init.changed(this.job, task)
  }

  /** Tries the chosen peers in order until one creates the container; then inputs go in and it starts. */
  private async launch (task: TaskRecord, peers: string[], rejections: Rejection[]): Promise<void> {
    this.busy.add(task.index)
    const signal = this.controller.signal
    const refusals: Rejection[] = []
    try {
      for (const peerId of peers) {
        const attempt: AttemptRecord = { peerId, containerId: null, startedAt: now(), endedAt: null, exitCode: null, reason: null, failed: false, abandoned: false }
        task.attempts.push(attempt)
        task.state = 'starting'
        task.reason = null
        this.init.changed(this.job, task)
        const containers = this.init.node.containersOn(peerId)
        try {
          const view = await containers.run(this.taskRequest(task), { signal })
          attempt.containerId = view.containerId
          this.init.changed(this.job, task)
          // Cancelled while the host made it: it must not be left there. The client stopping: the next start ends it.
          if (this.terminal) {
            await this.discard(containers, attempt, 'cancelled')
            return
          }
          if (signal.aborted) return
        } catch (err: any) {
          if (signal.aborted) return
          // Refused (full, policy, the image): not a try of the task; the next peer is asked.
          task.attempts.pop()
          refusals.push({ peerId, name: this.init.node.peers().find(p => p.peerId === peerId)?.name ?? null, reason: `refused: ${err.message}` })
          continue
        }
        try {
          task.inputBytes = await copyInputs(containers, attempt.containerId, this.job.spec.inputs, task.index, { signal })
          await containers.startHeld(attempt.containerId, { signal: withTimeout(signal, HOST_CALL_TIMEOUT) })
        } catch (err: any) {
          // Cancelled meanwhile: its container goes. The client stopping: the next start ends it.
          if (signal.aborted) {
            if (this.terminal) await this.discard(containers, attempt, 'cancelled')
            return
          }
          await this.discard(containers, attempt)
          if (err instanceof InputError) {
            attempt.endedAt = now()
            attempt.reason = err.message
            task.state = 'failed'
            task.reason = err.message
            this.init.changed(this.job, task)
            return
          }
          this.endAttempt(task, { reason: `could not start: ${err.message}`, failed: true })
          return
        }
        if (this.terminal) {
          await this.discard(containers, attempt, 'cancelled')
          return
        }
        task.state = 'running'
        this.answered.set(peerId, Date.now())
        this.init.changed(this.job, task)
        return
      }
      task.state = 'pending'
      task.reason = `waiting for a peer: ${describeRejections([...refusals, ...rejections])}`
      this.init.changed(this.job, task)
    } finally {
      this.busy.delete(task.index)
    }
  }

  /**
   * Ends an attempt's container (one that cannot be ended now is ended when its host answers);
   * with an end reason, the attempt is over.
   */
  private async discard (containers: ContainerService, attempt: AttemptRecord, reason?: string): Promise<void> {
    if (attempt.containerId != null) await containers.kill(attempt.containerId, { signal: AbortSignal.timeout(HOST_CALL_TIMEOUT) }).catch(() => { attempt.abandoned = true })
    if (reason == null) return
    attempt.endedAt ??= now()
    attempt.reason ??= reason
    this.init.changed(this.job)
  }

  private taskRequest (task: TaskRecord): RunRequest {
    const { jobId, spec } = this.job
    return {
      ...this.request,
      env: { ...this.request.env, P2PRC_JOB_ID: jobId, P2PRC_TASK_INDEX: String(task.index), P2PRC_TASK_COUNT: String(spec.count) },
      name: `${this.job.name}-${task.index}`,
      requestId: `${jobId}-${task.index}-${task.attempts.length}`
    }
  }

  /** An exited task: its logs and (when it is done, or out of retries) its outputs come back; then its container goes. */
  private async collect (task: TaskRecord, view: ContainerView): Promise<void> {
    const attempt = task.attempts.at(-1) as AttemptRecord
    const containerId = attempt.containerId as string
    const containers = this.init.node.containersOn(attempt.peerId)
    const signal = this.controller.signal
    const exitCode = view.exitCode ?? -1
    const failures = task.attempts.filter(a => a.failed).length
    const final = exitCode === 0 || failures >= this.job.spec.retries
    this.busy.add(task.index)
    task.state = 'collecting'
    this.init.changed(this.job, task)
    this.soon()
    let missing: string[] = []
    try {
      await saveLogs(containers, containerId, this.init.store.logFile(this.job.jobId, task.index), { signal })
      if (final && this.job.spec.outputs.length > 0) {
        const collected = await collectOutputs(containers, containerId, this.job.spec.outputs, this.init.store.outputsDir(this.job.jobId, task.index), { signal })
        task.outputBytes = collected.bytes
        missing = collected.missing
      }
      await containers.remove(containerId, { signal: withTimeout(signal, HOST_CALL_TIMEOUT) }).catch(err => {
        // The host's retention removes it later.
        this.init.log('job %s task %d: could not remove its container: %s', this.job.jobId, task.index, err.message)
      })
    } catch (err: any) {
      if (signal.aborted) return
      // Its host went during collection: the results are not here, so the task runs again.
      task.state = 'running'
      this.endAttempt(task, { reason: `exited with ${exitCode}, but collecting its results failed: ${err.message}`, exitCode, failed: true })
      return
    } finally {
      this.busy.delete(task.index)
    }
    const reason = view.endReason === 'oom' ? 'oom' : `exited with ${exitCode}`
    if (exitCode !== 0) {
      this.endAttempt(task, { reason, exitCode, failed: true })
      return
    }
    attempt.endedAt = view.finishedAt ?? now()
    attempt.exitCode = 0
    attempt.reason = reason
    task.state = 'done'
    task.exitCode = 0
    task.reason = missing.length > 0 ? `outputs not found in the container: ${missing.join(', ')}` : null
    this.init.changed(this.job, task)
    this.soon()
  }

  /** The latest attempt ended without success: the task runs again while retries last, else it failed. */
  private endAttempt (task: TaskRecord, end: { reason: string, exitCode?: number | null, failed: boolean }): void {
    const attempt = task.attempts.at(-1) as AttemptRecord
    attempt.endedAt = now()
    attempt.reason = end.reason
    attempt.exitCode = end.exitCode ?? null
    attempt.failed = end.failed
    task.exitCode = attempt.exitCode
    const failures = task.attempts.filter(a => a.failed).length
    if (failures <= this.job.spec.retries && !this.terminal) {
      task.state = 'pending'
      task.pendingSince = Date.now()
      task.reason = `attempt ${task.attempts.length} on ${attempt.peerId.slice(-6)}: ${end.reason}; running again`
    } else {
      task.state = 'failed'
      task.reason = end.reason
    }
    this.init.changed(this.job, task)
    this.soon()
  }

  /** The job's own state from its tasks'. */
  private settle (): void {
    if (this.terminal) return
    const tasks = this.job.tasks
    let state = this.job.state
    if (tasks.every(t => TERMINAL.has(t.state))) state = tasks.every(t => t.state === 'done') ? 'done' : 'failed'
    else if (tasks.some(t => t.state === 'running' || t.state === 'collecting' || t.state === 'done')) state = 'running'
    if (state === this.job.state) return
    this.job.state = state
    if (this.terminal) this.job.finishedAt = Date.now()
    this.init.changed(this.job)
  }
}
