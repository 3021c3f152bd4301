import { Counter } from 'prom-client'
import type { RecordRejection } from './errors.js'
import type { Registry } from 'prom-client'

export type RecordSource = 'gossip' | 'dht' | 'specs'

/** Counts of records taken and refused, by where they came from and why. */
export class RecordMetrics {
  private readonly accepted: Counter<'source'>
  private readonly rejected: Counter<'source' | 'reason'>

  constructor (registry: Registry) {
    this.accepted = new Counter({
      name: 'p2prc_records_accepted_total',
      help: 'Resource records accepted into the peer table',
      labelNames: ['source'],
      registers: [registry]
    })
    this.rejected = new Counter({
      name: 'p2prc_records_rejected_total',
      help: 'Resource records refused: bad signature or signer, malformed, oversized, expired or stale',
      labelNames: ['source', 'reason'],
      registers: [registry]
    })
  }

  accept (source: RecordSource): void {
    this.accepted.inc({ source })
  }

  reject (source: RecordSource, reason: RecordRejection): void {
    this.rejected.inc({ source, reason })
  }
}
