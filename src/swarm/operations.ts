import { randomBytes } from 'node:crypto'
import { generateKeyPair, publicKeyFromProtobuf, publicKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { InvalidArgumentError, SwarmError } from '../errors.js'
import { DEFAULT_INVITE_TTL, DEFAULT_USES, DOMAIN, MAX_BOOTSTRAP, MAX_INVITE_TTL, MAX_RELAYS, MAX_REVOKED, MAX_USES } from './constants.js'
import { openInvite } from './credentials.js'
import { KeyChain, swarmIdOf } from './key-chain.js'
import { Binding, Invite, Membership, Revocations, Rotation, SignedRotation, Signed as SignedCodec } from './pb/swarm.js'
import { roleToWire } from './roles.js'
import { sign, signature, wire } from './signing.js'
import { commitSwarmKey, loadSwarm, removeSwarm, saveSwarmKey, saveSwarmState } from './state.js'
import { decodeToken, encodeToken } from './token.js'
import type { SwarmRole } from '../contract/index.js'
import type { Signed } from './pb/swarm.js'
import type { StoredSwarm, SwarmStateFile } from './state.js'
import type { PrivateKey, PublicKey } from '@libp2p/interface'

// What changes a node's swarm state on disk: create, invite, join, leave, revoke, rotate. Each
// works on DATA_DIR alone; create, join and leave take effect when the node starts next (the
// daemon restarts its node for them), invite needs nothing restarted, revoke and rotate are also
// applied by the running node (see core/swarm-guard.ts) and spread from there.

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64')
const unb64 = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, 'base64'))

export const encodeSigned = (signed: Signed): string => b64(SignedCodec.encode(signed))
export const decodeMembership = (text: string): Membership => Membership.decode(unb64(text))
export const encodeMembership = (membership: Membership): string => b64(Membership.encode(membership))
export const decodeSignedText = (text: string): Signed => SignedCodec.decode(unb64(text))
export const decodeRotation = (text: string): SignedRotation => SignedRotation.decode(unb64(text))
export const encodeRotation = (rotation: SignedRotation): string => b64(SignedRotation.encode(rotation))

export interface InviteOptions {
  /** ms. @default one day */
  ttl?: number
  /** @default 1 */
  uses?: number
  /** @default 'member' */
  role?: SwarmRole
  /** Where the joiner finds the swarm: this node's addresses, with /p2p/. */
  bootstrap: string[]
  /** Members that relay for peers behind NAT. */
  relays?: string[]
}

/** The creator's own membership under `key` (epoch `epoch`): an invite whose key is the swarm key itself. */
async function creatorMembership (swarmId: string, epoch: number, key: PrivateKey, member: string): Promise<Membership> {
  const inviteId = randomBytes(16)
  const now = Date.now()
  const invite = await sign(key, DOMAIN.invite, Invite.encode({
    swarmId,
    epoch,
    inviteId,
    inviteKey: wire(publicKeyToProtobuf(key.publicKey)),
    issuedAtMs: now,
    // Never expires by itself: the creator is a member as long as the key is the swarm's.
    expiresAtMs: now + 100 * 365 * 86_400_000,
    uses: 1,
    role: roleToWire('member'),
    bootstrap: [],
    relays: []
  }))
  const binding = await sign(key, DOMAIN.binding, Binding.encode({ inviteId, member, boundAtMs: now }))
  return { invite, binding }
}

/** Makes a swarm with this node as its creator (and first member). Refused when the node is in a swarm already. */
export async function createSwarm (dataDir: string, nodeKey: PrivateKey): Promise<SwarmStateFile> {
  if (await loadSwarm(dataDir) != null) throw new SwarmError('this node is in a swarm already (leave it first: p2prc swarm leave)')
  const genesis = await generateKeyPair('Ed25519')
  const swarmId = swarmIdOf(genesis.publicKey)
  const state: SwarmStateFile = {
    version: 1,
    swarmId,
    genesisKey: b64(publicKeyToProtobuf(genesis.publicKey)),
    role: 'member',
    status: 'member',
    reason: null,
    membership: encodeMembership(await creatorMembership(swarmId, 0, genesis, peerIdFromPrivateKey(nodeKey).toString())),
    chain: [],
    rotations: [],
    revocations: null,
    bootstrap: [],
    relays: [],
    joinedAt: Date.now()
  }
  await saveSwarmKey(dataDir, genesis)
  await saveSwarmState(dataDir, state)
  return state
}

function creatorKey (stored: StoredSwarm | null): { stored: StoredSwarm, key: PrivateKey } {
  if (stored == null) throw new SwarmError('this node is not in a swarm (p2prc swarm create, or p2prc join TOKEN)')
  if (stored.swarmKey == null) throw new SwarmError('only the swarm\'s creator holds its key: ask it for an invite')
  return { stored, key: stored.swarmKey }
}

/** A new invite, as the token to hand over. Only the creator (who holds the swarm key) can make one. */
export async function issueInvite (stored: StoredSwarm | null, options: InviteOptions): Promise<{ token: string, expiresAt: number, inviteId: string }> {
  const { stored: swarm, key } = creatorKey(stored)
  const ttl = options.ttl ?? DEFAULT_INVITE_TTL
  const uses = options.uses ?? DEFAULT_USES
  if (!Number.isInteger(ttl) || ttl < 1000 || ttl > MAX_INVITE_TTL) throw new InvalidArgumentError('ttl: between 1s and 365d')
  if (!Number.isInteger(uses) || uses < 1 || uses > MAX_USES) throw new InvalidArgumentError(`uses: a whole number from 1 to ${MAX_USES}`)
  const chain = await keyChainOf(swarm.state)
  const inviteKey = await generateKeyPair('Ed25519')
  const inviteId = randomBytes(16)
  const now = Date.now()
  const invite = await sign(key, DOMAIN.invite, Invite.encode({
    swarmId: swarm.state.swarmId,
    epoch: chain.epoch,
    inviteId,
    inviteKey: wire(publicKeyToProtobuf(inviteKey.publicKey)),
    issuedAtMs: now,
    expiresAtMs: now + ttl,
    uses,
    role: roleToWire(options.role ?? 'member'),
    bootstrap: options.bootstrap.slice(0, MAX_BOOTSTRAP),
    relays: (options.relays ?? []).slice(0, MAX_RELAYS)
  }))
  const token = encodeToken({ invite, inviteKey, genesisKey: unb64(swarm.state.genesisKey), epochKey: publicKeyToProtobuf(key.publicKey) })
  return { token, expiresAt: now + ttl, inviteId: inviteId.toString('hex') }
}

/**
 * Binds this node to the invite in `token` and records it as joining: the first member it
 * reaches admits it (checking the invite's expiry and uses), and the node is a member from then on.
 */
export async function joinSwarm (dataDir: string, nodeKey: PrivateKey, tokenText: string): Promise<SwarmStateFile> {
  const token = await decodeToken(tokenText)
  const held = await loadSwarm(dataDir)
  const swarmId = swarmIdOf(token.genesisKey)
  if (held != null && held.state.swarmId !== swarmId) throw new SwarmError(`this node is in swarm ${held.state.swarmId} already (leave it first: p2prc swarm leave)`)
  if (held?.state.status === 'member') throw new SwarmError('this node is a member of that swarm already')
  const invite = await openInvite(token.invite, offlineChain(swarmId, token.genesisKey, token.epochKey))
  if (Date.now() > invite.expiresAt) throw new SwarmError(`the invite expired at ${new Date(invite.expiresAt).toISOString()}`)
  if (invite.bootstrap.length === 0) throw new SwarmError('the invite names no member to join through')
  const member = peerIdFromPrivateKey(nodeKey).toString()
  const binding = await sign(token.inviteKey, DOMAIN.binding, Binding.encode({ inviteId: Buffer.from(invite.inviteId, 'hex'), member, boundAtMs: Date.now() }))
  const state: SwarmStateFile = {
    version: 1,
    swarmId,
    genesisKey: b64(publicKeyToProtobuf(token.genesisKey)),
    role: invite.role,
    status: 'joining',
    reason: null,
    membership: encodeMembership({ invite: token.invite, binding }),
    chain: [],
    rotations: [],
    revocations: null,
    bootstrap: invite.bootstrap.filter(a => !a.endsWith(`/p2p/${member}`)),
    relays: invite.relays.filter(a => !a.endsWith(`/p2p/${member}`)),
    joinedAt: Date.now()
  }
  await saveSwarmState(dataDir, state)
  return state
}

export async function leaveSwarm (dataDir: string): Promise<void> {
  if (await loadSwarm(dataDir) == null) throw new SwarmError('this node is not in a swarm')
  await removeSwarm(dataDir)
}

/**
 * A key chain the invite's epoch key can be checked against offline: the token vouches for the
 * current key (the chain from genesis arrives with the first member's Hello).
 */
function offlineChain (swarmId: string, genesis: PublicKey, epochKey: PublicKey): Pick<KeyChain, 'swarmId' | 'keyOf'> {
  return { swarmId, keyOf: epoch => epoch === 0 ? genesis : epochKey }
}

/** The key chain a state file holds. */
export async function keyChainOf (state: SwarmStateFile): Promise<KeyChain> {
  const chain = new KeyChain(state.swarmId, publicKeyFromProtobuf(unb64(state.genesisKey)))
  await chain.extend(state.rotations.map(decodeRotation))
  return chain
}

/** A new cumulative revocation list (the next seq), signed by the creator's current key. */
export async function signRevocations (stored: StoredSwarm | null, previous: { peers: Iterable<string>, invites: Iterable<string>, seq: number } | null, add: { peers?: string[], invites?: string[] }): Promise<Signed> {
  const { stored: swarm, key } = creatorKey(stored)
  const chain = await keyChainOf(swarm.state)
  const peers = new Set([...(previous?.peers ?? []), ...(add.peers ?? [])])
  const invites = new Set([...(previous?.invites ?? []), ...(add.invites ?? [])])
  if (peers.size > MAX_REVOKED || invites.size > MAX_REVOKED) throw new SwarmError(`a swarm revokes at most ${MAX_REVOKED} members and ${MAX_REVOKED} invites`)
  return sign(key, DOMAIN.revocations, Revocations.encode({
    swarmId: swarm.state.swarmId,
    epoch: chain.epoch,
    seq: Math.max((previous?.seq ?? 0) + 1, Date.now()),
    peers: [...peers],
    invites: [...invites].map(id => Buffer.from(id, 'hex'))
  }))
}

/**
 * Replaces the swarm key: the old key hands over to a new one, which signs from now on. Members
 * admitted so far stay members; invites of the old key admit nobody new. The creator's
 * membership and the revocations are signed again under the new key. Saved in an order a crash
 * cannot break (see state.ts); answers the new state.
 */
export async function rotateSwarmKey (dataDir: string, stored: StoredSwarm | null, nodeKey: PrivateKey): Promise<{ state: SwarmStateFile, rotation: SignedRotation, key: PrivateKey }> {
  const { stored: swarm, key: oldKey } = creatorKey(stored)
  const chain = await keyChainOf(swarm.state)
  const next = await generateKeyPair('Ed25519')
  const epoch = chain.epoch + 1
  const payload = Rotation.encode({ swarmId: swarm.state.swarmId, epoch, publicKey: wire(publicKeyToProtobuf(next.publicKey)), atMs: Date.now() })
  const rotation: SignedRotation = {
    payload,
    oldSignature: await signature(oldKey, DOMAIN.rotation, payload),
    newSignature: await signature(next, DOMAIN.rotation, payload)
  }
  const membership = await creatorMembership(swarm.state.swarmId, epoch, next, peerIdFromPrivateKey(nodeKey).toString())
  let revocations = swarm.state.revocations
  if (revocations != null) {
    const held = Revocations.decode(decodeSignedText(revocations).payload)
    revocations = encodeSigned(await sign(next, DOMAIN.revocations, Revocations.encode({ ...held, epoch })))
  }
  const state: SwarmStateFile = { ...swarm.state, membership: encodeMembership(membership), rotations: [...swarm.state.rotations, encodeRotation(rotation)], revocations }
  await saveSwarmKey(dataDir, next, { pending: true })
  await saveSwarmState(dataDir, state)
  await commitSwarmKey(dataDir)
  return { state, rotation, key: next }
}
