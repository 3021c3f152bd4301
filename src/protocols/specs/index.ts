import { Specs } from './specs.js'
import type { RecordMetrics } from '../../discovery/record-metrics.js'
import type { AbortOptions, Libp2p, Logger } from '@libp2p/interface'

export { PROTOCOL as SPECS_PROTOCOL } from './constants.js'
export { Specs, SpecsError } from './specs.js'

export interface SpecsComponents {
  host: Pick<Libp2p, 'handle' | 'unhandle' | 'dialProtocol'>
  metrics: RecordMetrics
  log: Logger
  /** This node's record, freshly measured and signed. */
  ownRecord: (options: AbortOptions) => Promise<Uint8Array>
  /** Every unexpired signed record this node holds, its own first. */
  knownRecords: () => Uint8Array[]
}

export interface SpecsInit {
  /** Per request, both ways. @default 10000 */
  timeout?: number
}

export function specs (init: SpecsInit = {}): (components: SpecsComponents) => Specs {
  return components => new Specs(components, init)
}
