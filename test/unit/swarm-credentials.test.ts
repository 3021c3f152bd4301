import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { logger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createSwarm, joinSwarm, loadSwarm, Signed, Swarm } from '../../dist/swarm/index.js'
import { decodeMembership, issueInvite, keyChainOf, rotateSwarmKey, signRevocations } from '../../dist/swarm/operations.js'
import { SwarmRegistry } from '../../dist/swarm/registry.js'
import { decodeToken } from '../../dist/swarm/token.js'
import type { PrivateKey } from '@libp2p/interface'

// The rules every member judges memberships by, without a network: what a forged, expired,
// used-up, revoked or replaced-key membership gets, and what a sound one gets.

const dirs: string[] = []
const newDir = async (): Promise<string> => {
  const dir = await mkdtemp(join(tmpdir(), 'p2prc-swarm-'))
  dirs.push(dir)
  return dir
}
after(async () => { for (const dir of dirs) await rm(dir, { recursive: true, force: true }) })

interface Node { dir: string, key: PrivateKey, peerId: string }
const node = async (): Promise<Node> => {
  const key = await generateKeyPair('Ed25519')
  return { dir: await newDir(), key, peerId: peerIdFromPrivateKey(key).toString() }
}

/** A swarm with its creator, and a registry as a member sees it. */
async function swarm (): Promise<{ creator: Node, registry: () => Promise<SwarmRegistry>, invite: (o?: object) => Promise<string> }> {
  const creator = await node()
  await createSwarm(creator.dir, creator.key)
  return {
    creator,
    registry: async () => {
      const stored = await loadSwarm(creator.dir)
      assert.ok(stored != null)
      return new SwarmRegistry(await keyChainOf(stored.state))
    },
    invite: async (options = {}) => (await issueInvite(await loadSwarm(creator.dir), { bootstrap: [`/ip4/127.0.0.1/tcp/1/p2p/${creator.peerId}`], ...options })).token
  }
}

const membershipOf = async (joiner: Node): Promise<ReturnType<typeof decodeMembership>> => {
  const stored = await loadSwarm(joiner.dir)
  assert.ok(stored != null)
  return decodeMembership(stored.state.membership)
}

describe('swarm memberships', () => {
  it('the creator is a member; a joiner is admitted once, by a member, and is then a member everywhere', async () => {
    const s = await swarm()
    const registry = await s.registry()
    const creatorMembership = decodeMembership((await loadSwarm(s.creator.dir))?.state.membership ?? '')
    assert.equal((await registry.verify(creatorMembership, [], s.creator.peerId)).admittedBy, null)

    const joiner = await node()
    await joinSwarm(joiner.dir, joiner.key, await s.invite())
    const bound = await membershipOf(joiner)
    await assert.rejects(registry.verify(bound, [], joiner.peerId), { name: 'SwarmError', message: /not been admitted/ })
    const witness = await registry.admit(bound, joiner.peerId, { peerId: s.creator.peerId, key: s.creator.key })
    // Another member that never met the creator checks the admission through the chain.
    const elsewhere = await s.registry()
    const view = await elsewhere.verify({ ...bound, witness }, [creatorMembership], joiner.peerId)
    assert.equal(view.admittedBy, s.creator.peerId)
    assert.equal(view.role, 'member')
  })

  it('refuses a membership shown by another peer, a forged admission, and a self-admission', async () => {
    const s = await swarm()
    const registry = await s.registry()
    const joiner = await node()
    await joinSwarm(joiner.dir, joiner.key, await s.invite())
    const bound = await membershipOf(joiner)
    const thief = await node()
    await assert.rejects(registry.admit(bound, thief.peerId, { peerId: s.creator.peerId, key: s.creator.key }), { message: /bound to another peer/ })
    // An admission signed by a key that is not the named member's.
    const witness = await registry.admit(bound, joiner.peerId, { peerId: s.creator.peerId, key: thief.key })
    await assert.rejects((await s.registry()).verify({ ...bound, witness }, [], joiner.peerId), { message: /not signed by the member it names/ })
    // The joiner admitting itself.
    const self = await (await s.registry()).admit(bound, joiner.peerId, { peerId: joiner.peerId, key: joiner.key })
    await assert.rejects((await s.registry()).verify({ ...bound, witness: self }, [], joiner.peerId), { message: /cannot admit itself/ })
  })

  it('refuses an invite of another swarm, a tampered invite, an expired one and one used up', async () => {
    const s = await swarm()
    const other = await swarm()
    const joiner = await node()
    await joinSwarm(joiner.dir, joiner.key, await other.invite())
    await assert.rejects((await s.registry()).admit(await membershipOf(joiner), joiner.peerId, { peerId: s.creator.peerId, key: s.creator.key }), { message: /another swarm/ })

    const token = await decodeToken(await s.invite())
    token.invite.payload[token.invite.payload.length - 1] ^= 1
    const forged = await node()
    const honest = await node()
    await joinSwarm(honest.dir, honest.key, await s.invite({ ttl: 1000 }))
    const expiring = await membershipOf(honest)
    const tampered = { ...expiring, invite: token.invite }
    await assert.rejects((await s.registry()).admit(tampered, forged.peerId, { peerId: s.creator.peerId, key: s.creator.key }), { name: 'SwarmError' })
    await assert.rejects((await s.registry()).admit(expiring, honest.peerId, { peerId: s.creator.peerId, key: s.creator.key }, Date.now() + 2000), { message: /expired/ })

    const registry = await s.registry()
    const once = await s.invite({ uses: 1 })
    const [a, b] = [await node(), await node()]
    await joinSwarm(a.dir, a.key, once)
    await joinSwarm(b.dir, b.key, once)
    await registry.admit(await membershipOf(a), a.peerId, { peerId: s.creator.peerId, key: s.creator.key })
    await assert.rejects(registry.admit(await membershipOf(b), b.peerId, { peerId: s.creator.peerId, key: s.creator.key }), { message: /used up \(1 of 1\)/ })
  })

  it('revocations: the newest list wins, an older one changes nothing, a forged one is refused', async () => {
    const s = await swarm()
    const registry = await s.registry()
    const joiner = await node()
    await joinSwarm(joiner.dir, joiner.key, await s.invite())
    const bound = await membershipOf(joiner)
    const witness = await registry.admit(bound, joiner.peerId, { peerId: s.creator.peerId, key: s.creator.key })
    const first = await signRevocations(await loadSwarm(s.creator.dir), null, { peers: [joiner.peerId] })
    assert.ok(await registry.applyRevocations(first) != null)
    await assert.rejects(registry.verify({ ...bound, witness }, [], joiner.peerId), { message: /revoked/ })
    assert.equal(await registry.applyRevocations(first), null, 'the same list again is not news')
    const impostor = await swarm()
    const forged = await signRevocations(await loadSwarm(impostor.creator.dir), null, { peers: [s.creator.peerId] })
    await assert.rejects(registry.applyRevocations(forged), { message: /another swarm|not signed/ })
    assert.ok(!registry.isRevoked(s.creator.peerId))
  })

  it('a rotated key: members admitted before stay, invites of the old key admit nobody new, the chain checks out from genesis', async () => {
    const s = await swarm()
    const registry = await s.registry()
    const early = await node()
    await joinSwarm(early.dir, early.key, await s.invite())
    const earlyBound = await membershipOf(early)
    const earlyWitness = await registry.admit(earlyBound, early.peerId, { peerId: s.creator.peerId, key: s.creator.key })
    const lateToken = await s.invite()
    const { rotation, state } = await rotateSwarmKey(s.creator.dir, await loadSwarm(s.creator.dir), s.creator.key)
    assert.ok(await registry.keys.extend([rotation]))
    assert.equal(registry.keys.epoch, 1)
    const newCreator = decodeMembership(state.membership)
    await registry.verify({ ...earlyBound, witness: earlyWitness }, [newCreator], early.peerId)
    const late = await node()
    await joinSwarm(late.dir, late.key, lateToken)
    await assert.rejects(registry.admit(await membershipOf(late), late.peerId, { peerId: s.creator.peerId, key: s.creator.key }), { message: /replaced/ })
    // A rotation not signed by the current key is no link of the chain.
    const stranger = await swarm()
    const { rotation: alien } = await rotateSwarmKey(stranger.creator.dir, await loadSwarm(stranger.creator.dir), stranger.creator.key)
    assert.equal(await registry.keys.extend([alien]), false)
    // The new key's invites admit.
    const fresh = await node()
    await joinSwarm(fresh.dir, fresh.key, (await issueInvite(await loadSwarm(s.creator.dir), { bootstrap: [`/ip4/127.0.0.1/tcp/1/p2p/${s.creator.peerId}`] })).token)
    await registry.admit(await membershipOf(fresh), fresh.peerId, { peerId: s.creator.peerId, key: s.creator.key })
  })

  it('the DHT stores only the swarm\'s own revocations, and returns the newest', async () => {
    const s = await swarm()
    const stored = await loadSwarm(s.creator.dir)
    assert.ok(stored != null)
    const member = await Swarm.open({ dataDir: s.creator.dir, stored, nodeKey: s.creator.key, log: logger('test:swarm') })
    const { validators, selectors } = member.dhtRules()
    const validate = Object.values(validators)[0]
    const select = Object.values(selectors)[0]
    const first = Signed.encode(await signRevocations(stored, null, { peers: [(await node()).peerId] }))
    const second = Signed.encode(await signRevocations(stored, { peers: [], invites: [], seq: Date.now() + 10 }, { peers: [(await node()).peerId] }))
    await validate(member.revocationsKey, first)
    await assert.rejects(async () => { await validate(new TextEncoder().encode('/p2prc-swarm/other/revocations'), first) }, { name: 'SwarmError' })
    const impostor = await swarm()
    const forged = Signed.encode(await signRevocations(await loadSwarm(impostor.creator.dir), null, { peers: [s.creator.peerId] }))
    await assert.rejects(async () => { await validate(member.revocationsKey, forged) }, { name: 'SwarmError' })
    assert.equal(select(member.revocationsKey, [first, second]), 1)
    assert.equal(select(member.revocationsKey, [second, first]), 0)
  })

  it('tokens: garbage, cut-short and oversized tokens are refused with a clear message', async () => {
    await assert.rejects(decodeToken('hello'), { name: 'InvalidArgumentError', message: /not an invite token/ })
    const s = await swarm()
    const token = await s.invite()
    await assert.rejects(decodeToken(token.slice(0, 40)), { name: 'InvalidArgumentError' })
    await assert.rejects(decodeToken('p2prc1' + 'A'.repeat(9000)), { name: 'InvalidArgumentError', message: /longer than/ })
    assert.ok(token.length < 1000, `a token is short enough to paste (${token.length} characters)`)
  })
})
