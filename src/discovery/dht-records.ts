import { setMaxListeners } from 'node:events'
import { peerIdFromString } from '@libp2p/peer-id'
import { dhtValidators, InvalidRecordError, openRecord, recordKey, DHT_NAMESPACE } from '../records/index.js'
import { anySignal, withTimeout } from '../signals.js'
import { capabilitiesOf, capabilityCid } from './capabilities.js'
import { DHT_OPERATION_TIMEOUT, DHT_RECORD_TTL, DHT_REPUBLISH_INTERVAL, REPUBLISH_SOON_DELAY } from './constants.js'
import type { Capability } from './capabilities.js'
import type { RecordIssuer } from './record-issuer.js'
import type { RecordMetrics } from '../records/index.js'
import type { SignedResourceRecord } from '../records/index.js'
import type { AbortOptions, Libp2p, Logger, Startable } from '@libp2p/interface'
import type { KadDHT } from '@libp2p/kad-dht'

export interface DhtRecordsComponents {
  dht: KadDHT
  /** Its connections: a DHT write before the first one reaches nobody. */
  host: Pick<Libp2p, 'getConnections' | 'addEventListener' | 'removeEventListener'>
  issuer: RecordIssuer
  metrics: RecordMetrics
  log: Logger
}

/**
 * The DHT side of discovery: our signed record under /p2prc/resources/<peer id> and provider
 * records for our capabilities, republished on a timer; look-ups of other peers' records and of
 * providers, for peers we have never gossiped with.
 */
export class DhtRecords implements Startable {
  private timer?: ReturnType<typeof setTimeout>
  private published = false
  /** Made anew at every start; aborted by stop. */
  private controller = new AbortController()

  constructor (private readonly components: DhtRecordsComponents) {}

  start (): void {
    this.controller = new AbortController()
    // One long-lived signal is handed to many concurrent calls, each adding a listener.
    setMaxListeners(Infinity, this.controller.signal)
    this.published = false
    this.components.host.addEventListener('connection:open', this.onConnectionOpen)
    this.schedule(0)
  }

  stop (): void {
    this.controller.abort()
    clearTimeout(this.timer)
    this.components.host.removeEventListener('connection:open', this.onConnectionOpen)
  }

  /** The first connection lets a node that started alone publish. */
  private readonly onConnectionOpen = (): void => {
    if (!this.published) this.schedule(0)
  }

  /** Publishes again shortly (our addresses changed), if it has published before. */
  republishSoon (): void {
    if (this.published) this.schedule(REPUBLISH_SOON_DELAY)
  }

  private schedule (delay: number): void {
    clearTimeout(this.timer)
    this.timer = setTimeout(() => { void this.publish() }, delay)
  }

  async publish (options: AbortOptions = {}): Promise<void> {
    if (this.components.host.getConnections().length === 0) return
    const signal = anySignal(this.controller.signal, withTimeout(options.signal, DHT_OPERATION_TIMEOUT))
    const { dht, issuer, log } = this.components
    try {
      const { signed } = await issuer.issue({ signal, ttl: DHT_RECORD_TTL })
      const key = recordKey(signed.record.peerId)
      // kad-dht does not validate our own puts; check with the validator peers will run.
      await dhtValidators[DHT_NAMESPACE](key, signed.envelope, { signal })
      for await (const _ of dht.put(key, signed.envelope, { signal })) { /* drain */ }
      for (const capability of capabilitiesOf(signed.record.resources)) {
        for await (const _ of dht.provide(await capabilityCid(capability), { signal })) { /* drain */ }
      }
      this.published = true
      log('record and capabilities published to the DHT')
    } catch (err: any) {
      if (!this.controller.signal.aborted) log('DHT publish failed: %s', err.message)
    }
    if (!this.controller.signal.aborted) this.schedule(this.published ? DHT_REPUBLISH_INTERVAL : DHT_REPUBLISH_INTERVAL / 20)
  }

  /**
   * A peer's record from the DHT, verified; null when none is found. The first valid one wins:
   * the query would otherwise wait for every path to finish, and any valid copy is at most one
   * republish interval old.
   */
  async get (peerId: string, options: AbortOptions = {}): Promise<SignedResourceRecord | null> {
    const controller = new AbortController()
    const signal = anySignal(controller.signal, withTimeout(options.signal, DHT_OPERATION_TIMEOUT))
    try {
      for await (const event of this.components.dht.get(recordKey(peerIdFromString(peerId).toString()), { signal })) {
        if (event.name !== 'VALUE') continue
        try {
          const signed = await openRecord(event.value, { expectedSigner: peerId })
          this.components.metrics.accept('dht')
          return signed
        } catch (err: any) {
          this.components.metrics.reject('dht', err instanceof InvalidRecordError ? err.reason : 'malformed')
        }
      }
      return null
    } finally {
      controller.abort()
    }
  }

  /** Peers that say (in provider records) they have a capability; up to `limit`. */
  async findProviders (capability: Capability, options: AbortOptions & { limit?: number } = {}): Promise<string[]> {
    const signal = withTimeout(options.signal, DHT_OPERATION_TIMEOUT)
    const found = new Set<string>()
    for await (const event of this.components.dht.findProviders(await capabilityCid(capability), { signal })) {
      if (event.name !== 'PROVIDER') continue
      for (const provider of event.providers) found.add(provider.id.toString())
      if (found.size >= (options.limit ?? 100)) break
    }
    return [...found]
  }
}
