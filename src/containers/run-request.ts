import { z } from 'zod'
import { describeIssues } from '../config/schema.js'
import { InvalidArgumentError } from '../errors.js'
import { parseDuration, parseSize } from '../units.js'
import type { RunRequest } from './types.js'

// Every run request is checked here, whether it came from the API or off the wire: one set of
// limits, one set of messages.

/** Docker's reference grammar (distribution/reference), lower-case repository, optional tag/digest. */
const IMAGE_REFERENCE = /^(?:(?:[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)+(?::\d{1,5})?|[a-zA-Z0-9-]+:\d{1,5}|localhost)\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/

export const MAX_CPUS = 1024
export const MIN_MEMORY = 6 * 1024 * 1024
export const MAX_MEMORY = 1024 ** 4

export const runRequestSchema = z.strictObject({
  image: z.string().min(1).max(255).regex(IMAGE_REFERENCE, { message: 'not a valid image reference (e.g. busybox, registry:5000/team/app:1.2)' }),
  cmd: z.array(z.string().max(4096)).max(64).refine(cmd => cmd.join('').length <= 64 * 1024, { message: 'command longer than 64 KiB' }),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, { message: 'environment names are letters, digits and _' }), z.string().max(8192))
    .refine(env => Object.keys(env).length <= 128, { message: 'at most 128 environment variables' }),
  ports: z.array(z.number().int().min(1).max(65535)).max(16),
  cpus: z.number().positive({ message: 'CPUs must be more than 0' }).max(MAX_CPUS).nullable(),
  memoryBytes: z.number().int().min(MIN_MEMORY, { message: `memory must be at least ${MIN_MEMORY / 1024 / 1024} MiB` }).max(MAX_MEMORY).nullable(),
  gpus: z.union([z.literal('all'), z.number().int().min(0).max(64)]),
  ttlMs: z.number().int().min(1000, { message: 'a time limit is at least 1s' }).max(365 * 86_400_000).nullable(),
  name: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/, { message: 'names are 1-63 letters, digits and _ . - (starting with a letter or digit)' }).nullable(),
  requestId: z.string().regex(/^[a-zA-Z0-9-]{1,64}$/).nullable()
})

export function validateRunRequest (value: unknown, source = 'run request'): RunRequest {
  const parsed = runRequestSchema.safeParse(value)
  if (!parsed.success) throw new InvalidArgumentError(describeIssues(parsed.error, source))
  return parsed.data
}

/** What the API and CLI accept: sizes and durations as text, most fields optional. */
export const runBodySchema = z.strictObject({
  image: z.string().max(255),
  cmd: z.array(z.string().max(4096)).max(64).optional(),
  env: z.record(z.string().max(128), z.string().max(8192)).optional(),
  ports: z.array(z.number().int()).max(16).optional(),
  cpus: z.number().optional(),
  memory: z.union([z.number().int(), z.string().max(32)]).optional(),
  gpus: z.union([z.number().int(), z.literal('all')]).optional(),
  ttl: z.union([z.number().int(), z.string().max(32)]).optional(),
  name: z.string().max(63).optional()
})

export type RunBody = z.infer<typeof runBodySchema>

/** Turns the user-facing body (`"memory": "512m"`, `"ttl": "30m"`) into a checked RunRequest. */
export function runRequestFromBody (body: RunBody): RunRequest {
  const memoryBytes = typeof body.memory === 'string' ? parseSize(body.memory) : body.memory
  if (body.memory != null && memoryBytes == null) throw new InvalidArgumentError(`memory '${body.memory}' is not a size (e.g. 512m, 8g)`)
  const ttlMs = typeof body.ttl === 'string' ? parseDuration(body.ttl) : body.ttl != null ? body.ttl * 1000 : null
  if (body.ttl != null && ttlMs == null) throw new InvalidArgumentError(`ttl '${body.ttl}' is not a duration (e.g. 90s, 30m, 2h)`)
  return validateRunRequest({
    image: body.image,
    cmd: body.cmd ?? [],
    env: body.env ?? {},
    ports: body.ports ?? [],
    cpus: body.cpus ?? null,
    memoryBytes: memoryBytes ?? null,
    gpus: body.gpus ?? 0,
    ttlMs: ttlMs ?? null,
    name: body.name ?? null,
    requestId: null
  }, 'body')
}
