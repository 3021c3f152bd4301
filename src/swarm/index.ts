// Private swarms by invitation: who may connect at all (see protocols/swarm.proto).
export { Swarm } from './swarm.js'
export type { SwarmHandshake, SwarmEvents } from './swarm.js'
export { createSwarm, joinSwarm, leaveSwarm } from './operations.js'
export type { InviteOptions } from './operations.js'
export { loadSwarm } from './state.js'
export type { StoredSwarm } from './state.js'
export { swarmTopic, swarmResourcesTopic, swarmDhtProtocol, ROLES, MAX_HANDSHAKE_BYTES } from './constants.js'
export { Hello, Signed, Verdict } from './pb/swarm.js'
