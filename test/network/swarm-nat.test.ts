import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { Daemons, runCli } from '../helpers/daemon-process.js'
import { removeContainersOf, requireEngine, TEST_IMAGE } from '../helpers/docker.js'
import { NatTopology, requireNetAdmin } from '../helpers/nat-topology.js'
import { TmpDirs } from '../helpers/tmp-dir.js'
import { waitFor } from '../helpers/wait-for.js'
import type { RunningDaemon } from '../helpers/daemon-process.js'
import type { SwarmInfo } from '../../dist/index.js'
import type { TestContext } from 'node:test'

// A private swarm of four nodes formed from invites, one of them behind the NAT testbed's router:
// the creator relays on the WAN, a member and a client are on the WAN too, and the Docker host
// joins from behind NAT as a compute member, reachable only through the relay its invite named.

describe('a private swarm with a member behind NAT', () => {
  const dirs = new TmpDirs()
  const daemons = new Daemons()
  let topology: NatTopology | undefined
  const nodes: Record<string, RunningDaemon> = {}

  const onWan = async (name: string, args: string[]): Promise<RunningDaemon> => {
    assert.ok(topology != null)
    const wan = await topology.wanHost()
    return daemons.start(await dirs.make(), ['--name', name, ...args], { netns: wan.netns, listen: [`/ip4/${wan.ip}/tcp/0`], api: `${wan.ip}:0` })
  }

  const cli = async (daemon: RunningDaemon, ...args: string[]): Promise<{ code: number | null, stdout: string, stderr: string }> =>
    runCli(['--data-dir', daemon.dataDir, '--json', ...args])

  const join = async (daemon: RunningDaemon, token: string): Promise<SwarmInfo> => {
    const joined = await cli(daemon, 'join', token)
    assert.equal(joined.code, 0, `${joined.stderr}\n${daemon.output()}`)
    return JSON.parse(joined.stdout) as SwarmInfo
  }

  const invite = async (role: string): Promise<string> => {
    const made = await cli(nodes.creator, 'invite', '--role', role)
    assert.equal(made.code, 0, made.stderr)
    return (JSON.parse(made.stdout) as { token: string }).token
  }

  before(async () => {
    if (process.getuid?.() !== 0) return
    topology = await NatTopology.create()
  })
  after(async () => {
    await daemons.stopAll()
    if (nodes.compute != null) await removeContainersOf(nodes.compute.info.peerId)
    await topology?.destroy()
    await dirs.cleanup()
  })

  const ready = async (t: TestContext): Promise<boolean> => await requireNetAdmin(t) && await requireEngine(t)

  it('forms from invites; the member runs a container on the NAT\'d compute host through the relay; roles hold', async t => {
    if (!await ready(t) || topology == null) return
    nodes.creator = await onWan('creator', ['--relay', '--no-docker'])
    const created = await cli(nodes.creator, 'swarm', 'create')
    assert.equal(created.code, 0, created.stderr)
    const { swarmId } = JSON.parse(created.stdout) as SwarmInfo

    nodes.member = await onWan('member', ['--no-docker'])
    assert.equal((await join(nodes.member, await invite('member'))).role, 'member')
    nodes.client = await onWan('client', [])
    assert.equal((await join(nodes.client, await invite('client'))).role, 'client')
    // Behind the router: it can dial out to the creator, and holds a reservation on its relay.
    nodes.compute = await daemons.start(await dirs.make(), ['--name', 'compute'], { listen: [`/ip4/${topology.lanIp}/tcp/0`] })
    assert.equal((await join(nodes.compute, await invite('compute'))).role, 'compute')

    const compute = nodes.compute.info.peerId
    await waitFor(async () => {
      const addresses = (await nodes.compute.api.node()).multiaddrs
      return addresses.some(a => a.includes('/p2p-circuit'))
    }, { timeout: 30_000, message: 'the NAT\'d member to hold a reservation on the swarm\'s relay' })

    // Every member sees every other, the NAT'd one with its Docker engine.
    for (const name of ['creator', 'member', 'client']) {
      await waitFor(async () => (await nodes[name].api.peers()).some(p => p.peerId === compute && p.resources?.docker === true),
        { timeout: 60_000, message: `${name} to see the compute member's record` })
      const swarm = await nodes[name].api.swarm()
      assert.equal(swarm?.swarmId, swarmId)
    }
    // The client hosts nothing: its node took no engine.
    const clientSelf = await nodes.client.api.node()
    assert.equal(clientSelf.docker.available, false)

    // A member runs on the compute host; the only way there is the relay.
    const container = await nodes.member.api.run(compute, { image: TEST_IMAGE, cmd: ['sleep', '60'], cpus: 0.2, memory: '16m' })
    assert.equal(container.state, 'running')
    // Reached through the relay, or directly once hole punching (DCUtR) upgraded that connection.
    const seen = (await nodes.member.api.peers()).find(p => p.peerId === compute)
    assert.ok(seen?.connection === 'relayed' || seen?.connection === 'direct', String(seen?.connection))
    await nodes.member.api.kill(compute, container.containerId)
    // A client may run work too, and `auto` finds the compute host.
    const placed = await nodes.client.api.run('auto', { image: TEST_IMAGE, cmd: ['sleep', '60'], cpus: 0.2, memory: '16m' })
    assert.equal(placed.peerId, compute)
    await nodes.client.api.kill(compute, placed.containerId)
  })
})
