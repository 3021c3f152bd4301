import { mkdir, readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import { ContainerNotFoundError } from '../errors.js'
import { writeWhole } from '../storage/write-whole.js'
import { refersTo } from '../units/index.js'
import { KeyedWrites } from '../storage/keyed-writes.js'
import { CPU_LIMIT_SLACK, MAX_ENVELOPE_TEXT, MAX_RECEIPTS_PER_HOST, MAX_SYNC_COUNTERSIGN_CALLS, MAX_SYNC_PAGES, PRUNE_INTERVAL, SYNC_INTERVAL } from './constants.js'
import { toReceiptFile } from './receipt-file.js'
import { countersign, openReceipt, receiptUsage } from './receipts.js'
import { rounded, totalsBy, within } from './totals.js'
import type { Receipt } from './receipts.js'
import type { UsageConfig } from '../config/schema.js'
import type { ReceiptFile, UsageQuery, UsageReport } from '../contract/index.js'
import type { AbortOptions, Logger, PrivateKey, Startable } from '@libp2p/interface'

/** Where receipts come from: the hosts, over /p2prc/usage (protocols/usage). */
export interface ReceiptSource {
  receipts: (host: string, since: number, options?: AbortOptions) => Promise<{ receipts: Uint8Array[], more: boolean, running: number }>
  countersign: (host: string, envelopes: Uint8Array[], options?: AbortOptions) => Promise<number>
}

export interface OwnerUsageInit {
  selfPeerId: string
  privateKey: PrivateKey
  /** DATA_DIR/usage/owner: one file per host. */
  dir: string
  source: ReceiptSource
  config: UsageConfig
  log: Logger
}

/** Countersignatures sent in one call (the host takes at most 64). */
const COUNTERSIGN_CHUNK = 64
/** Containers of mine on one host that a ledger remembers having run. */
const MAX_CONTAINERS_PER_HOST = 20_000

interface Held {
  receipt: string
  countersignature: string
  /** The host has my countersignature (else it is sent again at the next sync). */
  delivered: boolean
}

interface Ledger {
  version: 1
  host: string
  /** Receipts issued before this were all fetched. */
  since: number
  /** I may have containers there that are not finished with: keep asking. */
  open: boolean
  /** The containers I ran there, with the limits the host granted: only their receipts are countersigned. */
  containers: Record<string, { cpus: number, memoryBytes: number }>
  receipts: Record<string, Held>
}

const ledgerSchema = z.object({
  version: z.literal(1),
  host: z.string().regex(/^[1-9A-HJ-NP-Za-km-z]{46,60}$/),
  since: z.number().min(0),
  open: z.boolean(),
  containers: z.record(z.string().regex(/^[0-9a-f]{64}$/), z.object({ cpus: z.number().min(0), memoryBytes: z.number().min(0) })).default({}),
  receipts: z.record(z.string().regex(/^[0-9a-f]{64}$/), z.object({ receipt: z.string().max(MAX_ENVELOPE_TEXT), countersignature: z.string().max(MAX_ENVELOPE_TEXT), delivered: z.boolean() }))
})

/**
 * The owner's side of receipts: what I used on each host, as the hosts signed it. Each receipt
 * fetched is checked (signed by the host I asked, about a container of mine), countersigned with
 * my key and given back, and both are kept (DATA_DIR/usage/owner/<host>.json). Hosts I ran
 * something on are asked about once a minute until all my containers there have final receipts.
 */
export class OwnerUsage implements Startable {
  private readonly ledgers = new Map<string, Ledger>()
  /** Parsed receipts by host and container, so reports do not open envelopes each time. */
  private readonly parsed = new Map<string, Receipt>()
  private loaded?: Promise<void>
  private timers: Array<ReturnType<typeof setInterval>> = []
  private controller = new AbortController()
  private readonly syncing = new Map<string, Promise<void>>()
  private readonly writes = new KeyedWrites()

  constructor (private readonly init: OwnerUsageInit) {}

  async start (): Promise<void> {
    this.loaded ??= this.load()
    await this.loaded
    this.controller = new AbortController()
    this.timers = [
      setInterval(() => { void this.syncOpen() }, SYNC_INTERVAL),
      setInterval(() => { this.prune() }, PRUNE_INTERVAL)
    ]
  }

  async stop (): Promise<void> {
    this.controller.abort()
    for (const t of this.timers) clearInterval(t)
    this.timers = []
    await Promise.all([...this.syncing.values()].map(async p => p.catch(() => {})))
    await this.writes.flush()
  }

  private async load (): Promise<void> {
    const names = await readdir(this.init.dir).catch(() => [] as string[])
    for (const name of names) {
      if (!name.endsWith('.json')) continue
      try {
        const parsed = ledgerSchema.safeParse(JSON.parse(await readFile(join(this.init.dir, name), 'utf8')))
        if (!parsed.success) throw new Error(parsed.error.issues[0]?.message ?? 'not a receipt ledger')
        const ledger = parsed.data
        // Each receipt is checked before the ledger is taken: one that does not verify is dropped, not the rest.
        for (const [containerId, held] of Object.entries(ledger.receipts)) {
          try {
            const receipt = await openReceipt(Buffer.from(held.receipt, 'base64'), { host: ledger.host })
            if (receipt.containerId !== containerId) throw new Error('it is filed under another container')
            this.parsed.set(`${ledger.host}/${containerId}`, receipt)
          } catch (err: any) {
            this.init.log.error('a receipt from %s in %s does not verify, dropped: %s', ledger.host, name, err.message)
            delete ledger.receipts[containerId]
          }
        }
        this.ledgers.set(ledger.host, ledger)
      } catch (err: any) {
        this.init.log.error('receipts in %s are unreadable, left alone: %s', name, err.message)
      }
    }
    this.prune()
  }

  /** I ran a container on this host: its receipts are asked for until they are all final. */
  expect (host: string, containerId: string, limits: { cpus: number, memoryBytes: number }): void {
    const ledger = this.ledger(host)
    ledger.open = true
    ledger.containers[containerId] = { cpus: limits.cpus, memoryBytes: limits.memoryBytes }
    const ids = Object.keys(ledger.containers)
    // Oldest first (insertion order): one that old has long had its final receipt.
    for (const id of ids.slice(0, Math.max(0, ids.length - MAX_CONTAINERS_PER_HOST))) delete ledger.containers[id]
    this.save(ledger)
  }

  /** Fetches a host's new receipts, countersigns them and gives them back (one sync per host at a time). */
  async sync (host: string, options: AbortOptions = {}): Promise<void> {
    const running = this.syncing.get(host)
    if (running != null) return running
    const done = this.syncOnce(host, options).finally(() => this.syncing.delete(host))
    this.syncing.set(host, done)
    return done
  }

  /** Syncs with these hosts (by default every one I hold receipts of or expect some from); the ones that did not answer. */
  async syncAll (hosts: string[] | null, options: AbortOptions = {}): Promise<string[]> {
    const targets = hosts ?? [...this.ledgers.keys()].filter(h => this.ledgers.get(h)?.open === true)
    const results = await Promise.allSettled(targets.map(async host => { await this.sync(host, options) }))
    return targets.filter((host, i) => {
      const r = results[i]
      if (r.status === 'rejected') this.init.log('receipts from %s: %s', host, r.reason?.message)
      return r.status === 'rejected'
    })
  }

  /** `usage`: what I used on each host, from the receipts I hold. */
  usage (query: UsageQuery = {}): UsageReport {
    const views = [...this.parsed.entries()]
      .filter(([key]) => query.peer == null || key.startsWith(`${query.peer}/`))
      .map(([key, r]) => receiptUsage(r, this.heldOf(key)?.delivered ?? false))
    const containers = within(views, query.since ?? null, u => u.receipt != null ? Date.parse(u.receipt.issuedAt) : Date.now()).sort((a, b) => (a.startedAt ?? '').localeCompare(b.startedAt ?? ''))
    return { peers: totalsBy(containers, u => u.hostId), containers: containers.map(rounded) }
  }

  /** One of my containers' receipt pair as a file, by container ID, prefix or name. */
  receiptFile (ref: string, host?: string): ReceiptFile {
    const matches = [...this.parsed.entries()].filter(([key, r]) => (host == null || key.startsWith(`${host}/`)) && refersTo(ref, r.containerId, [r.name]))
    if (matches.length !== 1) throw new ContainerNotFoundError(matches.length === 0 ? `no receipt of a container '${ref}' of mine` : `'${ref}' matches ${matches.length} receipts; give more of the ID or --peer`)
    const held = this.heldOf(matches[0][0])
    if (held == null) throw new ContainerNotFoundError(`no receipt of a container '${ref}' of mine`)
    return toReceiptFile(Buffer.from(held.receipt, 'base64'), Buffer.from(held.countersignature, 'base64'))
  }

  private heldOf (key: string): Held | undefined {
    const [host, containerId] = key.split('/')
    return this.ledgers.get(host)?.receipts[containerId]
  }

  private async syncOpen (): Promise<void> {
    await this.syncAll(null, { signal: this.controller.signal })
  }

  /**
   * One sync with a host: new receipts, checked and countersigned, then the countersignatures not
   * yet given. It makes at most a few calls (the host's rate limit); what is left waits for the
   * next sync, and what was done is kept even when a call fails.
   */
  private async syncOnce (host: string, options: AbortOptions): Promise<void> {
    const ledger = this.ledger(host)
    let running = 0
    try {
      for (let page = 0; page < MAX_SYNC_PAGES; page++) {
        const answer = await this.init.source.receipts(host, ledger.since, options)
        running = answer.running
        for (const bytes of answer.receipts) await this.take(ledger, bytes, options)
        if (!answer.more) break
      }
      const undelivered = Object.values(ledger.receipts).filter(h => !h.delivered)
      for (let call = 0; call < MAX_SYNC_COUNTERSIGN_CALLS && undelivered.length > 0; call++) {
        const chunk = undelivered.splice(0, COUNTERSIGN_CHUNK)
        await this.init.source.countersign(host, chunk.map(h => new Uint8Array(Buffer.from(h.countersignature, 'base64'))), options)
        // Kept or not (an older receipt's is dropped by the host), it was given: not sent again.
        for (const h of chunk) h.delivered = true
      }
      ledger.open = running > 0 || undelivered.length > 0 || [...this.held(host)].some(r => !r.final)
    } finally {
      this.bound(ledger)
      this.save(ledger)
    }
  }

  /**
   * Takes one receipt from a host: signed by that host, about a container I ran there, with
   * figures that add up (CPU within its limit over its wall time, never less than before). Only
   * then is it countersigned; anything else is logged and left out.
   */
  private async take (ledger: Ledger, bytes: Uint8Array, options: AbortOptions): Promise<void> {
    let receipt: Receipt
    try {
      receipt = await openReceipt(bytes, { host: ledger.host })
      ledger.since = Math.max(ledger.since, receipt.issuedAt)
      const known = this.parsed.get(`${ledger.host}/${receipt.containerId}`)
      if (known != null && known.sequence >= receipt.sequence) return
      const why = implausible(receipt, ledger.containers[receipt.containerId], known, this.init.selfPeerId)
      if (why != null) throw new Error(why)
    } catch (err: any) {
      this.init.log('a receipt from %s was not countersigned: %s', ledger.host, err.message)
      return
    }
    const signature = await countersign(bytes, this.init.privateKey, options)
    ledger.receipts[receipt.containerId] = { receipt: Buffer.from(bytes).toString('base64'), countersignature: Buffer.from(signature).toString('base64'), delivered: false }
    this.parsed.set(`${ledger.host}/${receipt.containerId}`, receipt)
  }

  private * held (host: string): Generator<Receipt> {
    for (const [key, r] of this.parsed) if (key.startsWith(`${host}/`)) yield r
  }

  private ledger (host: string): Ledger {
    let ledger = this.ledgers.get(host)
    if (ledger == null) {
      ledger = { version: 1, host, since: 0, open: false, containers: {}, receipts: {} }
      this.ledgers.set(host, ledger)
    }
    return ledger
  }

  /**
   * Drops receipts older than the retention: of containers that ended before it, or whose latest
   * receipt was issued before it (the host never sent a final one).
   */
  private prune (): void {
    const before = Date.now() - this.init.config.retention
    for (const ledger of this.ledgers.values()) {
      let changed = false
      for (const containerId of Object.keys(ledger.receipts)) {
        const r = this.parsed.get(`${ledger.host}/${containerId}`)
        if (r != null && (r.endedAt ?? r.issuedAt) < before) {
          delete ledger.receipts[containerId]
          this.parsed.delete(`${ledger.host}/${containerId}`)
          changed = true
        }
      }
      if (changed) this.save(ledger)
    }
  }

  private bound (ledger: Ledger): void {
    const ids = Object.keys(ledger.receipts)
    if (ids.length <= MAX_RECEIPTS_PER_HOST) return
    const oldest = ids.sort((a, b) => (this.parsed.get(`${ledger.host}/${a}`)?.issuedAt ?? 0) - (this.parsed.get(`${ledger.host}/${b}`)?.issuedAt ?? 0))
    for (const id of oldest.slice(0, ids.length - MAX_RECEIPTS_PER_HOST)) {
      delete ledger.receipts[id]
      this.parsed.delete(`${ledger.host}/${id}`)
    }
  }

  /** Saves a ledger whole, one save after another per host. */
  private save (ledger: Ledger): void {
    const text = JSON.stringify(ledger)
    this.writes.run(ledger.host, async () => {
      await mkdir(this.init.dir, { recursive: true, mode: 0o700 })
      await writeWhole(join(this.init.dir, `${ledger.host}.json`), text)
    }).catch(err => { this.init.log.error('could not save the receipts of %s: %s', ledger.host, err.message) })
  }

}

/** Why a receipt's figures cannot be right for a container I ran, or null when they add up. */
function implausible (r: Receipt, ran: { cpus: number, memoryBytes: number } | undefined, before: Receipt | undefined, self: string): string | null {
  if (r.peerId !== self) return `it is about a container of ${r.peerId}`
  if (ran == null) return `it is about container ${r.containerId.slice(0, 12)}, which I did not run there`
  if (Math.abs(r.limits.cpus - ran.cpus) > 1e-6 || r.limits.memoryBytes !== ran.memoryBytes) return 'its limits are not the ones the host granted'
  if (r.final && r.endedAt == null) return 'it is final but names no end'
  if (r.startedAt != null && r.endedAt != null && r.endedAt < r.startedAt) return 'it ends before it starts'
  if (ran.cpus > 0 && r.cpuSeconds > ran.cpus * r.wallSeconds * CPU_LIMIT_SLACK + 1) return `${r.cpuSeconds.toFixed(1)} CPU-seconds in ${r.wallSeconds.toFixed(1)} s is more than its ${ran.cpus} CPUs allow`
  if (r.gpuSeconds > r.gpus * r.wallSeconds + 1) return 'more GPU time than its GPUs over its run'
  if (before != null && (r.cpuSeconds < before.cpuSeconds || r.memoryGiBSeconds < before.memoryGiBSeconds || r.networkRxBytes < before.networkRxBytes || r.networkTxBytes < before.networkTxBytes || r.imageId !== before.imageId)) {
    return 'its figures are lower than (or its image differs from) the receipt before it'
  }
  return null
}
