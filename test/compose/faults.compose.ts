import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { after, before, describe, it } from 'node:test'
import { ROOT } from '../helpers/daemon-process.js'
import { dockerClient, TEST_IMAGE } from '../helpers/docker.js'
import { waitFor } from '../helpers/wait-for.js'
import { SERVICES, Testbed } from './testbed.js'

const exec = promisify(execFile)

interface Peer { peerId: string, name: string | null }
interface Started { peerId: string, containerId: string, expiresAt: string | null }

/** Faults on the testbed, in order: each leaves the network as the next one expects it. */
describe('the testbed under faults', () => {
  const bed = new Testbed()
  const ids = new Map<string, string>()
  const extra: string[] = []

  before(async () => {
    await bed.up()
    await bed.converged([...SERVICES], [...SERVICES], 90_000)
    for (const s of SERVICES) ids.set(s, await bed.peerId(s))
  })
  after(async () => {
    for (const name of extra) await exec('docker', ['rm', '-f', name]).catch(() => {})
    await bed.down()
  })

  const sees = async (service: string, peer: string): Promise<boolean> =>
    (await bed.json<Peer[]>(service, ['peers'])).some(p => p.peerId === ids.get(peer))
  const engineContainers = async (node: string, owner: string): Promise<string[]> =>
    (await dockerClient().listContainers({ all: true, filters: { label: [`p2prc.node=${ids.get(node)}`, `p2prc.owner=${ids.get(owner)}`] } })).map(c => c.Id).sort()

  it('a node killed mid-run: the client gets a clear error, and the time limit holds when it returns', async () => {
    const started = await bed.json<Started>('client-1', ['run', 'compute-1', TEST_IMAGE, '--ttl', '20s', '--memory', '32m', '--cpus', '0.1', '--', 'sleep', '300'])
    await exec('docker', ['kill', bed.container('compute-1')])
    const logs = await bed.cli('client-1', ['logs', ids.get('compute-1') ?? '', started.containerId])
    assert.notEqual(logs.code, 0)
    assert.match(logs.stderr, /cannot reach peer|not connected|could not connect/i)
    assert.equal(logs.stderr.trim().split('\n').length, 1, `one line, no stack: ${logs.stderr}`)

    // The container outlives its node; once the node is back (after the limit passed), it goes.
    assert.equal((await dockerClient().getContainer(started.containerId).inspect()).State.Running, true)
    await waitFor(() => started.expiresAt != null && Date.now() > Date.parse(started.expiresAt), { timeout: 40_000, message: 'the time limit to pass' })
    await exec('docker', ['start', bed.container('compute-1')])
    await waitFor(async () => dockerClient().getContainer(started.containerId).inspect().then(() => false, (err: any) => err.statusCode === 404),
      { timeout: 60_000, interval: 500, message: 'the returning node to remove its expired container' })
    await waitFor(async () => sees('client-1', 'compute-1'), { timeout: 60_000, interval: 500, message: 'compute-1 back in client-1\'s table' })
  })

  it('a node partitioned off leaves every table, and returns when the network heals', async () => {
    const network = `${bed.project}_p2prc`
    await exec('docker', ['network', 'disconnect', network, bed.container('compute-2')])
    let healed = false
    const heal = async (): Promise<void> => {
      if (!healed) await exec('docker', ['network', 'connect', '--alias', 'compute-2', network, bed.container('compute-2')])
      healed = true
    }
    try {
      // Its adverts stop: each table drops it once its record has expired (recordTtl 8 s in the
      // testbed) and the dead connection has failed its ping.
      for (const s of ['client-1', 'compute-1']) await waitFor(async () => !await sees(s, 'compute-2'), { timeout: 60_000, interval: 500, message: `${s} to drop compute-2` })
      await heal()
    } finally {
      // The later faults need compute-2 on the network, whatever happened here.
      await heal()
    }
    for (const s of ['client-1', 'compute-1']) await waitFor(async () => sees(s, 'compute-2'), { timeout: 60_000, interval: 500, message: `${s} to see compute-2 again` })
  })

  it('without the bootstrap node the rest keep working, and a new node joins through any peer', async () => {
    await exec('docker', ['stop', '-t', '5', bed.container('bootstrap')])
    const started = await bed.json<Started>('client-2', ['run', 'compute-1', TEST_IMAGE, '--memory', '32m', '--cpus', '0.1', '--', 'sleep', '300'])
    assert.equal((await dockerClient().getContainer(started.containerId).inspect()).State.Running, true)
    await bed.json('client-2', ['kill', 'compute-1', started.containerId])

    // A node that knows only compute-1 finds everyone still up.
    const late = `${bed.project}_late`
    extra.push(late)
    await exec('docker', ['run', '-d', '--name', late, '--network', `${bed.project}_p2prc`, '-v', `${ROOT}test/compose/node-config.json:/etc/p2prc/config.json:ro`,
      'p2prc/node:latest', '--listen', '/ip4/0.0.0.0/tcp/4001', '--config', '/etc/p2prc/config.json', '--name', 'late', '--no-docker',
      '--bootstrap', `/dns4/compute-1/tcp/4001/p2p/${ids.get('compute-1')}`])
    await waitFor(async () => {
      const { stdout } = await exec('docker', ['exec', late, 'p2prc', '--json', 'peers'])
      const names = (JSON.parse(stdout) as Peer[]).map(p => p.name)
      return ['compute-1', 'compute-2', 'client-1', 'client-2'].every(n => names.includes(n))
    }, { timeout: 60_000, interval: 500, message: 'the late node to see the whole network' })
  })

  it('a daemon restarted under load loses nothing and leaves no orphan', async () => {
    for (let i = 0; i < 3; i++) await bed.json('client-1', ['run', 'compute-2', TEST_IMAGE, '--memory', '16m', '--cpus', '0.05', '--', 'sleep', '300'])
    const before = await engineContainers('compute-2', 'client-1')
    assert.equal(before.length, 3)
    // Runs keep arriving while the daemon restarts: each either starts or fails with an error.
    const load = Promise.all(Array.from({ length: 4 }, async () => bed.cli('client-1', ['run', 'compute-2', TEST_IMAGE, '--memory', '16m', '--cpus', '0.05', '--', 'sleep', '300'])))
    await exec('docker', ['restart', '-t', '10', bed.container('compute-2')])
    const results = await load
    for (const r of results) assert.ok(r.code === 0 || r.stderr.trim() !== '', 'a failed run says why')

    // After the restart, the owner's view and the engine agree: every container is re-adopted.
    await waitFor(async () => {
      const listed = (await bed.json<Array<{ containerId: string }>>('client-1', ['ps', 'compute-2'])).map(c => c.containerId).sort()
      const actual = await engineContainers('compute-2', 'client-1')
      return before.every(id => listed.includes(id)) && JSON.stringify(listed) === JSON.stringify(actual)
    }, { timeout: 60_000, interval: 1000, message: 'ps after the restart to list exactly the engine\'s containers' })
  })

  it('a job across both compute nodes, one stopped mid-job: its tasks run again on the other, and every output comes back', async () => {
    const job = {
      name: 'bed-job', image: TEST_IMAGE, count: 4, retries: 2, lostAfter: '3s', outputs: ['/out/r'], resources: { cpus: 0.05, memory: '16m' },
      cmd: ['sh', '-c', 'sleep 8; mkdir -p /out; echo "r $P2PRC_TASK_INDEX" > /out/r']
    }
    await exec('docker', ['exec', bed.container('client-2'), 'sh', '-c', `printf '%s' '${JSON.stringify(job)}' > /tmp/job.json`])
    const { jobId } = await bed.json<{ jobId: string }>('client-2', ['job', 'run', '/tmp/job.json'])
    interface Status { state: string, tasks: Array<{ index: number, peerId: string, state: string, attempts: number, containerId: string }> }
    const running = await waitFor(async () => {
      const status = await bed.json<Status>('client-2', ['job', 'status', jobId])
      return status.tasks.every(t => t.state === 'running') ? status : null
    }, { timeout: 60_000, interval: 500, message: 'every task running' })
    const hosts = new Set(running.tasks.map(t => t.peerId))
    assert.deepEqual([...hosts].sort(), [ids.get('compute-1'), ids.get('compute-2')].sort(), 'on both compute nodes')
    const stranded = running.tasks.filter(t => t.peerId === ids.get('compute-1'))
    await exec('docker', ['stop', '-t', '5', bed.container('compute-1')])
    const done = await waitFor(async () => {
      const status = await bed.json<Status>('client-2', ['job', 'status', jobId])
      return ['done', 'failed', 'cancelled'].includes(status.state) ? status : null
    }, { timeout: 120_000, interval: 1000, message: 'the job to end' })
    assert.equal(done.state, 'done')
    for (const t of stranded) {
      assert.equal(done.tasks[t.index].attempts, 2)
      assert.equal(done.tasks[t.index].peerId, ids.get('compute-2'))
    }
    const got = await bed.cli('client-2', ['job', 'get', jobId, '/tmp/bed-out'])
    assert.equal(got.code, 0, got.stderr)
    for (let i = 0; i < 4; i++) {
      const { stdout } = await exec('docker', ['exec', bed.container('client-2'), 'cat', `/tmp/bed-out/${i}/out/r`])
      assert.equal(stdout, `r ${i}\n`)
    }
    // The stopped node comes back: the client ends the containers it left there.
    await exec('docker', ['start', bed.container('compute-1')])
    await waitFor(async () => {
      const left = await engineContainers('compute-1', 'client-2')
      return stranded.every(t => !left.includes(t.containerId))
    }, { timeout: 90_000, interval: 1000, message: 'the left-behind containers on compute-1 to be ended' })
  })
})
