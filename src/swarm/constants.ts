const minute = 60_000
const day = 24 * 60 * minute

/** Each signature covers DOMAIN || payload, so none is valid as another kind of message. */
export const DOMAIN = {
  invite: 'p2prc-swarm-invite:',
  binding: 'p2prc-swarm-binding:',
  witness: 'p2prc-swarm-witness:',
  rotation: 'p2prc-swarm-rotation:',
  revocations: 'p2prc-swarm-revocations:'
} as const

/** What `p2prc invite` prints starts with this (version 1 of the token). */
export const TOKEN_PREFIX = 'p2prc1'
/** A token longer than this is refused before it is decoded. */
export const MAX_TOKEN_CHARS = 8192

export const MAX_BOOTSTRAP = 8
export const MAX_RELAYS = 4
export const MAX_MULTIADDR_CHARS = 512
/** Witness memberships shown up to the creator; a member this far from it admits nobody. */
export const MAX_CHAIN = 8
export const MAX_ROTATIONS = 32
export const MAX_REVOKED = 1024
/** A Hello or Verdict larger than this ends the handshake. */
export const MAX_HANDSHAKE_BYTES = 128 * 1024
/** A gossiped swarm event larger than this is rejected. */
export const MAX_EVENT_BYTES = 128 * 1024

export const MAX_INVITE_TTL = 365 * day
export const DEFAULT_INVITE_TTL = day
export const MAX_USES = 10_000
export const DEFAULT_USES = 1

/** Clocks of members may differ this much: a witness dated further ahead is refused. */
export const CLOCK_SKEW = 5 * minute

/** Invites an admission log remembers the uses of; members per invite beyond its uses are not kept. */
export const MAX_TRACKED_INVITES = 4096

export const ROLES = ['member', 'compute', 'client'] as const

/** The DHT namespace of a swarm's own keys (its revocations): `/p2prc-swarm/<swarm ID>/revocations`. */
export const DHT_NAMESPACE = 'p2prc-swarm'

/** How the swarm namespaces what the open network shares: its gossip topics and its DHT. */
export const swarmTopic = (swarmId: string): string => `p2prc/swarm/${swarmId}/1`
export const swarmResourcesTopic = (swarmId: string): string => `p2prc/swarm/${swarmId}/resources/1`
export const swarmDhtProtocol = (swarmId: string): string => `/p2prc/swarm/${swarmId}/kad/1.0.0`
