import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { dockerClient, TEST_IMAGE } from '../helpers/docker.js'
import { waitFor } from '../helpers/wait-for.js'
import { SERVICES, Testbed } from './testbed.js'

interface Peer { peerId: string, name: string | null, resources: { docker: boolean, offer: { cpus: number } } | null }
interface Started { peerId: string, containerId: string, name: string }

/** Five nodes in five containers on their own network: a user's journey across them. */
describe('the testbed: a user\'s journey across five nodes', () => {
  const bed = new Testbed()
  const ids = new Map<string, string>()

  before(async () => {
    await bed.up()
    await bed.converged([...SERVICES], [...SERVICES], 90_000)
    for (const s of SERVICES) ids.set(s, await bed.peerId(s))
  })
  after(async () => { await bed.down() })

  it('every node sees every other, and the compute nodes with Docker and resources', async () => {
    const peers = await bed.json<Peer[]>('client-1', ['peers'])
    for (const name of ['compute-1', 'compute-2']) {
      const peer = await waitFor(async () => (await bed.json<Peer[]>('client-1', ['peers'])).find(p => p.name === name && p.resources?.docker === true),
        { message: `${name} with Docker in client-1's table` })
      assert.equal(peer.peerId, ids.get(name))
      assert.ok((peer.resources?.offer.cpus ?? 0) > 0)
    }
    assert.ok(peers.some(p => p.peerId === ids.get('bootstrap')))
    // A client-only node offers nothing.
    const client2 = (await bed.json<Peer[]>('client-1', ['peers'])).find(p => p.name === 'client-2')
    assert.equal(client2?.resources?.docker, false)
  })

  it('runs on a chosen node, shows its stats and logs, and kills it', async () => {
    const started = await bed.json<Started>('client-1', ['run', 'compute-1', TEST_IMAGE, '--cpus', '0.2', '--memory', '32m', '--', 'sh', '-c', 'echo hello from compose; sleep 300'])
    assert.equal(started.peerId, ids.get('compute-1'))
    // The engine really runs it, labelled with its host node and its owner.
    const info = await dockerClient().getContainer(started.containerId).inspect()
    assert.equal(info.State.Running, true)
    assert.equal(info.Config.Labels['p2prc.node'], ids.get('compute-1'))
    assert.equal(info.Config.Labels['p2prc.owner'], ids.get('client-1'))

    const stats = await bed.json<{ memoryLimitBytes: number }>('client-1', ['stats', 'compute-1', started.containerId, '--no-stream'])
    assert.equal(stats.memoryLimitBytes, 32 * 1024 * 1024)
    await waitFor(async () => (await bed.cli('client-1', ['logs', 'compute-1', started.containerId])).stdout.includes('hello from compose'), { message: 'the container\'s output' })

    // Another peer does not see it and cannot kill it.
    const denied = await bed.cli('client-2', ['kill', 'compute-1', started.containerId])
    assert.notEqual(denied.code, 0)
    assert.match(denied.stderr, /no container/)

    await bed.json('client-1', ['kill', 'compute-1', started.containerId])
    await assert.rejects(dockerClient().getContainer(started.containerId).inspect(), (err: any) => err.statusCode === 404)
  })

  it('places `run auto` on a node that fits, by label', async () => {
    const started = await bed.json<Started>('client-2', ['run', 'auto', TEST_IMAGE, '--label', 'zone=b', '--memory', '32m', '--cpus', '0.1', '--', 'sleep', '300'])
    assert.equal(started.peerId, ids.get('compute-2'))
    assert.equal((await dockerClient().getContainer(started.containerId).inspect()).State.Running, true)
    const mine = await bed.json<Array<{ containerId: string }>>('client-2', ['ps'])
    assert.ok(mine.some(c => c.containerId === started.containerId))
    await bed.json('client-2', ['kill', 'compute-2', started.containerId])
  })
})
