import { z } from 'zod'
import { labelsSchema as labels } from '../validation/index.js'

// Limits on what a peer may claim in its record. The envelope's size limit bounds the total; these
// keep each field sane for the tables and terminals that show it.

const text = (max: number): z.ZodString => z.string().max(max).regex(/^\P{Cc}*$/u, { message: 'control characters' })
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
