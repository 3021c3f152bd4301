import { NotFoundError, DialError } from '../errors.js'
import { toRecordView } from '../records/index.js'
import { withTimeout } from '../signals.js'
import { DIAL_TIMEOUT } from './constants.js'
import type { PeerTracker } from './peer-tracker.js'
import type { PeerRecordView, PeerSummary } from '../contract/index.js'
import type { Capability, DhtRecords } from '../discovery/index.js'
import type { Specs } from '../protocols/specs/index.js'
import type { ResourceRecord, SignedResourceRecord } from '../records/index.js'
import type { AbortOptions } from '@libp2p/interface'

export interface PeerRecordsComponents {
  self: string
  tracker: PeerTracker
  specs: Pick<Specs, 'fetchSelf'>
  dhtRecords: Pick<DhtRecords, 'get' | 'findProviders'>
  /** This node's own record, measured now. */
  ownRecord: (options: AbortOptions) => Promise<ResourceRecord>
}

/** Peers' resource records on demand: asked of the peer, read from the DHT, found by capability. */
export class PeerRecords {
  constructor (private readonly components: PeerRecordsComponents) {}

  /**
   * One peer's full, fresh record, asked of the peer itself (a peer not in the table may be named
   * by its full ID). With `source: 'dht'` the record stored in the DHT is read instead.
   */
  async resources (ref: string, options: AbortOptions & { source?: 'peer' | 'dht' } = {}): Promise<PeerRecordView> {
    const { tracker, specs, self } = this.components
    const peerId = tracker.resolve(ref)
    if (options.source === 'dht') {
      const found = await this.find(peerId, options)
      if (found == null) throw new NotFoundError(`no record of ${peerId} in the DHT`)
      return toRecordView(found.record)
    }
    if (peerId === self) return toRecordView(await this.components.ownRecord(options))
    try {
      const signed = await specs.fetchSelf(peerId, { signal: withTimeout(options.signal, DIAL_TIMEOUT) })
      tracker.acceptRecord(signed, { source: null, fromSubject: true })
      return toRecordView(signed.record)
    } catch (err: any) {
      if (err.name === 'InvalidRecordError') throw err
      throw new DialError(`could not ask ${peerId} for its resources: ${err.message}`)
    }
  }

  /** A peer's record as stored in the DHT (verified), or null. */
  async find (peerId: string, options: AbortOptions = {}): Promise<SignedResourceRecord | null> {
    return this.components.dhtRecords.get(peerId, options)
  }

  /**
   * Finds peers with a capability through the DHT's provider records, asks each for its record and
   * adds it to the table: how a node finds, say, GPU peers it has never gossiped with.
   */
  async discover (capability: Capability, options: AbortOptions = {}): Promise<PeerSummary[]> {
    const { tracker, specs, dhtRecords, self } = this.components
    const providers = (await dhtRecords.findProviders(capability, options)).filter(id => id !== self)
    await Promise.allSettled(providers.map(async peerId => {
      if (tracker.table.get(peerId)?.record != null) return
      tracker.acceptRecord(await specs.fetchSelf(peerId, { signal: withTimeout(options.signal, DIAL_TIMEOUT) }), { source: null, fromSubject: true })
    }))
    return providers.flatMap(id => tracker.summary(id) ?? [])
  }
}
