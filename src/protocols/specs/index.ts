import { Specs } from './specs.js'
import type { RecordMetrics } from '../../records/index.js'
import type { Dialer, Registrar } from '../rpc.js'
import type { AbortOptions, ComponentLogger } from '@libp2p/interface'

export { PROTOCOL as SPECS_PROTOCOL } from './constants.js'
export { Specs, SpecsError } from './specs.js'

export interface SpecsComponents {
  registrar: Registrar
  dialer: Dialer
  logger: ComponentLogger
  metrics: RecordMetrics
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
