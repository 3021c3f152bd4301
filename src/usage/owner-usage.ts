import { mkdir, readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import { ContainerNotFoundError } from '../errors.js'
import { writeWhole } from '../storage/write-whole.js'
import { refersTo } from '../units/index.js'
import { PRUNE_INTERVAL } from './constants.js'
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

/** How often the hosts that still run my containers are asked for new receipts. */
export const SYNC_INTERVAL = 60_000
/** Pages of receipts one sync reads from a host (256 each). */
const MAX_PAGES = 16
/** Receipts kept from one host: more are dropped oldest first. */
const MAX_RECEIPTS_PER_HOST = 20_000

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
  receipts: Record<string, Held>
}

const ledgerSchema = z.object({
  version: z.literal(1),
  host: z.string().regex(/^[1-9A-HJ-NP-Za-km-z]{46,60}$/),
  since: z.number().min(0),
  open: z.boolean(),
  receipts: z.record(z.string().regex(/^[0-9a-f]{64}$/), z.object({ receipt: z.string().max(16_384), countersignature: z.string().max(16_384), delivered: z.boolean() }))
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
  private readonly writes = new Map<string, Promise<void>>()

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
    await Promise.all([...this.syncing.values(), ...this.writes.values()].map(async p => p.catch(() => {})))
  }

  private async load (): Promise<void> {
    const names = await readdir(this.init.dir).catch(() => [] as string[])
    for (const name of names) {
      if (!name.endsWith('.json')) continue
      try {
        const parsed = ledgerSchema.safeParse(JSON.parse(await readFile(join(this.init.dir, name), 'utf8')))
        if (!parsed.success) throw new Error(parsed.error.issues[0]?.message ?? 'not a receipt ledger')
        this.ledgers.set(parsed.data.host, parsed.data)
        for (const held of Object.values(parsed.data.receipts)) {
          const receipt = await openReceipt(Buffer.from(held.receipt, 'base64'), { host: parsed.data.host })
          this.parsed.set(`${parsed.data.host}/${receipt.containerId}`, receipt)
        }
      } catch (err: any) {
        this.init.log.error('receipts in %s are unreadable, left alone: %s', name, err.message)
      }
    }
    this.prune()
  }

  /** I ran something on this host: ask it for receipts until they are all final. */
  expect (host: string): void {
    const ledger = this.ledger(host)
    if (ledger.open) return
    ledger.open = true
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
    const containers = within(views, query.since ?? null, Date.now()).sort((a, b) => (a.startedAt ?? '').localeCompare(b.startedAt ?? ''))
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

  private async syncOnce (host: string, options: AbortOptions): Promise<void> {
    const ledger = this.ledger(host)
    const { source, selfPeerId, privateKey } = this.init
    let since = ledger.since
    let running = 0
    for (let page = 0; page < MAX_PAGES; page++) {
      const answer = await source.receipts(host, since, options)
      running = answer.running
      for (const bytes of answer.receipts) {
        let receipt: Receipt
        try {
          receipt = await openReceipt(bytes, { host })
          if (receipt.peerId !== selfPeerId) throw new Error(`it is about a container of ${receipt.peerId}`)
        } catch (err: any) {
          this.init.log('a receipt from %s was refused: %s', host, err.message)
          continue
        }
        since = Math.max(since, receipt.issuedAt)
        const key = `${host}/${receipt.containerId}`
        const known = this.parsed.get(key)
        if (known != null && known.sequence >= receipt.sequence) continue
        const signature = await countersign(bytes, privateKey, options)
        ledger.receipts[receipt.containerId] = { receipt: Buffer.from(bytes).toString('base64'), countersignature: Buffer.from(signature).toString('base64'), delivered: false }
        this.parsed.set(key, receipt)
      }
      if (!answer.more) break
    }
    ledger.since = since
    const undelivered = Object.values(ledger.receipts).filter(h => !h.delivered)
    if (undelivered.length > 0) {
      await source.countersign(host, undelivered.map(h => new Uint8Array(Buffer.from(h.countersignature, 'base64'))), options)
      // Kept or not (an older receipt's is dropped by the host), it was given: not sent again.
      for (const h of undelivered) h.delivered = true
    }
    ledger.open = running > 0 || [...this.parsed.entries()].some(([key, r]) => key.startsWith(`${host}/`) && !r.final)
    this.bound(ledger)
    this.save(ledger)
  }

  private ledger (host: string): Ledger {
    let ledger = this.ledgers.get(host)
    if (ledger == null) {
      ledger = { version: 1, host, since: 0, open: false, receipts: {} }
      this.ledgers.set(host, ledger)
    }
    return ledger
  }

  /** Drops receipts of containers that ended longer ago than the retention. */
  private prune (): void {
    const before = Date.now() - this.init.config.retention
    for (const ledger of this.ledgers.values()) {
      let changed = false
      for (const containerId of Object.keys(ledger.receipts)) {
        const r = this.parsed.get(`${ledger.host}/${containerId}`)
        if (r?.endedAt != null && r.endedAt < before) {
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
    const previous = this.writes.get(ledger.host) ?? Promise.resolve()
    const next = previous.catch(() => {}).then(async () => {
      await mkdir(this.init.dir, { recursive: true, mode: 0o700 })
      await writeWhole(join(this.init.dir, `${ledger.host}.json`), text)
    })
    this.writes.set(ledger.host, next)
    next.catch(err => { this.init.log.error('could not save the receipts of %s: %s', ledger.host, err.message) })
      .finally(() => { if (this.writes.get(ledger.host) === next) this.writes.delete(ledger.host) })
  }
}
