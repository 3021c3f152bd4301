import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { SwarmError } from '../errors.js'
import { CLOCK_SKEW, DOMAIN, MAX_BOOTSTRAP, MAX_MULTIADDR_CHARS, MAX_RELAYS, MAX_REVOKED, MAX_USES } from './constants.js'
import { Binding, Invite, Revocations, Witness } from './pb/swarm.js'
import { roleFromWire } from './roles.js'
import { publicKeyOf, verifies } from './signing.js'
import type { SwarmRole } from '../contract/index.js'
import type { KeyChain } from './key-chain.js'
import type { Signed } from './pb/swarm.js'
import type { PublicKey } from '@libp2p/interface'

// Opening each signed swarm message: decode within limits, check the signature with the key that
// must have made it, check every field. Each failure is a SwarmError saying what was wrong, in
// words fit for the peer it is sent back to.

export interface InviteView {
  swarmId: string
  epoch: number
  /** Hex. */
  inviteId: string
  inviteKey: PublicKey
  /** The invite key is the swarm key of its epoch: the creator's own membership. */
  byCreator: boolean
  issuedAt: number
  expiresAt: number
  uses: number
  role: SwarmRole
  bootstrap: string[]
  relays: string[]
}

export interface WitnessView {
  inviteId: string
  member: string
  witness: string
  witnessedAt: number
}

export interface RevocationList {
  epoch: number
  seq: number
  peers: Set<string>
  invites: Set<string>
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')

function decode<T> (what: string, codec: { decode: (bytes: Uint8Array, opts?: any) => T }, bytes: Uint8Array, limits?: object): T {
  try {
    return codec.decode(bytes, limits != null ? { limits } : undefined)
  } catch {
    throw new SwarmError(`malformed ${what}`)
  }
}

function isPeerId (text: string): boolean {
  try {
    peerIdFromString(text)
    return text.length <= 128
  } catch {
    return false
  }
}

function isPeerAddress (text: string): boolean {
  if (text.length > MAX_MULTIADDR_CHARS || !text.includes('/p2p/')) return false
  try {
    multiaddr(text)
    return true
  } catch {
    return false
  }
}

export async function openInvite (signed: Signed, keys: Pick<KeyChain, 'swarmId' | 'keyOf'>): Promise<InviteView> {
  const invite = decode('invite', Invite, signed.payload, { bootstrap: MAX_BOOTSTRAP, relays: MAX_RELAYS })
  if (invite.swarmId !== keys.swarmId) throw new SwarmError('the invite is for another swarm')
  const key = keys.keyOf(invite.epoch)
  if (key == null) throw new SwarmError(`the invite is signed by a swarm key this node does not know yet (epoch ${invite.epoch})`)
  if (!await verifies(key, DOMAIN.invite, signed.payload, signed.signature)) throw new SwarmError('the invite is not signed by the swarm key')
  const inviteKey = publicKeyOf(invite.inviteKey)
  if (inviteKey == null) throw new SwarmError('malformed invite: its key is not an Ed25519 key')
  if (invite.inviteId.length !== 16) throw new SwarmError('malformed invite: its ID is not 16 bytes')
  if (!(invite.expiresAtMs > invite.issuedAtMs) || !Number.isFinite(invite.expiresAtMs)) throw new SwarmError('malformed invite: it expires before it is issued')
  if (invite.uses < 1 || invite.uses > MAX_USES) throw new SwarmError(`malformed invite: uses must be 1-${MAX_USES}`)
  if (!invite.bootstrap.every(isPeerAddress) || !invite.relays.every(isPeerAddress)) throw new SwarmError('malformed invite: a bootstrap or relay address is not a multiaddr with /p2p/')
  return {
    swarmId: invite.swarmId,
    epoch: invite.epoch,
    inviteId: hex(invite.inviteId),
    inviteKey,
    byCreator: inviteKey.equals(key),
    issuedAt: invite.issuedAtMs,
    expiresAt: invite.expiresAtMs,
    uses: invite.uses,
    role: roleFromWire(invite.role),
    bootstrap: invite.bootstrap,
    relays: invite.relays
  }
}

/** The peer this invite was bound to; refused unless the invite's key signed it for this invite. */
export async function openBinding (signed: Signed, invite: InviteView): Promise<{ member: string, boundAt: number }> {
  const binding = decode('binding', Binding, signed.payload)
  if (!await verifies(invite.inviteKey, DOMAIN.binding, signed.payload, signed.signature)) throw new SwarmError('the binding is not signed by the invite\'s key')
  if (hex(binding.inviteId) !== invite.inviteId) throw new SwarmError('the binding is for another invite')
  if (!isPeerId(binding.member)) throw new SwarmError('malformed binding: not a peer ID')
  return { member: binding.member, boundAt: binding.boundAtMs }
}

/** An admission, signed by the member that made it (its peer ID holds its public key). */
export async function openWitness (signed: Signed, now = Date.now()): Promise<WitnessView> {
  const witness = decode('witness', Witness, signed.payload)
  if (!isPeerId(witness.witness) || !isPeerId(witness.member)) throw new SwarmError('malformed witness: not a peer ID')
  const key = peerIdFromString(witness.witness).publicKey
  if (key == null || !await verifies(key, DOMAIN.witness, signed.payload, signed.signature)) throw new SwarmError('the admission is not signed by the member it names')
  if (!Number.isFinite(witness.witnessedAtMs) || witness.witnessedAtMs > now + CLOCK_SKEW) throw new SwarmError('the admission is dated in the future')
  return { inviteId: hex(witness.inviteId), member: witness.member, witness: witness.witness, witnessedAt: witness.witnessedAtMs }
}

export async function openRevocations (signed: Signed, keys: KeyChain): Promise<RevocationList> {
  const list = decode('revocations', Revocations, signed.payload, { peers: MAX_REVOKED, invites: MAX_REVOKED })
  if (list.swarmId !== keys.swarmId) throw new SwarmError('the revocations are for another swarm')
  const key = keys.keyOf(list.epoch)
  if (key == null || !await verifies(key, DOMAIN.revocations, signed.payload, signed.signature)) throw new SwarmError('the revocations are not signed by the swarm key')
  return { epoch: list.epoch, seq: list.seq, peers: new Set(list.peers), invites: new Set(list.invites.map(hex)) }
}
