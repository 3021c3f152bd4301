import { TypedEventEmitter } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { SwarmError } from '../errors.js'
import { DHT_NAMESPACE, MAX_CHAIN, MAX_EVENT_BYTES } from './constants.js'
import { decodeMembership, decodeSignedText, encodeMembership, encodeRotation, encodeSigned, issueInvite, keyChainOf, rotateSwarmKey, signRevocations } from './operations.js'
import { openInvite, openRevocations } from './credentials.js'
import { Binding, Revocations, Signed as SignedCodec, SwarmEvent } from './pb/swarm.js'
import { NotAdmittedError, SwarmRegistry } from './registry.js'
import { saveSwarmState } from './state.js'
import type { SwarmInfo, SwarmRole, SwarmStatus } from '../contract/index.js'
import type { InviteOptions } from './operations.js'
import type { Hello, Membership, Signed, SignedRotation, Verdict } from './pb/swarm.js'
import type { StoredSwarm, SwarmStateFile } from './state.js'
import type { Logger, PrivateKey } from '@libp2p/interface'
import type { Selectors, Validators } from '@libp2p/kad-dht'

/** What the connection encrypter asks of the swarm on every connection (host/swarm-encrypter.ts). */
export interface SwarmHandshake {
  /** Noise's prologue: the swarm ID, so only nodes of this swarm complete a handshake. */
  readonly prologue: Uint8Array
  /** What this node shows. */
  hello: () => Hello
  /** The verdict on what the other side showed (admitting it now if it is joining). Never throws. */
  judge: (remotePeer: string, hello: Hello) => Promise<Verdict>
  /** Both verdicts are in: throws SwarmError unless both sides accepted; takes an admission made for this node. */
  conclude: (remotePeer: string, ours: Verdict, theirs: Verdict) => Promise<void>
  /** Peers not to dial or accept at all: the revoked. */
  isRevoked: (peerId: string) => boolean
}

export interface SwarmEvents {
  /** Members that lost their membership: drop their connections. */
  revoked: CustomEvent<string[]>
  /** Something every member should hear (an admission made here, new revocations, a rotation): gossip it. */
  announce: CustomEvent<Uint8Array>
  /** This node's own standing changed (admitted, refused, revoked). */
  status: CustomEvent<SwarmStatus>
}

export interface SwarmInit {
  dataDir: string
  stored: StoredSwarm
  nodeKey: PrivateKey
  log: Logger
}

/**
 * This node's membership of a private swarm, at run time: the handshake every connection goes
 * through, admissions of joining peers, revocations and rotations as they arrive (from handshakes
 * and gossip), and the creator's operations. What changes is saved to DATA_DIR/swarm/ at once.
 */
export class Swarm extends TypedEventEmitter<SwarmEvents> implements SwarmHandshake {
  readonly prologue: Uint8Array
  readonly peerId: string
  private state: SwarmStateFile
  private swarmKey: PrivateKey | null
  private membership: Membership
  private chain: Membership[]
  private saving: Promise<void> = Promise.resolve()

  private constructor (private readonly init: SwarmInit, readonly registry: SwarmRegistry) {
    super()
    this.state = init.stored.state
    this.swarmKey = init.stored.swarmKey
    this.prologue = new TextEncoder().encode(`p2prc-swarm:${this.state.swarmId}`)
    this.peerId = peerIdFromPrivateKey(init.nodeKey).toString()
    this.membership = decodeMembership(this.state.membership)
    this.chain = this.state.chain.map(decodeMembership)
  }

  static async open (init: SwarmInit): Promise<Swarm> {
    const registry = new SwarmRegistry(await keyChainOf(init.stored.state))
    if (init.stored.state.revocations != null) {
      await registry.applyRevocations(decodeSignedText(init.stored.state.revocations)).catch(() => null)
    }
    return new Swarm(init, registry)
  }

  get swarmId (): string {
    return this.state.swarmId
  }

  get role (): SwarmRole {
    return this.state.role
  }

  get status (): SwarmStatus {
    return this.state.status
  }

  get bootstrap (): string[] {
    return this.state.bootstrap
  }

  get relays (): string[] {
    return this.state.relays
  }

  info (): SwarmInfo {
    const list = this.registry.revocationList
    return {
      swarmId: this.swarmId,
      role: this.role,
      status: this.status,
      reason: this.state.reason,
      epoch: this.registry.keys.epoch,
      creator: this.swarmKey != null,
      members: this.registry.knownMembers(),
      revoked: { peers: [...list?.peers ?? []], invites: [...list?.invites ?? []] },
      bootstrap: this.state.bootstrap
    }
  }

  /** A peer's role in the swarm, once a handshake or an admission has shown it. */
  roleOf (peerId: string): SwarmRole | null {
    return peerId === this.peerId ? this.role : this.registry.member(peerId)?.role ?? null
  }

  readonly isRevoked = (peerId: string): boolean => this.registry.isRevoked(peerId, this.registry.member(peerId)?.inviteId)

  readonly hello = (): Hello => ({
    membership: this.membership,
    chain: this.chain,
    rotations: this.registry.keys.rotations,
    revocations: this.registry.revocationsSigned ?? undefined
  })

  readonly judge = async (remotePeer: string, hello: Hello): Promise<Verdict> => {
    try {
      await this.learn(hello.rotations, hello.revocations)
      if (this.status === 'revoked') return refuse('this node has been revoked from the swarm')
      if (hello.membership == null) return refuse('no membership shown')
      try {
        await this.registry.verify(hello.membership, hello.chain, remotePeer)
        return { ok: true, reason: '', chain: [] }
      } catch (err) {
        if (!(err instanceof NotAdmittedError)) throw err
        if (this.status !== 'member') return refuse('this node is not a member yet: join through another')
        const chain = this.chainForNewMember()
        if (chain == null) return refuse('this member is too far from the swarm\'s creator to admit anyone: join through another member')
        const witness = await this.registry.admit(hello.membership, remotePeer, { peerId: this.peerId, key: this.init.nodeKey })
        this.init.log('admitted %s to the swarm', remotePeer)
        this.announce({ admitted: { ...hello.membership, witness }, chain, rotations: [] })
        return { ok: true, reason: '', witness, chain }
      }
    } catch (err: any) {
      if (err instanceof SwarmError) return refuse(err.message)
      this.init.log.error('swarm handshake with %s failed: %s', remotePeer, err.stack ?? err.message)
      return refuse('malformed handshake')
    }
  }

  readonly conclude = async (remotePeer: string, ours: Verdict, theirs: Verdict): Promise<void> => {
    if (!theirs.ok) {
      // A joining node keeps the reason a member gave, for `p2prc join` to show.
      if (this.status === 'joining' || this.status === 'refused') await this.setStatus('refused', `${remotePeer} refused: ${theirs.reason}`)
      throw new SwarmError(`${remotePeer} refused this node: ${theirs.reason}`)
    }
    if (!ours.ok) throw new SwarmError(`refused ${remotePeer}: ${ours.reason}`)
    if (theirs.witness == null || this.status === 'member') return
    const admitted = { ...this.membership, witness: theirs.witness }
    await this.registry.verify(admitted, theirs.chain, this.peerId)
    this.membership = admitted
    this.chain = theirs.chain.slice(0, MAX_CHAIN)
    this.init.log('admitted to swarm %s by %s', this.swarmId, remotePeer)
    await this.setStatus('member', null)
  }

  /** A swarm event from gossip: Accept (true) when it is valid, whether or not it was new. */
  async receive (data: Uint8Array): Promise<boolean> {
    if (data.byteLength > MAX_EVENT_BYTES) return false
    let event: SwarmEvent
    try {
      event = SwarmEvent.decode(data, { limits: { chain: MAX_CHAIN, rotations: 32 } })
    } catch {
      return false
    }
    try {
      await this.learn(event.rotations, event.revocations)
      if (event.admitted != null) {
        const peer = this.boundMember(event.admitted)
        if (peer == null) return false
        await this.registry.verify(event.admitted, event.chain, peer)
      }
      return true
    } catch (err: any) {
      this.init.log('swarm event refused: %s', err.message)
      return false
    }
  }

  async invite (options: InviteOptions): Promise<{ token: string, expiresAt: number, inviteId: string }> {
    return issueInvite({ state: this.state, swarmKey: this.swarmKey }, options)
  }

  /** Revokes members and invites (creator only): every member drops them as the revocations spread. */
  async revoke (what: { peers?: string[], invites?: string[] }): Promise<void> {
    const list = this.registry.revocationList
    const signed = await signRevocations({ state: this.state, swarmKey: this.swarmKey }, list, what)
    await this.applyRevocations(signed)
    this.announce({ revocations: signed, chain: [], rotations: [] })
  }

  /** Replaces the swarm key (creator only); members stay members. */
  async rotate (): Promise<number> {
    const { state, rotation, key } = await rotateSwarmKey(this.init.dataDir, { state: this.state, swarmKey: this.swarmKey }, this.init.nodeKey)
    this.swarmKey = key
    this.state = state
    this.membership = decodeMembership(state.membership)
    await this.registry.keys.extend([rotation])
    if (state.revocations != null) await this.registry.applyRevocations(decodeSignedText(state.revocations))
    this.announce({ rotations: this.registry.keys.rotations, revocations: this.registry.revocationsSigned ?? undefined, chain: [] })
    return this.registry.keys.epoch
  }

  /** Resolves once every change so far is saved (the node stops, and its state may be removed next). */
  async flush (): Promise<void> {
    await this.saving
  }

  /** The chain a member admitted here carries: this node's membership, then its own chain. Null when that would be too long. */
  private chainForNewMember (): Membership[] | null {
    const chain = [this.membership, ...this.chain]
    return chain.length < MAX_CHAIN ? chain : null
  }

  private boundMember (membership: Membership): string | null {
    try {
      return membership.binding != null ? decodeBinding(membership.binding).member : null
    } catch {
      return null
    }
  }

  /** Takes newer rotations and revocations, wherever they came from. */
  private async learn (rotations: SignedRotation[], revocations: Signed | undefined): Promise<void> {
    if (await this.registry.keys.extend(rotations)) {
      this.state = { ...this.state, rotations: this.registry.keys.rotations.map(encodeRotation) }
      this.save()
    }
    if (revocations != null) await this.applyRevocations(revocations)
  }

  private async applyRevocations (signed: Signed): Promise<void> {
    const list = await this.registry.applyRevocations(signed)
    if (list == null) return
    this.state = { ...this.state, revocations: encodeSigned(signed) }
    this.save()
    const self = this.membership.invite != null ? await openInvite(this.membership.invite, this.registry.keys).catch(() => null) : null
    if (list.peers.has(this.peerId) || (self != null && list.invites.has(self.inviteId))) {
      await this.setStatus('revoked', 'the swarm\'s creator revoked this node\'s membership')
    }
    this.safeDispatchEvent('revoked', { detail: [...list.peers] })
  }

  /** The DHT key the swarm's revocations are stored under. */
  get revocationsKey (): Uint8Array {
    return new TextEncoder().encode(`/${DHT_NAMESPACE}/${this.swarmId}/revocations`)
  }

  /**
   * The DHT's validator and selector for the swarm's keys: only revocations signed by the swarm
   * key are stored, and of several the newest (epoch, then seq) is returned.
   */
  dhtRules (): { validators: Validators, selectors: Selectors } {
    const newest = (value: Uint8Array): [number, number] => {
      try {
        const list = Revocations.decode(SignedCodec.decode(value).payload)
        return [list.epoch, list.seq]
      } catch {
        return [-1, -1]
      }
    }
    return {
      validators: {
        [DHT_NAMESPACE]: async (key, value) => {
          if (!Buffer.from(key).equals(Buffer.from(this.revocationsKey))) throw new SwarmError('not a key of this swarm')
          await openRevocations(SignedCodec.decode(value), this.registry.keys)
        }
      },
      selectors: {
        [DHT_NAMESPACE]: (_key, values) => {
          let best = 0
          values.forEach((value, i) => {
            const [epoch, seq] = newest(value)
            const [bestEpoch, bestSeq] = newest(values[best])
            if (epoch > bestEpoch || (epoch === bestEpoch && seq > bestSeq)) best = i
          })
          return best
        }
      }
    }
  }

  /** Revocations found in the DHT (or anywhere): taken if newer. Answers whether they were. */
  async takeRevocations (value: Uint8Array): Promise<boolean> {
    try {
      const before = this.registry.revocationsSigned
      await this.applyRevocations(SignedCodec.decode(value))
      return this.registry.revocationsSigned !== before
    } catch {
      return false
    }
  }

  /** Gossips the revocations again (the creator repeats them for members a message missed). */
  announceRevocations (signed: Signed): void {
    this.announce({ revocations: signed, chain: [], rotations: [] })
  }

  private announce (event: SwarmEvent): void {
    this.safeDispatchEvent('announce', { detail: SwarmEvent.encode(event) })
  }

  private async setStatus (status: SwarmStatus, reason: string | null): Promise<void> {
    this.state = { ...this.state, status, reason, membership: encodeMembership(this.membership), chain: this.chain.map(encodeMembership) }
    this.save()
    await this.saving
    this.safeDispatchEvent('status', { detail: status })
  }

  /** Saves the state, one write after another. */
  private save (): void {
    const state = this.state
    this.saving = this.saving.then(async () => saveSwarmState(this.init.dataDir, state)).catch(err => {
      this.init.log.error('could not save the swarm state: %s', err.message)
    })
  }
}

function refuse (reason: string): Verdict {
  return { ok: false, reason, chain: [] }
}

function decodeBinding (signed: Signed): { member: string } {
  return Binding.decode(signed.payload)
}
