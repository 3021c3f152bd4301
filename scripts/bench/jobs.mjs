// A 40-task job of short containers over 4 hosts on this machine, from submit to all done (with
// each task's logs collected and its container removed), side by side in one run with the same 40
// containers (a) started and waited for through the Docker API on one engine, 8 at a time, and
// (b) run one after another through `p2prc run` (the API's remote run, then waiting for the exit
// and removing). Prints the times, the per-task overhead and the ratios.
import Docker from 'dockerode'
import { buildCreateOptions } from '../../dist/runtime/index.js'
import { api, engineOrSkip, fmt, removeDir, request, startDaemon, tmpDir, waitUntil } from './lib.mjs'

const TASKS = Number(process.env.BENCH_TASKS ?? 40)
const HOSTS = 4
const PARALLEL = 8
const IMAGE = 'p2prc-test/busybox:latest'
const CMD = ['sh', '-c', 'echo task $P2PRC_TASK_INDEX; sleep 1']

export async function run () {
  const docker = await engineOrSkip(Docker)
  if (docker == null) return
  const root = await tmpDir()
  const hosts = []
  let client
  const direct = []
  try {
    for (let i = 0; i < HOSTS; i++) hosts.push(await startDaemon(`${root}/h${i}`, ['--name', `bench-jobs-${i}`, ...(i > 0 ? ['--bootstrap', hosts[0].info.multiaddrs[0]] : [])]))
    client = await startDaemon(`${root}/client`, ['--no-docker', '--bootstrap', hosts[0].info.multiaddrs[0]])
    await waitUntil(async () => (await api(client, '/v1/peers')).filter(p => p.resources?.docker && p.verified).length === HOSTS, 30_000, 'every host record')

    // The job: 40 tasks, 8 at a time, over the 4 hosts.
    const t0 = performance.now()
    const job = await request(client, 'POST', '/v1/jobs', { spec: { name: 'bench', image: IMAGE, cmd: CMD, count: TASKS, parallelism: PARALLEL, resources: { cpus: 0.1, memory: '24m' } } })
    let done
    await waitUntil(async () => {
      done = await api(client, `/v1/jobs/${job.jobId}`)
      return ['done', 'failed', 'cancelled'].includes(done.state)
    }, 600_000, 'the job to end')
    const jobMs = performance.now() - t0
    if (done.state !== 'done') throw new Error(`the job ended ${done.state}: ${done.tasks.map(t => t.reason).filter(Boolean).join('; ')}`)
    const perHost = new Map()
    for (const t of done.tasks) perHost.set(t.peerId, (perHost.get(t.peerId) ?? 0) + 1)

    // The same containers straight through the engine, as many at a time.
    const t1 = performance.now()
    let next = 0
    const worker = async () => {
      while (next < TASKS) {
        const index = next++
        const c = await docker.createContainer(buildCreateOptions({
          image: IMAGE, cmd: CMD, env: { P2PRC_TASK_INDEX: String(index) }, ports: [], cpus: 0.1, memoryBytes: 24 * 1024 * 1024, gpus: null,
          name: `p2prc-bench-job-${process.pid}-${index}`, labels: { 'p2prc.bench': '1' }, pidsLimit: 512,
        network: { name: 'bridge', aliases: [] }, runtime: null, user: null, readOnlyRootfs: false, storageBytes: null
        }))
        direct.push(c.id)
        await c.start()
        await c.wait()
        await c.logs({ stdout: true, stderr: true })
        await c.remove({ force: true })
      }
    }
    await Promise.all(Array.from({ length: PARALLEL }, worker))
    const directMs = performance.now() - t1

    // One after another through p2prc run (what a user without jobs would script).
    const host = hosts[0].info.peerId
    const SEQUENTIAL = Math.min(TASKS, Number(process.env.BENCH_SEQUENTIAL ?? 10))
    const t2 = performance.now()
    for (let i = 0; i < SEQUENTIAL; i++) {
      const c = await request(client, 'POST', `/v1/peers/${host}/containers`, { image: IMAGE, cmd: CMD, cpus: 0.1, memory: '24m', env: { P2PRC_TASK_INDEX: String(i) } })
      await waitUntil(async () => (await api(client, `/v1/peers/${host}/containers`)).find(v => v.containerId === c.containerId)?.state === 'exited', 60_000, 'the container to exit')
      await request(client, 'POST', `/v1/peers/${host}/containers/${c.containerId}/remove`)
    }
    const sequentialMs = (performance.now() - t2) / SEQUENTIAL * TASKS

    console.log(`job of ${TASKS} tasks (each ~1 s) over ${HOSTS} hosts, ${PARALLEL} at a time: ${fmt(jobMs)} submit to all done (tasks per host: ${[...perHost.values()].join(', ')})`)
    console.log(`the same ${TASKS} containers through the Docker API on one engine, ${PARALLEL} at a time: ${fmt(directMs)}; job / direct ${(jobMs / directMs).toFixed(2)}`)
    console.log(`per-task overhead of the job: ${fmt((jobMs - directMs) / TASKS * PARALLEL)} (placement, held create, start, watch, logs, remove over libp2p)`)
    console.log(`one after another through p2prc run (${SEQUENTIAL} measured, scaled to ${TASKS}): ${fmt(sequentialMs)}; job / sequential ${(jobMs / sequentialMs).toFixed(2)}`)
  } finally {
    for (const id of direct) await docker.getContainer(id).remove({ force: true }).catch(() => {})
    await client?.stop()
    for (const host of hosts) {
      await host.stop()
      for (const c of await docker.listContainers({ all: true, filters: { label: [`p2prc.node=${host.info.peerId}`] } })) {
        await docker.getContainer(c.Id).remove({ force: true }).catch(() => {})
      }
    }
    await removeDir(root)
  }
}
