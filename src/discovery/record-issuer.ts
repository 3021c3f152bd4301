import { sealRecord } from '../records/index.js'
import { RECENT_RECORD_AGE, SIGNIFICANT_SHARE } from './constants.js'
import type { Capacity, Resources, SignedResourceRecord, UnsignedRecord } from '../records/index.js'
import type { MachineResources } from '../resources/index.js'
import type { AbortOptions, PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'

export interface OfferInit {
  cpuPercent: number
  memoryPercent: number
  gpus: boolean
}

export interface RecordIssuerInit {
  privateKey: PrivateKey
  name: string
  labels: Record<string, string>
  offer: OfferInit
  /** How long a record issued now stays valid (it follows the advert interval, see AdvertSchedule). */
  ttl: () => number
  addresses: () => string[]
  probe: (options: AbortOptions) => Promise<MachineResources>
  /** What containers run for others take now. */
  usage: () => Capacity
}

export interface Issued {
  signed: SignedResourceRecord
  /** Whether it differs from the previous record enough to tell peers at once. */
  significant: boolean
}

/**
 * The share of a machine the owner offers, from the measured totals and the configured
 * percentages; nothing without a container engine to run work on.
 */
export function offeredCapacity (machine: MachineResources, offer: OfferInit): Capacity {
  if (!machine.docker.available) return { cpus: 0, memoryBytes: 0, gpus: 0, containers: 0 }
  const cpus = Math.floor(machine.cpu.threads * offer.cpuPercent / 100 * 100) / 100
  return {
    cpus,
    memoryBytes: Math.floor(machine.memory.totalBytes * offer.memoryPercent / 100),
    gpus: offer.gpus ? machine.gpus.length : 0,
    containers: 0
  }
}

export function toResources (machine: MachineResources, offer: Capacity, used: Capacity): Resources {
  return {
    cpu: { ...machine.cpu, loadPercent: Math.min(100, Math.max(0, Math.round(machine.cpu.loadPercent * 10) / 10)) },
    memory: { totalBytes: machine.memory.totalBytes, freeBytes: machine.memory.freeBytes },
    disk: { totalBytes: machine.disk.totalBytes, freeBytes: machine.disk.freeBytes },
    gpus: machine.gpus.map(g => ({ ...g, utilizationPercent: g.utilizationPercent == null ? null : Math.round(g.utilizationPercent) })),
    docker: machine.docker.available,
    dockerVersion: machine.docker.version,
    gpuRuntimes: machine.docker.gpuRuntimes,
    guestRuntime: machine.docker.available ? machine.docker.guestRuntime ?? null : null,
    offer,
    used
  }
}

/**
 * Makes this node's signed resource records: measures the machine, fills in the offer and what is
 * in use, and signs with a sequence number that only grows.
 */
export class RecordIssuer {
  private latest?: SignedResourceRecord
  private lastSeq = 0
  private readonly peerId: string

  constructor (private readonly init: RecordIssuerInit) {
    this.peerId = peerIdFromPrivateKey(init.privateKey).toString()
  }

  /** The last record issued, if any. */
  get current (): SignedResourceRecord | undefined {
    return this.latest
  }

  /**
   * Measures and signs a new record, valid for `ttl` from now. A record with another lifetime
   * (the DHT's long-lived copy) is not remembered as current: adverts must never pass it on.
   */
  async issue (options: AbortOptions & { ttl?: number } = {}): Promise<Issued> {
    const machine = await this.init.probe(options)
    const resources = toResources(machine, offeredCapacity(machine, this.init.offer), this.init.usage())
    const signed = await this.seal(resources, options.ttl ?? this.init.ttl(), options)
    const significant = this.latest == null || isSignificantChange(this.latest.record, signed.record)
    if (options.ttl == null) this.latest = signed
    return { signed, significant }
  }

  /**
   * The current record while it was measured within RECENT_RECORD_AGE (the adverts measure every
   * PROBE_INTERVAL), else a new measurement: for peers asking for this node's own record. Each
   * node verifies a newcomer by asking it, and measuring the machine (a `df` spawned, sysfs read)
   * for each of a hundred askers was most of a new node's work in its first minute.
   */
  async recent (options: AbortOptions = {}): Promise<SignedResourceRecord> {
    const latest = this.latest
    if (latest != null && Date.now() - latest.record.issuedAt < RECENT_RECORD_AGE && latest.record.expiresAt > Date.now()) return latest
    return (await this.issue(options)).signed
  }

  /**
   * The current record signed again, with a new sequence number and a full lifetime, and
   * remembered as current: nothing is measured. Adverts are told apart by their content, so a
   * repeat of an advert must be a new record to be sent again at all.
   */
  async renew (options: AbortOptions = {}): Promise<SignedResourceRecord | undefined> {
    if (this.latest == null) return undefined
    this.latest = await this.seal(this.latest.record.resources, this.init.ttl(), options)
    return this.latest
  }

  /**
   * The current record signed again with a short lifetime, for a node that is leaving: nothing is
   * measured (a node stopping must not start taking up its engine), and it is not remembered.
   */
  async farewell (ttl: number, options: AbortOptions = {}): Promise<SignedResourceRecord | undefined> {
    if (this.latest == null) return undefined
    return this.seal(this.latest.record.resources, ttl, options)
  }

  private async seal (resources: Resources, ttl: number, options: AbortOptions): Promise<SignedResourceRecord> {
    const now = Date.now()
    this.lastSeq = Math.max(now, this.lastSeq + 1)
    const unsigned: UnsignedRecord = {
      seq: this.lastSeq,
      issuedAt: now,
      expiresAt: now + ttl,
      name: this.init.name,
      labels: this.init.labels,
      multiaddrs: this.init.addresses().slice(0, 16),
      resources
    }
    const envelope = await sealRecord(unsigned, this.init.privateKey, options)
    return { record: { peerId: this.peerId, ...unsigned }, envelope }
  }
}

/** What peers would choose differently on: not every wobble of free memory or load. */
export function isSignificantChange (before: UnsignedRecord, after: UnsignedRecord): boolean {
  const a = before.resources
  const b = after.resources
  const moved = (x: number, y: number, total: number): boolean => Math.abs(x - y) > total * SIGNIFICANT_SHARE
  return a.docker !== b.docker ||
    a.gpus.length !== b.gpus.length ||
    JSON.stringify(a.offer) !== JSON.stringify(b.offer) ||
    JSON.stringify(a.used) !== JSON.stringify(b.used) ||
    before.name !== after.name ||
    JSON.stringify(before.labels) !== JSON.stringify(after.labels) ||
    [...before.multiaddrs].sort().join() !== [...after.multiaddrs].sort().join() ||
    moved(a.memory.freeBytes, b.memory.freeBytes, b.memory.totalBytes) ||
    moved(a.disk.freeBytes, b.disk.freeBytes, b.disk.totalBytes)
}
