import { setTimeout as sleep } from 'node:timers/promises'
import { ContainerNotFoundError, InvalidArgumentError } from '../errors.js'
import { refersTo } from '../units/index.js'
import { GIB } from '../units/index.js'
import { BUDGET_WINDOW, MAX_ACCOUNTS, MAX_ACCOUNTS_PER_OWNER, PRUNE_INTERVAL, RESUBSCRIBE_DELAY, SAVE_INTERVAL } from './constants.js'
import { addSample, finishMeter, newMeterState, usedSince, wallSeconds } from './meter.js'
import { toReceiptFile } from './receipt-file.js'
import { openCountersign, sealReceipt } from './receipts.js'
import { rounded, totalsBy, within } from './totals.js'
import { anySignal } from '../signals.js'
import type { HostAccount, HostUsageStore } from './host-store.js'
import type { UsageConfig } from '../config/schema.js'
import type { ContainerUsage, EndReason, ReceiptFile, UsageQuery, UsageReport } from '../contract/index.js'
import type { ContainerInfo, DockerRuntime } from '../runtime/index.js'
import type { Logger, PrivateKey, Startable } from '@libp2p/interface'

/** What each sample added, for the metrics' counters (per owner). */
export interface UsageIncrease {
  cpuSeconds: number
  memoryByteSeconds: number
  gpuSeconds: number
  networkRxBytes: number
  networkTxBytes: number
}

export interface HostUsageInit {
  selfPeerId: string
  privateKey: PrivateKey
  /** The engine to sample; null on a node that hosts nothing. */
  runtime: DockerRuntime | null
  store: HostUsageStore
  config: UsageConfig
  log: Logger
  onUsage: (owner: string, increase: UsageIncrease) => void
}

interface Account extends HostAccount {
  /** Following the engine's samples while it runs; aborted when it ends or the node stops. */
  follow?: AbortController
  /** The engine said it runs (last watch): followed again when the node starts again. */
  running: boolean
  /** The highest receipt number handed out, signed or being signed. */
  reserved: number
  dirty: boolean
}

/**
 * The host's usage accounting: every guest container's use, sampled from the engine about once a
 * second while it runs and closed when it ends, kept in the store across restarts for
 * `usage.retention`, and stated in receipts signed with the node's key (every
 * `usage.receiptInterval` while it runs, and once when it ends) that the owner fetches and
 * countersigns over /p2prc/usage. HostContainers tells it what runs (watch) and what ended (finish).
 */
export class HostUsage implements Startable {
  private readonly accounts = new Map<string, Account>()
  private loaded?: Promise<void>
  private timers: Array<ReturnType<typeof setInterval>> = []
  private controller = new AbortController()
  /** Stopped and saved: the data dir may be released, so nothing more is written until open(). */
  private stopped = false

  constructor (private readonly init: HostUsageInit) {}

  /**
   * Reads the store (once), and takes up sampling again after a stop: called before the host side
   * takes its containers back (and watches them), which is before start().
   */
  async open (): Promise<void> {
    this.loaded ??= this.load()
    await this.loaded
    if (this.controller.signal.aborted) this.controller = new AbortController()
    this.stopped = false
    this.saveDirty()
  }

  private async load (): Promise<void> {
    const accounts = await this.init.store.load((file, why) => { this.init.log.error('usage account %s is unreadable, left alone: %s', file, why) })
    for (const a of accounts) this.accounts.set(a.state.containerId, { ...a, running: false, reserved: a.sequence, dirty: false })
    this.prune()
  }

  async start (): Promise<void> {
    await this.open()
    if (this.timers.length > 0) return
    // Ended while its final receipt was being signed (the node stopping): it is signed now.
    for (const a of this.accounts.values()) {
      if (a.state.endedAt != null && !a.final) this.issue(a)
      // Watched while the node was stopped (a restart in place): followed now.
      else if (a.running && a.follow == null) this.follow(a)
    }
    this.timers = [
      setInterval(() => { this.issueRunning() }, this.init.config.receiptInterval),
      setInterval(() => { this.saveDirty() }, SAVE_INTERVAL),
      setInterval(() => { this.prune() }, PRUNE_INTERVAL)
    ]
  }

  /** Stops sampling and saves every open account; the next start takes the containers back. */
  async stop (): Promise<void> {
    this.controller.abort()
    for (const t of this.timers) clearInterval(t)
    this.timers = []
    for (const a of this.accounts.values()) {
      a.follow?.abort()
      a.follow = undefined
    }
    this.saveDirty()
    await this.init.store.flush()
    this.stopped = true
  }

  /**
   * A guest container as the host side sees it now (run, re-adopted, started, changed): opens its
   * account if it has none, and samples it while it runs.
   */
  watch (info: ContainerInfo, owner: string, name: string, gpus: number): void {
    let account = this.accounts.get(info.id)
    if (account == null) {
      const state = newMeterState({ containerId: info.id, owner, name, image: info.image, imageId: info.imageId, startedAt: info.startedAt, gpus, limits: { cpus: info.limits.cpus, memoryBytes: info.limits.memoryBytes } })
      account = { version: 1, state, receipt: null, sequence: 0, issuedAt: null, final: false, countersignature: null, running: false, reserved: 0, dirty: true }
      this.accounts.set(info.id, account)
      this.bound(owner)
    }
    if (account.state.endedAt != null) return
    account.state.startedAt ??= info.startedAt
    account.running = info.state === 'running'
    if (account.running && account.follow == null && !this.controller.signal.aborted) this.follow(account)
  }

  /** A guest container ended (exited, killed, expired, removed): closes its account and signs its final receipt. */
  finish (containerId: string, end: { at: number, reason: EndReason, exitCode: number | null }): void {
    const account = this.accounts.get(containerId)
    if (account == null || account.state.endedAt != null) return
    account.follow?.abort()
    account.follow = undefined
    account.running = false
    const delta = finishMeter(account.state, end)
    this.report(account.state.owner, { ...delta, gpuSeconds: 0 })
    account.dirty = true
    this.issue(account)
  }

  /**
   * After the host side's sweep: the containers that exist. An account still open for one that
   * does not was removed while nobody watched (the node down): closed at its last sample.
   */
  present (ids: Set<string>): void {
    for (const a of this.accounts.values()) {
      if (a.state.endedAt == null && !ids.has(a.state.containerId)) this.finish(a.state.containerId, { at: a.state.sampledAt ?? Date.now(), reason: 'removed on its host', exitCode: null })
    }
  }

  /** What one owner's containers used here in the last 24 hours, for the per-day budgets. */
  usedToday (owner: string): { cpuSeconds: number, memoryGiBSeconds: number } {
    const from = Date.now() - BUDGET_WINDOW
    let cpuSeconds = 0
    let memoryByteSeconds = 0
    for (const a of this.accounts.values()) {
      if (a.state.owner !== owner) continue
      const used = usedSince(a.state, from)
      cpuSeconds += used.cpuSeconds
      memoryByteSeconds += used.memoryByteSeconds
    }
    return { cpuSeconds, memoryGiBSeconds: memoryByteSeconds / GIB }
  }

  /** `host usage`: totals per owner and per container, within the window; `peer` is an owner's ID or a unique start of one. */
  usage (query: UsageQuery = {}): UsageReport {
    const now = Date.now()
    const owner = query.peer != null ? this.ownerOf(query.peer) : null
    const containers = within(this.views(a => owner == null || a.state.owner === owner), query.since ?? null, () => now)
      .sort((a, b) => (a.startedAt ?? '').localeCompare(b.startedAt ?? ''))
    return { peers: totalsBy(containers, u => u.peerId), containers: containers.map(rounded) }
  }

  private ownerOf (ref: string): string {
    const owners = new Set<string>()
    for (const a of this.accounts.values()) if (a.state.owner.startsWith(ref)) owners.add(a.state.owner)
    if (owners.size > 1) throw new InvalidArgumentError(`'${ref}' is the start of ${owners.size} owners' IDs; give more of it`)
    return owners.values().next().value ?? ref
  }

  /** The operator's copy of a container's latest receipt and the owner's countersignature. */
  receiptFile (ref: string): ReceiptFile {
    const matches = [...this.accounts.values()].filter(a => a.receipt != null && refersTo(ref, a.state.containerId, [a.state.name]))
    if (matches.length !== 1) throw new ContainerNotFoundError(matches.length === 0 ? `no receipt of a container '${ref}' on this node` : `'${ref}' matches ${matches.length} containers; give more of the ID`)
    const a = matches[0]
    return toReceiptFile(Buffer.from(a.receipt ?? '', 'base64'), a.countersignature != null ? Buffer.from(a.countersignature, 'base64') : null)
  }

  /**
   * The latest receipt of each of the owner's containers issued at or after `since`, oldest
   * first, at most `limit`; and how many of its containers still run here.
   */
  receiptsFor (owner: string, since: number, limit: number): { receipts: Uint8Array[], more: boolean, running: number } {
    const mine = [...this.accounts.values()].filter(a => a.state.owner === owner)
    const issued = mine.filter(a => a.receipt != null && (a.issuedAt ?? 0) >= since).sort((a, b) => (a.issuedAt ?? 0) - (b.issuedAt ?? 0))
    return {
      receipts: issued.slice(0, limit).map(a => new Uint8Array(Buffer.from(a.receipt ?? '', 'base64'))),
      more: issued.length > limit,
      running: mine.filter(a => a.state.endedAt == null).length
    }
  }

  /**
   * Keeps the owner's countersignatures of the receipts this host holds now (an older receipt's,
   * a forged one, or one for somebody else's container is dropped). Returns how many it kept.
   */
  async countersigned (owner: string, envelopes: Uint8Array[]): Promise<number> {
    let kept = 0
    for (const bytes of envelopes) {
      try {
        const { receipt, receiptBytes } = await openCountersign(bytes)
        const account = this.accounts.get(receipt.containerId)
        if (receipt.peerId !== owner || receipt.hostId !== this.init.selfPeerId || account == null || account.receipt == null) continue
        if (!Buffer.from(account.receipt, 'base64').equals(Buffer.from(receiptBytes))) continue
        account.countersignature = Buffer.from(bytes).toString('base64')
        account.dirty = true
        kept++
      } catch (err: any) {
        this.init.log('a countersignature from %s was refused: %s', owner, err.message)
      }
    }
    if (kept > 0) this.saveDirty()
    return kept
  }

  private views (keep: (a: Account) => boolean): ContainerUsage[] {
    const now = Date.now()
    return [...this.accounts.values()].filter(keep).map(a => accountView(this.init.selfPeerId, a, now))
  }

  /** Samples a running container until it stops; a broken stream (the engine away) is followed again. */
  private follow (account: Account): void {
    const runtime = this.init.runtime
    if (runtime == null) return
    const controller = new AbortController()
    account.follow = controller
    const signal = anySignal(controller.signal, this.controller.signal)
    const { state } = account
    void (async () => {
      while (!signal.aborted && state.endedAt == null) {
        try {
          for await (const sample of runtime.usageStream(state.containerId, { signal })) {
            const before = state.sampledAt
            const delta = addSample(state, sample)
            const gpuSeconds = before != null ? state.gpus * Math.max(0, sample.at - before) / 1000 : 0
            this.report(state.owner, { ...delta, gpuSeconds })
            account.dirty = true
          }
        } catch (err: any) {
          if (signal.aborted || err instanceof ContainerNotFoundError) return
          this.init.log('sampling %s broke, following it again: %s', state.containerId.slice(0, 12), err.message)
        }
        // The stream also ends when the engine drops it (a restart, a broken connection) while the
        // container runs on: it is followed again until HostContainers says it ended.
        await sleep(RESUBSCRIBE_DELAY, undefined, { signal }).catch(() => {})
      }
    })().finally(() => {
      if (account.follow === controller) account.follow = undefined
    })
  }

  private report (owner: string, increase: UsageIncrease): void {
    if (Object.values(increase).every(n => n === 0)) return
    this.init.onUsage(owner, increase)
  }

  /** The interim receipts of what runs now. */
  private issueRunning (): void {
    for (const a of this.accounts.values()) {
      if (a.state.endedAt == null && a.state.startedAt != null) this.issue(a)
    }
  }

  /** Signs the account's figures as its next receipt, and saves it. */
  private issue (account: Account): void {
    const now = Date.now()
    const view = accountView(this.init.selfPeerId, account, now)
    // Numbered now: a receipt signed meanwhile gets the next number, never the same one.
    const sequence = ++account.reserved
    const final = account.state.endedAt != null
    sealReceipt({
      ...view,
      sequence,
      final,
      issuedAt: now,
      startedAt: account.state.startedAt,
      endedAt: account.state.endedAt
    }, this.init.privateKey).then(bytes => {
      // A later receipt was signed meanwhile: it stands.
      if (account.sequence >= sequence) return
      account.receipt = Buffer.from(bytes).toString('base64')
      account.sequence = sequence
      account.issuedAt = now
      account.final = final
      account.countersignature = null
      account.dirty = true
      this.saveDirty()
    }).catch(err => { this.init.log.error('could not sign a receipt for %s: %s', account.state.containerId.slice(0, 12), err.message) })
  }

  private saveDirty (): void {
    // After stop the data dir may be another node's: what changes stays dirty for the next open.
    if (this.stopped) return
    for (const a of this.accounts.values()) {
      if (!a.dirty) continue
      a.dirty = false
      const { follow: _follow, dirty: _dirty, running: _running, reserved: _reserved, ...account } = a
      this.init.store.save(structuredClone(account)).catch(err => {
        a.dirty = true
        this.init.log.error('could not save the usage of %s: %s', a.state.containerId.slice(0, 12), err.message)
      })
    }
  }

  /** Drops the accounts of containers that ended longer ago than the retention. */
  private prune (): void {
    const before = Date.now() - this.init.config.retention
    for (const [id, a] of this.accounts) {
      if (a.state.endedAt != null && a.state.endedAt < before) this.drop(id)
    }
  }

  /**
   * Past the most accounts an owner may have here, or the host keeps, the owner's own oldest ended
   * ones go first: a flood of tiny runs pushes out the flooder's records, not other owners'.
   */
  private bound (owner: string): void {
    const mine = [...this.accounts.values()].filter(a => a.state.owner === owner)
    if (mine.length <= MAX_ACCOUNTS_PER_OWNER && this.accounts.size <= MAX_ACCOUNTS) return
    const ended = (mine.length > MAX_ACCOUNTS_PER_OWNER ? mine : [...this.accounts.values()])
      .filter(a => a.state.endedAt != null)
      .sort((a, b) => (a.state.endedAt ?? 0) - (b.state.endedAt ?? 0))
    const excess = mine.length > MAX_ACCOUNTS_PER_OWNER ? mine.length - MAX_ACCOUNTS_PER_OWNER : this.accounts.size - MAX_ACCOUNTS
    for (const a of ended.slice(0, excess)) this.drop(a.state.containerId)
  }

  private drop (id: string): void {
    this.accounts.delete(id)
    this.init.store.remove(id).catch(err => { this.init.log('could not remove the usage of %s: %s', id.slice(0, 12), err.message) })
  }
}

function accountView (hostId: string, a: HostAccount, now: number): ContainerUsage {
  const { state } = a
  const wall = wallSeconds(state, now)
  return {
    hostId,
    peerId: state.owner,
    containerId: state.containerId,
    name: state.name,
    image: state.image,
    imageId: state.imageId,
    startedAt: state.startedAt != null ? new Date(state.startedAt).toISOString() : null,
    endedAt: state.endedAt != null ? new Date(state.endedAt).toISOString() : null,
    running: state.endedAt == null,
    wallSeconds: wall,
    cpuSeconds: state.cpuSeconds,
    memoryGiBSeconds: state.memoryByteSeconds / GIB,
    memoryPeakBytes: state.memoryPeakBytes,
    gpus: state.gpus,
    gpuSeconds: state.gpus * wall,
    networkRxBytes: state.networkRxBytes,
    networkTxBytes: state.networkTxBytes,
    blockReadBytes: state.blockReadBytes,
    blockWriteBytes: state.blockWriteBytes,
    limits: state.limits,
    exitCode: state.exitCode,
    endReason: state.endReason,
    receipt: a.receipt != null && a.issuedAt != null
      ? { sequence: a.sequence, final: a.final, issuedAt: new Date(a.issuedAt).toISOString(), countersigned: a.countersignature != null }
      : null
  }
}
