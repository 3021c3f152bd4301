import { UsageProtocol } from './usage.js'
import type { Dialer, PeerGate, Registrar } from '../rpc.js'
import type { HostUsage } from '../../usage/index.js'
import type { ComponentLogger } from '@libp2p/interface'

export { USAGE_PROTOCOL } from './constants.js'
export { UsageProtocol } from './usage.js'

export interface UsageComponents {
  registrar: Registrar
  dialer: Dialer
  logger: ComponentLogger
  /** This node's accounts of the containers it runs for others. */
  usage: HostUsage
  admit: PeerGate
}

export function usageProtocol (): (components: UsageComponents) => UsageProtocol {
  return components => new UsageProtocol(components)
}
