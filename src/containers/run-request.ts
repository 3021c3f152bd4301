import { z } from 'zod'
import { ENV_NAME } from '../units/index.js'
import { durationValue, parseWith, sizeSchema } from '../validation/index.js'
import type { RunRequest, RunSpec } from './types.js'

// Every run request is checked here, whether it came from the library, the API or off the wire:
// one set of limits, one set of messages.

/** Docker's reference grammar (distribution/reference), lower-case repository, optional tag/digest. */
const IMAGE_REFERENCE = /^(?:(?:[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)+(?::\d{1,5})?|[a-zA-Z0-9-]+:\d{1,5}|localhost)\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/

export const MAX_CPUS = 1024
export const MIN_MEMORY = 6 * 1024 * 1024
export const MAX_MEMORY = 1024 ** 4
export const MAX_TTL = 365 * 86_400_000

const image = z.string().min(1).max(255).regex(IMAGE_REFERENCE, { message: 'not a valid image reference (e.g. busybox, registry:5000/team/app:1.2)' })
const cmd = z.array(z.string().max(4096)).max(64).refine(args => args.join('').length <= 64 * 1024, { message: 'command longer than 64 KiB' })
const env = z.record(z.string().regex(ENV_NAME, { message: 'environment names are letters, digits and _ (not starting with a digit)' }), z.string().max(8192))
  .refine(vars => Object.keys(vars).length <= 128, { message: 'at most 128 environment variables' })
const ports = z.array(z.number().int().min(1, { message: 'ports are 1-65535' }).max(65535, { message: 'ports are 1-65535' })).max(16)
const cpus = z.number().min(0.01, { message: 'CPUs are at least 0.01 (the engine\'s smallest share)' }).max(MAX_CPUS)
const memoryBytes = z.number().int().min(MIN_MEMORY, { message: `memory must be at least ${MIN_MEMORY / 1024 / 1024} MiB` }).max(MAX_MEMORY)
const gpus = z.union([z.literal('all'), z.number().int().min(0).max(64)])
const ttlMs = z.number().int().min(1000, { message: 'a time limit is at least 1s' }).max(MAX_TTL, { message: 'a time limit is at most 365d' })
const name = z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/, { message: 'names are 1-63 letters, digits and _ . - (starting with a letter or digit)' })

export const runRequestSchema = z.strictObject({
  image,
  cmd,
  env,
  ports,
  cpus: cpus.nullable(),
  memoryBytes: memoryBytes.nullable(),
  gpus,
  ttlMs: ttlMs.nullable(),
  name: name.nullable(),
  requestId: z.string().regex(/^[a-zA-Z0-9-]{1,64}$/).nullable(),
  hold: z.boolean()
})

export function validateRunRequest (value: unknown, source = 'run request'): RunRequest {
  return parseWith(runRequestSchema, value, source)
}

/**
 * What users give (the library's `run()`, the API's body, the CLI's flags): sizes and durations
 * as text or numbers (bytes, seconds), most fields optional. Checked in full, then turned into a
 * RunRequest.
 */
export const runSpecSchema = z.strictObject({
  image: z.string().max(255).pipe(image),
  cmd: cmd.optional(),
  env: env.optional(),
  ports: ports.optional(),
  cpus: cpus.optional(),
  memory: sizeSchema.pipe(memoryBytes).optional(),
  gpus: gpus.optional(),
  // Seconds as a number (the contract's `ttl`), or a duration as text.
  ttl: durationValue(1000).pipe(ttlMs).optional(),
  name: name.optional()
}) satisfies z.ZodType<unknown, RunSpec>

export function runRequestFromSpec (spec: unknown, source = 'run'): RunRequest {
  const parsed = parseWith(runSpecSchema, spec, source)
  return {
    image: parsed.image,
    cmd: parsed.cmd ?? [],
    env: parsed.env ?? {},
    ports: parsed.ports ?? [],
    cpus: parsed.cpus ?? null,
    memoryBytes: parsed.memory ?? null,
    gpus: parsed.gpus ?? 0,
    ttlMs: parsed.ttl ?? null,
    name: parsed.name ?? null,
    requestId: null,
    hold: false
  }
}
