import { randomBytes } from 'node:crypto'
import { mkdir, readdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import { KeyedWrites } from '../storage/keyed-writes.js'
import { writeWhole } from '../storage/write-whole.js'
import type { JobState, TaskAttempt, TaskState } from '../contract/index.js'
import type { JobSpec } from './job-spec.js'

// The client node owns its jobs: each one's state lives in DATA_DIR/jobs/<job ID>/job.json,
// replaced whole (storage/write-whole.ts) at every change, so a crash leaves the last complete state. Logs and outputs collected from tasks sit beside it.

export interface AttemptRecord extends TaskAttempt {
  /** It failed in a way that uses up a retry (not a refusal or a client restart). */
  failed: boolean
  /** Left behind (its host was lost): its container is killed when the host answers again. */
  abandoned: boolean
}

export interface TaskRecord {
  index: number
  state: TaskState
  reason: string | null
  exitCode: number | null
  attempts: AttemptRecord[]
  /** Since when it waits for a peer (ms). */
  pendingSince: number
  inputBytes: number
  outputBytes: number
}

export interface JobRecord {
  version: 1
  jobId: string
  name: string
  spec: JobSpec
  state: JobState
  createdAt: number
  finishedAt: number | null
  tasks: TaskRecord[]
}

const attemptSchema = z.object({
  peerId: z.string(),
  containerId: z.string().nullable(),
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  exitCode: z.number().nullable(),
  reason: z.string().nullable(),
  failed: z.boolean(),
  abandoned: z.boolean()
})
/** What is read back is checked: a file edited by hand or cut short is named, not trusted. */
const recordSchema = z.object({
  version: z.literal(1),
  jobId: z.string().regex(/^[0-9a-f]{16}$/),
  name: z.string(),
  // Stored after parsing (sizes in bytes, durations in ms), so not parsed again as a job file.
  spec: z.looseObject({ image: z.string(), count: z.number().int().min(1), inputs: z.array(z.unknown()), outputs: z.array(z.string()) }),
  state: z.enum(['queued', 'running', 'done', 'failed', 'cancelled']),
  createdAt: z.number(),
  finishedAt: z.number().nullable(),
  tasks: z.array(z.object({
    index: z.number().int().min(0),
    state: z.enum(['pending', 'starting', 'running', 'collecting', 'done', 'failed', 'cancelled']),
    reason: z.string().nullable(),
    exitCode: z.number().nullable(),
    attempts: z.array(attemptSchema),
    pendingSince: z.number(),
    inputBytes: z.number().default(0),
    outputBytes: z.number()
  }))
})

export function newJobId (): string {
  return randomBytes(8).toString('hex')
}

export class JobStore {
  private readonly writes = new KeyedWrites()

  constructor (readonly dir: string) {}

  jobDir (jobId: string): string {
    return join(this.dir, jobId)
  }

  outputsDir (jobId: string, index?: number): string {
    return index == null ? join(this.jobDir(jobId), 'outputs') : join(this.jobDir(jobId), 'outputs', String(index))
  }

  logFile (jobId: string, index: number): string {
    return join(this.jobDir(jobId), 'logs', `${index}.log`)
  }

  async save (job: JobRecord): Promise<void> {
    const text = JSON.stringify(job)
    await this.writes.run(job.jobId, async () => { await this.write(job.jobId, text) })
  }

  private async write (jobId: string, text: string): Promise<void> {
    const dir = this.jobDir(jobId)
    await mkdir(join(dir, 'logs'), { recursive: true, mode: 0o700 })
    await writeWhole(join(dir, 'job.json'), text)
  }

  /** Every job on record; one whose file cannot be read is reported and left alone. */
  async load (onBad: (jobId: string, why: string) => void): Promise<JobRecord[]> {
    const names = await readdir(this.dir).catch(() => [] as string[])
    const jobs: JobRecord[] = []
    for (const name of names) {
      if (!/^[0-9a-f]{16}$/.test(name)) continue
      try {
        const parsed = recordSchema.safeParse(JSON.parse(await readFile(join(this.dir, name, 'job.json'), 'utf8')))
        if (!parsed.success) throw new Error(parsed.error.issues[0]?.message ?? 'not a job record')
        jobs.push(parsed.data as JobRecord)
      } catch (err: any) {
        onBad(name, err.message)
      }
    }
    return jobs.sort((a, b) => a.createdAt - b.createdAt)
  }

  async remove (jobId: string): Promise<void> {
    await this.writes.settled(jobId)
    await rm(this.jobDir(jobId), { recursive: true, force: true })
  }
}
