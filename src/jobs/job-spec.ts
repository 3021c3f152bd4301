import { z } from 'zod'
import { runSpecSchema } from '../containers/run-request.js'
import { durationValue, labelKey, labelValue, sizeSchema } from '../validation/index.js'

// The job file (YAML or JSON), one schema: the daemon validates with it, and
// schemas/job.schema.json is generated from it (`npm run generate`) for editors and other tools.

export const MAX_TASKS = 1000
export const MAX_RETRIES = 20
export const MAX_INPUTS = 32
export const MAX_OUTPUTS = 32

const DAY = 86_400_000
/** A path inside the container: absolute, no `..`, no NUL. */
const containerPath = z.string().min(2).max(1024)
  .regex(/^\/[^\0]*$/, { message: 'an absolute path in the container (starting with /)' })
  .refine(p => !p.split('/').includes('..'), { message: 'a path without ..' })
const duration = (min: number, max: number, what: string): z.ZodType<number, number | string> =>
  durationValue(1000).pipe(z.number().int().min(min, { message: `${what} is at least ${min / 1000}s` }).max(max, { message: `${what} is at most ${max / DAY}d` }))

export const jobSpecSchema = z.strictObject({
  name: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,39}$/, { message: 'names are 1-40 letters, digits and _ . - (starting with a letter or digit)' }).optional()
    .describe('A name for people; the job ID is what commands take.'),
  image: runSpecSchema.shape.image.describe('The image every task runs (a Docker reference).'),
  cmd: runSpecSchema.shape.cmd.describe('The command as an array; left out: the image\'s own.'),
  env: runSpecSchema.shape.env.describe('Environment for every task; P2PRC_JOB_ID, P2PRC_TASK_INDEX and P2PRC_TASK_COUNT are added.'),
  count: z.number().int().min(1).max(MAX_TASKS).default(1).describe('How many tasks; each sees its index (0-based) in P2PRC_TASK_INDEX.'),
  spread: z.number().int().min(1).max(MAX_TASKS).optional().describe('At most this many of the job\'s tasks on one peer.'),
  parallelism: z.number().int().min(1).max(MAX_TASKS).optional().describe('At most this many tasks at once; left out: all of them.'),
  resources: z.strictObject({
    cpus: runSpecSchema.shape.cpus,
    memory: runSpecSchema.shape.memory,
    gpus: z.number().int().min(0).max(64).optional()
  }).optional().describe('What each task needs (and is limited to).'),
  constraints: z.strictObject({
    labels: z.record(labelKey, labelValue).refine(l => Object.keys(l).length <= 32, { message: 'at most 32 labels' }).optional()
      .describe('Only peers with every one of these labels.'),
    gpu: z.enum(['nvidia', 'amd', 'intel']).optional().describe('Only peers with a GPU of this vendor.'),
    minCpus: z.number().min(0).max(1024).optional().describe('Only peers with at least this many CPUs free.'),
    minMemory: sizeSchema.optional().describe('Only peers with at least this much memory free.')
  }).optional(),
  timeout: duration(1000, 365 * DAY, 'a timeout').optional().describe('Per task attempt (its time limit on the host).'),
  retries: z.number().int().min(0).max(MAX_RETRIES).default(0).describe('Attempts after the first for a task that fails (non-zero exit, host lost, time limit).'),
  queueTimeout: duration(1000, 30 * DAY, 'a queue timeout').optional().describe('How long a task may wait for a peer with room; then the job fails. Default 10m.'),
  lostAfter: duration(1000, DAY, 'lostAfter').optional().describe('How long a task\'s host may not answer before the task runs elsewhere. Default 30s.'),
  inputs: z.array(z.strictObject({
    from: z.string().min(1).max(2048).describe('A local file or directory (relative to the job file), or an http(s) URL the host downloads itself; {index} is the task\'s index.'),
    to: containerPath.describe('Where it goes in the container.')
  })).max(MAX_INPUTS).default([]),
  outputs: z.array(containerPath).max(MAX_OUTPUTS).default([]).describe('Paths collected from every task when it exits (`p2prc job get`).')
})

/** A job file as written. */
export type JobSpecInput = z.input<typeof jobSpecSchema>
/** A job file checked: sizes in bytes, durations in ms, defaults filled in. */
export type JobSpec = z.output<typeof jobSpecSchema>
