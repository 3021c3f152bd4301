import { TunnelProtocol } from './tunnel.js'
import type { SocketMeter } from '../../metrics/index.js'
import type { GuestProtocolComponents } from '../common/index.js'

export { TUNNEL_PROTOCOL } from './constants.js'
export { TunnelProtocol } from './tunnel.js'
export { pipeSocket } from './pipe.js'

/** `guests` says whose published ports may be reached; `meter` counts the connections joined and their bytes. */
export type TunnelComponents = GuestProtocolComponents & { meter: SocketMeter }

export function tunnelProtocol (): (components: TunnelComponents) => TunnelProtocol {
  return components => new TunnelProtocol(components)
}
