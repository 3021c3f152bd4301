import assert from 'node:assert/strict'
import { once } from 'node:events'
import { readFile, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { Daemons, runCli } from '../helpers/daemon-process.js'
import { containersOf, engineAnswers, removeContainersOf, requireEngine, TEST_IMAGE } from '../helpers/docker.js'
import { TmpDirs } from '../helpers/tmp-dir.js'
import { waitFor } from '../helpers/wait-for.js'
import type { RunningDaemon } from '../helpers/daemon-process.js'
import type { JobView } from '../../dist/contract/index.js'
import type { AddressInfo } from 'node:net'

const HOSTS = 3

interface SeenEvent { name: string, detail: any }

/**
 * The daemon's server-sent events until a job of this name is done (or the timeout); resolves
 * once the stream is open, with the events to come.
 */
async function collectEvents (daemon: RunningDaemon, jobName: string, timeout: number): Promise<{ events: Promise<SeenEvent[]> }> {
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), timeout)
  const response = await fetch(`${daemon.info.api}/v1/events`, { headers: { authorization: `Bearer ${daemon.token}` }, signal: controller.signal })
  const body = (response.body as unknown as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]()
  // The server's first line: from here on, every event is seen.
  await body.next()
  return { events: readEvents(body, jobName, controller, timer) }
}

async function readEvents (body: AsyncIterator<Uint8Array>, jobName: string, controller: AbortController, timer: ReturnType<typeof setTimeout>): Promise<SeenEvent[]> {
  const seen: SeenEvent[] = []
  try {
    let buffer = ''
    for (let next = await body.next(); next.done !== true; next = await body.next()) {
      const chunk = next.value
      buffer += Buffer.from(chunk).toString('utf8')
      let end
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const name = /^event: (.*)$/m.exec(block)?.[1]
        const data = /^data: (.*)$/m.exec(block)?.[1]
        if (name == null || data == null) continue
        const detail = JSON.parse(data).detail
        seen.push({ name, detail })
        if (name === 'job:update' && detail.name === jobName && detail.state === 'done') return seen
      }
    }
  } catch {
    // Aborted at the timeout: what was seen is asserted on.
  } finally {
    clearTimeout(timer)
    controller.abort()
  }
  return seen
}
const SMALL = { cpus: 0.1, memory: '24m' }

/** Jobs over real daemons: one client (no engine of its own) and three hosts on the real engine. */
describe('jobs: batch work across peers from one file', () => {
  const dirs = new TmpDirs()
  const daemons = new Daemons()
  const hosts: RunningDaemon[] = []
  let client: RunningDaemon
  let clientDir: string
  let work: string
  const cli = async (args: string[]): Promise<Awaited<ReturnType<typeof runCli>>> => runCli(['--data-dir', clientDir, ...args])
  const jobFile = async (name: string, spec: Record<string, unknown>): Promise<string> => {
    const path = join(work, `${name}.json`)
    await writeFile(path, JSON.stringify(spec, null, 2))
    return path
  }
  const submit = async (name: string, spec: Record<string, unknown>): Promise<string> => {
    const r = await cli(['job', 'run', await jobFile(name, spec), '--json'])
    assert.equal(r.code, 0, r.stderr)
    return (JSON.parse(r.stdout) as { jobId: string }).jobId
  }
  const status = async (jobId: string): Promise<JobView> => client.api.request<JobView>('GET', `/v1/jobs/${jobId}`)
  const ended = async (jobId: string, timeout = 90_000): Promise<JobView> => waitFor(async () => {
    const job = await status(jobId)
    return ['done', 'failed', 'cancelled'].includes(job.state) ? job : null
  }, { timeout, interval: 500, message: `job ${jobId} to end` })
  const startClient = async (): Promise<RunningDaemon> => {
    client = await daemons.start(clientDir, ['--name', 'job-client', '--no-docker', '--bootstrap', hosts[0].info.multiaddrs[0]])
    await waitFor(async () => (await client.api.peers()).filter(p => p.resources?.docker === true && p.verified).length >= hosts.filter(h => h.process.exitCode == null && h.process.signalCode == null).length,
      { timeout: 30_000, message: 'the client to know every host' })
    return client
  }

  before(async () => {
    work = await dirs.make()
    for (let i = 0; i < HOSTS; i++) {
      const dir = await dirs.make()
      // Loopback named: the test's web server for URL inputs is on 127.0.0.1.
      await writeFile(join(dir, 'config.json'), JSON.stringify({ advertInterval: '2s', recordTtl: '10s', labels: { zone: `z${i}`, ...(i === 0 ? { pool: 'p' } : {}) }, policy: { allowFetchHosts: ['127.0.0.1'] } }))
      hosts.push(await daemons.start(dir, ['--name', `job-host-${i}`, ...(i > 0 ? ['--bootstrap', hosts[0].info.multiaddrs[0]] : [])]))
    }
    clientDir = await dirs.make()
    await writeFile(join(clientDir, 'config.json'), JSON.stringify({ advertInterval: '2s', recordTtl: '10s' }))
    await startClient()
  })

  after(async () => {
    await daemons.stopAll()
    for (const host of hosts) await removeContainersOf(host.info.peerId)
    await dirs.cleanup()
  })

  it('8 tasks with spread 3 land on all three hosts; each sees its index and its inputs; outputs and logs come back per task', async t => {
    if (!await requireEngine(t)) return
    await writeFile(join(work, 'common.txt'), 'shared input\n')
    for (let i = 0; i < 8; i++) await writeFile(join(work, `part-${i}.txt`), `part ${i}\n`)
    const eventsSeen = (await collectEvents(client, 'fan', 90_000)).events
    const jobId = await submit('fan', {
      name: 'fan',
      image: TEST_IMAGE,
      cmd: ['sh', '-c', 'cat /in/common.txt /in/part.txt; echo "task $P2PRC_TASK_INDEX of $P2PRC_TASK_COUNT in $P2PRC_JOB_ID"; echo oops >&2; mkdir -p /out; echo "result $P2PRC_TASK_INDEX" > /out/result.txt'],
      count: 8,
      spread: 3,
      resources: SMALL,
      inputs: [{ from: 'common.txt', to: '/in/common.txt' }, { from: 'part-{index}.txt', to: '/in/part.txt' }],
      outputs: ['/out/result.txt']
    })
    // Followed from the start: every task's lines as they come, and the stream ends with the job.
    const followed = cli(['job', 'logs', jobId, '-f'])
    const job = await ended(jobId)
    assert.equal(job.state, 'done', JSON.stringify(job.tasks.map(t => t.reason)))
    const live = await followed
    assert.equal(live.code, 0, live.stderr)
    for (let i = 0; i < 8; i++) assert.equal(live.stdout.split('\n').filter(l => l === `[${i}] task ${i} of 8 in ${jobId}`).length, 1, live.stdout)
    assert.ok(job.tasks.every(t => t.inputBytes > 0 && t.outputBytes > 0))
    const events = await eventsSeen
    assert.ok(events.some(e => e.name === 'job:update' && e.detail.jobId === jobId && e.detail.state === 'done'), 'job:update on /v1/events')
    assert.ok(events.filter(e => e.name === 'task:update' && e.detail.jobId === jobId && e.detail.state === 'done').length >= 8, 'task:update for every task')
    const perPeer = new Map<string, number>()
    for (const task of job.tasks) perPeer.set(task.peerId as string, (perPeer.get(task.peerId as string) ?? 0) + 1)
    assert.deepEqual([...perPeer.keys()].sort(), hosts.map(h => h.info.peerId).sort(), 'on all three hosts')
    assert.ok([...perPeer.values()].every(n => n <= 3), `at most 3 per host: ${[...perPeer.values()].join(', ')}`)

    const out = join(work, 'fan-out')
    const get = await cli(['job', 'get', jobId, out])
    assert.equal(get.code, 0, get.stderr)
    for (let i = 0; i < 8; i++) assert.equal(await readFile(join(out, String(i), 'out/result.txt'), 'utf8'), `result ${i}\n`)

    const logs = await cli(['job', 'logs', jobId])
    assert.equal(logs.code, 0, logs.stderr)
    for (let i = 0; i < 8; i++) {
      assert.ok(logs.stdout.includes(`[${i}] task ${i} of 8 in ${jobId}\n`), logs.stdout)
      assert.ok(logs.stdout.includes(`[${i}] part ${i}\n`))
      assert.ok(logs.stdout.includes(`[${i}] shared input\n`))
    }
    assert.equal(logs.stderr.split('\n').filter(l => /^\[\d\] oops$/.test(l)).length, 8)

    const table = await cli(['job', 'status', jobId])
    assert.match(table.stdout, /8 done/)
    // Collected, so gone from the hosts.
    for (const host of hosts) assert.equal((await containersOf(host.info.peerId)).filter(c => c.Labels['p2prc.owner'] === client.info.peerId && c.Names.some(n => n.includes('fan-'))).length, 0)
  })

  it('an input from a URL is downloaded by the host into each task, per task with its index', async t => {
    if (!await requireEngine(t)) return
    const served: string[] = []
    const web = createServer((req, res) => {
      served.push(req.url ?? '')
      if (req.url === '/moved') { res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end(); return }
      const match = /^\/data\/(\d+)$/.exec(req.url ?? '')
      if (match == null) { res.writeHead(404).end(); return }
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`web ${match[1]}\n`)
    })
    web.listen(0, '127.0.0.1')
    await once(web, 'listening')
    try {
      const port = (web.address() as AddressInfo).port
      const jobId = await submit('web', {
        name: 'web', image: TEST_IMAGE, count: 3, resources: SMALL,
        inputs: [{ from: `http://127.0.0.1:${port}/data/{index}`, to: '/in/deep/web.txt' }],
        cmd: ['cat', '/in/deep/web.txt']
      })
      const job = await ended(jobId)
      assert.equal(job.state, 'done', JSON.stringify(job.tasks.map(t => t.reason)))
      const logs = await cli(['job', 'logs', jobId])
      for (let i = 0; i < 3; i++) assert.ok(logs.stdout.includes(`[${i}] web ${i}\n`), logs.stdout)
      assert.deepEqual(served.sort(), ['/data/0', '/data/1', '/data/2'])

      // A redirect is not followed (it could point anywhere, the metadata address included).
      const moved = await ended(await submit('moved', { image: TEST_IMAGE, cmd: ['true'], resources: SMALL, inputs: [{ from: `http://127.0.0.1:${port}/moved`, to: '/in/x' }] }))
      assert.equal(moved.state, 'failed')
      assert.match(moved.tasks[0].reason as string, /answered with a redirect \(302\); give the final URL/)
    } finally {
      web.close()
    }
  })

  it('job exec runs a command in every running task; cancel ends them all', async t => {
    if (!await requireEngine(t)) return
    const jobId = await submit('sleepers', { name: 'sleepers', image: TEST_IMAGE, cmd: ['sleep', '300'], count: 3, resources: SMALL })
    await waitFor(async () => (await status(jobId)).counts.running === 3, { timeout: 60_000, message: 'three tasks running' })
    const exec = await cli(['job', 'exec', jobId, '--json', '--', 'sh', '-c', 'echo "in $P2PRC_TASK_INDEX"; exit 3'])
    assert.equal(exec.code, 1, 'a task exited non-zero')
    const results = JSON.parse(exec.stdout) as Array<{ index: number, stdout: string, exitCode: number }>
    assert.deepEqual(results.map(r => [r.index, r.stdout, r.exitCode]).sort(), [[0, 'in 0\n', 3], [1, 'in 1\n', 3], [2, 'in 2\n', 3]])
    const running = (await status(jobId)).tasks.map(t => t.containerId as string)

    const cancel = await cli(['job', 'cancel', jobId])
    assert.equal(cancel.code, 0, cancel.stderr)
    const job = await status(jobId)
    assert.equal(job.state, 'cancelled')
    for (const host of hosts) {
      const left = (await containersOf(host.info.peerId)).filter(c => running.includes(c.Id))
      assert.equal(left.length, 0, 'every task container killed')
    }
    const rm = await cli(['job', 'rm', jobId])
    assert.equal(rm.code, 0, rm.stderr)
    assert.equal((await cli(['job', 'status', jobId])).code, 1)
  })

  it('a task a host refuses goes to the next peer, and the refusal is not an attempt', async t => {
    if (!await requireEngine(t)) return
    const dir = await dirs.make()
    // In the pool, but its policy takes no image: every run it is asked is refused.
    await writeFile(join(dir, 'config.json'), JSON.stringify({ advertInterval: '2s', recordTtl: '10s', labels: { pool: 'p' }, policy: { allowImages: [] } }))
    const picky = await daemons.start(dir, ['--name', 'job-picky', '--bootstrap', hosts[0].info.multiaddrs[0]])
    try {
      await waitFor(async () => (await client.api.peers()).some(p => p.peerId === picky.info.peerId && p.resources?.docker === true && p.verified), { timeout: 30_000, message: 'the client to know the picky host' })
      // Two tasks in the pool: the second goes first to the pool member with none of them, which refuses.
      const jobId = await submit('refused', { name: 'refused', image: TEST_IMAGE, cmd: ['true'], count: 2, resources: SMALL, constraints: { labels: { pool: 'p' } } })
      const job = await ended(jobId)
      assert.equal(job.state, 'done', JSON.stringify(job.tasks.map(t => t.reason)))
      assert.deepEqual(job.tasks.map(t => [t.peerId, t.attempts]), [[hosts[0].info.peerId, 1], [hosts[0].info.peerId, 1]])
      assert.equal((await containersOf(picky.info.peerId)).length, 0)
    } finally {
      assert.equal(await picky.stop(), 0)
    }
  })

  it('a job no peer fits says why for each peer, then fails at its queue timeout', async t => {
    if (!await requireEngine(t)) return
    const jobId = await submit('nowhere', { image: TEST_IMAGE, cmd: ['true'], constraints: { labels: { zone: 'mars' } }, queueTimeout: '3s' })
    const waiting = await waitFor(async () => {
      const job = await status(jobId)
      return job.tasks[0].reason?.startsWith('waiting for a peer') === true ? job : null
    }, { timeout: 20_000, message: 'the task to say why it waits' })
    assert.equal(waiting.state, 'queued')
    for (let i = 0; i < HOSTS; i++) assert.match(waiting.tasks[0].reason as string, new RegExp(`job-host-${i} \\(\\w+\\): label zone=mars does not match`))
    const job = await ended(jobId)
    assert.equal(job.state, 'failed')
    assert.match(job.tasks[0].reason as string, /no peer could take it within 3s: .*zone=mars/)
  })

  it('a bad job file gets one clear error naming the field and its line, and makes no job', async t => {
    const path = join(work, 'bad.yaml')
    await writeFile(path, `name: bad\nimage: ${TEST_IMAGE}\ncount: lots\nfrobnicate: true\n`)
    const before = (await client.api.request<JobView[]>('GET', '/v1/jobs')).length
    const r = await cli(['job', 'run', path])
    assert.equal(r.code, 1)
    assert.match(r.stderr, /bad\.yaml:3: field 'count': /)
    assert.match(r.stderr, /bad\.yaml:4: unknown field 'frobnicate'/)
    assert.equal((await client.api.request<JobView[]>('GET', '/v1/jobs')).length, before)
    if (!await engineAnswers()) t.diagnostic('no engine: only the file was checked')
  })

  it('a client restarted mid-job takes the job up again and finishes it', async t => {
    if (!await requireEngine(t)) return
    const jobId = await submit('restart', {
      name: 'restart', image: TEST_IMAGE, count: 3, resources: SMALL, outputs: ['/out'],
      cmd: ['sh', '-c', 'sleep 4; mkdir -p /out; echo "done $P2PRC_TASK_INDEX" > /out/x']
    })
    await waitFor(async () => (await status(jobId)).counts.running === 3, { timeout: 60_000, message: 'three tasks running' })
    assert.equal(await client.stop(), 0)
    await startClient()
    const job = await ended(jobId)
    assert.equal(job.state, 'done', JSON.stringify(job.tasks.map(t => t.reason)))
    assert.ok(job.tasks.every(t => t.attempts === 1), 'the same containers, taken up again')
    const out = join(work, 'restart-out')
    assert.equal((await cli(['job', 'get', jobId, out])).code, 0)
    for (let i = 0; i < 3; i++) assert.equal(await readFile(join(out, String(i), 'out/x'), 'utf8'), `done ${i}\n`)
  })

  // Last: it kills a host.
  it('a host killed mid-job has its tasks run again elsewhere, and the job completes with all outputs', async t => {
    if (!await requireEngine(t)) return
    const jobId = await submit('survive', {
      name: 'survive', image: TEST_IMAGE, count: 6, resources: SMALL, retries: 2, lostAfter: '3s', outputs: ['/out/r'],
      cmd: ['sh', '-c', 'sleep 6; mkdir -p /out; echo "r $P2PRC_TASK_INDEX" > /out/r']
    })
    const running = await waitFor(async () => {
      const job = await status(jobId)
      return job.counts.running === 6 ? job : null
    }, { timeout: 60_000, message: 'six tasks running' })
    const victim = hosts.find(h => running.tasks.some(t => t.peerId === h.info.peerId)) as RunningDaemon
    const onVictim = running.tasks.filter(t => t.peerId === victim.info.peerId).map(t => t.index)
    victim.process.kill('SIGKILL')
    const job = await ended(jobId, 120_000)
    assert.equal(job.state, 'done', JSON.stringify(job.tasks.map(t => t.reason)))
    for (const index of onVictim) {
      const task = job.tasks[index]
      assert.equal(task.attempts, 2, `task ${index} ran again`)
      assert.notEqual(task.peerId, victim.info.peerId)
      assert.match(task.history[0].reason as string, /did not answer for 3s/)
    }
    const out = join(work, 'survive-out')
    assert.equal((await cli(['job', 'get', jobId, out])).code, 0)
    for (let i = 0; i < 6; i++) assert.equal(await readFile(join(out, String(i), 'out/r'), 'utf8'), `r ${i}\n`)
  })
})
