import { mkdir, readdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import { writeWhole } from '../storage/write-whole.js'
import type { MeterState } from './meter.js'
import type { EndReason } from '../contract/index.js'

// The host's accounts, one file per container (DATA_DIR/usage/host/<container ID>.json), each
// replaced whole (storage/write-whole.ts) at every save, as the jobs' store does: a crash leaves
// the last complete account. Receipts are kept beside the figures they state.

export interface HostAccount {
  version: 1
  state: MeterState
  /** The latest receipt (signed envelope, base64), its number and when it was issued. */
  receipt: string | null
  sequence: number
  issuedAt: number | null
  /** The owner's countersignature of that receipt (base64), once it gave it. */
  countersignature: string | null
}

const count = z.number().finite().min(0)
const accountSchema = z.object({
  version: z.literal(1),
  state: z.object({
    containerId: z.string().regex(/^[0-9a-f]{64}$/),
    owner: z.string().max(128),
    name: z.string().max(256),
    image: z.string().max(512),
    imageId: z.string().max(256),
    startedAt: z.number().nullable(),
    endedAt: z.number().nullable(),
    gpus: z.number().int().min(0),
    limits: z.object({ cpus: count, memoryBytes: count }),
    cpuSeconds: count,
    memoryByteSeconds: count,
    memoryPeakBytes: count,
    networkRxBytes: count,
    networkTxBytes: count,
    blockReadBytes: count,
    blockWriteBytes: count,
    exitCode: z.number().int().nullable(),
    endReason: z.string().max(64).nullable().transform(r => r as EndReason | null),
    sampledAt: z.number().nullable(),
    lastMemoryBytes: count,
    cpuRate: count
  }),
  receipt: z.string().max(16_384).nullable(),
  sequence: z.number().int().min(0),
  issuedAt: z.number().nullable(),
  countersignature: z.string().max(16_384).nullable()
})

export class HostUsageStore {
  /** Saves of one account, one after another: a slow write never lands after a newer one. */
  private readonly writes = new Map<string, Promise<void>>()

  constructor (readonly dir: string) {}

  async save (account: HostAccount): Promise<void> {
    const id = account.state.containerId
    const text = JSON.stringify(account)
    const previous = this.writes.get(id) ?? Promise.resolve()
    const next = previous.catch(() => {}).then(async () => {
      await mkdir(this.dir, { recursive: true, mode: 0o700 })
      await writeWhole(join(this.dir, `${id}.json`), text)
    })
    this.writes.set(id, next)
    try {
      await next
    } finally {
      if (this.writes.get(id) === next) this.writes.delete(id)
    }
  }

  /** Every account on record; one whose file cannot be read is reported and left alone. */
  async load (onBad: (file: string, why: string) => void): Promise<HostAccount[]> {
    const names = await readdir(this.dir).catch(() => [] as string[])
    const accounts: HostAccount[] = []
    for (const name of names) {
      if (!/^[0-9a-f]{64}\.json$/.test(name)) continue
      try {
        const parsed = accountSchema.safeParse(JSON.parse(await readFile(join(this.dir, name), 'utf8')))
        if (!parsed.success) throw new Error(parsed.error.issues[0]?.message ?? 'not a usage account')
        accounts.push(parsed.data)
      } catch (err: any) {
        onBad(name, err.message)
      }
    }
    return accounts
  }

  async remove (containerId: string): Promise<void> {
    await this.writes.get(containerId)?.catch(() => {})
    await rm(join(this.dir, `${containerId}.json`), { force: true })
  }

  /** Waits for the saves under way (at stop). */
  async flush (): Promise<void> {
    await Promise.all([...this.writes.values()].map(async w => w.catch(() => {})))
  }
}
