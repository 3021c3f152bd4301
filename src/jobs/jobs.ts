import { join } from 'node:path'
import { TypedEventEmitter, setMaxListeners } from '@libp2p/interface'
import { logger } from '@libp2p/logger'
import { ContainerConflictError, InvalidArgumentError, NotFoundError } from '../errors.js'
import { MAX_EXEC_OUTPUT, MAX_JOBS } from './constants.js'
import { parseJobFile, parseJobSpec } from './job-file.js'
import { jobLogs } from './job-logs.js'
import { JobRun } from './job-run.js'
import { JobStore, newJobId } from './job-store.js'
import type { JobEvents, JobExecResult, JobLogLine, JobSubmission, JobView, TaskState, TaskView } from '../contract/index.js'
import type { JobsNode } from './job-run.js'
import type { JobRecord, TaskRecord } from './job-store.js'
import type { AbortOptions, Logger } from '@libp2p/interface'

export interface JobsInit {
  node: JobsNode
  /** The node's data dir: jobs live in its `jobs/` folder. */
  dataDir: string
  /** @default logger('p2prc:jobs') (DEBUG=p2prc:jobs) */
  log?: Logger
}

const TASK_STATES: TaskState[] = ['pending', 'starting', 'running', 'collecting', 'done', 'failed', 'cancelled']

/**
 * The jobs this node runs as a client (`p2prc job ...`): submitted, driven to their end, kept on
 * disk across restarts, and reported as views and events.
 */
export class Jobs extends TypedEventEmitter<JobEvents> {
  readonly store: JobStore
  private readonly runs = new Map<string, JobRun>()
  private started = false
  private readonly init: Required<JobsInit>

  constructor (init: JobsInit) {
    super()
    this.init = { ...init, log: init.log ?? logger('p2prc:jobs') }
    // Every `job logs -f` waits on these.
    setMaxListeners(Infinity, this)
    this.store = new JobStore(join(init.dataDir, 'jobs'))
  }

  /** Takes up the jobs on record: unfinished ones go on where they were. */
  async start (): Promise<void> {
    if (this.started) return
    this.started = true
    for (const job of await this.store.load((jobId, why) => { this.init.log.error('job %s cannot be read, left alone: %s', jobId, why) })) {
      const run = this.track(job)
      if (!run.terminal) this.init.log('job %s (%s) taken up again: %s', job.jobId, job.name, job.state)
      run.start()
    }
  }

  /** Stops driving jobs; their state is on disk, and the next start takes them up. */
  stop (): void {
    this.started = false
    for (const run of this.runs.values()) run.stop()
    this.runs.clear()
  }

  /** A new job from a job file's text or a spec object; it starts at once. */
  async submit (submission: JobSubmission): Promise<JobView> {
    const baseDir = submission.baseDir ?? process.cwd()
    const source = submission.source ?? 'job'
    const spec = submission.file != null
      ? parseJobFile(submission.file, source, baseDir)
      : submission.spec != null
        ? parseJobSpec(submission.spec, source, baseDir)
        : (() => { throw new InvalidArgumentError('a job needs a file or a spec') })()
    await this.makeRoom()
    const jobId = newJobId()
    const job: JobRecord = {
      version: 1,
      jobId,
      name: spec.name ?? `job-${jobId.slice(0, 8)}`,
      spec,
      state: 'queued',
      createdAt: Date.now(),
      finishedAt: null,
      tasks: Array.from({ length: spec.count }, (_v, index) => ({ index, state: 'pending' as const, reason: null, exitCode: null, attempts: [], pendingSince: Date.now(), inputBytes: 0, outputBytes: 0 }))
    }
    await this.store.save(job)
    const run = this.track(job)
    this.init.log('job %s (%s): %d tasks of %s', jobId, job.name, spec.count, spec.image)
    run.start()
    this.emitJob(job)
    return jobView(job)
  }

  list (): JobView[] {
    return [...this.runs.values()].map(r => jobView(r.job))
  }

  status (ref: string): JobView {
    return jobView(this.resolve(ref).job)
  }

  async cancel (ref: string): Promise<JobView> {
    const run = this.resolve(ref)
    await run.cancel()
    return jobView(run.job)
  }

  /** Forgets a finished job with its logs and outputs; one still going must be cancelled first. */
  async remove (ref: string): Promise<JobView> {
    const run = this.resolve(ref)
    if (!run.terminal) throw new ContainerConflictError(`job ${run.job.jobId} is ${run.job.state}; cancel it first (p2prc job cancel)`)
    run.stop()
    this.runs.delete(run.job.jobId)
    await this.store.remove(run.job.jobId)
    return jobView(run.job)
  }

  /** Where a job's collected outputs are: `<dir>/<task index>/<path in the container>`. */
  outputsDir (ref: string): string {
    return this.store.outputsDir(this.resolve(ref).job.jobId)
  }

  logs (ref: string, options: AbortOptions & { follow?: boolean } = {}): AsyncGenerator<JobLogLine> {
    const run = this.resolve(ref)
    const signal = options.signal ?? new AbortController().signal
    return jobLogs(run.job, options.follow === true, {
      node: this.init.node,
      store: this.store,
      nextChange: async (jobId, abort) => { await this.nextChange(jobId, abort) }
    }, signal)
  }

  /** Runs a command in every running task of a job (`p2prc job exec`), and says what each gave. */
  async exec (ref: string, cmd: string[], options: AbortOptions = {}): Promise<JobExecResult[]> {
    const run = this.resolve(ref)
    if (cmd.length === 0) throw new InvalidArgumentError('job exec needs a command')
    const running = run.job.tasks.filter(t => t.state === 'running' && t.attempts.at(-1)?.containerId != null)
    if (running.length === 0) throw new ContainerConflictError(`job ${run.job.jobId} has no running tasks`)
    return Promise.all(running.map(async task => this.execIn(task, cmd, options)))
  }

  private async execIn (task: TaskRecord, cmd: string[], options: AbortOptions): Promise<JobExecResult> {
    const attempt = task.attempts.at(-1) as { peerId: string, containerId: string }
    const result: JobExecResult = { index: task.index, peerId: attempt.peerId, containerId: attempt.containerId, exitCode: null, stdout: '', stderr: '', error: null }
    try {
      const session = await this.init.node.containersOn(attempt.peerId).exec(attempt.containerId, { cmd, tty: false, stdin: false }, options)
      let kept = 0
      for await (const chunk of session.output) {
        if (kept >= MAX_EXEC_OUTPUT) continue
        const text = Buffer.from(chunk.data).toString('utf8').slice(0, MAX_EXEC_OUTPUT - kept)
        kept += text.length
        result[chunk.stream] += text
      }
      result.exitCode = await session.wait()
    } catch (err: any) {
      result.error = err.message
    }
    return result
  }

  /** A job by its ID, a unique prefix of it, or its unique name. */
  private resolve (ref: string): JobRun {
    const exact = this.runs.get(ref)
    if (exact != null) return exact
    const matches = [...this.runs.values()].filter(r => (ref.length >= 4 && r.job.jobId.startsWith(ref)) || r.job.name === ref)
    if (matches.length === 1) return matches[0]
    if (matches.length > 1) throw new InvalidArgumentError(`'${ref}' matches ${matches.length} jobs; give more of the ID`)
    throw new NotFoundError(`no job '${ref}' (see p2prc job ls)`)
  }

  private track (job: JobRecord): JobRun {
    const run = new JobRun(job, {
      node: this.init.node,
      store: this.store,
      log: this.init.log,
      changed: (changed, task) => { this.changed(changed, task) }
    })
    this.runs.set(job.jobId, run)
    return run
  }

  private changed (job: JobRecord, task?: TaskRecord): void {
    this.store.save(job).catch(err => { this.init.log.error('could not save job %s: %s', job.jobId, err.message) })
    if (task != null) this.safeDispatchEvent('task:update', { detail: { ...taskView(task), jobId: job.jobId } })
    this.emitJob(job)
  }

  private emitJob (job: JobRecord): void {
    const { tasks: _tasks, ...summary } = jobView(job)
    this.safeDispatchEvent('job:update', { detail: summary })
  }

  private async nextChange (jobId: string, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return
    await new Promise<void>(resolve => {
      const done = (): void => {
        this.removeEventListener('job:update', onUpdate)
        signal.removeEventListener('abort', done)
        resolve()
      }
      const onUpdate = (event: CustomEvent<{ jobId: string }>): void => { if (event.detail.jobId === jobId) done() }
      this.addEventListener('job:update', onUpdate)
      signal.addEventListener('abort', done, { once: true })
    })
  }

  /** Past MAX_JOBS, the oldest finished jobs go (with their outputs); running ones never do. */
  private async makeRoom (): Promise<void> {
    if (this.runs.size < MAX_JOBS) return
    const finished = [...this.runs.values()].filter(r => r.terminal).sort((a, b) => a.job.createdAt - b.job.createdAt)
    if (finished.length === 0) throw new ContainerConflictError(`this node already has ${this.runs.size} jobs going; wait for some to finish`)
    for (const run of finished.slice(0, this.runs.size - MAX_JOBS + 1)) {
      this.runs.delete(run.job.jobId)
      await this.store.remove(run.job.jobId)
    }
  }
}

export function taskView (task: TaskRecord): TaskView {
  const last = task.attempts.at(-1)
  return {
    index: task.index,
    peerId: last?.peerId ?? null,
    containerId: last?.containerId ?? null,
    state: task.state,
    exitCode: task.exitCode,
    attempts: task.attempts.length,
    reason: task.reason,
    history: task.attempts.map(({ failed: _f, abandoned: _a, ...attempt }) => attempt),
    inputBytes: task.inputBytes,
    outputBytes: task.outputBytes
  }
}

export function jobView (job: JobRecord): JobView {
  const counts = Object.fromEntries(TASK_STATES.map(s => [s, 0])) as Record<TaskState, number>
  for (const task of job.tasks) counts[task.state]++
  return {
    jobId: job.jobId,
    name: job.name,
    state: job.state,
    image: job.spec.image,
    createdAt: new Date(job.createdAt).toISOString(),
    finishedAt: job.finishedAt != null ? new Date(job.finishedAt).toISOString() : null,
    counts,
    tasks: job.tasks.map(taskView)
  }
}
