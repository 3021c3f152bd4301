import { z } from 'zod'
import { VISIBLE_TEXT } from '../units/index.js'
import { labelsSchema as labels } from '../validation/index.js'

// Limits on what a peer may claim in its record. The envelope's size limit bounds the total; these
// keep each field sane for the tables and terminals that show it.

const text = (max: number): z.ZodString => z.string().max(max).regex(VISIBLE_TEXT, { message: 'control or invisible (format) characters' })
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)
const optionalCount = count.nullable()

const capacity = z.strictObject({
  cpus: z.number().min(0).max(1e6),
  memoryBytes: count,
  gpus: z.number().int().min(0).max(1024),
  containers: z.number().int().min(0).max(1e6)
})

const gpu = z.strictObject({
  vendor: z.enum(['nvidia', 'amd', 'intel', 'other']),
  index: z.number().int().min(0).max(1024),
  model: text(128),
  memoryBytes: optionalCount,
  memoryUsedBytes: optionalCount,
  utilizationPercent: z.number().min(0).max(100).nullable(),
  uuid: text(128).nullable(),
  driver: text(64).nullable(),
  pciId: z.string().regex(/^[0-9a-f]{4}:[0-9a-f]{4}$/).nullable()
})

export const resourcesSchema = z.strictObject({
  cpu: z.strictObject({
    model: text(128),
    cores: z.number().int().min(0).max(1e5),
    threads: z.number().int().min(0).max(1e5),
    arch: text(32),
    loadPercent: z.number().min(0).max(100)
  }),
  memory: z.strictObject({ totalBytes: count, freeBytes: count }),
  disk: z.strictObject({ totalBytes: count, freeBytes: count }),
  gpus: z.array(gpu).max(64),
  docker: z.boolean(),
  dockerVersion: text(64).nullable(),
  gpuRuntimes: z.array(text(64)).max(8),
  guestRuntime: text(64).nullable(),
  offer: capacity,
  used: capacity
}).superRefine((r, ctx) => {
  // A record may claim any hardware, but not offer more than the hardware it claims: fakes that
  // offer 100,000 CPUs on a 4-core machine would win every placement.
  const issue = (message: string): void => { ctx.addIssue({ code: 'custom', path: ['offer'], message }) }
  if (r.offer.cpus > r.cpu.threads) issue(`offers ${r.offer.cpus} CPUs of ${r.cpu.threads}`)
  if (r.offer.memoryBytes > r.memory.totalBytes) issue('offers more memory than the machine has')
  if (r.offer.gpus > r.gpus.length) issue(`offers ${r.offer.gpus} GPUs of ${r.gpus.length}`)
  if (!r.docker && (r.offer.cpus > 0 || r.offer.memoryBytes > 0 || r.offer.gpus > 0)) issue('offers compute without an engine')
})

export const unsignedRecordSchema = z.strictObject({
  seq: count,
  issuedAt: count,
  expiresAt: count,
  name: text(64),
  labels,
  multiaddrs: z.array(text(256)).max(16),
  resources: resourcesSchema
})
