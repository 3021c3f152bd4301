// Remote run and kill (the API of node A -> libp2p -> node B -> Docker) against the same
// create+start and force-remove sent straight to the same engine, for the same container: the
// host's hardening, limits and log options, on a network of its own like each owner's guest
// network (a container on the default bridge is removed about a third faster). Pairs alternate
// in order so drift hits both sides alike. Goal: ratio of medians <= 1.10 for both (the engine
// is the floor).
import { randomBytes } from 'node:crypto'
import Docker from 'dockerode'
import { buildCreateOptions } from '../../dist/runtime/index.js'
import { api, engineOrSkip, fmt, removeDir, request, startHostAndClient, summary, tmpDir, waitUntil } from './lib.mjs'

const PAIRS = Number(process.env.BENCH_PAIRS ?? 12)
const IMAGE = 'p2prc-test/busybox:latest'

const post = async (daemon, path, body) => request(daemon, 'POST', path, body)
const del = async (daemon, path) => request(daemon, 'DELETE', path)

export async function run () {
  const docker = await engineOrSkip(Docker)
  if (docker == null) return
  const root = await tmpDir()
  const { host, client } = await startHostAndClient(root)
  const created = []
  // Named like a guest network's bridge, so the host's firewall rules apply to it alike.
  const network = `p2prc-bench-${process.pid}`
  await docker.createNetwork({ Name: network, Driver: 'bridge', Labels: { 'p2prc.bench': '1' }, Options: { 'com.docker.network.bridge.name': `p2prco${randomBytes(5).toString('hex').slice(0, 9)}`, 'com.docker.network.bridge.enable_icc': 'true' } })
  try {
    await waitUntil(async () => (await api(client, '/v1/peers')).some(p => p.peerId === host.info.peerId && p.resources?.docker), 30_000, 'the host record')
    const remoteRun = []
    const localRun = []
    const remoteKill = []
    const localKill = []
    const runRemote = async () => {
      const t0 = performance.now()
      const c = await post(client, `/v1/peers/${host.info.peerId}/containers`, { image: IMAGE, cmd: ['sleep', '300'], cpus: 0.1, memory: '32m', ttl: '5m' })
      remoteRun.push(performance.now() - t0)
      return async () => {
        const t1 = performance.now()
        await del(client, `/v1/peers/${host.info.peerId}/containers/${c.containerId}`)
        remoteKill.push(performance.now() - t1)
      }
    }
    let n = 0
    const runLocal = async () => {
      const t0 = performance.now()
      // Exactly the container the host creates (same hardening, limits and log options).
      const c = await docker.createContainer(buildCreateOptions({
        image: IMAGE, cmd: ['sleep', '300'], env: {}, ports: [], cpus: 0.1, memoryBytes: 32 * 1024 * 1024, gpus: null,
        name: `p2prc-bench-direct-${process.pid}-${n++}`, labels: { 'p2prc.bench': '1' }, pidsLimit: 512,
        network: { name: network, aliases: [] }, runtime: null, user: null, readOnlyRootfs: false, storageBytes: null
      }))
      created.push(c.id)
      await c.start()
      localRun.push(performance.now() - t0)
      return async () => {
        const t1 = performance.now()
        // The same call the host makes: force, and the container's anonymous volumes with it.
        await c.remove({ force: true, v: true })
        localKill.push(performance.now() - t1)
      }
    }
    // One warm-up of each, not counted.
    await (await runRemote())()
    await (await runLocal())()
    remoteRun.length = localRun.length = remoteKill.length = localKill.length = 0
    for (let i = 0; i < PAIRS; i++) {
      const order = i % 2 === 0 ? [runRemote, runLocal] : [runLocal, runRemote]
      const kills = []
      for (const start of order) kills.push(await start())
      for (const kill of kills) await kill()
    }
    const rr = summary(remoteRun)
    const lr = summary(localRun)
    const rk = summary(remoteKill)
    const lk = summary(localKill)
    const verdict = (ratio) => ratio <= 1.10 ? 'met' : 'NOT met'
    console.log(`run  (create+start, ${PAIRS} pairs): p2prc remote p50 ${fmt(rr.p50)} p95 ${fmt(rr.p95)}; docker direct p50 ${fmt(lr.p50)} p95 ${fmt(lr.p95)}; ratio of medians ${(rr.p50 / lr.p50).toFixed(2)}  [goal <= 1.10: ${verdict(rr.p50 / lr.p50)}]`)
    console.log(`kill (stop+remove,  ${PAIRS} pairs): p2prc remote p50 ${fmt(rk.p50)} p95 ${fmt(rk.p95)}; docker direct p50 ${fmt(lk.p50)} p95 ${fmt(lk.p95)}; ratio of medians ${(rk.p50 / lk.p50).toFixed(2)}  [goal <= 1.10: ${verdict(rk.p50 / lk.p50)}]`)
    console.log(`overhead per remote run: ${fmt(rr.p50 - lr.p50)} (Bacalhau 2022: ~200 ms per job)`)
  } finally {
    for (const id of created) await docker.getContainer(id).remove({ force: true }).catch(() => {})
    await docker.getNetwork(network).remove().catch(() => {})
    await client.stop()
    await host.stop()
    for (const c of await docker.listContainers({ all: true, filters: { label: [`p2prc.node=${host.info.peerId}`] } })) {
      await docker.getContainer(c.Id).remove({ force: true }).catch(() => {})
    }
    await removeDir(root)
  }
}
