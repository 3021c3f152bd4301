import { setTimeout as sleep } from 'node:timers/promises'
import { ContainerNotFoundError } from '../errors.js'
import { refersTo } from '../units/index.js'
import { BUDGET_WINDOW, MAX_STORED_CONTAINERS, PRUNE_INTERVAL, RESUBSCRIBE_DELAY, SAVE_INTERVAL } from './constants.js'
import { GIB, addSample, finishMeter, newMeterState, wallSeconds } from './meter.js'
import { toReceiptFile } from './receipt-file.js'
import { openCountersign, sealReceipt } from './receipts.js'
import { rounded, totalsBy, within } from './totals.js'
import type { HostAccount, HostUsageStore } from './host-store.js'
import type { MeterState } from './meter.js'
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

  constructor (private readonly init: HostUsageInit) {}

  /** Reads the store (once): before the host side takes its containers back. */
  async open (): Promise<void> {
    this.loaded ??= this.load()
    await this.loaded
  }

  private async load (): Promise<void> {
    const accounts = await this.init.store.load((file, why) => { this.init.log.error('usage account %s is unreadable, left alone: %s', file, why) })
    for (const a of accounts) this.accounts.set(a.state.containerId, { ...a, dirty: false })
    this.prune()
  }

  async start (): Promise<void> {
    await this.open()
    this.controller = new AbortController()
    // Ended while its final receipt was being signed (the node stopping): it is signed now.
    for (const a of this.accounts.values()) {
      if (a.state.endedAt != null && (a.issuedAt ?? 0) < a.state.endedAt) this.issue(a)
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
  }

  /**
   * A guest container as the host side sees it now (run, re-adopted, started, changed): opens its
   * account if it has none, and samples it while it runs.
   */
  watch (info: ContainerInfo, owner: string, name: string, gpus: number): void {
    let account = this.accounts.get(info.id)
    if (account == null) {
      const state = newMeterState({ containerId: info.id, owner, name, image: info.image, imageId: info.imageId, startedAt: info.startedAt, gpus, limits: { cpus: info.limits.cpus, memoryBytes: info.limits.memoryBytes } })
      account = { version: 1, state, receipt: null, sequence: 0, issuedAt: null, countersignature: null, dirty: true }
      this.accounts.set(info.id, account)
      this.bound()
    }
    if (account.state.endedAt != null) return
    account.state.startedAt ??= info.startedAt
    if (info.state === 'running' && account.follow == null && !this.controller.signal.aborted) this.follow(account)
  }

  /** A guest container ended (exited, killed, expired, removed): closes its account and signs its final receipt. */
  finish (containerId: string, end: { at: number, reason: EndReason, exitCode: number | null }): void {
    const account = this.accounts.get(containerId)
    if (account == null || account.state.endedAt != null) return
    account.follow?.abort()
    account.follow = undefined
    const delta = finishMeter(account.state, end)
    this.report(account.state, delta.cpuSeconds, delta.memoryByteSeconds, 0, 0, 0)
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
    const now = Date.now()
    const mine = within(this.views(a => a.state.owner === owner), now - BUDGET_WINDOW, now)
    return { cpuSeconds: mine.reduce((s, u) => s + u.cpuSeconds, 0), memoryGiBSeconds: mine.reduce((s, u) => s + u.memoryGiBSeconds, 0) }
  }

  /** `host usage`: totals per owner and per container, within the window. */
  usage (query: UsageQuery = {}): UsageReport {
    const now = Date.now()
    const containers = within(this.views(a => query.peer == null || a.state.owner === query.peer), query.since ?? null, now)
      .sort((a, b) => (a.startedAt ?? '').localeCompare(b.startedAt ?? ''))
    return { peers: totalsBy(containers, u => u.peerId), containers: containers.map(rounded) }
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
    const signal = AbortSignal.any([controller.signal, this.controller.signal])
    const { state } = account
    void (async () => {
      while (!signal.aborted && state.endedAt == null) {
        try {
          for await (const sample of runtime.usageStream(state.containerId, { signal })) {
            const before = state.sampledAt
            const delta = addSample(state, sample)
            const gpuSeconds = before != null ? state.gpus * Math.max(0, sample.at - before) / 1000 : 0
            this.report(state, delta.cpuSeconds, delta.memoryByteSeconds, gpuSeconds, delta.networkRxBytes, delta.networkTxBytes)
            account.dirty = true
          }
          // The stream ends when the container stops: HostContainers says how it ended.
          return
        } catch (err: any) {
          if (signal.aborted || err instanceof ContainerNotFoundError) return
          this.init.log('sampling %s broke, following it again: %s', state.containerId.slice(0, 12), err.message)
          await sleep(RESUBSCRIBE_DELAY, undefined, { signal }).catch(() => {})
        }
      }
    })().finally(() => {
      if (account.follow === controller) account.follow = undefined
    })
  }

  private report (state: MeterState, cpuSeconds: number, memoryByteSeconds: number, gpuSeconds: number, networkRxBytes: number, networkTxBytes: number): void {
    if (cpuSeconds + memoryByteSeconds + gpuSeconds + networkRxBytes + networkTxBytes === 0) return
    this.init.onUsage(state.owner, { cpuSeconds, memoryByteSeconds, gpuSeconds, networkRxBytes, networkTxBytes })
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
    const sequence = account.sequence + 1
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
      account.countersignature = null
      account.dirty = true
      this.saveDirty()
    }).catch(err => { this.init.log.error('could not sign a receipt for %s: %s', account.state.containerId.slice(0, 12), err.message) })
  }

  private saveDirty (): void {
    for (const a of this.accounts.values()) {
      if (!a.dirty) continue
      a.dirty = false
      const { follow: _follow, dirty: _dirty, ...account } = a
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

  /** Past the most accounts a host keeps, the oldest ended ones go. */
  private bound (): void {
    if (this.accounts.size <= MAX_STORED_CONTAINERS) return
    const ended = [...this.accounts.values()].filter(a => a.state.endedAt != null).sort((a, b) => (a.state.endedAt ?? 0) - (b.state.endedAt ?? 0))
    for (const a of ended.slice(0, this.accounts.size - MAX_STORED_CONTAINERS)) this.drop(a.state.containerId)
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
      ? { sequence: a.sequence, final: state.endedAt != null && a.sequence > 0 && a.issuedAt >= state.endedAt, issuedAt: new Date(a.issuedAt).toISOString(), countersigned: a.countersignature != null }
      : null
  }
}
