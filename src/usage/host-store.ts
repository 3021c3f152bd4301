import { mkdir, readdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import { KeyedWrites } from '../storage/keyed-writes.js'
import { writeWhole } from '../storage/write-whole.js'
import { HOURS_KEPT, MAX_ENVELOPE_TEXT } from './constants.js'
import type { MeterState } from './meter.js'
import type { EndReason } from '../contract/index.js'

// The host's accounts, one file per container (DATA_DIR/usage/host/<container ID>.json), each
// replaced whole (storage/write-whole.ts) at every save, as the jobs' store does: a crash leaves
// the last complete account. Receipts are kept beside the figures they state.

export interface HostAccount {
  version: 1
  state: MeterState
  /** The latest receipt (signed envelope, base64), its number, when it was issued, and whether it is the last. */
  receipt: string | null
  sequence: number
  issuedAt: number | null
  final: boolean
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
    cpuRate: count,
    hours: z.array(z.tuple([z.number(), count, count])).max(HOURS_KEPT).default([])
  }),
  receipt: z.string().max(MAX_ENVELOPE_TEXT).nullable(),
  sequence: z.number().int().min(0),
  issuedAt: z.number().nullable(),
  final: z.boolean().default(false),
  countersignature: z.string().max(MAX_ENVELOPE_TEXT).nullable()
})

export class HostUsageStore {
  private readonly writes = new KeyedWrites()

  constructor (readonly dir: string) {}

  async save (account: HostAccount): Promise<void> {
    const id = account.state.containerId
    const text = JSON.stringify(account)
    await this.writes.run(id, async () => {
      await mkdir(this.dir, { recursive: true, mode: 0o700 })
      await writeWhole(join(this.dir, `${id}.json`), text)
    })
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
    await this.writes.settled(containerId)
    await rm(join(this.dir, `${containerId}.json`), { force: true })
  }

  /** Waits for the saves under way (at stop). */
  async flush (): Promise<void> {
    await this.writes.flush()
  }
}
