import { TunnelProtocol } from './tunnel.js'
import type { GuestProtocolComponents } from '../common/index.js'

export { TUNNEL_PROTOCOL } from './constants.js'
export { TunnelProtocol } from './tunnel.js'
export { pipeSocket } from './pipe.js'

/** `guests` says whose published ports may be reached. */
export type TunnelComponents = GuestProtocolComponents

export function tunnelProtocol (): (components: TunnelComponents) => TunnelProtocol {
  return components => new TunnelProtocol(components)
}
