// Jobs: batch work over many peers from one file (`p2prc job ...`, `/v1/jobs`).

export type JobState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled'

/**
 * pending: waiting for a peer (or its turn under `parallelism`); starting: its container is being
 * made and its inputs copied in; running; collecting: it exited and its logs and outputs are
 * being fetched; then done, failed or cancelled.
 */
export type TaskState = 'pending' | 'starting' | 'running' | 'collecting' | 'done' | 'failed' | 'cancelled'

/** One try of a task on one peer. */
export interface TaskAttempt {
  peerId: string
  containerId: string | null
  /** ISO times. */
  startedAt: string
  endedAt: string | null
  exitCode: number | null
  /** How it ended, in words (`exited`, `time limit`, `host ... did not answer for 30s`), or null while it runs. */
  reason: string | null
}

/** The contract's task shape in `job status --json`, plus its attempts. */
export interface TaskView {
  index: number
  /** Where its latest attempt runs or ran. */
  peerId: string | null
  containerId: string | null
  state: TaskState
  exitCode: number | null
  /** How many times it was started. */
  attempts: number
  /** Why it waits, failed or ended, in words; null when there is nothing to say. */
  reason: string | null
  history: TaskAttempt[]
  /** Bytes of inputs copied into its latest attempt. */
  inputBytes: number
  /** Bytes of its outputs collected so far. */
  outputBytes: number
}

export interface JobView {
  jobId: string
  name: string
  state: JobState
  image: string
  /** ISO times. */
  createdAt: string
  finishedAt: string | null
  /** Tasks per state. */
  counts: Record<TaskState, number>
  tasks: TaskView[]
}

/** `POST /v1/jobs`: a job file's text (YAML or JSON) or a spec as an object; relative input paths are taken from baseDir. */
export interface JobSubmission {
  file?: string
  spec?: Record<string, unknown>
  /** What errors call the file, e.g. `job.yaml`. */
  source?: string
  /** An absolute path: where the job file is. */
  baseDir?: string
}

/** One line of a task's output (`job logs`). */
export interface JobLogLine {
  index: number
  stream: 'stdout' | 'stderr'
  line: string
}

/** What a command run in one task gave (`job exec`). */
export interface JobExecResult {
  index: number
  peerId: string
  containerId: string
  exitCode: number | null
  stdout: string
  stderr: string
  /** Why it could not run there, or null. */
  error: string | null
}
