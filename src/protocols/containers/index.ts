import { ContainerProtocols } from './containers.js'
import type { GuestHost } from '../common/index.js'
import type { Dialer, Registrar } from '../rpc.js'
import type { ComponentLogger } from '@libp2p/interface'

export { KILL_PROTOCOL, LIST_PROTOCOL, LOGS_PROTOCOL, STATS_PROTOCOL } from './constants.js'
export { ContainerProtocols } from './containers.js'

export interface ContainerProtocolsComponents {
  registrar: Registrar
  dialer: Dialer
  logger: ComponentLogger
  /** Where requests are served; throws NoComputeError on a node without Docker. */
  guests: GuestHost
}

export function containerProtocols (): (components: ContainerProtocolsComponents) => ContainerProtocols {
  return components => new ContainerProtocols(components)
}
