import { Role } from './pb/swarm.js'
import type { SwarmRole } from '../contract/index.js'

export function roleFromWire (role: Role): SwarmRole {
  return role === Role.COMPUTE ? 'compute' : role === Role.CLIENT ? 'client' : 'member'
}

export function roleToWire (role: SwarmRole): Role {
  return role === 'compute' ? Role.COMPUTE : role === 'client' ? Role.CLIENT : Role.MEMBER
}
