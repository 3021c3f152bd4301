import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'
import type { JobLogLine, LogChunk } from '../contract/index.js'
import type { JobsNode } from './job-run.js'
import type { JobRecord, JobStore, TaskRecord } from './job-store.js'

const TERMINAL = new Set(['done', 'failed', 'cancelled'])

export interface JobLogsInit {
  node: JobsNode
  store: JobStore
  /** Resolves at the next change of the job (any task), or when the signal aborts. */
  nextChange: (jobId: string, signal: AbortSignal) => Promise<void>
}

/**
 * Every task's output, line by line with its index (`p2prc job logs`). A finished task's comes
 * from what was saved when it was collected; a running one's from its container. With `follow`,
 * the lines of all tasks come as they are written, as `docker compose logs -f` does, until the
 * job ends.
 */
export async function * jobLogs (job: JobRecord, follow: boolean, init: JobLogsInit, signal: AbortSignal): AsyncGenerator<JobLogLine> {
  if (!follow) {
    for (const task of job.tasks) yield * taskLines(task, job, init, false, signal)
    return
  }
  yield * merge(job.tasks.map(task => followTask(task.index, job, init, signal)), signal)
}

/** One task's lines: saved ones once it has been collected, else its container's. */
async function * taskLines (task: TaskRecord, job: JobRecord, init: JobLogsInit, follow: boolean, signal: AbortSignal): AsyncGenerator<JobLogLine> {
  const attempt = task.attempts.at(-1)
  if ((task.state === 'running' || task.state === 'collecting') && attempt?.containerId != null) {
    yield * linesOf(task.index, init.node.containersOn(attempt.peerId).logs(attempt.containerId, { follow, tail: 'all' }, { signal }))
    return
  }
  yield * savedLines(task.index, init.store.logFile(job.jobId, task.index))
}

async function * followTask (index: number, job: JobRecord, init: JobLogsInit, signal: AbortSignal): AsyncGenerator<JobLogLine> {
  let followed = -1
  while (!signal.aborted) {
    const task = job.tasks[index]
    const attempt = task.attempts.length - 1
    if (task.state === 'running' && attempt !== followed) {
      followed = attempt
      try {
        yield * taskLines(task, job, init, true, signal)
      } catch {
        // Its host went away mid-stream: the task's next attempt, or its end, says what happened.
      }
      continue
    }
    if (TERMINAL.has(task.state)) {
      if (followed < 0) yield * savedLines(index, init.store.logFile(job.jobId, index))
      return
    }
    await init.nextChange(job.jobId, signal)
  }
}

async function * savedLines (index: number, file: string): AsyncGenerator<JobLogLine> {
  const input = createReadStream(file, { encoding: 'utf8' })
  try {
    for await (const text of createInterface({ input, crlfDelay: Infinity })) {
      const parsed = JSON.parse(text) as { stream: 'stdout' | 'stderr', line: string }
      yield { index, stream: parsed.stream === 'stderr' ? 'stderr' : 'stdout', line: String(parsed.line) }
    }
  } catch (err: any) {
    // Not collected (the task never ran, or its logs were lost with its host): nothing to show.
    if (err.code !== 'ENOENT') throw err
  } finally {
    input.destroy()
  }
}

async function * linesOf (index: number, chunks: AsyncIterable<LogChunk>): AsyncGenerator<JobLogLine> {
  const pending = { stdout: '', stderr: '' }
  for await (const chunk of chunks) {
    const lines = (pending[chunk.stream] + Buffer.from(chunk.data).toString('utf8')).split('\n')
    pending[chunk.stream] = lines.pop() ?? ''
    for (const line of lines) yield { index, stream: chunk.stream, line }
  }
  for (const stream of ['stdout', 'stderr'] as const) {
    if (pending[stream] !== '') yield { index, stream, line: pending[stream] }
  }
}

/** Items of several generators as they come; each is read at the consumer's pace (one item ahead at most). */
async function * merge<T> (sources: Array<AsyncGenerator<T>>, signal: AbortSignal): AsyncGenerator<T> {
  const next = new Map<number, Promise<{ at: number, result: IteratorResult<T> }>>()
  const pull = (at: number): void => { next.set(at, sources[at].next().then(result => ({ at, result }))) }
  sources.forEach((_source, at) => { pull(at) })
  try {
    while (next.size > 0 && !signal.aborted) {
      const { at, result } = await Promise.race(next.values())
      if (result.done === true) {
        next.delete(at)
        continue
      }
      yield result.value
      pull(at)
    }
  } finally {
    await Promise.allSettled(sources.map(async s => s.return(undefined)))
  }
}
