import { ContainerProtocols } from './containers.js'
import type { GuestProtocolComponents } from '../common/index.js'

export { KILL_PROTOCOL, LIST_PROTOCOL, LOGS_PROTOCOL, REMOVE_PROTOCOL, START_PROTOCOL, STATS_PROTOCOL } from './constants.js'
export { ContainerProtocols } from './containers.js'

export type ContainerProtocolsComponents = GuestProtocolComponents

export function containerProtocols (): (components: ContainerProtocolsComponents) => ContainerProtocols {
  return components => new ContainerProtocols(components)
}
