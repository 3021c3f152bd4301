import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { Daemons, runCli } from '../helpers/daemon-process.js'
import { removeContainersOf, requireEngine, TEST_IMAGE } from '../helpers/docker.js'
import { TmpDirs } from '../helpers/tmp-dir.js'
import { waitFor } from '../helpers/wait-for.js'
import type { RunningDaemon } from '../helpers/daemon-process.js'
import type { SwarmInfo } from '../../dist/index.js'

// Private swarms on this machine, each node its own daemon: made from invites with the CLI, closed
// to everyone else, revocations reaching every member, and two swarms side by side.

const cli = async (daemon: RunningDaemon, ...args: string[]): Promise<{ code: number | null, stdout: string, stderr: string }> =>
  runCli(['--data-dir', daemon.dataDir, ...args])

/** Where a daemon listens now: a node restarted into a swarm listens on a new port. */
const addressOf = async (daemon: RunningDaemon): Promise<string> => (await daemon.api.node()).multiaddrs[0]

/** A dial that reached the node and was refused by it, not one that found nobody listening. */
const refusedByNode = async (dial: Promise<unknown>): Promise<void> => {
  await assert.rejects(dial, (err: Error) => {
    assert.equal(err.name, 'DialError')
    assert.doesNotMatch(err.message, /ECONNREFUSED/)
    return true
  })
}

const connected = async (daemon: RunningDaemon, peerId: string): Promise<boolean> =>
  (await daemon.api.peers()).some(p => p.peerId === peerId && p.connection != null)

describe('private swarms', () => {
  const dirs = new TmpDirs()
  const daemons = new Daemons()

  const start = async (name: string, args = ['--no-docker']): Promise<RunningDaemon> => daemons.start(await dirs.make(), [...args, '--name', name])
  const hosts: RunningDaemon[] = []

  /** A swarm made on a new node, with the CLI as a user would; answers the creator. */
  const newSwarm = async (name: string): Promise<{ creator: RunningDaemon, swarmId: string }> => {
    const creator = await start(name)
    const created = await cli(creator, '--json', 'swarm', 'create')
    assert.equal(created.code, 0, created.stderr)
    const info = JSON.parse(created.stdout) as SwarmInfo
    assert.equal(info.status, 'member')
    assert.equal(info.creator, true)
    return { creator, swarmId: info.swarmId }
  }

  const inviteWithExpiry = async (creator: RunningDaemon, ...args: string[]): Promise<{ token: string, expiresAt: number }> => {
    const made = await cli(creator, '--json', 'invite', ...args)
    assert.equal(made.code, 0, made.stderr)
    const { token, expiresAt } = JSON.parse(made.stdout) as { token: string, expiresAt: string }
    assert.ok(Date.parse(expiresAt) > Date.now())
    return { token, expiresAt: Date.parse(expiresAt) }
  }
  const invite = async (creator: RunningDaemon, ...args: string[]): Promise<string> => (await inviteWithExpiry(creator, ...args)).token

  const join = async (daemon: RunningDaemon, token: string): Promise<SwarmInfo> => {
    const joined = await cli(daemon, '--json', 'join', token)
    assert.equal(joined.code, 0, joined.stderr)
    return JSON.parse(joined.stdout) as SwarmInfo
  }

  let creator: RunningDaemon
  let swarmId = ''
  const members: RunningDaemon[] = []

  before(async () => {
    ({ creator, swarmId } = await newSwarm('creator'))
    // One invite for three: each member joins through the creator.
    const token = await invite(creator, '--uses', '3', '--ttl', '10m')
    for (const name of ['m1', 'm2', 'm3']) {
      const member = await start(name)
      const info = await join(member, token)
      assert.equal(info.swarmId, swarmId)
      assert.equal(info.status, 'member')
      members.push(member)
    }
  })
  after(async () => {
    await daemons.stopAll()
    for (const host of hosts) await removeContainersOf(host.info.peerId)
    await dirs.cleanup()
  })

  it('members find each other and see each other\'s records', async () => {
    for (const node of [creator, ...members]) {
      const others = [creator, ...members].filter(other => other !== node)
      let seen: unknown[] = []
      await waitFor(async () => {
        const peers = await node.api.peers()
        seen = peers.map(p => ({ peerId: p.peerId, record: p.resources != null, connection: p.connection }))
        return others.every(o => peers.some(p => p.peerId === o.info.peerId && p.resources != null))
      }, { timeout: 30_000, message: `${node.info.peerId} to see every member's record` }).catch((err: Error) => {
        throw new Error(`${err.message}: it saw ${JSON.stringify(seen)} of ${JSON.stringify(others.map(o => o.info.peerId))}\n--- its log ---\n${node.output().slice(-6000)}`)
      })
    }
    const status = await cli(members[0], 'swarm', 'status')
    assert.equal(status.code, 0)
    assert.match(status.stdout, new RegExp(`swarm: +${swarmId}`))
    assert.match(status.stdout, /status: +member/)
  })

  it('a node without a membership is refused at connect and never sees a record', async () => {
    const outsider = await start('outsider')
    const address = await addressOf(creator)
    const dialled = await cli(outsider, 'connect', address)
    assert.equal(dialled.code, 1)
    assert.doesNotMatch(dialled.stderr, /ECONNREFUSED/, 'the dial reached the node')
    assert.ok(!await connected(creator, outsider.info.peerId))
    assert.deepEqual((await outsider.api.peers()).filter(p => p.resources != null), [], 'the outsider learnt no record')
    assert.ok((await creator.api.peers()).every(p => p.peerId !== outsider.info.peerId))
    await outsider.stop()
  })

  it('an expired invite and a used-up invite are refused, with the reason', async () => {
    const late = await start('late')
    const expiring = await inviteWithExpiry(creator, '--ttl', '1s')
    await waitFor(() => Date.now() > expiring.expiresAt, { timeout: 5000, message: 'the invite to expire' })
    const expired = await cli(late, 'join', expiring.token)
    assert.equal(expired.code, 1)
    assert.match(expired.stderr, /expired/)
    assert.equal(await late.api.swarm(), null, 'an invite refused at once leaves the node as it was')

    const once = await invite(creator, '--uses', '1')
    const first = await start('first')
    await join(first, once)
    const second = await cli(late, 'join', once)
    assert.equal(second.code, 1)
    assert.match(second.stderr, /used up \(1 of 1\)/)
    assert.equal((await late.api.swarm())?.status, 'refused')
    assert.ok(!await connected(creator, late.info.peerId))
    await first.stop()
    await late.stop()
  })

  it('a revoked member is dropped by every node within 10 s and cannot come back', async () => {
    const revoked = members[2]
    for (const node of [creator, members[0], members[1]]) {
      await waitFor(async () => connected(node, revoked.info.peerId) || (await node.api.connect(await addressOf(revoked)) != null), { timeout: 20_000, message: 'every member connected to the one to revoke' })
    }
    const started = Date.now()
    const revocation = await cli(creator, 'swarm', 'revoke', revoked.info.peerId)
    assert.equal(revocation.code, 0, revocation.stderr)
    for (const node of [creator, members[0], members[1]]) {
      await waitFor(async () => !await connected(node, revoked.info.peerId), { timeout: 10_000 - (Date.now() - started), message: 'every member to drop the revoked one' })
    }
    const elapsed = Date.now() - started
    assert.ok(elapsed < 10_000, `dropped everywhere in ${elapsed} ms`)
    await waitFor(async () => (await revoked.api.swarm())?.status === 'revoked', { timeout: 10_000, message: 'the revoked node to learn it' })
    await refusedByNode(revoked.api.connect(await addressOf(creator)))
    await refusedByNode(revoked.api.connect(await addressOf(members[0])))
  })

  it('a rotated swarm key reaches every member; they stay members, and only new invites admit', async () => {
    const before = await invite(creator, '--uses', '2')
    const rotated = await cli(creator, '--json', 'swarm', 'rotate')
    assert.equal(rotated.code, 0, rotated.stderr)
    assert.equal((JSON.parse(rotated.stdout) as SwarmInfo).epoch, 1)
    for (const member of members.slice(0, 2)) {
      await waitFor(async () => (await member.api.swarm())?.epoch === 1, { timeout: 10_000, message: 'the rotation to reach every member' })
    }
    const stale = await start('stale-invite')
    const refused = await cli(stale, 'join', before)
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, /replaced/)
    await stale.stop()
    const fresh = await start('fresh-invite')
    assert.equal((await join(fresh, await invite(creator))).status, 'member')
    // Members admitted under the old key pass the handshake of a new connection (the new member's).
    assert.equal((await fresh.api.connect(await addressOf(members[0]))).peerId, members[0].info.peerId)
    await fresh.stop()
  })

  it('roles: a compute member hosts but may not run on others; members may', async t => {
    if (!await requireEngine(t)) return
    const host = await start('docker-host', [])
    hosts.push(host)
    await join(host, await invite(creator, '--role', 'compute'))
    const asker = await start('compute-asker')
    await join(asker, await invite(creator, '--role', 'compute'))
    await waitFor(async () => (await asker.api.peers()).some(p => p.peerId === host.info.peerId && p.resources?.docker === true), { timeout: 30_000, message: 'the compute member to see the host' })
    await assert.rejects(asker.api.run(host.info.peerId, { image: TEST_IMAGE, cmd: ['sleep', '30'], cpus: 0.2, memory: '16m' }), { name: 'PolicyRefusedError', message: /compute member/ })
    await waitFor(async () => (await members[0].api.peers()).some(p => p.peerId === host.info.peerId && p.resources?.docker === true), { timeout: 30_000, message: 'a member to see the host' })
    const container = await members[0].api.run(host.info.peerId, { image: TEST_IMAGE, cmd: ['sleep', '30'], cpus: 0.2, memory: '16m' })
    assert.equal(container.state, 'running')
    await members[0].api.kill(host.info.peerId, container.containerId)
    await asker.stop()
  })

  it('two swarms on the same machine never see each other\'s peers', async () => {
    const other = await newSwarm('other-creator')
    const neighbour = await start('other-member')
    await join(neighbour, await invite(other.creator))
    await waitFor(async () => connected(neighbour, other.creator.info.peerId), { timeout: 15_000, message: 'the second swarm to form' })
    // Each swarm's nodes try the other's addresses; Noise itself fails across swarms.
    await refusedByNode(neighbour.api.connect(await addressOf(creator)))
    await refusedByNode(members[0].api.connect(await addressOf(other.creator)))
    const firstSwarm = new Set([creator, ...members].map(d => d.info.peerId))
    const secondSwarm = new Set([other.creator, neighbour].map(d => d.info.peerId))
    for (const node of [creator, members[0]]) assert.ok((await node.api.peers()).every(p => !secondSwarm.has(p.peerId)))
    for (const node of [other.creator, neighbour]) assert.ok((await node.api.peers()).every(p => !firstSwarm.has(p.peerId)))
    await neighbour.stop()
    await other.creator.stop()
  })
})
