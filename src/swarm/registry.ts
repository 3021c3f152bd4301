import { SwarmError } from '../errors.js'
import { CLOCK_SKEW, DOMAIN, MAX_CHAIN, MAX_TRACKED_INVITES } from './constants.js'
import { openBinding, openInvite, openRevocations, openWitness } from './credentials.js'
import { Binding, Witness } from './pb/swarm.js'
import { sign } from './signing.js'
import type { SwarmMember } from '../contract/index.js'
import type { InviteView, RevocationList } from './credentials.js'
import type { KeyChain } from './key-chain.js'
import type { Membership, Signed } from './pb/swarm.js'
import type { PrivateKey } from '@libp2p/interface'

/** A verified member (admittedAt: its witness's time; the creator's: when it bound itself). */
export type MemberView = SwarmMember

/** A membership that is sound but not admitted yet: its holder is joining, and may be admitted now. */
export class NotAdmittedError extends SwarmError {}

const MAX_MEMBERS_CACHED = 8192

function partOf (membership: Membership, part: 'invite' | 'binding'): Signed {
  const signed = membership[part]
  if (signed == null) throw new SwarmError(`malformed membership: no ${part}`)
  return signed
}

/**
 * What this node knows of the swarm's members, and the rules they are judged by: memberships
 * (invite signed by the swarm key, binding by the invite's key, admission by a member), the
 * invites' uses as admissions spread (the first `uses` admissions of an invite count, in time
 * order), the revocations (the newest list signed by the current key wins) and the key chain.
 */
export class SwarmRegistry {
  private revocations: { signed: Signed, list: RevocationList } | null = null
  /** Per invite: its admitted members and when; insertion order is recency, for the bound. */
  private readonly admissions = new Map<string, Map<string, number>>()
  private readonly members = new Map<string, MemberView>()

  constructor (readonly keys: KeyChain) {}

  get revocationsSigned (): Signed | null {
    return this.revocations?.signed ?? null
  }

  get revocationList (): RevocationList | null {
    return this.revocations?.list ?? null
  }

  isRevoked (peerId: string, inviteId?: string): boolean {
    const list = this.revocations?.list
    return list != null && (list.peers.has(peerId) || (inviteId != null && list.invites.has(inviteId)))
  }

  /** A member this node has verified (and not seen revoked since). */
  member (peerId: string): MemberView | null {
    return this.members.get(peerId) ?? null
  }

  /** Verified members, most recently verified last. */
  knownMembers (): MemberView[] {
    return [...this.members.values()]
  }

  /**
   * Checks that `peerId` holds `membership` (with `chain`, the memberships of its admitting
   * members up to the creator). Answers what it is; throws SwarmError saying why not, or
   * NotAdmittedError for a sound membership nobody admitted yet.
   */
  async verify (membership: Membership, chain: Membership[], peerId: string, now = Date.now()): Promise<MemberView> {
    return this.verifyAt(membership, chain.slice(0, MAX_CHAIN), peerId, 0, now)
  }

  private async verifyAt (membership: Membership, chain: Membership[], peerId: string, depth: number, now: number): Promise<MemberView> {
    const invite = await openInvite(partOf(membership, 'invite'), this.keys)
    const binding = await openBinding(partOf(membership, 'binding'), invite)
    if (binding.member !== peerId) throw new SwarmError('the membership is bound to another peer')
    if (this.isRevoked(peerId, invite.inviteId)) throw new SwarmError('the membership has been revoked')
    if (invite.byCreator) {
      if (invite.epoch !== this.keys.epoch) throw new SwarmError('the creator\'s membership under an earlier swarm key no longer counts')
      return this.remember({ peerId, role: invite.role, inviteId: invite.inviteId, admittedAt: binding.boundAt, admittedBy: null })
    }
    if (membership.witness == null) throw new NotAdmittedError('the member has not been admitted yet')
    const witness = await openWitness(membership.witness, now)
    if (witness.member !== peerId || witness.inviteId !== invite.inviteId) throw new SwarmError('the admission is for another member or invite')
    if (witness.witnessedAt > invite.expiresAt) throw new SwarmError('the member was admitted after its invite expired')
    if (witness.witnessedAt < invite.issuedAt - CLOCK_SKEW) throw new SwarmError('the member was admitted before its invite was issued')
    const end = this.keys.endOf(invite.epoch)
    if (end != null && witness.witnessedAt >= end) throw new SwarmError('the member was admitted with an invite of a swarm key that had been replaced')
    if (witness.witness === peerId) throw new SwarmError('a member cannot admit itself')
    const known = this.members.get(witness.witness)
    if (known == null || this.isRevoked(witness.witness, known.inviteId)) {
      if (depth + 1 >= MAX_CHAIN) throw new SwarmError('the admission chain is too long')
      const admitter = chain.find(c => c !== membership && this.boundPeer(c) === witness.witness)
      if (admitter == null) throw new SwarmError('the member that admitted it is unknown here')
      await this.verifyAt(admitter, chain, witness.witness, depth + 1, now)
    }
    this.countAdmission(invite, peerId, witness.witnessedAt)
    return this.remember({ peerId, role: invite.role, inviteId: invite.inviteId, admittedAt: witness.witnessedAt, admittedBy: witness.witness })
  }

  /**
   * Admits a joining peer (this node's own checks: the invite's expiry by this node's clock, its
   * uses as this node knows them, the current key) and answers the admission, signed by `self`.
   */
  async admit (membership: Membership, peerId: string, self: { peerId: string, key: PrivateKey }, now = Date.now()): Promise<Signed> {
    const invite = await openInvite(partOf(membership, 'invite'), this.keys)
    const binding = await openBinding(partOf(membership, 'binding'), invite)
    if (binding.member !== peerId) throw new SwarmError('the membership is bound to another peer')
    if (this.isRevoked(peerId, invite.inviteId)) throw new SwarmError('the invite has been revoked')
    if (invite.epoch !== this.keys.epoch) throw new SwarmError('the invite was signed with a swarm key that has been replaced; ask for a new one')
    if (now > invite.expiresAt) throw new SwarmError(`the invite expired at ${new Date(invite.expiresAt).toISOString()}`)
    const admitted = this.admissions.get(invite.inviteId)
    if (admitted?.has(peerId) !== true && (admitted?.size ?? 0) >= invite.uses) {
      throw new SwarmError(`the invite has been used up (${invite.uses} of ${invite.uses})`)
    }
    const payload = Witness.encode({ inviteId: Buffer.from(invite.inviteId, 'hex'), member: peerId, witness: self.peerId, witnessedAtMs: now })
    this.countAdmission(invite, peerId, now)
    this.remember({ peerId, role: invite.role, inviteId: invite.inviteId, admittedAt: now, admittedBy: self.peerId })
    return sign(self.key, DOMAIN.witness, payload)
  }

  /** Takes a revocation list if it is newer; answers it then (the caller drops the revoked), else null. */
  async applyRevocations (signed: Signed): Promise<RevocationList | null> {
    const list = await openRevocations(signed, this.keys)
    const held = this.revocations?.list
    if (held != null && (list.epoch < held.epoch || (list.epoch === held.epoch && list.seq <= held.seq))) return null
    this.revocations = { signed, list }
    for (const [peerId, member] of this.members) {
      if (list.peers.has(peerId) || list.invites.has(member.inviteId)) this.members.delete(peerId)
    }
    return list
  }

  private boundPeer (membership: Membership): string | null {
    try {
      // The binding's member, unverified: only to pick the chain entry to verify next.
      return Binding.decode(partOf(membership, 'binding').payload).member
    } catch {
      return null
    }
  }

  /**
   * Counts an admission towards its invite's uses. Admissions beyond the uses (two members
   * admitting at once can overshoot) are settled by time: the first `uses` stand, later ones
   * are refused everywhere once the admissions have spread.
   */
  private countAdmission (invite: InviteView, peerId: string, at: number): void {
    const admitted = this.admissions.get(invite.inviteId) ?? new Map<string, number>()
    this.admissions.delete(invite.inviteId)
    this.admissions.set(invite.inviteId, admitted)
    if (!admitted.has(peerId)) admitted.set(peerId, at)
    const ranked = [...admitted].sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]))
    const rank = ranked.findIndex(([id]) => id === peerId)
    // Only what decides who stands is kept: the first `uses` and this one.
    for (const [id] of ranked.slice(invite.uses)) if (id !== peerId) admitted.delete(id)
    if (this.admissions.size > MAX_TRACKED_INVITES) this.admissions.delete(this.admissions.keys().next().value as string)
    if (rank >= invite.uses) {
      admitted.delete(peerId)
      throw new SwarmError(`the invite has been used up (${invite.uses} of ${invite.uses})`)
    }
  }

  private remember (member: MemberView): MemberView {
    this.members.delete(member.peerId)
    this.members.set(member.peerId, member)
    if (this.members.size > MAX_MEMBERS_CACHED) this.members.delete(this.members.keys().next().value as string)
    return member
  }
}
