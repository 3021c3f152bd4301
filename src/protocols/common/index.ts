// What several protocols share: the container message and its conversion (common.proto).
export { containerFromWire, containerToWire } from './container-wire.js'
export type { Container, Error as WireErrorMessage, Port } from './pb/common.js'
export type { GuestAccess, GuestHost, GuestProtocolComponents } from './components.js'
