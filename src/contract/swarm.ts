/** A swarm role: members run work and host it, compute members only host, clients only run. */
export type SwarmRole = 'member' | 'compute' | 'client'

/** joining: bound to an invite, waiting for a member to admit it; refused and revoked come with a reason. */
export type SwarmStatus = 'joining' | 'member' | 'refused' | 'revoked'

export interface SwarmMember {
  peerId: string
  role: SwarmRole
  /** Hex. */
  inviteId: string
  /** ms since the epoch. */
  admittedAt: number
  /** The member that admitted it; null for the creator. */
  admittedBy: string | null
}

/** `GET /v1/swarm`, `p2prc swarm status --json`. */
export interface SwarmInfo {
  swarmId: string
  role: SwarmRole
  status: SwarmStatus
  reason: string | null
  /** The swarm key's generation: 0, then one more with each rotation. */
  epoch: number
  /** This node holds the swarm key: it invites, revokes and rotates. */
  creator: boolean
  /** The members this node has verified. */
  members: SwarmMember[]
  revoked: { peers: string[], invites: string[] }
  bootstrap: string[]
}

/** `POST /v1/swarm/invites`, `p2prc invite --json`. */
export interface InviteResult {
  token: string
  /** ISO time. */
  expiresAt: string
  inviteId: string
}
