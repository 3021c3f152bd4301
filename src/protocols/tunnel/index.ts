import { TunnelProtocol } from './tunnel.js'
import type { GuestHost } from '../common/index.js'
import type { Dialer, Registrar } from '../rpc.js'
import type { ComponentLogger } from '@libp2p/interface'

export { TUNNEL_PROTOCOL } from './constants.js'
export { TunnelProtocol } from './tunnel.js'
export { pipeSocket } from './pipe.js'

export interface TunnelComponents {
  registrar: Registrar
  dialer: Dialer
  logger: ComponentLogger
  /** Whose published ports may be reached; throws NoComputeError on a node without Docker. */
  guests: GuestHost
}

export function tunnelProtocol (): (components: TunnelComponents) => TunnelProtocol {
  return components => new TunnelProtocol(components)
}
